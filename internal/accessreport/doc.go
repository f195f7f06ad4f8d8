// Package accessreport says what each managed role can do on every object
// of a database, and what a schema change does to that: the report behind
// `pgward plan --schema` and `pgward diff`.
//
// [Build] turns a policy, a catalog read after the policy was applied, and
// PostgreSQL's own has_*_privilege answers into a [Report]; it checks the
// effective-access model of package access against those answers and
// lists any disagreement; the deciding rules come from package explain.
// [Compare] turns two reports into a [Diff]. The Write* functions render
// either as text, Markdown or versioned JSON.
//
// The package is pure: no database, no files, no clock. The answers come
// from the caller (internal/sandbox asks the server).
package accessreport
