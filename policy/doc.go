// Package policy reads a pgward policy, written in HCL, into a [Policy]: the
// roles pgward manages, what each may hold, and what PUBLIC may keep.
//
// A [Policy] holds fully evaluated values: variables, locals and string
// templates are substituted while loading, and no HCL expression survives.
// Every rule keeps the source range it was declared at, so that a plan can
// say which line asked for a change. The package performs no database I/O;
// it reads policy files and nothing else.
//
// # Entry points
//
// [LoadPath] loads one .hcl file or every *.hcl file of a directory.
// [Load] does the same from the root of an [io/fs.FS], for programs that
// embed policies. Both take [LoadOptions], which carries the --var values of
// the command line and a lookup for PGWARD_VAR_<name> environment
// variables.
//
// # Diagnostics
//
// Every problem in user input is an [hcl.Diagnostic] with a Summary, a
// Detail that says what to do, and a Subject range (file:line:col). Problems
// are collected, not returned at the first, so that one run shows them all.
// The few that have no place in a file (an undeclared --var, an unreadable
// path) have no Subject. [FormatDiagnostics] renders them one per line.
// The policy is nil exactly when the diagnostics contain an error.
//
// [CheckRules] lints a loaded policy further, still without a catalog:
// rules that change nothing, and exact names a deny block of the same
// role forbids (pgward validate). It lives here because it reads nothing
// but the policy; what needs a catalog (which objects a pattern selects,
// what a role can use) belongs to access and plan.
//
// # The structure, declared once
//
// spec.go declares every block and attribute of a policy: its labels, the
// shape of its value, its enumerations and a description. The decoder's
// hcl schemas are built from it, and so is [JSONSchema], the JSON Schema
// that editors check YAML policies with (schema/pgward-policy.schema.json,
// pgward policy-schema). A new attribute goes into the specs, never into
// an hcl.BodySchema written by hand; the tests then fail until the shipped
// schema is regenerated and the decoder agrees with the schema on it.
//
// # Example
//
//	p, diags := policy.LoadPath("examples/tuist", policy.LoadOptions{
//		Vars:   map[string]string{"schema": "app"},
//		Getenv: os.Getenv,
//	})
//	if diags.HasErrors() {
//		fmt.Fprint(os.Stderr, policy.FormatDiagnostics(diags))
//		os.Exit(1)
//	}
//	for _, r := range p.Roles {
//		fmt.Println(r.Name, len(r.Grants))
//	}
//
// The language itself is documented in docs/policy.md.
package policy
