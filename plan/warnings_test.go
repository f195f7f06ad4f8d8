package plan_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// at renders diagnostics as "line: summary" for comparison.
func at(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		out = append(out, fmt.Sprintf("%d: %s", line, d.Summary))
	}
	return out
}

func TestValidate_dangerousPolicies(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   []string // "line: summary", in order
	}{
		{
			name: "a declared runtime role with CREATE, TRUNCATE and REFERENCES, now and for future tables",
			policy: `role "web" {
  login = true
  grant "database" { privileges = ["CONNECT", "CREATE"] }
  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE", "CREATE"]
  }
  grant "table" { privileges = ["SELECT", "TRUNCATE"] }
  grant "table" {
    names      = ["accounts"]
    columns    = ["id"]
    privileges = ["REFERENCES"]
  }
  default_privileges "table" {
    for_role   = "owner"
    privileges = ["ALL"]
  }
}`,
			want: []string{
				`3: Runtime role "web" granted CREATE on database`,
				`4: Runtime role "web" granted CREATE on schema`,
				`8: Runtime role "web" granted TRUNCATE on table`,
				`9: Runtime role "web" granted REFERENCES on table`,
				`14: Runtime role "web" granted TRUNCATE, REFERENCES on future tables`,
			},
		},
		{
			name: "safe grants to a runtime role",
			policy: `role "web" {
  login = true
  grant "database" { privileges = ["CONNECT"] }
  grant "table" { privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"] }
}`,
		},
		{
			name: "an owner role may create: a rule names it as owner or for_role",
			policy: `role "owner" {
  login = true
  grant "schema" {
    names      = ["app"]
    privileges = ["CREATE"]
  }
}
role "web" {
  grant "table" {
    owner      = "owner"
    privileges = ["SELECT"]
  }
}`,
		},
		{
			name: "without login = true the policy alone cannot tell a runtime role",
			policy: `role "web" {
  grant "table" { privileges = ["TRUNCATE"] }
}`,
		},
		{
			name: "grant options, on grants and default privileges",
			policy: `role "web" {
  grant "table" {
    privileges        = ["SELECT"]
    with_grant_option = true
  }
  default_privileges "sequence" {
    for_role          = "owner"
    privileges        = ["USAGE"]
    with_grant_option = true
  }
}`,
			want: []string{
				`2: Role "web" may grant its privileges on tables to others`,
				`6: Role "web" may grant its privileges on future sequences to others`,
			},
		},
		{
			name: "PUBLIC allowed to keep CREATE",
			policy: `public {
  database = ["ALL"]
  schema   = ["USAGE", "CREATE"]
  function = ["EXECUTE"]
}`,
			want: []string{
				`2: PUBLIC may keep CREATE on the database`,
				`3: PUBLIC may keep CREATE on the schema`,
			},
		},
		{
			name:   "a PUBLIC ceiling without CREATE",
			policy: `public { schema = ["USAGE"] }`,
		},
		{
			name: "provider-reserved and ordinary names",
			policy: `role "rds_superuser" {}
role "cloudsqlsuperuser" {}
role "azure_pg_admin" {}
role "supabase_admin" {}
role "alloydbadmin" {}
role "rdsadmin" {}
role "records" {}
role "supabase" {}`,
			want: []string{
				`1: Role "rds_superuser" is reserved by Amazon RDS`,
				`2: Role "cloudsqlsuperuser" is reserved by Google Cloud SQL`,
				`3: Role "azure_pg_admin" is reserved by Azure Database for PostgreSQL`,
				`4: Role "supabase_admin" is reserved by Supabase`,
				`5: Role "alloydbadmin" is reserved by Google AlloyDB`,
				`6: Role "rdsadmin" is reserved by Amazon RDS`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := plan.Validate(loadPolicy(t, tt.policy))
			if diags.HasErrors() {
				t.Fatalf("validate reports errors: %v", diags)
			}
			if got := at(diags); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warnings:\n got %q\nwant %q", got, tt.want)
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != "policy.hcl" || d.Detail == "" {
					t.Errorf("warning %q lacks a position or a detail", d.Summary)
				}
			}
		})
	}
}

// With a catalog, plan knows what the policy leaves out: whether a role
// can log in, what it owns, the default privileges it does not manage,
// and superusers.
func TestBuild_dangerousWarnings(t *testing.T) {
	login := func(name string, oid uint32, canLogin bool) *catalog.Role {
		r := role(name, oid)
		r.Login = canLogin
		return r
	}
	tests := []struct {
		name   string
		policy string
		db     fixture
		want   []string
	}{
		{
			name:   "a role that can log in and owns nothing is a runtime role",
			policy: "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\", \"TRUNCATE\"] }\n}",
			db:     fixture{Objects: []*catalog.Object{table("t")}},
			want:   []string{`2: Runtime role "bob" granted TRUNCATE on table`},
		},
		{
			name:   "a NOLOGIN role is not",
			policy: "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\", \"TRUNCATE\"] }\n}",
			db:     fixture{Extra: []*catalog.Role{login("bob", 16385, false)}, Objects: []*catalog.Object{table("t")}},
		},
		{
			name:   "a role that owns objects in scope is an owner",
			policy: "role \"bob\" {\n  grant \"schema\" {\n    names = [\"app\"]\n    privileges = [\"CREATE\"]\n  }\n}",
			db:     fixture{Me: "postgres", Objects: []*catalog.Object{obj(acl.KindSequence, "app", "s", "bob")}},
			want:   []string{"+ schema app bob CREATE"},
		},
		{
			name:   "a declared login = true is validate's to report, not plan's again",
			policy: "role \"bob\" {\n  login = true\n  grant \"table\" { privileges = [\"TRUNCATE\"] }\n}",
			db:     fixture{Objects: []*catalog.Object{table("t")}},
		},
		{
			name:   "default privileges that give PUBLIC future tables",
			policy: "role \"bob\" {}\npublic {\n  table = []\n}",
			db: fixture{Defs: []*catalog.DefaultACL{
				{ForRole: "alice", Schema: "app", Kind: acl.KindTable, ACL: []acl.Item{item("", "alice", acl.Select, 0)}},
				{ForRole: "alice", Kind: acl.KindFunction, ACL: []acl.Item{item("", "alice", acl.Execute, 0), item("alice", "alice", acl.Execute, 0)}},
			}},
			want: []string{"3: Default privileges give PUBLIC SELECT on future tables"},
		},
		{
			name:   "a declared superuser is managed because declared",
			policy: `role "postgres" {}`,
			db:     fixture{},
			want:   []string{`1: Role "postgres" is a superuser`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(loadPolicy(t, tt.policy), tt.db.Catalog(), plan.Options{})
			if diags.HasErrors() {
				t.Fatalf("errors: %s", policy.FormatDiagnostics(diags))
			}
			got := at(diags)
			if strings.HasPrefix(tt.name, "a role that owns") {
				if len(diags) != 0 {
					t.Errorf("an owner gets warnings: %q", got)
				}
				got = summary(p) // the grant is planned
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReservedBy(t *testing.T) {
	for name, want := range map[string]string{
		"rds_superuser": "Amazon RDS", "rdsadmin": "Amazon RDS", "cloudsqladmin": "Google Cloud SQL",
		"azuresu": "Azure Database for PostgreSQL", "supabase_auth_admin": "Supabase", "neon_superuser": "Neon",
		"alloydbsuperuser": "Google AlloyDB", "tuist_app": "", "rds": "", "azure": "", "postgres": "",
	} {
		if got := plan.ReservedBy(name); got != want {
			t.Errorf("ReservedBy(%q) = %q, want %q", name, got, want)
		}
	}
}
