package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/policy"
)

// Validate returns warnings about a policy that need no database: a rule's
// exclusion that a default privilege would undo for objects created later
// (default privileges cannot exclude names), and the dangerous grants and
// reserved roles of policyWarnings (warnings.go).
func Validate(p *policy.Policy) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if p == nil {
		return nil
	}
	for _, r := range p.Roles {
		for _, g := range r.Grants {
			if len(g.Except) == 0 {
				continue
			}
			for _, d := range r.DefaultPrivileges {
				if d.Kind != g.Kind || (d.Schema != "" && g.Schema != "" && d.Schema != g.Schema) {
					continue
				}
				rng := g.Except[0].Range
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Exclusion undone for future objects",
					Detail: fmt.Sprintf("This rule excludes %d name(s) from %s's %s grants, but default privileges (%s:%d) give every %s that %s creates later the same privileges, excluded names included. Default privileges cannot exclude names; revoke by hand or narrow the default privileges.",
						len(g.Except), r.Name, g.Kind, d.DeclRange.Filename, d.DeclRange.Start.Line, g.Kind, d.ForRole),
					Subject: &rng,
				})
			}
		}
	}
	return append(diags, policyWarnings(p)...)
}
