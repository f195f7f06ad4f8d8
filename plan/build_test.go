package plan_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// summary renders changes compactly for comparison: "+ table app.t bob SELECT".
func summary(p *plan.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		var s string
		switch c.Target {
		case plan.TargetObject:
			s = string(rune(c.Action)) + " " + c.Object.Kind.String() + " " + c.Object.String() + " " + c.Grantee.String() + " " + c.Privs.Privs.String()
			if c.GrantOptionOnly {
				s += " (grant option)"
			}
			if c.AsRole != "" {
				s += " as " + c.AsRole
			}
		case plan.TargetDefault:
			s = string(rune(c.Action)) + " default " + c.Default.ForRole + "/" + c.Default.Schema + "/" + c.Default.Kind.String() + " " + c.Grantee.String() + " " + c.Privs.Privs.String()
		case plan.TargetMembership:
			s = string(rune(c.Action)) + " member " + c.Grantee.String() + " in " + c.Membership.Role
		case plan.TargetRole:
			s = string(rune(c.Action)) + " role " + c.Grantee.String()
			for _, a := range c.Attributes {
				s += " " + a.SQL
			}
		}
		if c.Blocked != "" {
			s += " BLOCKED"
		}
		out = append(out, s)
	}
	return out
}

func TestBuild(t *testing.T) {
	const bobDML = `
role "bob" {
  grant "table" {
    schema     = "app"
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }
  grant "table" {
    schema     = "app"
    names      = ["schema_migrations"]
    privileges = ["SELECT"]
  }
}`
	tests := []struct {
		name      string
		policy    string
		db        fixture
		want      []string
		wantDiags []string // substrings of error/warning summaries+details, in order
	}{
		{
			name:   "owner only, nothing declared for the table",
			policy: `role "bob" {}`,
			db:     fixture{Objects: []*catalog.Object{table("t")}},
		},
		{
			name:   "exact name beats every table",
			policy: bobDML,
			db:     fixture{Objects: []*catalog.Object{table("accounts"), table("schema_migrations")}},
			want: []string{
				"+ table app.accounts bob SELECT, INSERT, UPDATE, DELETE",
				"+ table app.schema_migrations bob SELECT",
			},
		},
		{
			name:   "in sync",
			policy: bobDML,
			db: fixture{Objects: []*catalog.Object{
				table("accounts", item("bob", "alice", acl.Select|acl.Insert|acl.Update|acl.Delete, 0)),
				table("schema_migrations", item("bob", "alice", acl.Select, 0)),
			}},
		},
		{
			name:   "revokes what is not declared",
			policy: bobDML,
			db: fixture{Objects: []*catalog.Object{
				table("accounts", item("bob", "alice", acl.Select|acl.Insert|acl.Update|acl.Delete|acl.Truncate, 0)),
				table("schema_migrations", item("bob", "alice", acl.Select|acl.Insert, 0)),
			}},
			want: []string{
				"- table app.accounts bob TRUNCATE",
				"- table app.schema_migrations bob INSERT",
			},
		},
		{
			name:   "undeclared roles are never touched",
			policy: `role "bob" {}`,
			db:     fixture{Objects: []*catalog.Object{table("t", item("carol", "alice", acl.Select, 0))}},
		},
		{
			name:   "grant option not declared is revoked alone",
			policy: bobDML,
			db: fixture{Objects: []*catalog.Object{
				table("schema_migrations", item("bob", "alice", acl.Select, acl.Select)),
			}},
			want: []string{"- table app.schema_migrations bob SELECT (grant option)"},
		},
		{
			name:   "privilege from another grantor is revoked as that grantor by a superuser",
			policy: `role "bob" {}`,
			db: fixture{Me: "postgres", SchemaItems: []acl.Item{item("carol", "alice", acl.Usage, 0)}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("bob", "carol", acl.Select, 0)),
			}},
			want: []string{"- table app.t bob SELECT as carol"},
		},
		{
			// PUBLIC's SELECT from carol (PUBLIC not managed) keeps the
			// owner from taking carol's grant option with CASCADE.
			name:   "a grantor without USAGE on the schema cannot name the object: said at plan time",
			policy: `role "bob" {}`,
			db: fixture{Me: "postgres", Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("bob", "carol", acl.Select, 0), item("", "carol", acl.Select, 0)),
			}},
			want:      []string{"- table app.t bob SELECT as carol BLOCKED"},
			wantDiags: []string{"carol has no USAGE on schema app"},
		},
		{
			name:   "privilege from another grantor: the owner, who cannot SET ROLE to it, takes it by CASCADE",
			policy: `role "bob" {}`,
			db: fixture{Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("bob", "carol", acl.Select, 0)),
			}},
			want: []string{"- table app.t carol SELECT (grant option)", "+ table app.t carol SELECT"},
		},
		{
			name:   "privilege from another grantor blocks an owner who cannot SET ROLE to it nor cascade over an undeclared role",
			policy: `role "bob" {}`,
			db: fixture{Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("bob", "carol", acl.Select, 0), item("", "carol", acl.Select, 0)),
			}},
			want:      []string{"- table app.t bob SELECT as carol BLOCKED"},
			wantDiags: []string{"only carol can revoke it"},
		},
		{
			name:   "an object owned by a superuser blocks the owner role",
			policy: "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n}",
			db: fixture{Objects: []*catalog.Object{
				obj(acl.KindTable, "app", "t", "postgres", item("postgres", "postgres", acl.Valid(acl.KindTable, 160000), 0)),
			}},
			want:      []string{"+ table app.t bob SELECT BLOCKED"},
			wantDiags: []string{"owned by postgres"},
		},
		{
			name:   "a member of the owner with INHERIT acts as the owner",
			policy: "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n}",
			db: fixture{
				Me:      "carol",
				Members: []catalog.Membership{{Role: "alice", Member: "carol", Grantor: "postgres", Inherit: true, Set: true}},
				Objects: []*catalog.Object{table("t")},
			},
			want: []string{"+ table app.t bob SELECT"},
		},
		{
			name:   "PUBLIC ceiling on 13/14: CREATE on public schema owned by the bootstrap superuser",
			policy: `public { schema = ["USAGE"] }`,
			db: fixture{Version: 140010, Objects: []*catalog.Object{
				obj(acl.KindSchema, "", "public", "postgres", item("postgres", "postgres", acl.Usage|acl.Create, 0), item("", "postgres", acl.Usage|acl.Create, 0)),
			}},
			want:      []string{"- schema public PUBLIC CREATE BLOCKED"},
			wantDiags: []string{"owned by postgres"},
		},
		{
			name:   "PUBLIC ceiling on 15+: public schema already right; grants on it go through pg_database_owner",
			policy: `public { schema = ["USAGE"] }` + "\n" + "role \"bob\" {\n  grant \"schema\" {\n    names = [\"public\"]\n    privileges = [\"USAGE\"]\n  }\n}",
			db: fixture{Version: 150004, Objects: []*catalog.Object{
				obj(acl.KindSchema, "", "public", "pg_database_owner", item("pg_database_owner", "pg_database_owner", acl.Usage|acl.Create, 0), item("", "pg_database_owner", acl.Usage, 0)),
			}},
			want: []string{"+ schema public bob USAGE"},
		},
		{
			name:   "PUBLIC never holds CREATE on a database: nothing to plan",
			policy: `public { database = ["CONNECT", "TEMPORARY"] }`,
			db:     fixture{},
		},
		{
			name: "missing role with if_missing = skip plans nothing and warns",
			policy: `role "web" {
  if_missing = "skip"
  grant "table" { privileges = ["SELECT"] }
}`,
			db:        fixture{Objects: []*catalog.Object{table("t")}},
			wantDiags: []string{`Role "web" does not exist`},
		},
		{
			name:      "missing role is an error by default",
			policy:    `role "web" {}`,
			db:        fixture{},
			wantDiags: []string{`Role "web" does not exist`},
		},
		{
			name:      "MAINTAIN needs 17",
			policy:    "role \"bob\" {\n  grant \"table\" { privileges = [\"MAINTAIN\"] }\n}",
			db:        fixture{Version: 160004, Objects: []*catalog.Object{table("t")}},
			want:      []string{},
			wantDiags: []string{"MAINTAIN needs PostgreSQL 17"},
		},
		{
			name:   "ALL means MAINTAIN too on 17",
			policy: "role \"bob\" {\n  grant \"table\" { privileges = [\"ALL\"] }\n}",
			db:     fixture{Version: 170002, Objects: []*catalog.Object{table("t")}},
			want:   []string{"+ table app.t bob SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN"},
			// bob can log in and owns nothing: ALL gives a runtime role TRUNCATE (warnings.go).
			wantDiags: []string{`Runtime role "bob" granted TRUNCATE, REFERENCES on table`},
		},
		{
			name:      "pg_read_all_data on 13 points to the fallback",
			policy:    "role \"bob\" {\n  member_of \"pg_read_all_data\" {}\n}",
			db:        fixture{Version: 130020, Extra: nil},
			wantDiags: []string{`Role "pg_read_all_data" does not exist`},
		},
		{
			name: "default privileges: grant missing, revoke undeclared",
			policy: `role "bob" {
  default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT"]
  }
}`,
			db: fixture{Defs: []*catalog.DefaultACL{
				{ForRole: "alice", Kind: acl.KindSequence, ACL: []acl.Item{item("alice", "alice", acl.Valid(acl.KindSequence, 0), 0), item("bob", "alice", acl.Usage, 0)}},
			}},
			want: []string{
				"+ default alice/app/table bob SELECT",
				"- default alice//sequence bob USAGE",
			},
		},
		{
			name: "default privileges in sync",
			policy: `role "bob" {
  default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT"]
  }
}`,
			db: fixture{Defs: []*catalog.DefaultACL{
				{ForRole: "alice", Schema: "app", Kind: acl.KindTable, ACL: []acl.Item{item("bob", "alice", acl.Select, 0)}},
			}},
		},
		{
			name: "patterns and exclusions",
			policy: `role "bob" {
  grant "table" {
    names      = ["oban_*"]
    except     = ["oban_peers"]
    privileges = ["SELECT"]
  }
}`,
			db:   fixture{Objects: []*catalog.Object{table("oban_jobs"), table("oban_peers"), table("users")}},
			want: []string{"+ table app.oban_jobs bob SELECT"},
		},
		{
			name: "functions by signature",
			policy: `role "bob" {
  grant "function" {
    names      = ["f(integer)"]
    privileges = ["EXECUTE"]
  }
}`,
			db: fixture{Objects: []*catalog.Object{
				{Object: acl.Object{Kind: acl.KindFunction, Schema: "app", Name: "f", Args: "x integer", Subkind: 'f'}, ArgTypes: "integer", Owner: "alice",
					ACL: []acl.Item{item("", "alice", acl.Execute, 0), item("alice", "alice", acl.Execute, 0)}},
				{Object: acl.Object{Kind: acl.KindFunction, Schema: "app", Name: "f", Args: "x text", Subkind: 'f'}, ArgTypes: "text", Owner: "alice",
					ACL: []acl.Item{item("", "alice", acl.Execute, 0), item("alice", "alice", acl.Execute, 0)}},
			}},
			want: []string{"+ function app.f(x integer) bob EXECUTE"},
		},
		{
			// Signatures come qualified (introspect pins ident.SearchPath); a
			// policy may name a type with its schema or without.
			name: "functions by signature, argument types qualified or not",
			policy: `role "bob" {
  grant "function" {
    names      = ["f(d)", "g(\"My Schema\".\"D\")", "k(app.d)"]
    privileges = ["EXECUTE"]
  }
}`,
			db: fixture{Objects: []*catalog.Object{
				fn("f", "x app.d", "app.d"),
				fn("g", `x "My Schema"."D"`, `"My Schema"."D"`),
				fn("k", "x app.d", "app.d"),
				fn("k", "x other.d", "other.d"),
			}},
			want: []string{
				"+ function app.f(x app.d) bob EXECUTE",
				`+ function app.g(x "My Schema"."D") bob EXECUTE`,
				"+ function app.k(x app.d) bob EXECUTE",
			},
		},
		{
			name: "external role: attribute and membership drift is reported, not changed",
			policy: `role "bob" {
  external = true
  inherit  = false
  member_of "carol" {}
}`,
			db: fixture{},
		},
		{
			name: "managed role: attributes altered, memberships granted and revoked",
			policy: `role "bob" {
  login           = false
  connection_limit = 5
  member_of "carol" { admin = true }
}`,
			db: fixture{Me: "postgres", Members: []catalog.Membership{{Role: "pg_read_all_data", Member: "bob", Grantor: "postgres", Inherit: true, Set: true}}},
			want: []string{
				"~ role bob NOLOGIN CONNECTION LIMIT 5",
				"+ member bob in carol",
				"- member bob in pg_read_all_data",
			},
		},
		{
			name:      "membership options on 15 are an error naming the version",
			policy:    "role \"bob\" {\n  member_of \"carol\" {\n    inherit = false\n  }\n}",
			db:        fixture{Version: 150004, Me: "postgres", Members: []catalog.Membership{{Role: "carol", Member: "bob", Grantor: "postgres", Inherit: true, Set: true}}},
			wantDiags: []string{"Membership options need PostgreSQL 16"},
		},
		{
			name:   "membership options change in place on 16",
			policy: "role \"bob\" {\n  member_of \"carol\" {\n    inherit = false\n  }\n}",
			db:     fixture{Me: "postgres", Members: []catalog.Membership{{Role: "carol", Member: "bob", Grantor: "postgres", Inherit: true, Set: true}}},
			want:   []string{"~ member bob in carol"},
		},
		{
			name: "a member_of that closes a cycle through the database is refused",
			policy: `role "bob" {
  member_of "carol" {}
}
role "carol" {
  member_of "dave" {}
}`,
			db: fixture{Me: "postgres", Extra: []*catalog.Role{role("dave", 16387)},
				Members: []catalog.Membership{{Role: "bob", Member: "dave", Grantor: "postgres", Inherit: true, Set: true}}},
			want: []string{
				"+ member bob in carol",
				"+ member carol in dave",
			},
			wantDiags: []string{"carol cannot be a member of dave: dave is already a member of carol (dave → bob → carol)"},
		},
		{
			name:      "managed role: membership changes need CREATEROLE or ADMIN",
			policy:    "role \"bob\" {\n  member_of \"carol\" {}\n}",
			db:        fixture{},
			want:      []string{"+ member bob in carol BLOCKED"},
			wantDiags: []string{"needs CREATEROLE or ADMIN OPTION"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(loadPolicy(t, tt.policy), tt.db.Catalog(), plan.Options{})
			got := summary(p)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.want)
			}
			checkDiags(t, diags, tt.wantDiags)
		})
	}
}

func checkDiags(t *testing.T, diags hcl.Diagnostics, want []string) {
	t.Helper()
	if len(diags) != len(want) {
		t.Fatalf("diagnostics: got %d, want %d:\n%s", len(diags), len(want), policy.FormatDiagnostics(diags))
	}
	for i, d := range diags {
		if text := d.Summary + " " + d.Detail; !strings.Contains(text, want[i]) {
			t.Errorf("diagnostic %d: %q does not contain %q", i, text, want[i])
		}
	}
}

func TestBuild_externalDrift(t *testing.T) {
	pol := loadPolicy(t, `role "bob" {
  external = true
  inherit  = false
  member_of "carol" {}
}`)
	p, diags := plan.Build(pol, fixture{}.Catalog(), plan.Options{})
	if diags.HasErrors() || !p.Empty() {
		t.Fatalf("external role must plan nothing: %v %v", summary(p), diags)
	}
	var got []string
	for _, d := range p.Drift {
		got = append(got, d.Role+" "+d.What+": want "+d.Want+", have "+d.Have)
	}
	want := []string{"bob inherit: want NOINHERIT, have INHERIT", "bob member of carol: want member, have not a member"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("drift:\n got %q\nwant %q", got, want)
	}
}

func TestBuild_strictMakesSkipAnError(t *testing.T) {
	pol := loadPolicy(t, `role "web" { if_missing = "skip" }`)
	_, diags := plan.Build(pol, fixture{}.Catalog(), plan.Options{Strict: true})
	if !diags.HasErrors() {
		t.Fatalf("--strict: want an error for the missing role, got %v", diags)
	}
}

func TestBuild_deterministic(t *testing.T) {
	pol := loadPolicy(t, "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n}\nrole \"carol\" {\n  grant \"table\" { privileges = [\"INSERT\"] }\n}")
	f := fixture{Objects: []*catalog.Object{table("b"), table("a"), table("c")}}
	first, _ := plan.Build(pol, f.Catalog(), plan.Options{})
	for i := 0; i < 20; i++ {
		again, _ := plan.Build(pol, f.Catalog(), plan.Options{})
		if strings.Join(sqlOf(again), "\n") != strings.Join(sqlOf(first), "\n") {
			t.Fatalf("plans differ between runs:\n%v\n%v", sqlOf(first), sqlOf(again))
		}
	}
	want := []string{
		`GRANT SELECT ON TABLE "app"."a", "app"."b", "app"."c" TO "bob"`,
		`GRANT INSERT ON TABLE "app"."a", "app"."b", "app"."c" TO "carol"`,
	}
	if strings.Join(sqlOf(first), "\n") != strings.Join(want, "\n") {
		t.Errorf("statements:\n got %q\nwant %q", sqlOf(first), want)
	}
}

func sqlOf(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Statements {
		out = append(out, s.SQL)
	}
	return out
}

func TestBuild_additiveAndReuse(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		db     fixture
		want   []string
		kept   int
	}{
		{
			name: "an additive role is granted what is missing and keeps what is extra",
			policy: `role "bob" {
  additive = true
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
			db:   fixture{Objects: []*catalog.Object{table("a"), table("b", item("bob", "alice", acl.Truncate, 0))}},
			want: []string{"+ table app.a bob SELECT", "+ table app.b bob SELECT"},
			kept: 1,
		},
		{
			name: "an additive policy keeps PUBLIC's privileges too",
			policy: `scope {
  additive = true
}
role "bob" {}
public {
  database = []
}`,
			db:   fixture{Objects: []*catalog.Object{table("a", item("bob", "alice", acl.Select, 0))}},
			want: nil,
			kept: 2,
		},
		{
			name: "a profile is shared by roles; schemas lists apply a rule to several schemas",
			policy: `scope {
  schemas = ["app", "billing"]
}
profile "reader" {
  grant "table" {
    schemas    = ["app", "billing"]
    privileges = ["SELECT"]
  }
}
role "bob" {
  profiles = ["reader"]
}
role "carol" {
  profiles = ["reader"]
}`,
			db: fixture{Objects: []*catalog.Object{table("a"), obj(acl.KindTable, "billing", "invoices", "alice", item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0))}},
			want: []string{
				"+ table app.a bob SELECT", "+ table app.a carol SELECT",
				"+ table billing.invoices bob SELECT", "+ table billing.invoices carol SELECT",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(loadPolicy(t, tt.policy), tt.db.Catalog(), plan.Options{})
			if diags.HasErrors() {
				t.Fatal(policy.FormatDiagnostics(diags))
			}
			if got := summary(p); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.want)
			}
			if len(p.Kept) != tt.kept {
				t.Errorf("kept: got %d, want %d", len(p.Kept), tt.kept)
			}
		})
	}
}
