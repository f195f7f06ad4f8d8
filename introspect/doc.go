// Package introspect reads the privilege state of the connected PostgreSQL
// database into a [Catalog]: the server version, every role of the cluster
// with its attributes, role memberships, the database itself, the schemas in
// scope with the tables, column grants, sequences, functions and types
// inside them, the database's languages, foreign-data wrappers, foreign
// servers and large objects, the cluster's tablespaces and (15+) parameters
// with grants (each with its owner and its ACL), and the default privileges.
//
// [Read] is the entry point. It runs a constant number of set-based catalog
// queries, whatever the number of objects, and works as a non-superuser: it
// reads pg_roles, never pg_authid. Call it inside a transaction so that every
// query sees one snapshot (REPEATABLE READ, READ ONLY for a plan; the apply
// transaction when verifying an apply). Read neither begins nor commits.
//
// ACLs are read as PostgreSQL reports them through aclexplode, never by
// parsing aclitem text. A NULL ACL is expanded with acldefault and marked
// [catalog.Object.NullACL]; an explicitly empty ACL ({}) stays empty.
// Columns are the exception: a NULL column ACL means no column grants, and
// such columns are not read.
//
// The package only reads. It never writes to the database and must not decide
// anything: which objects or privileges are managed, desired or in conflict is
// the business of plan. Objects that belong to extensions, array types, table
// row types and range constructor functions are left out because they are not
// objects a policy grants on, not because of any policy. Untrusted languages
// are read (marked by Subkind 'u') although they accept no GRANT: their ACL
// is still state.
package introspect
