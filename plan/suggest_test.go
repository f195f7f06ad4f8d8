package plan_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// TestBuild_suggestsNames: a name the policy gives that the catalog lacks
// comes with the closest name the catalog has, and an exact name that
// matches no object is an error under Strict.
func TestBuild_suggestsNames(t *testing.T) {
	objects := []*catalog.Object{table("users"), table("orders")}
	tests := []struct {
		name     string
		src      string
		strict   bool
		severity hcl.DiagnosticSeverity
		summary  string
		hint     string
	}{
		{"missing role", `role "bobb" {}`, false, hcl.DiagError, `Role "bobb" does not exist`, `Did you mean "bob"?`},
		{"missing role, skip", "role \"carl\" {\n  if_missing = \"skip\"\n}", false, hcl.DiagWarning, `Role "carl" does not exist`, `Did you mean "carol"?`},
		{"missing member_of role", "role \"bob\" {\n  member_of \"carool\" {}\n}", false, hcl.DiagError, `Role "carool" does not exist`, `Did you mean "carol"?`},
		{"unknown table", "role \"bob\" {\n  grant \"table\" {\n    schema = \"app\"\n    names = [\"userz\"]\n    privileges = [\"SELECT\"]\n  }\n}", false, hcl.DiagWarning, `No table named "userz"`, `Did you mean "users"?`},
		{"unknown table, strict", "role \"bob\" {\n  grant \"table\" {\n    schema = \"app\"\n    names = [\"userz\"]\n    privileges = [\"SELECT\"]\n  }\n}", true, hcl.DiagError, `No table named "userz"`, `Did you mean "users"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := loadPolicy(t, tt.src)
			_, diags := plan.Build(pol, fixture{Objects: objects}.Catalog(), plan.Options{Strict: tt.strict})
			for _, d := range diags {
				if d.Summary != tt.summary {
					continue
				}
				if d.Severity != tt.severity {
					t.Errorf("%s: severity %v, want %v", d.Summary, d.Severity, tt.severity)
				}
				if !strings.Contains(d.Detail, tt.hint) {
					t.Errorf("%s: detail %q lacks %q", d.Summary, d.Detail, tt.hint)
				}
				return
			}
			t.Fatalf("no diagnostic %q in %v", tt.summary, diags)
		})
	}
}
