package policy_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

const publicRulesHCL = `public {
  database = ["CONNECT"]
  function = []
  grant "table" {
    schema     = "app"
    names      = ["*"]
    except     = ["secret"]
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["accounts"]
    columns    = ["email"]
    privileges = ["SELECT"]
  }
  default_privileges "function" {
    for_role   = "app_owner"
    privileges = []
  }
  default_privileges "function" {
    for_role   = "app_owner"
    schema     = "api"
    privileges = ["EXECUTE"]
  }
  default_privileges "table" {
    for_role   = "app_owner"
    schemas    = ["app", "api"]
    privileges = ["SELECT"]
  }
}
`

const publicRulesYAML = `public:
  database: [CONNECT]
  function: []
  grant:
    - table:
        schema: app
        names: ["*"]
        except: [secret]
        privileges: [SELECT]
    - table:
        names: [accounts]
        columns: [email]
        privileges: [SELECT]
  default_privileges:
    - function:
        for_role: app_owner
        privileges: []
    - function:
        for_role: app_owner
        schema: api
        privileges: [EXECUTE]
    - table:
        for_role: app_owner
        schemas: [app, api]
        privileges: [SELECT]
`

// TestLoad_publicRules: the public block's grant and default_privileges
// blocks, beside the short form, in HCL and in YAML.
func TestLoad_publicRules(t *testing.T) {
	p := yamlLoadFS(t, map[string]string{"p.hcl": publicRulesHCL}, policy.LoadOptions{})
	pub := p.Public
	if pub == nil {
		t.Fatal("no public block")
	}
	if pub.MayHold[acl.KindDatabase] != acl.Connect || pub.MayHold[acl.KindFunction] != 0 || len(pub.MayHold) != 2 {
		t.Errorf("short form: %v", pub.MayHold)
	}
	if len(pub.Grants) != 2 || pub.Grants[0].Schema != "app" || len(pub.Grants[0].Except) != 1 || pub.Grants[1].RuleKind() != acl.KindColumn {
		t.Errorf("grants: %+v", pub.Grants)
	}
	for k, want := range map[acl.Kind]bool{acl.KindTable: true, acl.KindColumn: true, acl.KindFunction: false, acl.KindDatabase: false} {
		if got := pub.Exact(k); got != want {
			t.Errorf("Exact(%s) = %t, want %t", k, got, want)
		}
	}
	if len(pub.DefaultPrivileges) != 4 {
		t.Fatalf("default privileges: %d, want 4 (schemas makes two)", len(pub.DefaultPrivileges))
	}
	if d := pub.DefaultPrivileges[0]; d.Schema != "" || d.Privileges != 0 || d.ForRole != "app_owner" {
		t.Errorf("global entry: %+v", d)
	}
	if !pub.ManagesDefaults("app_owner", acl.KindFunction) || pub.ManagesDefaults("app_owner", acl.KindType) || pub.ManagesDefaults("other", acl.KindFunction) {
		t.Error("ManagesDefaults")
	}
	y := yamlLoadFS(t, map[string]string{"p.yaml": publicRulesYAML}, policy.LoadOptions{})
	yamlSamePolicy(t, p, y)
}

// TestLoad_publicErrors: what the public block's rules reject, with the
// position and the fix, in HCL and YAML.
func TestLoad_publicErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, src string
		want            []string
	}{
		{
			name: "per-schema revoke of the built-in EXECUTE", file: "p.hcl",
			src: `public {
  default_privileges "function" {
    for_role   = "app_owner"
    schema     = "app"
    privileges = []
  }
}
`,
			want: []string{`p.hcl:4:5: error: Per-schema revoke of a built-in default; PostgreSQL gives PUBLIC EXECUTE on every new function, and only a global entry can take that away`,
				`stores nothing`, `Write the global form, without schema: default_privileges "function" with for_role = "app_owner" and privileges = [] in the public block`},
		},
		{
			name: "per-schema revoke of the built-in USAGE, schemas, YAML", file: "p.yaml",
			src: `public:
  default_privileges:
    type:
      for_role: app_owner
      schemas: [app, api]
      privileges: []
`,
			want: []string{`p.yaml:5:7: error: Per-schema revoke of a built-in default; PostgreSQL gives PUBLIC USAGE on every new type`,
				`default_privileges "type" with for_role = "app_owner" and privileges = []`},
		},
		{
			name: "grant option", file: "p.hcl",
			src: `public {
  grant "function" {
    privileges        = ["EXECUTE"]
    with_grant_option = true
  }
  default_privileges "table" {
    for_role          = "app_owner"
    privileges        = ["SELECT"]
    with_grant_option = true
  }
}
`,
			want: []string{`p.hcl:4:5: error: PUBLIC cannot hold a grant option; PostgreSQL grants options only to roles`,
				`p.hcl:9:5: error: PUBLIC cannot hold a grant option;`},
		},
		{
			name: "short form and rules for one kind", file: "p.hcl",
			src: `public {
  function = []
  grant "function" {
    names      = ["f()"]
    privileges = ["EXECUTE"]
  }
}
`,
			want: []string{`p.hcl:3:3: error: PUBLIC's functions declared twice; function = [...] at p.hcl:2:3 is the short form, a ceiling`,
				`remove function = [...]`},
		},
		{
			name: "short form and rules for one kind, YAML", file: "p.yaml",
			src: `public:
  column: []
  grant:
    table:
      names: [t]
      columns: [a]
      privileges: [SELECT]
`,
			want: []string{`p.yaml:4:5: error: PUBLIC's columns declared twice; column = [...] at p.yaml:2:3 is the short form`},
		},
		{
			name: "empty privileges in a public grant", file: "p.hcl",
			src: `public {
  grant "table" {
    names      = ["t"]
    privileges = []
  }
}
`,
			want: []string{`p.hcl:4:18: error: No privileges; privileges = [] grants nothing`},
		},
		{
			name: "for_role public", file: "p.yaml",
			src: `public:
  default_privileges:
    function:
      for_role: public
      privileges: []
`,
			want: []string{`p.yaml:4:17: error: Reserved role name;`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := policy.Load(fstest.MapFS{tc.file: {Data: []byte(tc.src)}}, "", policy.LoadOptions{})
			got := policy.FormatDiagnostics(diags)
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("diagnostics lack %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestLoad_publicShortFormUnchanged: a policy written before the rule form
// loads as it did: a ceiling per kind, no rules.
func TestLoad_publicShortFormUnchanged(t *testing.T) {
	p := yamlLoadFS(t, map[string]string{"p.hcl": "public {\n  schema = [\"USAGE\"]\n  function = []\n}\n"}, policy.LoadOptions{})
	if len(p.Public.Grants) != 0 || len(p.Public.DefaultPrivileges) != 0 || p.Public.Exact(acl.KindFunction) {
		t.Errorf("short form grew rules: %+v", p.Public)
	}
	if p.Public.MayHold[acl.KindSchema] != acl.Usage {
		t.Errorf("MayHold: %v", p.Public.MayHold)
	}
}
