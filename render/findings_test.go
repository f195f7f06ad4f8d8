package render_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pgward/pgward/audit"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/render"
)

// TestAuditRendering: the findings appear in the text, Markdown and JSON
// reports, and a plan (Findings nil) has no "findings" key.
func TestAuditRendering(t *testing.T) {
	pol := loadPolicy(t, `role "bob" {
  default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`)
	cat := auditCatalog(owned(acl.KindTable, 'r', "app", "rogue", "", "carol"))
	p := &plan.Plan{Database: "app", ServerVersion: 160004, ConnectingRole: "alice"}
	p.Findings = audit.Audit(pol, cat, []audit.Session{{Role: "alice", ApplicationName: "psql", Count: 1}}, audit.Options{CheckSessions: true})

	var text bytes.Buffer
	if err := render.WriteText(&text, p, render.TextOptions{Audit: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# objects not owned by the declared owner",
		"table app.rogue is owned by carol, not alice",
		`fix: ALTER TABLE "app"."rogue" OWNER TO "alice"`,
		"policy.hcl:2",
		"# owner sessions outside a migration",
		`owner role alice has 1 session open from application_name "psql"`,
		"Drift: 0 to grant, 0 to revoke, 0 to alter. 1 object owned by another role, 1 owner session.",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "No drift") {
		t.Errorf("text says no drift despite findings:\n%s", text.String())
	}

	var md bytes.Buffer
	if err := render.WriteMarkdown(&md, p, render.MarkdownOptions{Audit: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "table app.rogue is owned by carol") || strings.Contains(md.String(), "No changes") {
		t.Errorf("markdown:\n%s", md.String())
	}

	var js bytes.Buffer
	if err := render.WriteJSON(&js, p, render.JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 2 || doc.Findings[0]["kind"] != "owner" || doc.Findings[0]["want_owner"] != "alice" ||
		doc.Findings[1]["kind"] != "session" || doc.Findings[1]["application_name"] != "psql" || doc.Findings[1]["sessions"] != 1.0 {
		t.Errorf("JSON findings: %s", js.String())
	}

	p.Findings = nil
	js.Reset()
	if err := render.WriteJSON(&js, p, render.JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(js.String(), `"findings"`) {
		t.Errorf("a plan's JSON has findings:\n%s", js.String())
	}
}
