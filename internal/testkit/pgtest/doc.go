// Package pgtest provides real PostgreSQL servers for tests and for
// `make demo`.
//
// It owns the test-server harness: [Start] is pgserver.Start (a server named
// by an explicit superuser URL, or a throwaway cluster made with the local
// initdb and pg_ctl) with a testcontainers-go container as the fallback when
// Docker answers; otherwise it returns [ErrNoServer]. The test helpers
// [Shared], [Main] and [NewDB] give a test binary one server and each test
// its own database, with role names made unique by [DB.RoleName] and
// everything dropped in t.Cleanup.
//
// It must not be imported by the CLI or by non-test code of the public
// packages (it links testcontainers-go), must not import other pgward
// packages than internal/pgserver, and must not leave servers, databases,
// roles or temporary directories behind. The only package-level mutable state is
// the shared server of [Shared]: a test binary has one process and one
// server, and [Main] is what stops it.
package pgtest
