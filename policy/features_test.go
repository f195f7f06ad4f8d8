package policy_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// TestLoadPath_features decodes every attribute added for the object kinds
// of issue 3: the new grant kinds, columns, owner, with_grant_option,
// if_missing = "create", ensure, deny, default privileges on large objects
// and the public block's new kinds.
func TestLoadPath_features(t *testing.T) {
	const file = "testdata/features/policy.hcl"
	p, diags := mustLoad(t, file, policy.LoadOptions{})
	if len(diags) != 0 {
		t.Errorf("unexpected diagnostics:\n%s", policy.FormatDiagnostics(diags))
	}
	if len(p.Roles) != 4 {
		t.Fatalf("got %d roles, want 4", len(p.Roles))
	}
	app, web, ops, legacy := p.Roles[0], p.Roles[1], p.Roles[2], p.Roles[3]

	t.Run("if_missing and ensure", func(t *testing.T) {
		for _, tt := range []struct {
			r         *policy.Role
			ifMissing policy.IfMissing
			ensure    policy.Ensure
			external  bool
		}{
			{app, policy.IfMissingCreate, policy.EnsurePresent, false},
			{web, policy.IfMissingError, policy.EnsurePresent, false},
			{ops, policy.IfMissingError, policy.EnsurePresent, true},
			{legacy, policy.IfMissingError, policy.EnsureAbsent, true},
		} {
			if tt.r.IfMissing != tt.ifMissing || tt.r.Ensure != tt.ensure || tt.r.External != tt.external {
				t.Errorf("%s: if_missing, ensure, external = %v, %v, %v; want %v, %v, %v", tt.r.Name,
					tt.r.IfMissing, tt.r.Ensure, tt.r.External, tt.ifMissing, tt.ensure, tt.external)
			}
		}
		if got := policy.IfMissingCreate.String(); got != "create" {
			t.Errorf("IfMissingCreate.String() = %q", got)
		}
	})

	t.Run("grants", func(t *testing.T) {
		type grant struct {
			kind      acl.Kind
			schema    string
			names     []string
			owner     string
			columns   []string
			privs     acl.Priv
			all       bool
			grantOpt  bool
			line      int
			firstName int // line of Names[0], when there are names
		}
		check := func(t *testing.T, r *policy.Role, want []grant) {
			t.Helper()
			if len(r.Grants) != len(want) {
				t.Fatalf("%s: got %d grants, want %d", r.Name, len(r.Grants), len(want))
			}
			for i, w := range want {
				g := r.Grants[i]
				if g.Kind != w.kind || g.Schema != w.schema || g.Owner != w.owner || g.Privileges != w.privs || g.All != w.all ||
					g.WithGrantOption != w.grantOpt || !slices.Equal(patternTexts(g.Names), w.names) || !slices.Equal(g.Columns, w.columns) {
					t.Errorf("%s grant %d = {%s schema=%q names=%q owner=%q columns=%q %s all=%v grant option=%v}, want %+v", r.Name, i,
						g.Kind, g.Schema, patternTexts(g.Names), g.Owner, g.Columns, g.Privileges, g.All, g.WithGrantOption, w)
				}
				at(t, g.DeclRange, file, w.line)
				if w.firstName != 0 && len(g.Names) > 0 {
					at(t, g.Names[0].Range, file, w.firstName)
				}
			}
		}
		check(t, app, []grant{
			{kind: acl.KindTablespace, names: []string{"fast_ssd"}, privs: acl.Create, line: 9, firstName: 10},
		})
		check(t, web, []grant{
			{kind: acl.KindTable, schema: "public", names: []string{"accounts"}, columns: []string{"email", "name"},
				privs: acl.Select | acl.Update, grantOpt: true, line: 18, firstName: 20},
			{kind: acl.KindTable, names: []string{"users"}, columns: []string{"id"}, all: true, line: 25},
			{kind: acl.KindTable, owner: "tuist_app", privs: acl.Select, line: 30},
			{kind: acl.KindSchema, owner: "tuist_app", privs: acl.Usage, line: 34},
			{kind: acl.KindLanguage, names: []string{"plpgsql"}, privs: acl.Usage, line: 38},
			{kind: acl.KindFDW, names: []string{"postgres_fdw"}, owner: "tuist_app", privs: acl.Usage, line: 42},
			{kind: acl.KindServer, names: []string{"reporting"}, privs: acl.Usage, line: 47},
			// OIDs are kept as the catalog prints them: no leading zeros.
			{kind: acl.KindLargeObject, names: []string{"16400", "16401"}, owner: "tuist_app", privs: acl.Select | acl.Update, line: 51, firstName: 52},
			// Parameter names are folded to lower case, as PostgreSQL does.
			{kind: acl.KindParameter, names: []string{"log_statement", "pg_stat_statements.track", "auto_explain.*"},
				privs: acl.Set | acl.AlterSystem, line: 56, firstName: 57},
		})
		if g := web.Grants[8]; !g.Names[2].IsGlob() || g.Names[0].IsGlob() {
			t.Errorf("parameter patterns: IsGlob wrong for %q", patternTexts(g.Names))
		}
	})

	t.Run("default privileges", func(t *testing.T) {
		if len(web.DefaultPrivileges) != 2 {
			t.Fatalf("DefaultPrivileges = %v", web.DefaultPrivileges)
		}
		dp := web.DefaultPrivileges[0]
		if dp.Kind != acl.KindTable || !dp.WithGrantOption || dp.Privileges != acl.Select {
			t.Errorf("default privileges 0 = %+v", dp)
		}
		dp = web.DefaultPrivileges[1]
		if dp.Kind != acl.KindLargeObject || dp.WithGrantOption || dp.Schema != "" || dp.Privileges != acl.Select || dp.ForRole != "tuist_app" {
			t.Errorf("default privileges 1 = %+v", dp)
		}
		at(t, dp.DeclRange, file, 66)
	})

	t.Run("deny", func(t *testing.T) {
		type deny struct {
			kinds  []acl.Kind
			schema string
			names  []string
			privs  acl.Priv
			all    bool
			line   int
		}
		check := func(t *testing.T, r *policy.Role, want []deny) {
			t.Helper()
			if len(r.Deny) != len(want) {
				t.Fatalf("%s: got %d deny blocks, want %d", r.Name, len(r.Deny), len(want))
			}
			for i, w := range want {
				dn := r.Deny[i]
				if !slices.Equal(dn.Kinds, w.kinds) || dn.Schema != w.schema || !slices.Equal(patternTexts(dn.Names), w.names) ||
					dn.Privileges != w.privs || dn.All != w.all {
					t.Errorf("%s deny %d = {kinds=%v schema=%q names=%q %s all=%v}, want %+v", r.Name, i,
						dn.Kinds, dn.Schema, patternTexts(dn.Names), dn.Privileges, dn.All, w)
				}
				at(t, dn.DeclRange, file, w.line)
			}
		}
		check(t, web, []deny{
			{privs: acl.Create, line: 71},
			{kinds: []acl.Kind{acl.KindTable, acl.KindColumn}, schema: "audit", names: []string{"*"},
				privs: acl.Insert | acl.Update | acl.Delete | acl.Truncate, line: 74},
		})
		check(t, ops, []deny{
			{kinds: []acl.Kind{acl.KindTable}, privs: acl.Insert | acl.Update | acl.Delete | acl.Truncate, line: 86},
			// A deny on one kind follows that kind's name rules.
			{kinds: []acl.Kind{acl.KindParameter}, names: []string{"work_mem"}, all: true, line: 90},
		})
		check(t, legacy, []deny{{all: true, line: 102}})
	})

	t.Run("public", func(t *testing.T) {
		want := map[acl.Kind]acl.Priv{
			acl.KindColumn:      0,
			acl.KindLanguage:    acl.Usage,
			acl.KindFDW:         0,
			acl.KindServer:      0,
			acl.KindLargeObject: acl.Select,
			acl.KindParameter:   0,
			acl.KindTablespace:  acl.Create, // ALL
		}
		if len(p.Public.MayHold) != len(want) {
			t.Errorf("MayHold = %v, want %v", p.Public.MayHold, want)
		}
		for k, v := range want {
			if got, ok := p.Public.MayHold[k]; !ok || got != v {
				t.Errorf("MayHold[%s] = %s (set %v), want %s", k, got, ok, v)
			}
		}
		at(t, p.Public.Ranges[acl.KindTablespace], file, 114)
	})
}

// load loads one inline file; it fails the test on errors.
func load(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, diags := policy.Load(fstest.MapFS{"p.hcl": {Data: []byte(src)}}, "", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("unexpected errors:\n%s\nin:\n%s", policy.FormatDiagnostics(diags), src)
	}
	return p
}

// loadErr loads one inline file and returns its rendered diagnostics; it
// fails the test when there is no error.
func loadErr(t *testing.T, src string) string {
	t.Helper()
	p, diags := policy.Load(fstest.MapFS{"p.hcl": {Data: []byte(src)}}, "", policy.LoadOptions{})
	if !diags.HasErrors() || p != nil {
		t.Fatalf("want errors and no policy, got:\n%s\nin:\n%s", policy.FormatDiagnostics(diags), src)
	}
	return policy.FormatDiagnostics(diags)
}

// TestLoad_attributes decodes each new attribute alone, with its default.
func TestLoad_attributes(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, p *policy.Policy)
	}{
		{
			name: "with_grant_option defaults to false",
			src: `role "r" {
  grant "table" { privileges = ["SELECT"] }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if g := p.Roles[0].Grants[0]; g.WithGrantOption || g.Owner != "" || g.Columns != nil {
					t.Errorf("grant = %+v", g)
				}
			},
		},
		{
			name: "with_grant_option = false",
			src: `role "r" {
  grant "table" {
    privileges        = ["SELECT"]
    with_grant_option = false
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if p.Roles[0].Grants[0].WithGrantOption {
					t.Error("WithGrantOption = true")
				}
			},
		},
		{
			name: "with_grant_option from a variable",
			src: `variable "delegate" { default = true }
role "r" {
  default_privileges "function" {
    for_role          = "o"
    privileges        = ["EXECUTE"]
    with_grant_option = var.delegate
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if !p.Roles[0].DefaultPrivileges[0].WithGrantOption {
					t.Error("WithGrantOption = false")
				}
			},
		},
		{
			name: "ensure and if_missing default",
			src:  `role "r" {}`,
			check: func(t *testing.T, p *policy.Policy) {
				if r := p.Roles[0]; r.Ensure != policy.EnsurePresent || r.IfMissing != policy.IfMissingError || r.Deny != nil {
					t.Errorf("role = %+v", r)
				}
			},
		},
		{
			name: "retired external role",
			src: `role "r" {
  external = true
  ensure   = "absent"
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if r := p.Roles[0]; r.Ensure != policy.EnsureAbsent || !r.External {
					t.Errorf("role = %+v", r)
				}
			},
		},
		{
			name: "columns with every column privilege",
			src: `role "r" {
  grant "table" {
    names      = ["t"]
    columns    = ["a"]
    privileges = ["select", "insert", "update", "references"]
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if g := p.Roles[0].Grants[0]; g.Privileges != acl.Valid(acl.KindColumn, 0) || g.Kind != acl.KindTable {
					t.Errorf("grant = %+v", g)
				}
			},
		},
		{
			name: "owner may be a predefined role",
			src: `role "r" {
  grant "schema" {
    owner      = "pg_database_owner"
    privileges = ["USAGE"]
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if g := p.Roles[0].Grants[0]; g.Owner != "pg_database_owner" {
					t.Errorf("Owner = %q", g.Owner)
				}
			},
		},
		{
			name: "deny with schema covers the schema itself",
			src: `role "r" {
  deny {
    schema     = "public"
    privileges = ["CREATE"]
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if dn := p.Roles[0].Deny[0]; dn.Schema != "public" || dn.Privileges != acl.Create || dn.Kinds != nil {
					t.Errorf("deny = %+v", dn)
				}
			},
		},
		{
			name: "deny names a function overload",
			src: `role "r" {
  deny {
    kinds      = ["function"]
    names      = ["f( int )"]
    privileges = ["EXECUTE"]
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if got := patternTexts(p.Roles[0].Deny[0].Names); !slices.Equal(got, []string{"f(integer)"}) {
					t.Errorf("names = %q", got)
				}
			},
		},
		{
			name: "deny with names of several kinds",
			src: `role "r" {
  deny {
    kinds      = ["table", "sequence"]
    names      = ["audit_*", "Ledger"]
    privileges = ["UPDATE"]
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				if got := patternTexts(p.Roles[0].Deny[0].Names); !slices.Equal(got, []string{"audit_*", "Ledger"}) {
					t.Errorf("names = %q", got)
				}
			},
		},
		{
			// The deny names one table; the grant on every table is not
			// a contradiction the loader can see (plan checks it).
			name: "deny with names does not reject broader grants",
			src: `role "r" {
  grant "table" { privileges = ["SELECT"] }
  deny {
    kinds      = ["table"]
    names      = ["secrets"]
    privileges = ["SELECT"]
  }
}`,
		},
		{
			name: "deny on another schema does not reject grants elsewhere",
			src: `role "r" {
  grant "table" {
    schema     = "app"
    privileges = ["INSERT"]
  }
  grant "schema" {
    names      = ["app"]
    privileges = ["CREATE"]
  }
  default_privileges "schema" {
    for_role   = "o"
    privileges = ["CREATE"]
  }
  deny {
    schema     = "public"
    privileges = ["INSERT", "CREATE"]
  }
}`,
		},
		{
			name: "parameter patterns",
			src: `role "r" {
  grant "parameter" {
    names      = ["*"]
    except     = ["Shared_*", "My_Ext.X$1"]
    privileges = ["SET"]
  }
}`,
			check: func(t *testing.T, p *policy.Policy) {
				g := p.Roles[0].Grants[0]
				if !slices.Equal(patternTexts(g.Names), []string{"*"}) || !slices.Equal(patternTexts(g.Except), []string{"shared_*", "my_ext.x$1"}) {
					t.Errorf("names, except = %q, %q", patternTexts(g.Names), patternTexts(g.Except))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := load(t, tt.src)
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// TestLoad_names checks that any legal PostgreSQL name works, as it is
// written, wherever a name is expected, and that a name PostgreSQL would
// truncate (more than 63 bytes, counted in UTF-8) is rejected.
func TestLoad_names(t *testing.T) {
	e31, e32 := strings.Repeat("é", 31), strings.Repeat("é", 32) // 62 and 64 bytes
	legal := []string{
		`we"ird`,
		"with space",
		"MixedCase",
		"rôle ünïcode",
		"日本語",
		"select",
		"a; DROP TABLE x; --",
		"$1",
		"public.accounts", // a dot is part of the name (with a warning)
		"'quoted'",
		`back\slash`,
		e31,
		strings.Repeat("x", 63),
		strings.Repeat("x", 60) + "é", // 62 bytes
	}
	quote := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	for _, n := range legal {
		t.Run(n, func(t *testing.T) {
			q := quote(n)
			p := load(t, `scope { schemas = [`+q+`] }
role `+q+` {
  grant "schema" {
    names      = [`+q+`]
    owner      = `+q+`
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = `+q+`
    names      = [`+q+`]
    except     = [`+q+`]
    columns    = [`+q+`]
    privileges = ["SELECT"]
  }
  grant "tablespace" {
    names      = [`+q+`]
    privileges = ["CREATE"]
  }
  default_privileges "table" {
    for_role   = `+q+`
    schema     = `+q+`
    privileges = ["SELECT"]
  }
  deny {
    schema     = `+q+`
    names      = [`+q+`]
    privileges = ["DELETE"]
  }
}
role "other" {
  member_of `+q+` {}
}
`)
			r := p.Roles[0]
			g, tg := r.Grants[0], r.Grants[1]
			for what, got := range map[string]string{
				"scope": p.Schemas[0], "role": r.Name, "schema name": g.Names[0].Text, "owner": g.Owner,
				"grant schema": tg.Schema, "table name": tg.Names[0].Text, "except": tg.Except[0].Text, "column": tg.Columns[0],
				"tablespace": r.Grants[2].Names[0].Text, "for_role": r.DefaultPrivileges[0].ForRole,
				"default schema": r.DefaultPrivileges[0].Schema, "deny schema": r.Deny[0].Schema, "deny name": r.Deny[0].Names[0].Text,
				"member_of": p.Roles[1].MemberOf[0].Role,
			} {
				if got != n {
					t.Errorf("%s = %q, want %q", what, got, n)
				}
			}
		})
	}

	// block wraps one rule in a role: the name under test is on line 3.
	block := func(typ, attr, value string) string {
		return "role \"r\" {\n  " + typ + " {\n    " + attr + " = " + value + "\n    privileges = [\"SELECT\"]\n  }\n}\n"
	}
	tooLong := []struct {
		name string
		src  string
		want string
	}{
		{"role", `role "` + e32 + `" {}`, `p.hcl:1:6: error: Invalid role name; Name "` + e32 + `" is 64 bytes long`},
		{"member_of", "role \"r\" {\n  member_of \"" + e32 + "\" {}\n}", `p.hcl:2:13: error: Invalid role name;`},
		{"scope", `scope { schemas = ["` + e32 + `"] }`, `p.hcl:1:20: error: Invalid schema name;`},
		{"table name", block(`grant "table"`, "names", `["`+e32+`"]`), `p.hcl:3:14: error: Invalid table name;`},
		{"except", block(`grant "table"`, "except", `["x", "`+e32+`"]`), `p.hcl:3:20: error: Invalid table name;`},
		{"column", block(`grant "table"`, "columns", `["`+e32+`"]`), `p.hcl:3:16: error: Invalid column name;`},
		{"owner", block(`grant "table"`, "owner", `"`+e32+`"`), `p.hcl:3:13: error: Invalid role name;`},
		{"grant schema", block(`grant "table"`, "schema", `"`+e32+`"`), `p.hcl:3:14: error: Invalid schema name;`},
		{"language", block(`grant "language"`, "names", `["`+e32+`"]`), `p.hcl:3:14: error: Invalid language name;`},
		{"for_role", block(`default_privileges "table"`, "for_role", `"`+e32+`"`), `p.hcl:3:16: error: Invalid role name;`},
		{"deny schema", block(`deny`, "schema", `"`+e32+`"`), `p.hcl:3:14: error: Invalid schema name;`},
		{"deny names", block(`deny`, "names", `["`+e32+`"]`), `p.hcl:3:14: error: Invalid object name;`},
		{"64 ASCII bytes", `role "` + strings.Repeat("x", 64) + `" {}`, `is 64 bytes long; PostgreSQL truncates names to 63 bytes: it would never match`},
	}
	for _, tt := range tooLong {
		t.Run("too long/"+tt.name, func(t *testing.T) {
			got := loadErr(t, tt.src)
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "the plan would never converge") {
				t.Errorf("got\n%s\nwant it to contain\n%s", got, tt.want)
			}
		})
	}
}
