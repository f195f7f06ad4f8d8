package importer_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
	"github.com/pgward/pgward/render"
)

// cat is a small catalog: owner alice, grantees bob and carol, superuser
// postgres, schema app.
type cat struct {
	version int
	objects []*catalog.Object
	members []catalog.Membership
	defs    []*catalog.DefaultACL
}

func role(name string, oid uint32) *catalog.Role {
	return &catalog.Role{Name: name, OID: oid, Inherit: true, Login: true, ConnectionLimit: -1}
}

func (f cat) catalog() *catalog.Catalog {
	if f.version == 0 {
		f.version = 160004
	}
	su := role("postgres", 10)
	su.Superuser = true
	roles := map[string]*catalog.Role{
		"postgres": su, "alice": role("alice", 16384), "bob": role("bob", 16385), "carol": role("carol", 16386),
		"pg_read_all_data": role("pg_read_all_data", 6181),
	}
	objs := append([]*catalog.Object{
		obj(acl.KindDatabase, "", "appdb", "alice", item("", "alice", acl.Connect|acl.Temporary, 0), item("alice", "alice", acl.Valid(acl.KindDatabase, 0), 0)),
		obj(acl.KindSchema, "", "app", "alice", item("alice", "alice", acl.Usage|acl.Create, 0)),
	}, f.objects...)
	return &catalog.Catalog{
		ServerVersion: f.version, Database: "appdb", CurrentUser: "alice", Roles: roles,
		Memberships: f.members, Objects: objs, DefaultPrivileges: f.defs, Schemas: []string{"app"},
	}
}

func obj(k acl.Kind, schema, name, owner string, items ...acl.Item) *catalog.Object {
	o := &catalog.Object{Object: acl.Object{Kind: k, Schema: schema, Name: name}, Owner: owner, ACL: items}
	if k == acl.KindTable {
		o.Subkind = 'r'
	}
	return o
}

func item(grantee, grantor string, p, opt acl.Priv) acl.Item {
	return acl.Item{Grantee: acl.Grantee(grantee), Grantor: grantor, Privs: acl.Privileges{Privs: p, GrantOption: opt}}
}

// table is a table in app owned by alice, with extra items.
func table(name string, items ...acl.Item) *catalog.Object {
	all := append([]acl.Item{item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0)}, items...)
	return obj(acl.KindTable, "app", name, "alice", all...)
}

const dml = acl.Select | acl.Insert | acl.Update | acl.Delete

// build imports the catalog, writes the HCL, loads it back and checks that
// plan against the same catalog changes only what third-grantor notes
// announce, and that the YAML import loads as the same policy. It returns
// the import and the HCL.
func build(t *testing.T, c *catalog.Catalog, o importer.Options) (*importer.Import, string) {
	t.Helper()
	o.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	im, err := importer.Build(c, o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := importer.WriteHCL(&buf, im); err != nil {
		t.Fatal(err)
	}
	src := buf.String()
	p, diags := policy.Load(fstest.MapFS{"p.hcl": {Data: buf.Bytes()}}, ".", policy.LoadOptions{})
	if len(diags) > 0 {
		t.Fatalf("%s\n%s", policy.FormatDiagnostics(diags), src)
	}
	pl, _ := plan.Build(p, c, plan.Options{})
	explained := map[string]bool{}
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonThirdGrantor {
			explained[n.Role+"\x00"+n.Object.Key()] = true
		}
	}
	for _, ch := range pl.Changes {
		if ch.Target == plan.TargetObject && ch.Action == plan.Grant && explained[string(ch.Grantee)+"\x00"+ch.Object.Key()] {
			continue
		}
		var out strings.Builder
		_ = render.WriteText(&out, pl, render.TextOptions{})
		t.Fatalf("plan is not empty:\n%s\npolicy:\n%s", out.String(), src)
	}
	yamlTwin(t, im, buf.Bytes(), p)
	return im, src
}

// roleBlock returns the text of one role block of the HCL.
func roleBlock(t *testing.T, src, role string) string {
	t.Helper()
	start := strings.Index(src, "role \""+role+"\" {")
	if start < 0 {
		t.Fatalf("no role %s in:\n%s", role, src)
	}
	end := strings.Index(src[start:], "\n}\n")
	return src[start : start+end+2]
}

func contains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

func lacks(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Errorf("unexpected %q in:\n%s", w, text)
		}
	}
}

func countBlocks(text, header string) int { return strings.Count(text, header) }

func TestBuild_everyObjectCollapsesToOneRule(t *testing.T) {
	c := cat{objects: []*catalog.Object{
		table("a", item("bob", "alice", dml, 0)),
		table("b", item("bob", "alice", dml, 0)),
		table("c", item("bob", "alice", dml, 0)),
	}}.catalog()
	_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
	bob := roleBlock(t, src, "bob")
	contains(t, bob, `grant "table" {
    schema     = "app"
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]
  }`)
	lacks(t, bob, "names", "except")
}

func TestBuild_allButAFew(t *testing.T) {
	c := cat{objects: []*catalog.Object{
		table("accounts", item("bob", "alice", dml, 0)),
		table("projects", item("bob", "alice", dml, 0)),
		table("schema_migrations", item("bob", "alice", acl.Select, 0)),
		table("secrets"),
		table("users", item("bob", "alice", dml, 0)),
	}}.catalog()
	_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
	bob := roleBlock(t, src, "bob")
	contains(t, bob, `except     = ["secrets"]`, `names      = ["schema_migrations"]`,
		"# These hold other privileges: a name or a pattern beats the rule without")
	if n := countBlocks(bob, `grant "table"`); n != 2 {
		t.Errorf("%d table rules, want 2:\n%s", n, bob)
	}
}

func TestBuild_globsNeverWiden(t *testing.T) {
	t.Run("a prefix that only the set shares becomes a glob", func(t *testing.T) {
		c := cat{objects: []*catalog.Object{
			table("oban_jobs", item("bob", "alice", dml, 0)),
			table("oban_peers", item("bob", "alice", dml, 0)),
			table("accounts", item("bob", "alice", acl.Select, 0)),
			table("users"),
			table("projects"),
		}}.catalog()
		_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
		contains(t, roleBlock(t, src, "bob"), `names      = ["oban_*"]`, `names      = ["accounts"]`)
	})
	t.Run("a glob that would select an object holding less is not written", func(t *testing.T) {
		c := cat{objects: []*catalog.Object{
			table("report_daily", item("bob", "alice", acl.Select, 0)),
			table("report_weekly", item("bob", "alice", acl.Select, 0)),
			table("report_secret"),
			table("other"),
			table("more"),
		}}.catalog()
		_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
		bob := roleBlock(t, src, "bob")
		contains(t, bob, `names      = ["report_daily", "report_weekly"]`)
		lacks(t, bob, "report_*")
	})
	t.Run("objects the role owns may be selected by anything", func(t *testing.T) {
		mine := obj(acl.KindTable, "app", "log_mine", "bob", item("bob", "bob", acl.Valid(acl.KindTable, 160000), 0))
		c := cat{objects: []*catalog.Object{
			table("log_a", item("bob", "alice", acl.Select, 0)),
			table("log_b", item("bob", "alice", acl.Select, 0)),
			mine,
			table("x"), table("y"), table("z"),
		}}.catalog()
		_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
		contains(t, roleBlock(t, src, "bob"), `names      = ["log_*"]`)
	})
}

func TestBuild_overloadsWithDifferentPrivilegesTakeSignatures(t *testing.T) {
	fn := func(args string, items ...acl.Item) *catalog.Object {
		o := obj(acl.KindFunction, "app", "lookup", "alice", append([]acl.Item{item("alice", "alice", acl.Execute, 0)}, items...)...)
		o.Args, o.ArgTypes, o.Subkind = args, args, 'f'
		return o
	}
	c := cat{objects: []*catalog.Object{
		fn("integer", item("bob", "alice", acl.Execute, 0)),
		fn("text"),
		func() *catalog.Object { o := fn("", item("bob", "alice", acl.Execute, 0)); o.Name = "touch"; return o }(),
		func() *catalog.Object { o := fn("", item("bob", "alice", acl.Execute, 0)); o.Name = "zap"; return o }(),
	}}.catalog()
	_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
	contains(t, roleBlock(t, src, "bob"), `except     = ["lookup(text)"]`)
}

func TestBuild_partlyGrantableBecomesTwoBlocks(t *testing.T) {
	c := cat{objects: []*catalog.Object{
		table("a", item("bob", "alice", acl.Select|acl.Insert, acl.Select)),
	}}.catalog()
	_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
	bob := roleBlock(t, src, "bob")
	contains(t, bob, `privileges = ["INSERT"]`, `privileges        = ["SELECT"]
    with_grant_option = true`)
}

func TestBuild_thirdGrantorIsNoted(t *testing.T) {
	c := cat{objects: []*catalog.Object{
		table("a", item("bob", "alice", acl.Select, acl.Select), item("carol", "bob", acl.Select, 0)),
	}}.catalog()
	im, src := build(t, c, importer.Options{Roles: []string{"bob", "carol"}})
	var found bool
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonThirdGrantor && n.Role == "carol" && n.Object != nil && n.Object.Name == "a" {
			found = true
		}
	}
	if !found {
		t.Errorf("no third-grantor note: %+v", im.Notes)
	}
	contains(t, src, "# - carol holds SELECT on table app.a granted by bob, not by the owner alice.",
		"plan shows no changes but\n# those the notes below announce")
	contains(t, roleBlock(t, src, "carol"), `privileges = ["SELECT"]`)
}

func TestBuild_wildcardInANameIsNotedNotDropped(t *testing.T) {
	// "a*" selects ab too, and the default privileges rule out except.
	c := cat{
		objects: []*catalog.Object{
			table("a*", item("bob", "alice", acl.Select, 0)),
			table("ab"),
		},
		defs: []*catalog.DefaultACL{{ForRole: "alice", Kind: acl.KindTable, ACL: []acl.Item{
			item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0), item("bob", "alice", acl.Select, 0)}}},
	}.catalog()
	im, err := importer.Build(c, importer.Options{Roles: []string{"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	var residual []string
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonResidual {
			residual = append(residual, n.Text)
		}
	}
	if len(residual) == 0 {
		t.Fatalf("no residual note for a name that holds *: %+v", im.Notes)
	}
	contains(t, strings.Join(residual, "\n"), "ab", "holds * or ?")
}

func TestBuild_exceptIsAvoidedNextToDefaultPrivileges(t *testing.T) {
	c := cat{
		objects: []*catalog.Object{
			table("a", item("bob", "alice", acl.Select, 0)),
			table("b", item("bob", "alice", acl.Select, 0)),
			table("c", item("bob", "alice", acl.Select, 0)),
			table("d", item("bob", "alice", acl.Select, 0)),
			table("e"),
		},
		defs: []*catalog.DefaultACL{{ForRole: "alice", Schema: "app", Kind: acl.KindTable,
			ACL: []acl.Item{item("bob", "alice", acl.Select, 0)}}},
	}.catalog()
	_, src := build(t, c, importer.Options{Roles: []string{"bob"}})
	bob := roleBlock(t, src, "bob")
	lacks(t, bob, "except")
	contains(t, bob, `names      = ["a", "b", "c", "d"]`, `default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT"]
  }`)
	if strings.Index(bob, "default_privileges") < strings.Index(bob, `grant "table"`) {
		t.Errorf("default privileges come before the grants they extend:\n%s", bob)
	}
}

// TestBuild_publicExactly: PUBLIC is imported as a grantee like a role
// (issue 13): a kind where PUBLIC holds PostgreSQL's defaults on every
// object keeps the short form; a kind where it holds more (SELECT on a
// table) or lost a default on some objects only (EXECUTE on g) gets grant
// rules that reproduce each object; PUBLIC's default privileges that
// differ from PostgreSQL's become default_privileges blocks, with no note.
func TestBuild_publicExactly(t *testing.T) {
	fn := func(name string, public bool) *catalog.Object {
		items := []acl.Item{item("alice", "alice", acl.Execute, 0)}
		if public {
			items = append(items, item("", "alice", acl.Execute, 0))
		}
		o := obj(acl.KindFunction, "app", name, "alice", items...)
		o.Subkind = 'f'
		return o
	}
	c := cat{
		objects: []*catalog.Object{
			fn("f", true), fn("g", false),
			table("t", item("", "alice", acl.Select, 0)),
		},
		defs: []*catalog.DefaultACL{
			{ForRole: "alice", Kind: acl.KindFunction, ACL: []acl.Item{item("alice", "alice", acl.Execute, 0)}},
			{ForRole: "alice", Schema: "app", Kind: acl.KindTable, ACL: []acl.Item{item("", "alice", acl.Select, 0)}},
		},
	}.catalog()
	im, src := build(t, c, importer.Options{})
	contains(t, src, `public {
  database = ["CONNECT", "TEMPORARY"]
  schema   = []

  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }

  grant "function" {
    schema     = "app"
    names      = ["f"]
    privileges = ["EXECUTE"]
  }

  default_privileges "function" {
    for_role   = "alice"
    privileges = []
  }

  default_privileges "table" {
    for_role   = "alice"
    schema     = "app"
    privileges = ["SELECT"]
  }
}`)
	for _, n := range im.Notes {
		switch n.Reason {
		case importer.ReasonPublicGrant, importer.ReasonPublicUneven, importer.ReasonDefaultACL, importer.ReasonResidual:
			t.Errorf("note %s: %s", n.Reason, n.Text)
		}
	}
}

func TestBuild_memberships(t *testing.T) {
	yes, no := true, false
	c := cat{members: []catalog.Membership{
		{Role: "carol", Member: "bob", Grantor: "alice", Admin: true, Inherit: no, Set: yes},
		{Role: "carol", Member: "bob", Grantor: "postgres", Admin: false, Inherit: yes, Set: yes},
		{Role: "pg_read_all_data", Member: "bob", Grantor: "postgres", Inherit: yes, Set: yes},
	}}.catalog()
	im, src := build(t, c, importer.Options{Roles: []string{"bob", "carol"}})
	contains(t, roleBlock(t, src, "bob"), `member_of "carol" {
    inherit = false
    set     = true
    admin   = true
  }`, `member_of "pg_read_all_data" {
    inherit = true`)
	if len(im.Notes) == 0 || im.Notes[0].Reason != importer.ReasonMembershipGrantors {
		t.Errorf("no note on the two grants of carol to bob: %+v", im.Notes)
	}

	c.ServerVersion = 150010
	_, src = build(t, c, importer.Options{Roles: []string{"bob"}, LeaveOutAttributes: true})
	contains(t, roleBlock(t, src, "bob"), `member_of "pg_read_all_data" {}`)
	lacks(t, src, "inherit")
}

func TestBuild_attributes(t *testing.T) {
	c := cat{}.catalog()
	until := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	c.Roles["bob"].ValidUntil = &until
	c.Roles["bob"].ConnectionLimit = 3
	_, src := build(t, c, importer.Options{Roles: []string{"bob"}, ManageRoles: true})
	bob := roleBlock(t, src, "bob")
	contains(t, bob, `login            = true`, `connection_limit = 3`, `valid_until      = "2030-01-02T03:04:05.0000006Z"`)
	lacks(t, bob, "external")
}

func TestBuild_roleSelection(t *testing.T) {
	c := cat{}.catalog()
	c.Roles["rds_superuser"] = role("rds_superuser", 16390)
	im, err := importer.Build(c, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range im.Policy.Roles {
		got = append(got, r.Name)
	}
	if want := []string{"alice", "bob", "carol"}; !slices.Equal(got, want) {
		t.Errorf("roles %v, want %v (no superuser, predefined or provider role)", got, want)
	}
	for _, bad := range [][]string{{"nobody"}, {"pg_read_all_data"}, {"public"}} {
		if _, err := importer.Build(c, importer.Options{Roles: bad}); err == nil {
			t.Errorf("roles %v: no error", bad)
		}
	}
	if _, err := importer.Build(c, importer.Options{Schemas: []string{"nope"}}); err == nil {
		t.Error("an unknown schema: no error")
	}
}

func TestWriteHCL_headerNamesNoSecret(t *testing.T) {
	c := cat{}.catalog()
	c.Database = "app\ndb"
	_, src := build(t, c, importer.Options{Origin: "db.internal:5432"})
	contains(t, src, `# Imported by pgward import from database "app\ndb" on PostgreSQL 16.4,`,
		"connected as alice to db.internal:5432, at 2026-01-02T03:04:05Z.")
}

func TestBuild_parenthesesInAFunctionName(t *testing.T) {
	fn := func(name, args string, items ...acl.Item) *catalog.Object {
		o := obj(acl.KindFunction, "app", name, "alice", append([]acl.Item{item("alice", "alice", acl.Execute, 0)}, items...)...)
		o.Args, o.ArgTypes, o.Subkind = args, args, 'f'
		return o
	}
	c := cat{objects: []*catalog.Object{
		fn("odd(name", "integer", item("bob", "alice", acl.Execute, 0)),
		fn("odd(name", "text"),
		fn("plain", ""),
		fn("other", ""),
	}}.catalog()
	im, src := build(t, c, importer.Options{Roles: []string{"bob"}})
	contains(t, roleBlock(t, src, "bob"), `names      = ["odd?name(integer)"]`)
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonResidual {
			t.Errorf("residual: %s", n.Text)
		}
	}
}

func TestBuild_notesWhatCannotBeReproduced(t *testing.T) {
	lang := obj(acl.KindLanguage, "", "plperlu", "postgres", item("postgres", "postgres", acl.Usage, 0))
	lang.Subkind = 'u'
	c := cat{
		objects: []*catalog.Object{
			obj(acl.KindTable, "app", "t", "alice", item("alice", "alice", acl.Valid(acl.KindTable, 160000)&^acl.Truncate, 0)),
			lang,
		},
		defs: []*catalog.DefaultACL{{ForRole: "alice", Kind: acl.KindFunction,
			ACL: []acl.Item{item("alice", "alice", acl.Execute, 0), item("bob", "alice", acl.Execute, 0)}}},
	}.catalog()
	c.Roles["bob"].ValidUntil = &time.Time{}
	im, src := build(t, c, importer.Options{})
	got := map[importer.Reason]string{}
	for _, n := range im.Notes {
		got[n.Reason] = n.Text
	}
	for reason, want := range map[importer.Reason]string{
		importer.ReasonOwnerRevoked:      "alice has revoked its own TRUNCATE on 1 table it owns: app.t.",
		importer.ReasonUntrustedLanguage: "language plperlu is untrusted",
		importer.ReasonValidUntil:        "VALID UNTIL '-infinity'",
		importer.ReasonOwnerPrivileges:   "alice owns 1 database, 1 schema, 1 table in scope.",
	} {
		if !strings.Contains(got[reason], want) {
			t.Errorf("%s note %q lacks %q", reason, got[reason], want)
		}
	}
	contains(t, src, "# What this policy leaves out or cannot reproduce:", `default_privileges "function" {
    for_role   = "alice"
    privileges = ["EXECUTE"]
  }`)
	lacks(t, roleBlock(t, src, "bob"), "valid_until")
}
