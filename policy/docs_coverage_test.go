package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestDocsCoverEverySchema fails when the parser accepts a block or an
// attribute that docs/policy.md does not mention.
func TestDocsCoverEverySchema(t *testing.T) {
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	schemas := map[string]*hcl.BodySchema{
		"file": fileSchema, "scope": scopeSchema, "role": roleSchema, "member_of": memberOfSchema,
		"grant": grantSchema, "default_privileges": defaultPrivilegesSchema, "public": publicSchema,
		"profile": profileSchema, "deny": denySchema, "variable": variableSchema,
	}
	for where, s := range schemas {
		for _, a := range s.Attributes {
			if !strings.Contains(text, "`"+a.Name+"`") && !strings.Contains(text, a.Name+" =") {
				t.Errorf("docs/policy.md does not document attribute %q of %s", a.Name, where)
			}
		}
		for _, b := range s.Blocks {
			if !strings.Contains(text, "## "+b.Type) && !strings.Contains(text, "`"+b.Type+"`") {
				t.Errorf("docs/policy.md does not document block %q of %s", b.Type, where)
			}
		}
	}
}
