// Package catalog holds the actual state of a database as plain values:
// roles and their attributes, memberships, objects with their ACLs and
// default privileges.
//
// introspect fills a [Catalog]; plan reads it. The package performs no I/O
// and does not import pgx, so a catalog can be written as a literal in tests.
package catalog
