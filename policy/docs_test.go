package policy_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

func readDocs(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Skipf("docs/policy.md not readable: %v", err)
	}
	return string(doc)
}

// TestDocs_completeExample keeps the complete example of docs/policy.md
// valid: it is loaded as a policy and must produce no diagnostics.
func TestDocs_completeExample(t *testing.T) {
	_, rest, ok := strings.Cut(readDocs(t), "## A complete example")
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
		t.Fatalf("got %d roles, want 3", len(p.Roles))
	}
	// The two invariants of the example: tuist_web never CREATEs,
	// tuist_ops_ro never writes.
	web, ops := p.Roles[0], p.Roles[2]
	if len(web.Deny) != 1 || web.Deny[0].Privileges != acl.Create || web.Deny[0].Kinds != nil {
		t.Errorf("tuist_web deny = %+v", web.Deny)
	}
	if len(ops.Deny) != 1 || ops.Deny[0].Privileges != acl.Insert|acl.Update|acl.Delete|acl.Truncate ||
		len(ops.Deny[0].Kinds) != 1 || ops.Deny[0].Kinds[0] != acl.KindTable {
		t.Errorf("tuist_ops_ro deny = %+v", ops.Deny)
	}
}

var hclBlock = regexp.MustCompile("(?s)```hcl\n(.*?)```")

// TestDocs_snippets loads every ```hcl example of docs/policy.md, so that
// each documented block and attribute is shown in a form that works. A
// snippet of blocks that live in a role (grant, deny, …) is wrapped in one;
// the variables and locals the snippets use are declared when the snippet
// does not declare them itself.
func TestDocs_snippets(t *testing.T) {
	matches := hclBlock.FindAllStringSubmatch(readDocs(t), -1)
	if len(matches) < 25 {
		t.Fatalf("found %d hcl examples, want at least 25", len(matches))
	}
	for i, m := range matches {
		src := m[1]
		first := strings.Fields(src)[0]
		t.Run(fmt.Sprintf("%02d-%s", i, first), func(t *testing.T) {
			switch first {
			case "grant", "deny", "default_privileges", "member_of":
				src = "role \"docs_example\" {\n" + src + "}\n"
			}
			if !strings.Contains(src, `variable "schema"`) {
				src += "variable \"schema\" {\n  default = \"public\"\n}\n"
			}
			if !strings.Contains(src, `variable "tenant"`) {
				src += "variable \"tenant\" {\n  default = \"Tuist\"\n}\n"
			}
			if !strings.Contains(src, "app_owner =") && !strings.Contains(src, "app_owner  =") {
				src += "locals {\n  app_owner = \"tuist_app\"\n}\n"
			}
			p, diags := policy.Load(fstest.MapFS{"snippet.hcl": {Data: []byte(src)}}, "", policy.LoadOptions{})
			if len(diags) != 0 || p == nil {
				t.Errorf("diagnostics:\n%s\nin:\n%s", policy.FormatDiagnostics(diags), src)
			}
		})
	}
}
