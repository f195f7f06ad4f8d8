// Package layout holds one test: the import rules of docs/architecture.md,
// checked against `go list`. It has no code of its own and is never linked
// into the binary.
package layout
