// Command pgward keeps PostgreSQL privileges equal to a declared policy.
//
// It is a thin caller of the library: each command binds its flags to an
// options struct of its own, hands it to the package that does the work
// (pipeline for one database, fleet for many, prcheck for plan --schema
// and diff, importer, explain, policy for validate and fmt) and turns the
// result into output and an exit code (docs/cli.md). It must not decide
// anything about privileges, read the catalog by itself or write to the
// database; no file here grows past 500 lines
// (internal/testkit/layout checks it).
package main
