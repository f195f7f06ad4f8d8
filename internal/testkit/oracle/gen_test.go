package oracle

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// These tests need no database.

func TestGenerate_sameSeedSameCase(t *testing.T) {
	for seed := range uint64(50) {
		a, b := Generate(seed, 170000), Generate(seed, 170000)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two cases differ", seed)
		}
		ma, mb := a.Materialize("db", nil), b.Materialize("db", nil)
		if ma.SQL() != mb.SQL() || ma.HCL != mb.HCL {
			t.Fatalf("seed %d: two materializations differ", seed)
		}
	}
}

// TestFormatHCL_loadsBack prints the policies of many seeds and loads them
// with policy.Load: the same policy, and no error.
func TestFormatHCL_loadsBack(t *testing.T) {
	for _, version := range []int{130000, 150000, 160000, 170000} {
		for seed := range uint64(300) {
			m := Generate(seed, version).Materialize("db", func(b string) string { return b + "_x" })
			loaded, diags := policy.Load(fstest.MapFS{HCLFile: {Data: []byte(m.HCL)}}, ".", policy.LoadOptions{})
			if diags.HasErrors() {
				t.Fatalf("seed %d on %d: %s\n%s", seed, version, policy.FormatDiagnostics(diags), m.HCL)
			}
			if got := FormatHCL(loaded); got != FormatHCL(m.Policy) {
				t.Fatalf("seed %d on %d: loads back as\n%s\nnot\n%s", seed, version, got, m.HCL)
			}
		}
	}
}

func TestFormatHCL_rangesPointAtBlocks(t *testing.T) {
	m := Generate(7, 160000).Materialize("db", nil)
	lines := strings.Split(m.HCL, "\n")
	for _, r := range m.Policy.Roles {
		if l := lines[r.DeclRange.Start.Line-1]; !strings.HasPrefix(l, "role ") {
			t.Errorf("role %s: line %d is %q", r.Name, r.DeclRange.Start.Line, l)
		}
		for _, g := range r.Grants {
			if l := lines[g.DeclRange.Start.Line-1]; !strings.HasPrefix(strings.TrimSpace(l), "grant ") {
				t.Errorf("grant of %s: line %d is %q", r.Name, g.DeclRange.Start.Line, l)
			}
		}
	}
}

func TestHCLString_escapes(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:    `"plain"`,
		`q"uote`:   `"q\"uote"`,
		`back\sl`:  `"back\\sl"`,
		`${x}`:     `"$${x}"`,
		`%{if}`:    `"%%{if}"`,
		`$ and %`:  `"$ and %"`,
		"rôle ünï": `"rôle ünï"`,
	} {
		if got := hclString(in); got != want {
			t.Errorf("hclString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDesired_precedence(t *testing.T) {
	pat := func(ps ...string) []policy.Pattern {
		var out []policy.Pattern
		for _, p := range ps {
			out = append(out, policy.Pattern{Text: p})
		}
		return out
	}
	dml := acl.Select | acl.Insert | acl.Update | acl.Delete
	p := &policy.Policy{Roles: []*policy.Role{{Name: "web", Grants: []*policy.Grant{
		{Kind: acl.KindTable, Privileges: dml},
		{Kind: acl.KindTable, Names: pat("schema_migrations"), Privileges: acl.Select},
		{Kind: acl.KindTable, Names: pat("oban_*"), Except: pat("oban_peers"), Privileges: acl.Select, WithGrantOption: true},
		{Kind: acl.KindTable, Names: pat("oban_*"), Privileges: acl.Trigger},
		{Kind: acl.KindTable, Names: pat("accounts"), Columns: []string{"email"}, Privileges: acl.Update},
		{Kind: acl.KindFunction, Names: pat("f(integer)"), Privileges: acl.Execute},
		{Kind: acl.KindFunction, Schema: "other", All: true},
	}}}}
	for _, tt := range []struct {
		obj  Obj
		want Want
	}{
		{Obj{Kind: acl.KindTable, Schema: "app", Name: "accounts"}, Want{Privs: dml}},
		{Obj{Kind: acl.KindTable, Schema: "app", Name: "schema_migrations"}, Want{Privs: acl.Select}},
		{Obj{Kind: acl.KindTable, Schema: "app", Name: "oban_jobs"}, Want{Privs: acl.Select | acl.Trigger, GrantOption: acl.Select}},
		{Obj{Kind: acl.KindTable, Schema: "app", Name: "oban_peers"}, Want{Privs: acl.Trigger}},
		{Obj{Kind: acl.KindColumn, Schema: "app", Name: "accounts", Column: "email"}, Want{Privs: acl.Update}},
		{Obj{Kind: acl.KindColumn, Schema: "app", Name: "accounts", Column: "name"}, Want{}},
		{Obj{Kind: acl.KindFunction, Schema: "app", Name: "f", ArgTypes: "integer"}, Want{Privs: acl.Execute}},
		{Obj{Kind: acl.KindFunction, Schema: "app", Name: "f", ArgTypes: "text"}, Want{}},
		{Obj{Kind: acl.KindFunction, Schema: "other", Name: "g", ArgTypes: ""}, Want{Privs: acl.Execute}},
	} {
		if got := Desired(p, 160000, "web", &tt.obj); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.obj.String(), got, tt.want)
		}
	}
}

func TestShrink_findsTheOnePartThatMatters(t *testing.T) {
	c := Generate(3, 160000)
	// A failure that needs one grant, whatever else is there.
	target := -1
	for i, g := range c.Grants {
		if g.Grantee > 0 && !g.Revoke {
			target = i
		}
	}
	if target < 0 {
		t.Skip("no grant to a role in this case")
	}
	fails := func(d *Case) bool { return d.grantOn(&d.Grants[target]) }
	small, _ := Shrink(c, fails, func(n int) bool { return n < 10000 })
	if !fails(small) {
		t.Fatal("the shrunk case does not fail")
	}
	var live int
	for i := range small.Grants {
		if small.grantOn(&small.Grants[i]) {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d grants left, want 1", live)
	}
	for i := range small.Policy.Roles {
		if !small.Policy.Roles[i].Off {
			t.Errorf("policy role %d left on", i)
		}
	}
}
