package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// storedSettings reads role's pg_db_role_setting entries as PostgreSQL
// keeps them: "database|name=value", "" for every database, sorted.
func storedSettings(t *testing.T, db *pgtest.DB, role string) []string {
	t.Helper()
	rows, err := db.Conn(t).Query(context.Background(), `
SELECT COALESCE(d.datname::text, ''), c
FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
WHERE s.setrole = $1::regrole`, ident.Quote(role))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var dbname, c string
		if err := rows.Scan(&dbname, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, dbname+"|"+c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// superuserConfig is the configuration of the harness's superuser on db.
func superuserConfig(t *testing.T, db *pgtest.DB) *pgx.ConnConfig {
	t.Helper()
	cfg, err := connstr.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRun_roleSettings applies role settings, scalar, list and hostile,
// for every database and for one, as a superuser: PostgreSQL must then
// hold the text the test expects, apply's verification must find the
// database converged (Run fails otherwise), and a second plan is empty.
// Each step starts from the state the previous one left.
func TestRun_roleSettings(t *testing.T) {
	db := pgtest.NewDB(t)
	role := db.RoleName(`web "x"; --`)
	db.CreateRole(t, role, "")
	cfg := superuserConfig(t, db)
	hostile := "it's a \"test\"; \\ -- $$\nnew line, comma"
	steps := []struct {
		name   string
		before string // SQL run first, as the superuser
		body   string // the role block's body
		want   []string
	}{{
		name: "set",
		body: fmt.Sprintf(`settings = {
  statement_timeout = "5s"
  lock_timeout      = 5000
  search_path       = ["$user", "public", "My Schema", "user"]
  DateStyle         = ["iso", "mdy"]
  application_name  = %q
  enable_seqscan    = false
  "myapp.tenant"    = "acme"
}
database_settings = {
  %q = { idle_in_transaction_session_timeout = "1min" }
}`, hostile, db.Name),
		want: []string{
			"|DateStyle=iso, mdy",
			"|application_name=" + hostile,
			"|enable_seqscan=false",
			"|lock_timeout=5000",
			"|myapp.tenant=acme",
			`|search_path="$user", public, "My Schema", "user"`,
			"|statement_timeout=5s",
			db.Name + "|idle_in_transaction_session_timeout=1min",
		},
	}, {
		// Set by hand as PostgreSQL's own syntax allows: the same values,
		// so nothing to do (no false drift), except the changed timeout.
		name: "equal values written otherwise",
		before: fmt.Sprintf(`ALTER ROLE %s SET search_path = "$user", public, "My Schema", "user";
ALTER ROLE %s SET statement_timeout = '1s'`, ident.Quote(role), ident.Quote(role)),
		body: `settings = {
  statement_timeout = "5s"
  search_path       = ["$user", "public", "My Schema", "user"]
}`,
		want: []string{
			`|search_path="$user", public, "My Schema", "user"`,
			"|statement_timeout=5s",
			db.Name + "|idle_in_transaction_session_timeout=1min",
		},
	}, {
		name: "empty map resets every database-wide value, other databases left alone",
		body: `settings = {}`,
		want: []string{db.Name + "|idle_in_transaction_session_timeout=1min"},
	}, {
		name: "no settings attribute: left alone",
		body: ``,
		want: []string{db.Name + "|idle_in_transaction_session_timeout=1min"},
	}, {
		name: "database map emptied",
		body: fmt.Sprintf(`database_settings = { %q = {} }`, db.Name),
		want: nil,
	}}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != "" {
				db.Exec(t, st.before)
			}
			pol := loadHCL(t, fmt.Sprintf("role %q {\n%s\n}\n", role, st.body))
			res, err := Run(context.Background(), cfg, pol, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range res.Plan.Statements {
				if !strings.HasPrefix(s.SQL, "ALTER ROLE "+ident.Quote(role)+" ") {
					t.Errorf("statement %q is not an ALTER ROLE of the role", s.SQL)
				}
			}
			want := slices.Sorted(slices.Values(st.want))
			if got := storedSettings(t, db, role); !slices.Equal(got, want) {
				t.Errorf("pg_db_role_setting:\n got %q\nwant %q", got, want)
			}
			if p := planThrough(t, cfg, pol); !p.Empty() {
				t.Errorf("second plan not empty: %v", p.Changes[0].Line())
			}
		})
	}
}

// TestBuild_roleSettingsRefused: what ALTER ROLE … SET would refuse is a
// plan error (a parameter the server does not know, one it reads only at
// start) or a change the connecting role cannot execute (a superuser
// parameter for a role with CREATEROLE): never a statement that fails
// halfway through apply.
func TestBuild_roleSettingsRefused(t *testing.T) {
	db := pgtest.NewDB(t)
	admin, web := db.RoleName("admin"), db.RoleName("web")
	db.CreateRole(t, admin, "LOGIN CREATEROLE")
	db.CreateRole(t, web, "")
	if v := serverVersion(t, db); v >= 160000 {
		db.Exec(t, fmt.Sprintf("GRANT %s TO %s WITH ADMIN OPTION", ident.Quote(web), ident.Quote(admin)))
	}
	adminCfg, err := connstr.ParseConfig(db.RoleURL(admin))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		cfg      *pgx.ConnConfig
		settings string
		summary  string // of the error diagnostic
		detail   string // a part of it
		blocked  bool   // the change is in the plan, blocked
	}{
		{"typo", superuserConfig(t, db), `statment_timeout = "1s"`, "Unknown parameter", `Did you mean "statement_timeout"?`, false},
		{"server start", superuserConfig(t, db), `shared_buffers = "1GB"`, "Parameter cannot be set per role", "only at server start", false},
		{"connection start", superuserConfig(t, db), `log_connections = "on"`, "Parameter cannot be set per role", "only at connection start", false},
		{"superuser parameter", adminCfg, `log_statement = "all"`, "Change cannot be executed by " + admin, "log_statement is a superuser parameter", true},
		{"custom parameter", adminCfg, `"myapp.tenant" = "x"`, "Change cannot be executed by " + admin, "custom parameter", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol := loadHCL(t, fmt.Sprintf("role %q {\n  settings = {\n    statement_timeout = \"3s\"\n    %s\n  }\n}\n", web, tc.settings))
			p, diags := buildThrough(t, tc.cfg, pol)
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary == tc.summary {
					found = d
				}
			}
			if found == nil || !strings.Contains(found.Detail, tc.detail) {
				t.Fatalf("want an error %q mentioning %q, got:\n%s", tc.summary, tc.detail, policy.FormatDiagnostics(diags))
			}
			if found.Subject == nil || found.Subject.Start.Line != 4 {
				t.Errorf("the error points at %v, want policy.hcl line 4", found.Subject)
			}
			if tc.blocked {
				// statement_timeout is executable, the other is not: the plan
				// holds both, and apply must run neither.
				var blocked []string
				for _, c := range p.Changes {
					if c.Blocked != "" {
						blocked = append(blocked, c.Setting.Name)
					}
				}
				if len(p.Changes) != 2 || len(blocked) != 1 {
					t.Errorf("want 2 changes, 1 blocked; got %d, blocked %q", len(p.Changes), blocked)
				}
			}
			_, err := Run(context.Background(), tc.cfg, pol, Options{})
			if err == nil {
				t.Fatal("apply ran a plan with an error")
			}
			if got := storedSettings(t, db, web); len(got) != 0 {
				t.Errorf("apply changed settings: %q", got)
			}
		})
	}
}

func serverVersion(t *testing.T, db *pgtest.DB) int {
	t.Helper()
	var v int
	if err := db.Conn(t).QueryRow(context.Background(), "SELECT current_setting('server_version_num')::int").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// buildThrough is planThrough returning the diagnostics instead of failing
// on them.
func buildThrough(t *testing.T, cfg *pgx.ConnConfig, pol *policy.Policy) (*plan.Plan, hcl.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	_, tx := pgtest.Begin(t, cfg)
	cat, err := introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas})
	if err != nil {
		t.Fatal(err)
	}
	return plan.Build(pol, cat, plan.Options{})
}

// TestBuild_externalRoleSettingsAreDrift: an external role's settings are
// compared and reported, never changed.
func TestBuild_externalRoleSettingsAreDrift(t *testing.T) {
	db := pgtest.NewDB(t)
	web := db.RoleName("web")
	db.CreateRole(t, web, "")
	db.Exec(t, fmt.Sprintf("ALTER ROLE %s SET statement_timeout = '1s'; ALTER ROLE %s SET lock_timeout = '2s'", ident.Quote(web), ident.Quote(web)))
	pol := loadHCL(t, fmt.Sprintf(`role %q {
  external = true
  settings = {
    statement_timeout = "5s"
    work_mem          = "64MB"
  }
}
`, web))
	p, diags := buildThrough(t, superuserConfig(t, db), pol)
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	if len(p.Changes) != 0 {
		t.Errorf("an external role's settings are changed: %s", p.Changes[0].Line())
	}
	var got []string
	for _, d := range p.Drift {
		got = append(got, fmt.Sprintf("%s: %s want %s have %s (line %d)", d.Role, d.What, d.Want, d.Have, d.Reason.Rule.Start.Line))
	}
	want := []string{
		web + ": setting lock_timeout want (not set) have 2s (line 3)",
		web + ": setting statement_timeout want 5s have 1s (line 4)",
		web + ": setting work_mem want 64MB have (not set) (line 5)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("drift:\n got %q\nwant %q", got, want)
	}
	if _, err := Run(context.Background(), superuserConfig(t, db), pol, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := storedSettings(t, db, web); !slices.Equal(got, []string{"|lock_timeout=2s", "|statement_timeout=1s"}) {
		t.Errorf("apply changed an external role's settings: %q", got)
	}
}
