package render_test

import (
	"bytes"
	"flag"
	goldenfile "github.com/pgward/pgward/internal/testkit/golden"
	"os"
	"path/filepath"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/render"
)

var update = flag.Bool("update", false, "rewrite golden files")

// renderCases pair a directory under testdata (holding policy.hcl and
// the want.* goldens) with the catalog the plan is built from.
var renderCases = map[string]fixture{
	"grant-and-revoke": {Objects: []*catalog.Object{
		table("accounts", item("bob", "alice", acl.Select|acl.Truncate, 0)),
		table("schema_migrations", item("bob", "alice", acl.Select, acl.Select)),
		obj(acl.KindSequence, "app", "accounts_id_seq", "alice", item("alice", "alice", acl.Valid(acl.KindSequence, 0), 0)),
		{Object: acl.Object{Kind: acl.KindFunction, Schema: "app", Name: "touch", Args: "", Subkind: 'f'}, Owner: "alice",
			ACL: []acl.Item{item("", "alice", acl.Execute, 0), item("alice", "alice", acl.Execute, 0)}},
		{Object: acl.Object{Kind: acl.KindFunction, Schema: "app", Name: "cleanup", Args: "days integer", Subkind: 'p'}, ArgTypes: "integer", Owner: "alice",
			ACL: []acl.Item{item("", "alice", acl.Execute, 0), item("alice", "alice", acl.Execute, 0)}},
	}},
	"deny-violated": {
		Extra: []*catalog.Role{role("pg_write_all_data", 6182)},
		Members: []catalog.Membership{
			{Role: "carol", Member: "bob", Grantor: "postgres", Inherit: true, Set: true},
			{Role: "pg_write_all_data", Member: "carol", Grantor: "postgres", Inherit: true, Set: true},
		},
		Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Insert, 0))},
	},
	"blocked-and-drift": {
		Version: 140010,
		Objects: []*catalog.Object{
			obj(acl.KindSchema, "", "public", "postgres", item("postgres", "postgres", acl.Usage|acl.Create, 0), item("", "postgres", acl.Usage|acl.Create, 0)),
			table("t", item("bob", "carol", acl.Select, 0), item("carol", "alice", acl.Select, acl.Select)),
		},
	},
}

func TestRender(t *testing.T) {
	for name, f := range renderCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			src, err := os.ReadFile(filepath.Join(dir, "policy.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			p, diags := plan.Build(loadPolicy(t, string(src)), f.Catalog(), plan.Options{})
			for file, write := range map[string]func(*bytes.Buffer) error{
				"want.txt":  func(b *bytes.Buffer) error { return render.WriteText(b, p, render.TextOptions{}) },
				"want.json": func(b *bytes.Buffer) error { return render.WriteJSON(b, p, render.JSONOptions{Warnings: diags}) },
				"want.sql":  func(b *bytes.Buffer) error { return render.WriteSQL(b, p) },
				"want.md": func(b *bytes.Buffer) error {
					return render.WriteMarkdown(b, p, render.MarkdownOptions{Warnings: diags})
				},
			} {
				var buf bytes.Buffer
				if err := write(&buf); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join(dir, file), buf.Bytes())
			}
		})
	}
}

// golden compares got with the file, or rewrites the file under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got, *update, "update")
}

func TestWriteText_color(t *testing.T) {
	p, _ := plan.Build(loadPolicy(t, "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n}"), fixture{Objects: []*catalog.Object{table("t")}}.Catalog(), plan.Options{})
	var plain, colored bytes.Buffer
	if err := render.WriteText(&plain, p, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := render.WriteText(&colored, p, render.TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("colour escape codes without Color")
	}
	if !bytes.Contains(colored.Bytes(), []byte("\x1b[32m+")) {
		t.Errorf("no green + with Color:\n%s", colored.String())
	}
}
