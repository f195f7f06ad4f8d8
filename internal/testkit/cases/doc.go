// Package cases holds the reconciliation scenarios of the PostgreSQL facts
// sheet (shared/pg-cases.md) as integration tests: each sets a database up,
// plans a policy against it, checks the exact statements, applies them as
// the owner (or the role the case names), proves that a second plan is
// empty, and asks PostgreSQL's own has_*_privilege functions what each role
// can do afterwards. The package has no code of its own; it runs on every
// PostgreSQL version the harness is pointed at.
package cases
