package explain_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/explain"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// explainPolicy gives bob every table, a pattern and an exact name, with a
// deny on writes; lines matter, the tests name them.
const explainPolicy = `role "bob" {
  grant "table" {
    privileges = ["SELECT", "INSERT", "UPDATE"]
  }
  grant "table" {
    names      = ["t*"]
    privileges = ["SELECT", "INSERT"]
  }
  grant "table" {
    names      = ["t"]
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["accounts"]
    columns    = ["email"]
    privileges = ["SELECT"]
  }
  deny {
    kinds      = ["table"]
    names      = ["u"]
    privileges = ["DELETE"]
  }
}

public {
  table = ["SELECT"]
}
`

// ruleLines renders matches as "policy.hcl:10 exact name SELECT".
func ruleLines(ms []explain.RuleMatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s:%d %s %s", m.Rule.DeclRange.Filename, m.Rule.DeclRange.Start.Line, m.Rank, m.Privileges))
	}
	return out
}

func routes(ps []access.Path) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func explainCatalog() *catalog.Catalog {
	return fixture{
		Objects: []*catalog.Object{
			table("t", item("bob", "alice", acl.Select|acl.Insert|acl.Delete, 0)),
			table("u", item("", "alice", acl.Delete, 0)),
			table("accounts"),
			obj(acl.KindFunction, "app", "f", "alice"),
			obj(acl.KindFunction, "app", "f", "alice"),
		},
		Members: []catalog.Membership{{Role: "pg_read_all_data", Member: "bob", Grantor: "postgres", Inherit: true, Set: true}},
	}.Catalog()
}

func TestObject_precedence(t *testing.T) {
	pol := loadPolicy(t, explainPolicy)
	c := explainCatalog()
	x := explain.Object(pol, c, "bob", acl.Object{Kind: acl.KindTable, Schema: "app", Name: "t"})
	if !x.InCatalog || !x.RoleExists || x.Declared == nil || x.IsOwner {
		t.Fatalf("InCatalog %v, RoleExists %v, Declared %v, IsOwner %v", x.InCatalog, x.RoleExists, x.Declared != nil, x.IsOwner)
	}
	if got, want := strings.Join(ruleLines(x.Deciding), "\n"), "policy.hcl:9 exact name SELECT"; got != want {
		t.Errorf("deciding:\n%s\nwant:\n%s", got, want)
	}
	if got, want := strings.Join(ruleLines(x.Overridden), "\n"), "policy.hcl:5 pattern SELECT, INSERT\npolicy.hcl:2 no names SELECT, INSERT, UPDATE"; got != want {
		t.Errorf("overridden:\n%s\nwant:\n%s", got, want)
	}
	if x.Want != (acl.Privileges{Privs: acl.Select}) {
		t.Errorf("want %v", x.Want)
	}
	if len(x.Held) != 1 || x.Held[0].Grantor != "alice" || x.Held[0].Privs.Privs != acl.Select|acl.Insert|acl.Delete {
		t.Errorf("held %v", x.Held)
	}
	if got, want := routes(x.Paths), []string{
		"bob → SELECT, INSERT, DELETE on app.t",
		"bob → member of pg_read_all_data → SELECT on app.t",
	}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if x.Access != acl.Select|acl.Insert|acl.Delete {
		t.Errorf("access %s", x.Access)
	}
	if len(x.Denies) != 0 {
		t.Errorf("the deny names u only, got %d deny matches", len(x.Denies))
	}
	var changes []string
	for _, c := range x.Changes {
		changes = append(changes, c.Action.String()+" "+c.Privs.Privs.String())
	}
	if got := strings.Join(changes, "; "); got != "revoke INSERT, DELETE" {
		t.Errorf("changes %q", got)
	}

	// u: the pattern t* does not match it, so the rule without names
	// decides; the deny names it, and PUBLIC's DELETE breaks it.
	x = explain.Object(pol, c, "bob", acl.Object{Kind: acl.KindTable, Schema: "app", Name: "u"})
	if got, want := strings.Join(ruleLines(x.Deciding), "\n"), "policy.hcl:2 no names SELECT, INSERT, UPDATE"; got != want {
		t.Errorf("u deciding:\n%s\nwant:\n%s", got, want)
	}
	if len(x.Overridden) != 0 {
		t.Errorf("u overridden: %v", ruleLines(x.Overridden))
	}
	if len(x.Denies) != 1 || x.Denies[0].Denied != acl.Delete || x.Denies[0].Deny.DeclRange.Start.Line != 18 {
		t.Fatalf("u denies: %+v", x.Denies)
	}
	if got := routes(x.Denies[0].Broken); strings.Join(got, "\n") != "PUBLIC → DELETE on app.u" {
		t.Errorf("u broken by %q", got)
	}
}

func TestObject_ownerUndeclaredPublicColumn(t *testing.T) {
	pol := loadPolicy(t, explainPolicy)
	c := explainCatalog()
	tbl := acl.Object{Kind: acl.KindTable, Schema: "app", Name: "t"}

	x := explain.Object(pol, c, "alice", tbl)
	if x.Declared != nil || x.IsOwner != true || len(x.Deciding) != 0 {
		t.Errorf("alice: declared %v, owner %v, deciding %v", x.Declared != nil, x.IsOwner, ruleLines(x.Deciding))
	}

	x = explain.Object(pol, c, "nobody", tbl)
	if x.RoleExists || x.Declared != nil || len(x.Paths) != 0 {
		t.Errorf("nobody: exists %v, declared %v, paths %v", x.RoleExists, x.Declared != nil, routes(x.Paths))
	}

	x = explain.Object(pol, c, "", acl.Object{Kind: acl.KindTable, Schema: "app", Name: "u"})
	if !x.PublicManaged || x.PublicMayHold != acl.Select || x.PublicRange.Start.Line != 26 {
		t.Errorf("PUBLIC: managed %v, may hold %s, at %d", x.PublicManaged, x.PublicMayHold, x.PublicRange.Start.Line)
	}
	if len(x.Changes) != 1 || x.Changes[0].Action != plan.Revoke || x.Changes[0].Privs.Privs != acl.Delete {
		t.Errorf("PUBLIC changes: %v", x.Changes)
	}

	// A column without column privileges is not in the catalog: found
	// through its table, owned by the table's owner.
	cols := explain.LookupObjects(c, "app.accounts.email", acl.KindColumn)
	if len(cols) != 1 {
		t.Fatalf("column lookup: %v", cols)
	}
	x = explain.Object(pol, c, "bob", cols[0].Object)
	if x.InCatalog || x.Object.Owner != "alice" {
		t.Errorf("column: in catalog %v, owner %q", x.InCatalog, x.Object.Owner)
	}
	if got := strings.Join(ruleLines(x.Deciding), "\n"); got != "policy.hcl:13 exact name SELECT" {
		t.Errorf("column deciding: %s", got)
	}
	if len(x.Changes) != 1 || x.Changes[0].Action != plan.Grant {
		t.Errorf("column changes: %v", x.Changes)
	}
}

func TestLookupObjects(t *testing.T) {
	c := explainCatalog()
	c.Objects[len(c.Objects)-2].Args, c.Objects[len(c.Objects)-2].ArgTypes = "n integer", "integer"
	c.Objects[len(c.Objects)-1].Args, c.Objects[len(c.Objects)-1].ArgTypes = "", ""
	tests := []struct {
		name string
		kind acl.Kind
		want []string
	}{
		{"app.t", acl.KindInvalid, []string{"table app.t"}},
		{"app", acl.KindInvalid, []string{"schema app"}},
		{"appdb", acl.KindInvalid, []string{"database appdb"}},
		{"app.f", acl.KindInvalid, []string{"function app.f(n integer)", "function app.f()"}},
		{"app.f(int4)", acl.KindInvalid, []string{"function app.f(n integer)"}},
		{"app.f( )", acl.KindInvalid, []string{"function app.f()"}},
		{"app.f(n integer)", acl.KindInvalid, []string{"function app.f(n integer)"}},
		{"app.t", acl.KindSequence, nil},
		{"t", acl.KindInvalid, nil},
		{"app.nope.c", acl.KindColumn, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, o := range explain.LookupObjects(c, tt.name, tt.kind) {
			got = append(got, o.Kind.String()+" "+o.String())
		}
		if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
			t.Errorf("LookupObjects(%q, %s) = %q, want %q", tt.name, tt.kind, got, tt.want)
		}
	}
}

func TestWriteText(t *testing.T) {
	pol := loadPolicy(t, explainPolicy)
	c := explainCatalog()
	var b bytes.Buffer
	x := explain.Object(pol, c, "bob", acl.Object{Kind: acl.KindTable, Schema: "app", Name: "t"})
	if err := explain.WriteText(&b, x, explain.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"bob on table app.t, owned by alice",
		"bob should hold: SELECT",
		`Decided by the rules at rank "exact name"`,
		`policy.hcl:9  grant "table" names ["t"]: SELECT`,
		`Overridden, matched at rank "pattern":`,
		`policy.hcl:5  grant "table" names ["t*"]: SELECT, INSERT`,
		`Overridden, matched at rank "no names":`,
		`policy.hcl:2  grant "table": SELECT, INSERT, UPDATE`,
		"SELECT, INSERT, DELETE, granted by alice",
		"Effective access: SELECT, INSERT, DELETE",
		"bob → member of pg_read_all_data → SELECT on app.t",
		"- revoke INSERT, DELETE from bob",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "\x1b[") {
		t.Error("colour without Color")
	}

	b.Reset()
	x = explain.Object(pol, c, "bob", acl.Object{Kind: acl.KindTable, Schema: "app", Name: "u"})
	if err := explain.WriteText(&b, x, explain.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Deny blocks", "policy.hcl:18  deny DELETE: broken", "✗ PUBLIC → DELETE on app.u"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

// TestWriteText_setRole: bob is a member of carol WITH INHERIT FALSE, SET
// TRUE (16+): has_table_privilege says bob cannot DELETE on app.u, but a
// session of bob can SET ROLE carol and delete. explain says so, and the
// deny on DELETE is broken by that path.
func TestWriteText_setRole(t *testing.T) {
	pol := loadPolicy(t, explainPolicy)
	c := fixture{
		Objects: []*catalog.Object{table("u", item("carol", "alice", acl.Delete, 0))},
		Members: []catalog.Membership{{Role: "carol", Member: "bob", Grantor: "postgres", Inherit: false, Set: true}},
	}.Catalog()
	x := explain.Object(pol, c, "bob", acl.Object{Kind: acl.KindTable, Schema: "app", Name: "u"})
	if x.Direct != 0 || x.Access != acl.Delete {
		t.Errorf("direct %s, access %s; want nothing directly, DELETE in a session", x.Direct, x.Access)
	}
	var b bytes.Buffer
	if err := explain.WriteText(&b, x, explain.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Effective access: DELETE (DELETE only after SET ROLE)",
		"bob → SET ROLE carol → DELETE on app.u",
		"policy.hcl:18  deny DELETE: broken",
		"✗ bob → SET ROLE carol → DELETE on app.u",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
