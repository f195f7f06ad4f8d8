// Package importer writes a policy that reproduces the privileges a live
// database holds today: pgward import. Against the database it came from,
// plan shows no changes, save for what the import's notes announce.
//
// # Entry points
//
// [Read] reads the catalog with [introspect.Read] (call it inside a READ
// ONLY transaction) and calls [Build]. [Build] is pure: it turns a catalog
// into an [Import], a neutral value that holds a [policy.Policy] with the
// layout a person would write (the order of blocks, comments, shared
// privilege lists) and the [Note]s on what no policy can reproduce.
// Writers render an Import and decide nothing: [WriteHCL] writes HCL,
// [WriteYAML] the same policy in YAML, with the same header, notes,
// comments and locals; both load as the same [policy.Policy].
//
// # What is imported
//
// Every role [Options] selects becomes a role block, external unless
// Options.ManageRoles, with its attributes (unless
// Options.LeaveOutAttributes), its memberships (member_of, with ADMIN, and
// INHERIT and SET on PostgreSQL 16+), its grants on every kind pgward
// models, with grant options, and its default privileges next to the
// grants of the same kind and schema. Grants on the own ACL of the system
// schemas (pg_catalog, information_schema) become rules naming them, and
// the schemas join scope.system_schemas. PUBLIC becomes the public block,
// a grantee like a role: the short form (kind = [...], a ceiling) for each
// kind where PUBLIC holds PostgreSQL's defaults, or nothing, on every
// object; grant rules that reproduce each object for the other kinds
// (EXECUTE kept on some functions and revoked on one); and
// default_privileges wherever PUBLIC's default privileges differ from
// PostgreSQL's (REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC for a creating
// role).
//
// # Readable rules
//
// For each role, kind and schema, the objects are grouped by the exact
// privileges the role holds. Build writes one rule per group naming its
// objects, with names sharing a prefix written as a glob ("oban_*"), or one
// rule without names for the largest group plus rules naming the others
// (an exact name or a pattern beats a rule without names) and except for
// the objects that hold nothing, whichever is shorter. A rule never
// selects an object that holds something else, unless a rule of higher
// rank decides that object; objects the role owns may be selected by
// anything, since an owner's privileges are never managed. Build checks
// each candidate by evaluating it with the precedence of docs/policy.md,
// and checks the whole policy with [plan.Build] against the catalog: a
// change that no note explains becomes a note of its own
// ([ReasonResidual]), never a silent difference.
//
// # What cannot be reproduced
//
// Privileges granted by a role other than the object's owner (pgward's
// GRANT records the owner, so plan grants them again as the owner), an
// owner's revoke of its own privileges, privileges of an owner on its own
// objects (never managed), untrusted languages, default privileges of a
// creating role for itself, memberships granted several times with different options,
// and VALID UNTIL '-infinity'. Each is a [Note]; the writers list them at
// the top of the file. docs/cli.md lists them too.
//
// The package connects to nothing and writes nothing to a database.
package importer
