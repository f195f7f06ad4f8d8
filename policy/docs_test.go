package policy_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/policy"
)

// TestDocs_completeExample keeps the complete example of docs/policy.md
// valid: it is loaded as a policy and must produce no diagnostics.
func TestDocs_completeExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Skipf("docs/policy.md not readable: %v", err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A complete example")
	if !ok {
		t.Fatal(`docs/policy.md has no "## A complete example" section`)
	}
	_, rest, ok = strings.Cut(rest, "```hcl\n")
	if !ok {
		t.Fatal("no ```hcl block in the complete example section")
	}
	src, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("unterminated ```hcl block")
	}
	p, diags := policy.Load(fstest.MapFS{"example.hcl": {Data: []byte(src)}}, "", policy.LoadOptions{})
	if len(diags) != 0 {
		t.Fatalf("the complete example has diagnostics:\n%s", policy.FormatDiagnostics(diags))
	}
	if len(p.Roles) != 3 {
		t.Errorf("got %d roles, want 3", len(p.Roles))
	}
}
