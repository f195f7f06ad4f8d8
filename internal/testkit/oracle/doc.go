// Package oracle generates random databases and policies for pgward's
// oracle test, and checks pgward against PostgreSQL on them.
//
// [Generate] turns a seed and a server version into a [Case]: an owner role
// that owns the database, one to three schemas and the objects in them,
// and two to five grantee roles (some LOGIN, some NOINHERIT) with
// memberships between them (ADMIN; INHERIT and SET on 16+; now and then a
// predefined role, or the owner as a member of a grantee); tables (one of
// them partitioned, with partitions), views, materialized views, sequences
// (plain, serial, identity), functions with overloads, procedures,
// aggregates, enum, domain, composite and range types, foreign tables;
// outside schemas, foreign-data wrappers (the superuser's) and their
// servers, languages (plpgsql, an extension's member that pgward must leave
// alone; sql; trusted languages of the database, on plpgsql's handler) and
// large objects (made with lo_create and a fixed OID, so that the printed
// setup and policy name the same one); grants on all of them and on
// columns, some with grant options and some made by grantees holding one
// (other grantors); revokes of PUBLIC's built-in rights; default
// privileges, global and per schema (ON LARGE OBJECTS on 18+); and a
// policy over those roles: grant rules by exact name, pattern, signature
// or kind, with except lists, owner selectors, ALL and grant options;
// member_of blocks; default privileges; PUBLIC ceilings. In a third of the cases names need quoting
// (upper case, spaces, quotes, dots, non-ASCII, keywords).
//
// A Case is a plain value whose parts refer to each other by index, so
// that [Shrink] can switch parts off one at a time; [Case.Materialize]
// turns it into SQL and a policy.Policy for one database, with role names
// of that database, and [FormatHCL] prints the policy as HCL for bug
// reports.
//
// [Check] applies the policy to a database set up from a Case, as the owner
// (as the superuser when the owner's plan is blocked), and compares the
// outcome with PostgreSQL: a second plan is empty; each managed role holds
// directly what [Desired], an evaluation of the policy written here apart
// from package plan, asks for; nothing else changed; and has_*_privilege and
// pg_has_role agree with access.EffectiveAccess. Large objects have
// has_largeobject_privilege on 18+ only; before, PostgreSQL answers from
// their ACL through aclexplode and pg_has_role.
//
// Tablespaces and parameters are left out: they are cluster-wide, and
// cases run in parallel on one cluster, so one case's grants would show up
// in, and be changed by, another's. Everything generated outside schemas is
// per database.
//
// The package does no database setup of its own: its test (oracle_test.go,
// flags -oracle.cases, -oracle.seed, -oracle.jobs, -oracle.shrink,
// -oracle.shrinktime) makes the databases and roles on the pgtest server.
package oracle
