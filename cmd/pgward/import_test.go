package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestImport_tuist: once the Tuist example is applied, pgward import writes
// a policy that reproduces the database, in HCL and in YAML: plan with
// either against the same database has nothing to do (exit 0), validate
// accepts both, and fmt --check passes on the HCL.
func TestImport_tuist(t *testing.T) {
	_, pg := tuistDB(t, true)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	roles := []string{"--roles=tuist_app", "--roles", "tuist_web", "--roles=tuist_processor", "--roles", "tuist_ops_ro"}
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		fmtWriteFile(t, path, content, 0o600)
		return path
	}

	for _, f := range []struct {
		name   string
		args   []string
		output string // empty: standard output, saved under stdoutAs
		stdout string
		want   []string
	}{
		{name: "hcl to a file", args: nil, output: "hcl/policy.hcl",
			want: []string{"# Imported by pgward import from database ", `role "tuist_web" {`, "privileges = local.dml"}},
		{name: "yaml to a file, by its name", args: nil, output: "yaml/policy.yaml",
			want: []string{"# Imported by pgward import from database ", "  tuist_web:\n", "privileges: ${local.dml}"}},
		{name: "yaml to standard output", args: []string{"--format", "yaml"}, stdout: "stdout/policy.yml",
			want: []string{"role:\n", "    grant:\n"}},
		{name: "hcl to standard output", args: []string{"--format=hcl"}, stdout: "stdout-hcl/policy.hcl",
			want: []string{"role \"tuist_app\" {"}},
	} {
		t.Run(f.name, func(t *testing.T) {
			args := append(append([]string{"import"}, roles...), f.args...)
			path := f.stdout
			if f.output != "" {
				path = filepath.Join(dir, f.output)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--output", path)
			}
			stdout, stderr := pg.expect(0, args...)
			if f.output == "" {
				path = write(f.stdout, stdout)
			} else if stdout != "" {
				t.Errorf("import --output wrote to standard output:\n%s", stdout)
			}
			where := path
			if f.output == "" {
				where = "standard output"
			}
			if !strings.Contains(stderr, "Imported 4 roles from database ") || !strings.Contains(stderr, " to "+where+".") {
				t.Errorf("import's summary: %q", stderr)
			}
			src := fmtReadFile(t, path)
			for _, w := range f.want {
				if !strings.Contains(src, w) {
					t.Errorf("the import lacks %q:\n%s", w, src)
				}
			}
			if stdout, _ := pg.expect(0, "plan", "--policy", path); !strings.Contains(stdout, "No changes.") {
				t.Errorf("plan of the import is not empty:\n%s\npolicy:\n%s", stdout, src)
			}
			pg.expect(0, "validate", "--policy", path)
			pg.expect(0, "fmt", "--check", "--policy", path)
		})
	}
}

// TestImport_formatErrors: an unknown format, a format that the output's
// name contradicts (pgward would read the file in the other format), and
// a role YAML cannot name are errors, exit 1, and nothing is written.
func TestImport_formatErrors(t *testing.T) {
	db, pg := tuistDB(t, true)
	dir := t.TempDir()
	weird := db.RoleName("we ${x}")
	db.CreateRole(t, weird, "NOLOGIN")
	db.ExecAs(t, "tuist_app", `GRANT SELECT ON accounts TO "`+weird+`"`)
	for _, tc := range []struct {
		args   []string
		output string
		want   string
	}{
		{[]string{"--format", "json"}, "", `--format "json": want hcl or yaml`},
		{[]string{"--format", "hcl"}, "policy.yaml", "pgward reads " + filepath.Join(dir, "policy.yaml") + " as YAML"},
		{[]string{"--format", "yaml"}, "policy.hcl", "pgward reads only files named *.yaml or *.yml as YAML"},
		{[]string{"--roles", weird, "--roles", "tuist_web"}, "policy.yaml", `role "` + weird + `": a YAML policy cannot name a role whose name holds "${" or "%{"; import it with --format hcl`},
	} {
		args := append([]string{"import"}, tc.args...)
		if tc.output != "" {
			args = append(args, "-o", filepath.Join(dir, tc.output))
		}
		stdout, stderr := pg.expect(1, args...)
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("pgward %s: stderr %q lacks %q", strings.Join(args, " "), stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("pgward %s wrote to standard output:\n%s", strings.Join(args, " "), stdout)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a failed import wrote %v", entries)
	}
	// The same role in HCL is fine.
	pg.expect(0, "import", "--roles", weird, "--roles", "tuist_web", "-o", filepath.Join(dir, "policy.hcl"))
}

// TestImport_hostileNames: --roles and --schemas take each name exactly as
// the shell passes it, repeated for several: quotes, commas, equals signs,
// slashes, backslashes, spaces and characters outside ASCII need no
// quoting of pgward's own. The import names those roles and schemas, and
// plan with it has nothing to do. A comma list of the earlier form names
// no role, and the error says how to name several.
func TestImport_hostileNames(t *testing.T) {
	db := pgtest.NewDB(t)
	pg := cli{t: t, url: db.URL}
	var roles, schemas []string
	for _, base := range []string{`we"ird=/,x`, `a,b`, ` lead and trail `, `back\slash`, `'single'`, `日本語の名前`, `emoji 😀`} {
		name := db.RoleName(base)
		db.CreateRole(t, name, "NOLOGIN")
		roles = append(roles, name)
		schemas = append(schemas, "s "+base)
	}
	owner := db.RoleName("owner")
	db.CreateRole(t, owner, "LOGIN")
	for i, s := range schemas {
		db.Exec(t, fmt.Sprintf("CREATE SCHEMA %s AUTHORIZATION %s", ident.Quote(s), ident.Quote(owner)))
		db.ExecAs(t, owner, fmt.Sprintf("CREATE TABLE %s.t (id int); GRANT USAGE ON SCHEMA %[1]s TO %[2]s; GRANT SELECT ON %[1]s.t TO %[2]s",
			ident.Quote(s), ident.Quote(roles[i])))
	}
	args := []string{"import"}
	for _, r := range roles {
		args = append(args, "--roles", r)
	}
	for _, s := range schemas[:len(schemas)-1] {
		args = append(args, "--schemas", s)
	}
	args = append(args, "--schemas="+schemas[len(schemas)-1])
	dir := t.TempDir()
	out := filepath.Join(dir, "policy.hcl")
	_, stderr := pg.expect(0, append(args, "-o", out)...)
	if !strings.Contains(stderr, fmt.Sprintf("Imported %d roles", len(roles))) {
		t.Errorf("import's summary: %q", stderr)
	}
	src := fmtReadFile(t, out)
	for i, r := range roles {
		for _, want := range []string{"role " + hclString(r) + " {", hclString(schemas[i])} {
			if !strings.Contains(src, want) {
				t.Errorf("the import lacks %s:\n%s", want, src)
			}
		}
	}
	if stdout, _ := pg.expect(0, "plan", "--policy", out); !strings.Contains(stdout, "No changes.") {
		t.Errorf("plan of the import is not empty:\n%s\npolicy:\n%s", stdout, src)
	}

	_, stderr = pg.expect(1, "import", "--roles", owner+","+roles[2])
	if want := "(a comma is part of the name: to name several, repeat the flag, --roles " + owner + " --roles '" + roles[2] + "')"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	_, stderr = pg.expect(1, "import", "--schemas", "nope,public")
	if want := "--schemas nope --schemas public)"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
}

// hclString is s as an HCL string literal writes it.
func hclString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", "$${", "%{", "%%{").Replace(s) + `"`
}
