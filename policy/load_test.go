package policy_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// mustLoad loads path and fails the test on any error diagnostic.
func mustLoad(t *testing.T, path string, o policy.LoadOptions) (*policy.Policy, hcl.Diagnostics) {
	t.Helper()
	p, diags := policy.LoadPath(path, o)
	if diags.HasErrors() {
		t.Fatalf("LoadPath(%s): unexpected errors:\n%s", path, policy.FormatDiagnostics(diags))
	}
	if p == nil {
		t.Fatalf("LoadPath(%s): nil policy without errors", path)
	}
	return p, diags
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func at(t *testing.T, r hcl.Range, file string, line int) {
	t.Helper()
	if r.Filename != file || r.Start.Line != line {
		t.Errorf("range = %s:%d, want %s:%d", r.Filename, r.Start.Line, file, line)
	}
}

func patternTexts(ps []policy.Pattern) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Text)
	}
	return out
}

func TestLoadPath_full(t *testing.T) {
	const file = "testdata/full/policy.hcl"
	p, diags := mustLoad(t, file, policy.LoadOptions{})
	if len(diags) != 0 {
		t.Errorf("unexpected diagnostics:\n%s", policy.FormatDiagnostics(diags))
	}

	if !slices.Equal(p.Schemas, []string{"public"}) {
		t.Errorf("Schemas = %q, want [public]", p.Schemas)
	}
	if len(p.Roles) != 2 || p.Roles[0].Name != "tuist_web" || p.Roles[1].Name != "tuist_ops_ro" {
		t.Fatalf("roles = %v, want tuist_web, tuist_ops_ro", p.Roles)
	}

	web := p.Roles[0]
	at(t, web.DeclRange, file, 16)
	if !web.External || web.IfMissing != policy.IfMissingSkip {
		t.Errorf("External, IfMissing = %v, %v; want true, skip", web.External, web.IfMissing)
	}
	a := web.Attributes
	for name, got := range map[string]*bool{"login": a.Login, "inherit": a.Inherit, "createdb": a.CreateDB,
		"createrole": a.CreateRole, "replication": a.Replication, "bypassrls": a.BypassRLS} {
		want := name == "login"
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
		if _, ok := a.Ranges[name]; !ok {
			t.Errorf("no range for %s", name)
		}
	}
	if a.ConnectionLimit == nil || *a.ConnectionLimit != 20 {
		t.Errorf("ConnectionLimit = %v, want 20", a.ConnectionLimit)
	}
	if a.ValidUntil == nil || *a.ValidUntil != "2027-01-01T00:00:00Z" {
		t.Errorf("ValidUntil = %v", a.ValidUntil)
	}
	at(t, a.Ranges["connection_limit"], file, 25)

	if len(web.MemberOf) != 1 {
		t.Fatalf("MemberOf = %v", web.MemberOf)
	}
	m := web.MemberOf[0]
	if m.Role != "tuist_ops_ro" || m.Inherit == nil || *m.Inherit || m.Set == nil || !*m.Set || m.Admin {
		t.Errorf("membership = %+v", m)
	}
	at(t, m.Range, file, 28)

	wantGrants := []struct {
		kind   acl.Kind
		schema string
		names  []string
		except []string
		privs  acl.Priv
		all    bool
		line   int
	}{
		{acl.KindDatabase, "", nil, nil, acl.Connect, false, 34},
		{acl.KindSchema, "", []string{"public"}, nil, acl.Usage, false, 37},
		{acl.KindTable, "public", []string{"*"}, []string{"tmp_*"}, acl.Select | acl.Insert | acl.Update | acl.Delete, false, 41},
		{acl.KindTable, "public", []string{"schema_migrations"}, nil, acl.Select, false, 47},
		{acl.KindSequence, "", nil, nil, 0, true, 52},
		{acl.KindFunction, "public", []string{"touch_updated_at()", "lookup(integer, text)",
			"stamp(timestamp with time zone, character varying[])"}, nil, acl.Execute, false, 55},
	}
	if len(web.Grants) != len(wantGrants) {
		t.Fatalf("got %d grants, want %d", len(web.Grants), len(wantGrants))
	}
	for i, w := range wantGrants {
		g := web.Grants[i]
		if g.Kind != w.kind || g.Schema != w.schema || g.Privileges != w.privs || g.All != w.all ||
			!slices.Equal(patternTexts(g.Names), w.names) || !slices.Equal(patternTexts(g.Except), w.except) {
			t.Errorf("grant %d = {%s %q %q %q %s all=%v}, want %+v", i, g.Kind, g.Schema,
				patternTexts(g.Names), patternTexts(g.Except), g.Privileges, g.All, w)
		}
		at(t, g.DeclRange, file, w.line)
	}
	at(t, web.Grants[2].Names[0].Range, file, 43)
	if !web.Grants[2].Names[0].IsGlob() || web.Grants[3].Names[0].IsGlob() {
		t.Errorf("IsGlob wrong for %q / %q", web.Grants[2].Names[0].Text, web.Grants[3].Names[0].Text)
	}

	if len(web.DefaultPrivileges) != 2 {
		t.Fatalf("DefaultPrivileges = %v", web.DefaultPrivileges)
	}
	dp := web.DefaultPrivileges[0]
	if dp.Kind != acl.KindTable || dp.ForRole != "tuist_app" || dp.Schema != "public" ||
		dp.Privileges != acl.Select|acl.Insert|acl.Update|acl.Delete {
		t.Errorf("default privileges 0 = %+v", dp)
	}
	at(t, dp.DeclRange, file, 60)
	if dp := web.DefaultPrivileges[1]; dp.Kind != acl.KindFunction || dp.Schema != "" || dp.Privileges != acl.Execute {
		t.Errorf("default privileges 1 = %+v", dp)
	}

	ops := p.Roles[1]
	if len(ops.MemberOf) != 1 || ops.MemberOf[0].Role != "pg_read_all_data" || ops.MemberOf[0].Inherit != nil {
		t.Errorf("tuist_ops_ro memberships = %+v", ops.MemberOf)
	}

	if p.Public == nil {
		t.Fatal("Public is nil")
	}
	want := map[acl.Kind]acl.Priv{
		acl.KindDatabase: acl.Connect | acl.Temporary,
		acl.KindSchema:   acl.Usage,
		acl.KindTable:    0,
	}
	if len(p.Public.MayHold) != len(want) {
		t.Errorf("Public.MayHold = %v, want %v", p.Public.MayHold, want)
	}
	for k, v := range want {
		if got, ok := p.Public.MayHold[k]; !ok || got != v {
			t.Errorf("Public.MayHold[%s] = %s (set %v), want %s", k, got, ok, v)
		}
	}
	at(t, p.Public.Ranges[acl.KindSchema], file, 77)
	at(t, p.Public.DeclRange, file, 75)
}

func TestLoad_multiFile(t *testing.T) {
	const dir = "testdata/multi"
	check := func(t *testing.T, p *policy.Policy) {
		t.Helper()
		var names []string
		for _, r := range p.Roles {
			names = append(names, r.Name)
		}
		// Files in name order; README.md, .hidden.hcl and the nested.hcl
		// directory are not read.
		if !slices.Equal(names, []string{"web", "ops"}) {
			t.Fatalf("roles = %q, want [web ops]", names)
		}
		at(t, p.Roles[0].DeclRange, dir+"/10-web.hcl", 1)
		at(t, p.Roles[1].DeclRange, dir+"/20-ops.hcl", 1)
		// Variables and locals declared in one file are used in the others.
		if g := p.Roles[0].Grants[0]; g.Schema != "app" {
			t.Errorf("web grant schema = %q, want app", g.Schema)
		}
		if dp := p.Roles[1].DefaultPrivileges[0]; dp.ForRole != "app_owner" || dp.Schema != "app" {
			t.Errorf("ops default privileges = %+v", dp)
		}
	}
	t.Run("LoadPath", func(t *testing.T) {
		p, _ := mustLoad(t, dir, policy.LoadOptions{})
		check(t, p)
	})
	t.Run("Load", func(t *testing.T) {
		p, diags := policy.Load(os.DirFS(dir), dir, policy.LoadOptions{})
		if diags.HasErrors() {
			t.Fatal(policy.FormatDiagnostics(diags))
		}
		check(t, p)
	})
	t.Run("Load without name", func(t *testing.T) {
		p, diags := policy.Load(os.DirFS(dir), "", policy.LoadOptions{})
		if diags.HasErrors() {
			t.Fatal(policy.FormatDiagnostics(diags))
		}
		at(t, p.Roles[0].DeclRange, "10-web.hcl", 1)
	})
}

func TestLoad_variablePrecedence(t *testing.T) {
	const file = "testdata/vars/policy.hcl"
	tests := []struct {
		name        string
		vars        map[string]string
		env         map[string]string
		wantSchema  string
		wantLimit   int
		wantSchemas []string
		wantOwner   string
	}{
		{
			name:        "defaults",
			vars:        map[string]string{"owner": "o"},
			wantSchema:  "public",
			wantLimit:   10,
			wantSchemas: []string{"public"},
			wantOwner:   "o",
		},
		{
			name:        "environment over default",
			env:         map[string]string{"PGWARD_VAR_schema": "env_schema", "PGWARD_VAR_owner": "env_owner", "PGWARD_VAR_limit": "30", "PGWARD_VAR_schemas": `["env_schema"]`},
			wantSchema:  "env_schema",
			wantLimit:   30,
			wantSchemas: []string{"env_schema"},
			wantOwner:   "env_owner",
		},
		{
			name:        "--var over environment",
			vars:        map[string]string{"schema": "cli_schema", "schemas": `["cli_schema", "public"]`},
			env:         map[string]string{"PGWARD_VAR_schema": "env_schema", "PGWARD_VAR_owner": "env_owner"},
			wantSchema:  "cli_schema",
			wantLimit:   10,
			wantSchemas: []string{"cli_schema", "public"},
			wantOwner:   "env_owner",
		},
		{
			name:        "empty environment value is unset",
			vars:        map[string]string{"owner": "o"},
			env:         map[string]string{"PGWARD_VAR_schema": ""},
			wantSchema:  "public",
			wantLimit:   10,
			wantSchemas: []string{"public"},
			wantOwner:   "o",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := policy.LoadOptions{Vars: tt.vars}
			if tt.env != nil {
				o.Getenv = env(tt.env)
			}
			p, _ := mustLoad(t, file, o)
			r := p.Roles[0]
			if got := r.Grants[0].Schema; got != tt.wantSchema {
				t.Errorf("grant schema = %q, want %q", got, tt.wantSchema)
			}
			if got := r.DefaultPrivileges[0].Schema; got != tt.wantSchema {
				t.Errorf("template ${var.schema} = %q, want %q", got, tt.wantSchema)
			}
			if got := r.Attributes.ConnectionLimit; got == nil || *got != tt.wantLimit {
				t.Errorf("connection_limit = %v, want %d", got, tt.wantLimit)
			}
			if !slices.Equal(p.Schemas, tt.wantSchemas) {
				t.Errorf("scope = %q, want %q", p.Schemas, tt.wantSchemas)
			}
			if got := r.DefaultPrivileges[0].ForRole; got != tt.wantOwner {
				t.Errorf("for_role = %q, want %q", got, tt.wantOwner)
			}
		})
	}
}

func TestLoad_locals(t *testing.T) {
	p, diags := mustLoad(t, "testdata/locals", policy.LoadOptions{Vars: map[string]string{"prefix": "ACME"}})
	// local.roles[1] is local.writer: format("%s_rw", lower(var.prefix)),
	// defined in another file, after the local that uses it.
	app := p.Roles[1]
	if got := app.DefaultPrivileges[0].ForRole; got != "acme_rw" {
		t.Errorf("for_role = %q, want acme_rw", got)
	}
	// member_of "tuist_ro" is not declared and close to no declared role:
	// no warning.
	if len(diags) != 0 {
		t.Errorf("unexpected diagnostics:\n%s", policy.FormatDiagnostics(diags))
	}
}

func TestLoad_undeclaredRoleWarning(t *testing.T) {
	fsys := fstest.MapFS{"p.hcl": {Data: []byte(`
role "tuist_ops_ro" {}
role "tuist_web" {
  member_of "tuist_ops_r0" {}
  member_of "pg_read_all_data" {}
  member_of "cnpg_pooler" {}
}
`)}}
	p, diags := policy.Load(fsys, "", policy.LoadOptions{})
	if p == nil || diags.HasErrors() {
		t.Fatalf("want a policy with warnings, got:\n%s", policy.FormatDiagnostics(diags))
	}
	got := policy.FormatDiagnostics(diags)
	want := `p.hcl:4:3: warning: Undeclared role; No role block declares "tuist_ops_r0" (member_of of tuist_web). Did you mean "tuist_ops_ro"?`
	if len(diags) != 1 || !strings.HasPrefix(got, want) {
		t.Errorf("diagnostics =\n%s\nwant one starting with\n%s", got, want)
	}
}

func TestLoad_publicAll(t *testing.T) {
	fsys := fstest.MapFS{"p.hcl": {Data: []byte(`public { function = ["ALL"] }`)}}
	p, diags := policy.Load(fsys, "", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	if got := p.Public.MayHold[acl.KindFunction]; got != acl.Execute {
		t.Errorf("MayHold[function] = %s, want EXECUTE", got)
	}
}

func TestLoad_noFiles(t *testing.T) {
	_, diags := policy.Load(fstest.MapFS{"README.md": {}}, "empty", policy.LoadOptions{})
	got := policy.FormatDiagnostics(diags)
	if !strings.HasPrefix(got, "error: No policy files; Directory empty holds no *.hcl file") {
		t.Errorf("got %q", got)
	}
	_, diags = policy.LoadPath("testdata/does-not-exist.hcl", policy.LoadOptions{})
	if got := policy.FormatDiagnostics(diags); !strings.HasPrefix(got, "error: Cannot read policy;") {
		t.Errorf("got %q", got)
	}
}
