// Package prcheck answers a pull request's question, "what would this
// schema and this policy let each role do?", without a shared database: the
// engine of `pgward plan --schema` and `pgward diff`.
//
// It has two halves. The sandbox starts or borrows a throwaway PostgreSQL
// and builds a schema dump in it: [Start] gets a server through
// internal/pgserver (a superuser URL, local PostgreSQL binaries, or Docker
// through the docker command; [ErrNoServer] when none works), [ParseSchema]
// cuts a dump (pg_dump -s output, a Rails structure.sql) into statements
// with their line numbers, [Sandbox.CreateRoles] creates the roles the
// policy and the dumps name, as a database operator would, and
// [Sandbox.Build] creates a database owned by the owner role, loads the dump
// (what needs a superuser as the superuser, the rest as the owner), applies
// the policy as the owner with apply.Run, and reads the catalog and
// PostgreSQL's has_*_privilege answers. [Sandbox.Close] drops what it
// created and stops the server it started.
//
// The access report is pure: [Build] turns a policy, the catalog read after
// the policy was applied and those answers into a [Report], checking the
// effective-access model of package access against PostgreSQL and listing
// any disagreement (the deciding rules come from package explain); [Compare] turns two reports into a [Diff]; the Write*
// functions render either as text, Markdown or versioned JSON. Only the
// sandbox half touches a server; the report half has no database, no files
// and no clock, so it is tested from literals.
//
// The package holds no package-level state and never prints a password: it
// connects as the superuser and becomes other roles with SET SESSION
// AUTHORIZATION, so roles need none. It must not be imported by the four
// stages (policy, introspect, plan, apply): it sits on top of them.
package prcheck
