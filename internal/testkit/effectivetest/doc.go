// Package effectivetest checks access.Effective against PostgreSQL itself:
// it builds a database with every source of access (direct and PUBLIC
// grants, nested memberships with and without INHERIT, predefined roles,
// column grants, ownership, superusers), reads it with introspect.Read and
// compares, for every role, object and privilege, what access.Effective says
// with what has_*_privilege answers. It holds tests only; it is a package
// of its own so that plan's tests need no database.
package effectivetest
