package plan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// These cases build policies as literals, so they test the planner alone.

func rolePolicy(r *policy.Role) *policy.Policy {
	if r.DeclRange.Filename == "" {
		r.DeclRange = hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: 1, Column: 1}}
	}
	return &policy.Policy{Roles: []*policy.Role{r}}
}

func grantRule(k acl.Kind, privs acl.Priv, mod func(*policy.Grant)) *policy.Grant {
	g := &policy.Grant{Kind: k, Privileges: privs, DeclRange: hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: 2, Column: 3}}}
	if mod != nil {
		mod(g)
	}
	return g
}

func names(ns ...string) []policy.Pattern {
	out := make([]policy.Pattern, len(ns))
	for i, n := range ns {
		out[i] = policy.Pattern{Text: n}
	}
	return out
}

func statementsOf(t *testing.T, pol *policy.Policy, f fixture) ([]string, hcl.Diagnostics) {
	t.Helper()
	p, diags := plan.Build(pol, f.Catalog(), plan.Options{})
	return sqlOf(p), diags
}

func TestBuild_issue3(t *testing.T) {
	tests := []struct {
		name      string
		role      *policy.Role
		db        fixture
		want      []string
		wantDiags []string
	}{
		{
			name: "grant option declared and missing: re-grant WITH GRANT OPTION",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindTable, acl.Select, func(g *policy.Grant) { g.WithGrantOption = true })}},
			db:   fixture{Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Select, 0))}},
			want: []string{`GRANT SELECT ON TABLE "app"."t" TO "bob" WITH GRANT OPTION`},
		},
		{
			name: "grant option not declared, passed on: REVOKE GRANT OPTION FOR … CASCADE",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindTable, acl.Select, nil)}},
			db:   fixture{Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Select, acl.Select), item("carol", "bob", acl.Select, 0))}},
			want: []string{`REVOKE GRANT OPTION FOR SELECT ON TABLE "app"."t" FROM "bob" CASCADE`},
		},
		{
			name: "revoking a privilege someone re-granted cascades to the grants it made",
			role: &policy.Role{Name: "bob"},
			db: fixture{
				Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Select, acl.Select), item("carol", "bob", acl.Select, 0))},
			},
			want: []string{`REVOKE SELECT ON TABLE "app"."t" FROM "bob" CASCADE`},
		},
		{
			name: "column privileges: missing ones granted, batched per table",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindTable, acl.Select|acl.Update, func(g *policy.Grant) {
				g.Names = names("users")
				g.Columns = []string{"email", "name"}
			})}},
			db:   fixture{Objects: []*catalog.Object{table("users"), table("other")}},
			want: []string{`GRANT SELECT ("email", "name"), UPDATE ("email", "name") ON TABLE "app"."users" TO "bob"`},
		},
		{
			name: "a table-level revoke wipes column grants: they are granted again after it",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindTable, acl.Select, func(g *policy.Grant) {
				g.Names = names("users")
				g.Columns = []string{"email"}
			})}},
			db: fixture{Objects: []*catalog.Object{
				table("users", item("bob", "alice", acl.Select, 0)),
				{Object: acl.Object{Kind: acl.KindColumn, Schema: "app", Name: "users", Column: "email", Subkind: 'r'}, Owner: "alice", ACL: []acl.Item{item("bob", "alice", acl.Select, 0)}},
			}},
			want: []string{
				`REVOKE SELECT ON TABLE "app"."users" FROM "bob"`,
				`GRANT SELECT ("email") ON TABLE "app"."users" TO "bob"`,
			},
		},
		{
			name: "owner selector: only objects owned by alice",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindTable, acl.Select, func(g *policy.Grant) { g.Owner = "alice" })}},
			db: fixture{Objects: []*catalog.Object{
				table("mine"),
				obj(acl.KindTable, "app", "theirs", "postgres", item("postgres", "postgres", acl.Valid(acl.KindTable, 160000), 0)),
			}},
			want: []string{`GRANT SELECT ON TABLE "app"."mine" TO "bob"`},
		},
		{
			name: "if_missing = create: CREATE ROLE first, then its grants",
			role: &policy.Role{Name: "web", IfMissing: policy.IfMissingCreate, Attributes: policy.Attributes{Login: boolp(true)},
				Grants: []*policy.Grant{grantRule(acl.KindTable, acl.Select, nil)}},
			db:   fixture{Me: "postgres", Objects: []*catalog.Object{table("t")}},
			want: []string{`CREATE ROLE "web" WITH LOGIN`, `GRANT SELECT ON TABLE "app"."t" TO "web"`},
		},
		{
			name:      "if_missing = create needs CREATEROLE: no statement, and an error",
			role:      &policy.Role{Name: "web", IfMissing: policy.IfMissingCreate},
			db:        fixture{},
			want:      nil,
			wantDiags: []string{"create role web: alice needs CREATEROLE to create it"}, // as the plan line names it
		},
		{
			name: "ensure = absent revokes everything the role holds in scope",
			role: &policy.Role{Name: "bob", Ensure: policy.EnsureAbsent},
			db: fixture{Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Select|acl.Insert, 0))},
				Defs: []*catalog.DefaultACL{{ForRole: "alice", Schema: "app", Kind: acl.KindTable, ACL: []acl.Item{item("bob", "alice", acl.Select, 0)}}}},
			want: []string{
				`REVOKE SELECT, INSERT ON TABLE "app"."t" FROM "bob"`,
				`ALTER DEFAULT PRIVILEGES FOR ROLE "alice" IN SCHEMA "app" REVOKE SELECT ON TABLES FROM "bob"`,
			},
		},
		{
			name: "ensure = absent for a role that is gone plans nothing",
			role: &policy.Role{Name: "gone", Ensure: policy.EnsureAbsent},
			db:   fixture{},
		},
		{
			name: "parameters without a pg_parameter_acl row are planned from the default",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindParameter, acl.Set, func(g *policy.Grant) { g.Names = names("log_statement", "my.custom") })}},
			db:   fixture{Me: "postgres"},
			want: []string{`GRANT SET ON PARAMETER "log_statement", "my"."custom" TO "bob"`},
		},
		{
			name:      "parameters on 14 are an error naming the version",
			role:      &policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindParameter, acl.Set, func(g *policy.Grant) { g.Names = names("log_statement") })}},
			db:        fixture{Version: 140010, Me: "postgres"},
			wantDiags: []string{"Privileges on parameters need PostgreSQL 15"},
		},
		{
			name: "languages, wrappers, servers, large objects, tablespaces",
			role: &policy.Role{Name: "bob", Grants: []*policy.Grant{
				grantRule(acl.KindLanguage, acl.Usage, nil),
				grantRule(acl.KindFDW, acl.Usage, nil),
				grantRule(acl.KindServer, acl.Usage, nil),
				grantRule(acl.KindLargeObject, acl.Select, nil),
				grantRule(acl.KindTablespace, acl.Create, nil),
			}},
			db: fixture{Me: "postgres", Objects: []*catalog.Object{
				obj(acl.KindLanguage, "", "plperl", "postgres", item("", "postgres", acl.Usage, 0), item("postgres", "postgres", acl.Usage, 0)),
				obj(acl.KindFDW, "", "postgres_fdw", "postgres", item("postgres", "postgres", acl.Usage, 0)),
				obj(acl.KindServer, "", "remote db", "alice", item("alice", "alice", acl.Usage, 0)),
				obj(acl.KindLargeObject, "", "16400", "alice", item("alice", "alice", acl.Select|acl.Update, 0)),
				obj(acl.KindTablespace, "", "fast", "postgres", item("postgres", "postgres", acl.Create, 0)),
			}},
			want: []string{
				`GRANT CREATE ON TABLESPACE "fast" TO "bob"`,
				`GRANT USAGE ON LANGUAGE "plperl" TO "bob"`,
				`GRANT USAGE ON FOREIGN DATA WRAPPER "postgres_fdw" TO "bob"`,
				`GRANT USAGE ON FOREIGN SERVER "remote db" TO "bob"`,
				`GRANT SELECT ON LARGE OBJECT 16400 TO "bob"`,
			},
		},
		{
			name: "default privileges with grant option",
			role: &policy.Role{Name: "bob", DefaultPrivileges: []*policy.DefaultPrivilege{{Kind: acl.KindTable, ForRole: "alice", Privileges: acl.Select, WithGrantOption: true}}},
			db:   fixture{},
			want: []string{`ALTER DEFAULT PRIVILEGES FOR ROLE "alice" GRANT SELECT ON TABLES TO "bob" WITH GRANT OPTION`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := statementsOf(t, rolePolicy(tt.role), tt.db)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("statements:\n got %q\nwant %q", got, tt.want)
			}
			var errs hcl.Diagnostics
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d)
				}
			}
			checkDiags(t, errs, tt.wantDiags)
		})
	}
}

func boolp(v bool) *bool { return &v }

// Found by the oracle (seed 99): before 16 a NOINHERIT database owner does
// not have pg_database_owner's privileges, so it cannot grant on the public
// schema; on 16+ it can.
func TestBuild_noinheritDatabaseOwner(t *testing.T) {
	for _, tt := range []struct {
		version int
		blocked bool
	}{{150004, true}, {160004, false}} {
		f := fixture{Version: tt.version, Objects: []*catalog.Object{
			obj(acl.KindSchema, "", "public", "pg_database_owner", item("pg_database_owner", "pg_database_owner", acl.Usage|acl.Create, 0)),
		}}
		c := f.Catalog()
		c.Roles["alice"].Inherit = false
		pol := rolePolicy(&policy.Role{Name: "bob", Grants: []*policy.Grant{grantRule(acl.KindSchema, acl.Usage, func(g *policy.Grant) { g.Names = names("public") })}})
		p, _ := plan.Build(pol, c, plan.Options{})
		if got := len(p.Blocked()) > 0; got != tt.blocked {
			t.Errorf("PostgreSQL %d: blocked = %t, want %t", tt.version, got, tt.blocked)
		}
	}
}

// TestBuild_partial checks Options.Partial: what the connecting role lacks
// the authority for is a warning and gets no statement, and so does what
// depends on a role it cannot create; the rest is planned as usual.
func TestBuild_partial(t *testing.T) {
	pol := loadPolicy(t, `role "web" {
  if_missing = "create"
  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }
}
role "bob" {
  member_of "carol" {}
  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }
}`)
	db := fixture{Objects: []*catalog.Object{table("t")}}
	for _, partial := range []bool{false, true} {
		t.Run(fmt.Sprintf("partial=%t", partial), func(t *testing.T) {
			p, diags := plan.Build(pol, db.Catalog(), plan.Options{Partial: partial})
			var sqls []string
			for _, st := range p.Statements {
				sqls = append(sqls, st.SQL)
			}
			if want := []string{`GRANT SELECT ON TABLE "app"."t" TO "bob"`}; !slices.Equal(sqls, want) {
				t.Errorf("statements: got %q, want %q", sqls, want)
			}
			var blocked []string
			for _, c := range p.Blocked() {
				blocked = append(blocked, describeForTest(c))
			}
			want := []string{"role web", "membership bob in carol", "grant table app.t web"}
			slices.Sort(blocked)
			slices.Sort(want)
			if !slices.Equal(blocked, want) {
				t.Errorf("blocked: got %q, want %q", blocked, want)
			}
			if diags.HasErrors() == partial {
				t.Errorf("errors: got %t with Partial=%t:\n%s", diags.HasErrors(), partial, diags.Error())
			}
			n := 0
			for _, d := range diags {
				if u, ok := d.Extra.(plan.Unauthorized); ok && u.Change.Blocked != "" {
					n++
				}
			}
			if n != len(want) {
				t.Errorf("diagnostics marked Unauthorized: got %d, want %d", n, len(want))
			}
		})
	}
}

func describeForTest(c *plan.Change) string {
	switch c.Target {
	case plan.TargetRole:
		return "role " + string(c.Grantee)
	case plan.TargetMembership:
		return "membership " + string(c.Grantee) + " in " + c.Membership.Role
	}
	return fmt.Sprintf("%s %s %s %s", c.Action, c.Object.Kind, c.Object, c.Grantee)
}
