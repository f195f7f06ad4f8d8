package plan_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// TestBuild_public: PUBLIC as a grantee like any role (issue 13): grant
// rules in the public block rank as a role's and manage their kinds
// exactly; default_privileges manage PUBLIC's default privileges per
// creating role and kind, PostgreSQL's built-in defaults included.
func TestBuild_public(t *testing.T) {
	funcs := []*catalog.Object{fn("f", "", ""), fn("secdef", "", "")}
	defRow := func(forRole, schema string, k acl.Kind, items ...acl.Item) *catalog.DefaultACL {
		return &catalog.DefaultACL{ForRole: forRole, Schema: schema, Kind: k, ACL: items}
	}
	tests := []struct {
		name      string
		policy    string
		db        fixture
		want      []string
		wantDiags []string
	}{
		{
			name: "except: one function loses PUBLIC's EXECUTE, the others keep it",
			policy: `public {
  grant "function" {
    except     = ["secdef()"]
    privileges = ["EXECUTE"]
  }
}`,
			db:   fixture{Objects: funcs},
			want: []string{"- function app.secdef() PUBLIC EXECUTE"},
		},
		{
			name: "exact name beats a pattern beats no names; declared privileges are granted",
			policy: `public {
  grant "table" {
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["t_*"]
    privileges = ["INSERT"]
  }
  grant "table" {
    names      = ["t_log"]
    privileges = ["UPDATE"]
  }
}`,
			db: fixture{Objects: []*catalog.Object{
				table("other"), table("t_a"), table("t_log", item("", "alice", acl.Select|acl.Update, 0)),
			}},
			want: []string{
				"+ table app.other PUBLIC SELECT",
				"+ table app.t_a PUBLIC INSERT",
				"- table app.t_log PUBLIC SELECT",
			},
		},
		{
			name: "a kind no rule names is left alone; the short form still caps another",
			policy: `public {
  schema = ["USAGE"]
  grant "table" {
    names      = ["t"]
    privileges = ["SELECT"]
  }
}`,
			db:   fixture{SchemaItems: []acl.Item{item("", "alice", acl.Usage|acl.Create, 0)}, Objects: append([]*catalog.Object{table("t", item("", "alice", acl.Select, 0))}, funcs...)},
			want: []string{"- schema app PUBLIC CREATE"},
		},
		{
			name: "global default privileges: the built-in EXECUTE is revoked when there is no row",
			policy: `public {
  default_privileges "function" {
    for_role   = "alice"
    privileges = []
  }
}`,
			db:   fixture{},
			want: []string{"- default alice//function PUBLIC EXECUTE"},
		},
		{
			name: "in sync: a global row without PUBLIC's item",
			policy: `public {
  default_privileges "function" {
    for_role   = "alice"
    privileges = []
  }
}`,
			db: fixture{Defs: []*catalog.DefaultACL{defRow("alice", "", acl.KindFunction, item("alice", "alice", acl.Execute, 0))}},
		},
		{
			name: "undeclared global entry of a managed pair returns to the built-in default; other creators left alone",
			policy: `public {
  default_privileges "function" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["EXECUTE"]
  }
}`,
			db: fixture{Defs: []*catalog.DefaultACL{
				defRow("alice", "", acl.KindFunction, item("alice", "alice", acl.Execute, 0)),
				defRow("bob", "", acl.KindFunction, item("bob", "bob", acl.Execute, 0)),
			}},
			want: []string{
				"+ default alice//function PUBLIC EXECUTE",
				"+ default alice/app/function PUBLIC EXECUTE",
			},
		},
		{
			name: "per-schema PUBLIC entry not declared is revoked",
			policy: `public {
  default_privileges "table" {
    for_role   = "alice"
    privileges = []
  }
}`,
			db: fixture{Defs: []*catalog.DefaultACL{
				defRow("alice", "app", acl.KindTable, item("", "alice", acl.Select, 0)),
			}},
			want: []string{"- default alice/app/table PUBLIC SELECT"},
		},
		{
			name: "a managed PUBLIC default is no longer reported as unmanaged",
			policy: `public {
  default_privileges "table" {
    for_role   = "alice"
    privileges = ["SELECT"]
  }
}`,
			db: fixture{Defs: []*catalog.DefaultACL{
				defRow("alice", "", acl.KindTable, item("", "alice", acl.Select, 0), item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0)),
			}},
		},
		{
			name:      "an unmanaged PUBLIC default is reported with the public block's form",
			policy:    `public {}`,
			db:        fixture{Defs: []*catalog.DefaultACL{defRow("alice", "", acl.KindTable, item("", "alice", acl.Select, 0))}},
			wantDiags: []string{`add default_privileges "table" with for_role = "alice" to the public block`},
		},
		{
			name: "for_role that does not exist",
			policy: `public {
  default_privileges "type" {
    for_role   = "nobody"
    privileges = []
  }
}`,
			wantDiags: []string{`Role "nobody" does not exist`},
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

// TestBuild_publicNeverOnSystemSchemas: PUBLIC's schema privileges managed
// exactly (a grant rule for "schema") never reach a system schema the scope
// lists: every role needs USAGE on pg_catalog to name anything.
func TestBuild_publicNeverOnSystemSchemas(t *testing.T) {
	pol := loadPolicy(t, `scope {
  schemas        = ["app"]
  system_schemas = ["pg_catalog"]
}
public {
  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }
}
role "bob" {
  grant "schema" {
    names      = ["pg_catalog"]
    privileges = ["USAGE"]
  }
}`)
	c := fixture{Me: "postgres"}.Catalog() // the superuser, who may grant on pg_catalog
	pgCatalog := &catalog.Object{Object: acl.Object{Kind: acl.KindSchema, Name: "pg_catalog", Subkind: acl.SubkindSystemSchema}, Owner: "postgres",
		ACL: []acl.Item{item("postgres", "postgres", acl.Usage|acl.Create, 0), item("", "postgres", acl.Usage, 0)}}
	c.SystemSchemas = []*catalog.Object{pgCatalog}
	p, diags := plan.Build(pol, c, plan.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{"+ schema app PUBLIC USAGE", "+ schema pg_catalog bob USAGE"}
	if got := summary(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
