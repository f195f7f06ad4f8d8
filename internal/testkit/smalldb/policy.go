package smalldb

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/policy"
)

// DenyAt is d as declared at line of policy.hcl.
func DenyAt(line int, d policy.Deny) *policy.Deny {
	d.DeclRange = hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: line, Column: 3}}
	return &d
}

// Patterns are names as a policy lists them.
func Patterns(ns ...string) []policy.Pattern {
	out := make([]policy.Pattern, len(ns))
	for i, n := range ns {
		out[i] = policy.Pattern{Text: n}
	}
	return out
}
