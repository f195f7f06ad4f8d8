package plan_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// auditCatalog is a database where alice is the owner role, bob and carol
// other roles, and each object is owned by whom the test says.
func auditCatalog(objects ...*catalog.Object) *catalog.Catalog {
	roles := map[string]*catalog.Role{}
	for i, n := range []string{"alice", "bob", "carol", "dave"} {
		roles[n] = &catalog.Role{Name: n, OID: uint32(16384 + i), Login: true, Inherit: true, ConnectionLimit: -1}
	}
	roles["postgres"] = &catalog.Role{Name: "postgres", OID: 10, Superuser: true}
	roles["pg_database_owner"] = &catalog.Role{Name: "pg_database_owner", OID: 6171}
	return &catalog.Catalog{ServerVersion: 160004, Database: "app", CurrentUser: "alice", Roles: roles, Objects: objects, Schemas: []string{"app", "other"}}
}

func owned(k acl.Kind, sub byte, schema, name, args, owner string) *catalog.Object {
	return &catalog.Object{Object: acl.Object{Kind: k, Subkind: sub, Schema: schema, Name: name, Args: args}, Owner: owner}
}

// findingLines renders findings compactly: "owner table app.t bob→alice".
func findingLines(fs []plan.Finding) []string {
	var out []string
	for _, f := range fs {
		switch f.Kind {
		case plan.FindingOwner:
			out = append(out, "owner "+f.Object.String()+" "+f.Role+"→"+f.WantOwner+" | "+f.Fix)
		case plan.FindingSession:
			out = append(out, "session "+f.Role+" "+f.ApplicationName+" x"+string(rune('0'+f.Sessions)))
		}
	}
	return out
}

func TestAudit(t *testing.T) {
	const webTables = `role "bob" {
  default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`
	tests := []struct {
		name     string
		policy   string
		objects  []*catalog.Object
		sessions []plan.Session
		opts     plan.AuditOptions
		want     []string
	}{
		{
			name:   "a table created by another role",
			policy: webTables,
			objects: []*catalog.Object{
				owned(acl.KindTable, 'r', "app", "good", "", "alice"),
				owned(acl.KindTable, 'r', "app", "rogue", "", "carol"),
			},
			want: []string{`owner app.rogue carol→alice | ALTER TABLE "app"."rogue" OWNER TO "alice"`},
		},
		{
			name:   "kinds and schemas without default privileges are not checked",
			policy: webTables,
			objects: []*catalog.Object{
				owned(acl.KindSequence, 0, "app", "s", "", "carol"),
				owned(acl.KindTable, 'r', "other", "t", "", "carol"),
				owned(acl.KindSchema, 0, "", "app", "", "postgres"),
			},
		},
		{
			name: "global entries cover every schema; subkinds get their keyword",
			policy: `role "bob" {
  default_privileges "table" {
    for_role   = "alice"
    privileges = ["SELECT"]
  }
  default_privileges "function" {
    for_role   = "alice"
    privileges = ["EXECUTE"]
  }
  default_privileges "type" {
    for_role   = "alice"
    privileges = ["USAGE"]
  }
  default_privileges "sequence" {
    for_role   = "alice"
    schema     = "other"
    privileges = ["SELECT"]
  }
}
`,
			objects: []*catalog.Object{
				owned(acl.KindTable, 'v', "other", "v", "", "carol"),
				owned(acl.KindTable, 'm', "app", "mv", "", "carol"),
				owned(acl.KindFunction, 'p', "app", "proc", "integer", "carol"),
				owned(acl.KindFunction, 'a', "app", "agg", "integer", "carol"),
				owned(acl.KindType, 'd', "app", "email", "", "carol"),
				owned(acl.KindType, 'e', "app", "mood", "", "alice"),
				owned(acl.KindSequence, 0, "app", "s", "", "carol"), // sequences only in other
				owned(acl.KindSequence, 0, "other", "s", "", "carol"),
			},
			want: []string{
				`owner other.v carol→alice | ALTER VIEW "other"."v" OWNER TO "alice"`,
				`owner app.mv carol→alice | ALTER MATERIALIZED VIEW "app"."mv" OWNER TO "alice"`,
				`owner app.proc(integer) carol→alice | ALTER PROCEDURE "app"."proc"(integer) OWNER TO "alice"`,
				`owner app.agg(integer) carol→alice | ALTER AGGREGATE "app"."agg"(integer) OWNER TO "alice"`,
				`owner app.email carol→alice | ALTER DOMAIN "app"."email" OWNER TO "alice"`,
				`owner other.s carol→alice | ALTER SEQUENCE "other"."s" OWNER TO "alice"`,
			},
		},
		{
			name: "two creators: either may own; the fix names the first",
			policy: webTables + `role "carol" {
  default_privileges "table" {
    for_role   = "dave"
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`,
			objects: []*catalog.Object{
				owned(acl.KindTable, 'r', "app", "a", "", "alice"),
				owned(acl.KindTable, 'r', "app", "d", "", "dave"),
				owned(acl.KindTable, 'r', "app", "p", "", "postgres"),
			},
			want: []string{`owner app.p postgres→alice | ALTER TABLE "app"."p" OWNER TO "alice"`},
		},
		{
			name: "schemas: pg_database_owner is not a finding",
			policy: `role "bob" {
  default_privileges "schema" {
    for_role   = "alice"
    privileges = ["USAGE"]
  }
}
`,
			objects: []*catalog.Object{
				owned(acl.KindSchema, 0, "", "public", "", "pg_database_owner"),
				owned(acl.KindSchema, 0, "", "app", "", "carol"),
			},
			want: []string{`owner app carol→alice | ALTER SCHEMA "app" OWNER TO "alice"`},
		},
		{
			name: "a creator that does not exist declares nothing",
			policy: `role "bob" {
  default_privileges "table" {
    for_role   = "nobody"
    privileges = ["SELECT"]
  }
}
`,
			objects: []*catalog.Object{owned(acl.KindTable, 'r', "app", "t", "", "carol")},
		},
		{
			name:     "sessions are not checked unless asked",
			policy:   webTables,
			sessions: []plan.Session{{Role: "alice", ApplicationName: "psql", Count: 2}},
		},
		{
			name:   "owner sessions from other applications",
			policy: webTables,
			sessions: []plan.Session{
				{Role: "alice", ApplicationName: "", Count: 1},
				{Role: "alice", ApplicationName: "migrate", Count: 1},
				{Role: "alice", ApplicationName: "psql", Count: 2},
				{Role: "bob", ApplicationName: "psql", Count: 5}, // not an owner
			},
			opts: plan.AuditOptions{CheckSessions: true, OwnerApplications: []string{"migrate", "pgward"}},
			want: []string{"session alice  x1", "session alice psql x2"},
		},
		{
			name:     "no owner applications: the owner may not be connected",
			policy:   webTables,
			sessions: []plan.Session{{Role: "alice", ApplicationName: "migrate", Count: 1}},
			opts:     plan.AuditOptions{CheckSessions: true},
			want:     []string{"session alice migrate x1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := loadPolicy(t, tt.policy)
			got := findingLines(plan.Audit(pol, auditCatalog(tt.objects...), tt.sessions, tt.opts))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCreators(t *testing.T) {
	pol := loadPolicy(t, `role "bob" {
  default_privileges "table" {
    for_role   = "alice"
    privileges = ["SELECT"]
  }
  default_privileges "sequence" {
    for_role   = "alice"
    privileges = ["SELECT"]
  }
}
role "carol" {
  default_privileges "table" {
    for_role   = "dave"
    privileges = ["SELECT"]
  }
}
`)
	if got, want := plan.Creators(pol), []string{"alice", "dave"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Creators = %v, want %v", got, want)
	}
}

func TestCountFindings(t *testing.T) {
	p := &plan.Plan{
		Changes: []*plan.Change{
			{Action: plan.Grant, Target: plan.TargetObject, Grantee: "bob"},
			{Action: plan.Revoke, Target: plan.TargetObject, Grantee: "bob"},
			{Action: plan.Revoke, Target: plan.TargetObject, Grantee: acl.Public},
		},
		Drift:         []plan.Drift{{Role: "carol", What: "inherit"}},
		ViolationsNow: []access.Violation{{Role: "carol"}},
		Findings: []plan.Finding{
			{Kind: plan.FindingOwner, Role: "postgres"},
			{Kind: plan.FindingSession, Role: "alice", Sessions: 3},
		},
	}
	var got []string
	for _, c := range plan.CountFindings(p, []string{"bob"}) {
		got = append(got, string(c.Kind)+" "+c.Role+" "+string(rune('0'+c.Count)))
	}
	want := []string{
		"drift PUBLIC 1", "drift bob 2",
		"external bob 0", "external carol 1",
		"violation bob 0", "violation carol 1",
		"owner bob 0", "owner postgres 1",
		"session alice 3", "session bob 0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

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
	p.Findings = plan.Audit(pol, cat, []plan.Session{{Role: "alice", ApplicationName: "psql", Count: 1}}, plan.AuditOptions{CheckSessions: true})

	var text bytes.Buffer
	if err := plan.WriteText(&text, p, plan.TextOptions{Audit: true}); err != nil {
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
	if err := plan.WriteMarkdown(&md, p, plan.MarkdownOptions{Audit: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "table app.rogue is owned by carol") || strings.Contains(md.String(), "No changes") {
		t.Errorf("markdown:\n%s", md.String())
	}

	var js bytes.Buffer
	if err := plan.WriteJSON(&js, p, plan.JSONOptions{}); err != nil {
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
	if err := plan.WriteJSON(&js, p, plan.JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(js.String(), `"findings"`) {
		t.Errorf("a plan's JSON has findings:\n%s", js.String())
	}
}
