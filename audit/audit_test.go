package audit_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/audit"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

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
		sessions []audit.Session
		opts     audit.Options
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
			sessions: []audit.Session{{Role: "alice", ApplicationName: "psql", Count: 2}},
		},
		{
			name:   "owner sessions from other applications",
			policy: webTables,
			sessions: []audit.Session{
				{Role: "alice", ApplicationName: "", Count: 1},
				{Role: "alice", ApplicationName: "migrate", Count: 1},
				{Role: "alice", ApplicationName: "psql", Count: 2},
				{Role: "bob", ApplicationName: "psql", Count: 5}, // not an owner
			},
			opts: audit.Options{CheckSessions: true, OwnerApplications: []string{"migrate", "pgward"}},
			want: []string{"session alice  x1", "session alice psql x2"},
		},
		{
			name:     "no owner applications: the owner may not be connected",
			policy:   webTables,
			sessions: []audit.Session{{Role: "alice", ApplicationName: "migrate", Count: 1}},
			opts:     audit.Options{CheckSessions: true},
			want:     []string{"session alice migrate x1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := loadPolicy(t, tt.policy)
			got := findingLines(audit.Audit(pol, auditCatalog(tt.objects...), tt.sessions, tt.opts))
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
	if got, want := audit.Creators(pol), []string{"alice", "dave"}; !reflect.DeepEqual(got, want) {
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
	for _, c := range audit.CountFindings(p, []string{"bob"}) {
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
