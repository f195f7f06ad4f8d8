package importer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// writeYAML writes the import as YAML.
func writeYAML(t *testing.T, im *importer.Import) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := importer.WriteYAML(&buf, im); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// loadYAML loads a YAML policy and fails on any diagnostic but the
// warning about names holding a dot, which the HCL twin draws as well.
func loadYAML(t *testing.T, src []byte) *policy.Policy {
	t.Helper()
	pol, all := policy.Load(fstest.MapFS{"policy.yaml": {Data: src}}, ".", policy.LoadOptions{})
	var diags hcl.Diagnostics
	for _, d := range all {
		if d.Severity == hcl.DiagWarning && d.Summary == "Qualified name" {
			continue
		}
		diags = append(diags, d)
	}
	if len(diags) > 0 || pol == nil {
		t.Fatalf("the YAML import does not load cleanly:\n%s\npolicy:\n%s", policy.FormatDiagnostics(diags), src)
	}
	return pol
}

var rangeType = reflect.TypeOf(hcl.Range{})

// withoutRanges returns a deep copy of the policy with every hcl.Range
// zeroed, so that policies loaded from different files compare equal.
func withoutRanges(p *policy.Policy) *policy.Policy {
	var clean func(v reflect.Value) reflect.Value
	clean = func(v reflect.Value) reflect.Value {
		out := reflect.New(v.Type()).Elem()
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				out.Set(clean(v.Elem()).Addr())
			}
		case reflect.Struct:
			if v.Type() == rangeType {
				return out
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					out.Field(i).Set(clean(v.Field(i)))
				}
			}
		case reflect.Slice:
			if !v.IsNil() {
				out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
				for i := 0; i < v.Len(); i++ {
					out.Index(i).Set(clean(v.Index(i)))
				}
			}
		case reflect.Map:
			if !v.IsNil() {
				out.Set(reflect.MakeMap(v.Type()))
				for _, k := range v.MapKeys() {
					out.SetMapIndex(k, clean(v.MapIndex(k)))
				}
			}
		default:
			out.Set(v)
		}
		return out
	}
	return clean(reflect.ValueOf(p)).Interface().(*policy.Policy)
}

// samePolicy fails unless the policies loaded from the HCL and the YAML
// import are equal, ranges aside.
func samePolicy(t *testing.T, fromHCL, fromYAML *policy.Policy, hclSrc, yamlSrc []byte) {
	t.Helper()
	a, b := withoutRanges(fromHCL), withoutRanges(fromYAML)
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", "  ")
		jb, _ := json.MarshalIndent(b, "", "  ")
		t.Errorf("the YAML import loads as another policy than the HCL one:\n%s\n---- YAML ----\n%s\nHCL:\n%s\nYAML:\n%s", ja, jb, hclSrc, yamlSrc)
	}
}

// yamlTwin writes the import as YAML and checks that it loads cleanly as
// the policy the HCL import loads as. It returns the YAML and its policy.
func yamlTwin(t *testing.T, im *importer.Import, hclSrc []byte, fromHCL *policy.Policy) ([]byte, *policy.Policy) {
	t.Helper()
	src := writeYAML(t, im)
	pol := loadYAML(t, src)
	samePolicy(t, fromHCL, pol, hclSrc, src)
	checkYAMLLayout(t, src)
	return src, pol
}

// checkYAMLLayout checks what a person reading the file would notice: no
// trailing spaces, no tabs, and the header first.
func checkYAMLLayout(t *testing.T, src []byte) {
	t.Helper()
	for i, line := range strings.Split(string(src), "\n") {
		if strings.TrimRight(line, " \t") != line || strings.Contains(line, "\t") {
			t.Errorf("line %d of the YAML import has a tab or trailing spaces: %q", i+1, line)
		}
	}
	if !bytes.HasPrefix(src, []byte("# Imported by pgward import from database ")) {
		t.Errorf("the YAML import does not start with the header:\n%s", src)
	}
}

// awkward are names YAML reads as something else unless they are quoted,
// names holding template sequences, and characters YAML escapes.
var awkward = []string{
	"<<", "true", "no", "On", "Y", "null", "~", "", "123", "0x1f", "1e3", "-inf", "2027-01-01", "a: b", "x #y", "- a", "-",
	"?", "[x]", "{y}", "a, b", "*", "&anchor", "!tag", "|", ">", "@at", "`tick", "'single'", `"double"`, " lead",
	"trail ", "${x}", "%{if x}", "$${x}", "%%{y}", "a$", "é", "a\nb", "tab\there", "\u00a0nbsp", "\ufeffbom",
	"line\u2028sep", "#", "%", "x\\y",
}

// TestWriteYAML_awkwardNames: names of roles, schemas, tables, columns and
// functions that YAML would misread, or that hold template sequences, load
// back from the YAML import as the HCL import's policy.
func TestWriteYAML_awkwardNames(t *testing.T) {
	c := cat{}.catalog()
	var objs []*catalog.Object
	var roles []string
	for i, n := range awkward {
		if n == "" {
			continue
		}
		t := table(n, item("bob", "alice", acl.Select, 0))
		if i%2 == 0 {
			t.ACL = append(t.ACL, item("carol", "alice", acl.Insert, 0))
		}
		objs = append(objs, t)
		if !strings.ContainsAny(n, "*?") { // columns are exact names
			col := obj(acl.KindColumn, "app", n, "alice", item("carol", "alice", acl.Update, 0))
			col.Column = n
			objs = append(objs, col)
		}
		fn := obj(acl.KindFunction, "app", n, "alice", item("alice", "alice", acl.Execute, 0), item("bob", "alice", acl.Execute, 0))
		fn.Subkind = 'f'
		objs = append(objs, fn)
	}
	// A schema and a role whose names need quoting.
	c.Schemas = append(c.Schemas, "<<", "a: b", "${x}")
	for _, s := range []string{"<<", "a: b", "${x}"} {
		objs = append(objs, obj(acl.KindSchema, "", s, "alice", item("alice", "alice", acl.Usage|acl.Create, 0), item("bob", "alice", acl.Usage, 0)))
		objs = append(objs, obj(acl.KindTable, s, "t", "alice", item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0), item("bob", "alice", acl.Select|acl.Insert, 0)))
	}
	for _, n := range []string{"<<", "true", "a: b", "- a", "[x]", "é", "a\nb", "tab\there", "no"} {
		c.Roles[n] = role(n, uint32(17000+len(roles)))
		roles = append(roles, n)
		objs = append(objs, table("for "+n, item(n, "alice", acl.Select, acl.Select)))
	}
	c.Objects = append(c.Objects, objs...)
	c.Memberships = []catalog.Membership{
		{Role: "<<", Member: "bob", Grantor: "postgres", Inherit: true, Set: true},
		{Role: "true", Member: "carol", Grantor: "postgres", Admin: true, Inherit: true, Set: false},
	}
	c.DefaultPrivileges = []*catalog.DefaultACL{{ForRole: "a: b", Schema: "${x}", Kind: acl.KindTable,
		ACL: []acl.Item{item("bob", "a: b", acl.Select|acl.Update, 0)}}}
	im, _ := build(t, c, importer.Options{Roles: append([]string{"bob", "carol"}, roles...)})
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonResidual {
			t.Errorf("residual note: %s", n.Text)
		}
	}
	yamlSrc := writeYAML(t, im)
	for _, want := range []string{`"<<":`, `'$${x}'`, `'$$${x}'`, `'%%{if x}'`, `"true":`, `"no"`, `"On"`, "member_of:\n      \"<<\":"} {
		if !strings.Contains(string(yamlSrc), want) {
			t.Errorf("the YAML import lacks %q:\n%s", want, yamlSrc)
		}
	}
}

// TestWriteYAML_roleNameWithTemplate: a role whose name holds "${" cannot
// be a YAML key; WriteYAML says so and writes nothing.
func TestWriteYAML_roleNameWithTemplate(t *testing.T) {
	for _, name := range []string{"we ${x}", "%{y}"} {
		c := cat{}.catalog()
		c.Roles[name] = role(name, 17000)
		c.Objects = append(c.Objects, table("a", item(name, "alice", acl.Select, 0)))
		for _, roles := range [][]string{{name}, {"bob"}} {
			if roles[0] == "bob" {
				// A membership in the role is a member_of label too.
				c.Memberships = []catalog.Membership{{Role: name, Member: "bob", Grantor: "postgres", Inherit: true, Set: true}}
			}
			im, err := importer.Build(c, importer.Options{Roles: roles})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			err = importer.WriteYAML(&buf, im)
			if !errors.Is(err, importer.ErrYAMLLabel) {
				t.Errorf("%q, roles %v: error %v, want ErrYAMLLabel", name, roles, err)
			} else if !strings.Contains(err.Error(), "--format hcl") {
				t.Errorf("the error does not point to HCL: %v", err)
			}
			if buf.Len() > 0 {
				t.Errorf("%q: WriteYAML wrote %d bytes despite the error", name, buf.Len())
			}
		}
	}
}

// TestWriteYAML_layout: the YAML import has the layout of the HCL one:
// header and notes, locals used by reference, member_of in its short
// form, comments over the rules they explain, the public block with its
// comment.
func TestWriteYAML_layout(t *testing.T) {
	yes := true
	c := cat{
		objects: []*catalog.Object{
			table("accounts", item("bob", "alice", dml, 0), item("carol", "alice", dml, 0)),
			table("projects", item("bob", "alice", dml, 0), item("carol", "alice", dml, 0)),
			table("schema_migrations", item("bob", "alice", acl.Select, 0), item("carol", "bob", acl.Select, 0)),
			table("users", item("bob", "alice", dml, 0)),
		},
		members: []catalog.Membership{
			{Role: "pg_read_all_data", Member: "carol", Grantor: "postgres", Inherit: yes, Set: yes},
		},
		defs: []*catalog.DefaultACL{{ForRole: "alice", Schema: "app", Kind: acl.KindTable,
			ACL: []acl.Item{item("bob", "alice", dml, 0)}}},
		version: 150010,
	}.catalog()
	im, _ := build(t, c, importer.Options{Roles: []string{"bob", "carol"}, Origin: "db.internal:5432"})
	got := string(writeYAML(t, im))
	want := `# Imported by pgward import from database "appdb" on PostgreSQL 15.10,
# connected as alice to db.internal:5432, at 2026-01-02T03:04:05Z.
#
# Against the database it was imported from, pgward plan shows no changes but
# those the notes below announce. Review it, then tighten it.
#
# What this policy leaves out or cannot reproduce:
`
	if !strings.HasPrefix(got, want) {
		t.Errorf("the header differs; want:\n%s\ngot:\n%s", want, got)
	}
	contains(t, got,
		"# - carol holds SELECT on table app.schema_migrations granted by bob, not by\n#   the owner alice.",
		"\n\nlocals:\n  dml: [SELECT, INSERT, UPDATE, DELETE]\n",
		"\n\nscope:\n  schemas: [app]\n",
		`
role:
  bob:
    external: true
    login: true
    inherit: true
    createdb: false
    createrole: false
    replication: false
    bypassrls: false
    connection_limit: -1

    grant:
      - table:
          schema: app
          privileges: ${local.dml}
      # These hold other privileges: a name or a pattern beats the rule without
      # names.
      - table:
          schema: app
          names: [schema_migrations]
          privileges: [SELECT]

    default_privileges:
      - table:
          for_role: alice
          schema: app
          privileges: ${local.dml}
`,
		`

  carol:
    external: true
    login: true
    inherit: true
    createdb: false
    createrole: false
    replication: false
    bypassrls: false
    connection_limit: -1

    member_of: [pg_read_all_data]

    grant:
`,
		"\n\n# What PUBLIC, every role, holds. kind = [...] lists what PUBLIC may keep on\n# the objects",
		"\npublic:\n  database: [CONNECT, TEMPORARY]\n",
	)
}
