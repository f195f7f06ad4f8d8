// Package pgtest provides real PostgreSQL servers for tests and for
// `make demo`.
//
// It owns the test-server harness: [Start] returns a running [Server], either
// one named by an explicit superuser URL, or a throwaway cluster it creates
// with the local initdb and pg_ctl (as an unprivileged user when running as
// root), or a testcontainers-go container when Docker answers; otherwise it
// returns [ErrNoServer]. The test helpers [Shared], [Main] and [NewDB] give a
// test binary one server and each test its own database, with role names made
// unique by [DB.RoleName] and everything dropped in t.Cleanup.
//
// It must not be imported by non-test code of the public packages, must not
// import other pgward packages, and must not leave servers, databases, roles
// or temporary directories behind. The only package-level mutable state is
// the shared server of [Shared]: a test binary has one process and one
// server, and [Main] is what stops it.
package pgtest
