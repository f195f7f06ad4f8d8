// Package sandbox builds a schema dump in a throwaway PostgreSQL database,
// applies a policy to it and asks PostgreSQL what each role can then do:
// the engine of `pgward plan --schema` and `pgward diff`, PR checks that
// need no shared database.
//
// [Start] gets a server through internal/pgserver (a superuser URL, local
// PostgreSQL binaries, or Docker through the docker command;
// [ErrNoServer] when none works).
// [ParseSchema] cuts a dump (pg_dump -s output, a Rails structure.sql) into
// statements with their line numbers. [Sandbox.CreateRoles] creates the
// roles the policy and the dumps name, as a database operator would, and
// [Sandbox.Build] creates a database owned by the owner role, loads the
// dump (what needs a superuser as the superuser, the rest as the owner),
// applies the policy as the owner with apply.Run, and reads the catalog and
// the has_*_privilege answers. [Sandbox.Close] drops what it created and
// stops the server it started.
//
// It holds no package-level state and never prints a password: it
// connects as the superuser and becomes other roles with SET SESSION
// AUTHORIZATION, so roles need none.
package sandbox
