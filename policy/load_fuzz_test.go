package policy_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/policy"
)

// FuzzLoadMixed loads a directory that holds an HCL and a YAML file, as a
// policy split between the two formats does (variables and locals of one
// used in the other). Nothing panics; a policy comes back exactly when
// there is no error; and every rejection is a clear error: it has a
// summary and a detail, and it points into one of the two files, at a line
// and column that exist (except the few diagnostics that concern no file).
func FuzzLoadMixed(f *testing.F) {
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	mixed := "testdata/yaml/mixed/"
	hcl := append(read(mixed+"00-variables.hcl"), read(mixed+"30-ops.hcl")...)
	f.Add(hcl, read(mixed+"10-web.yaml"))
	f.Add(hcl, read(mixed+"20-jobs.yml"))
	f.Add(read("../examples/tuist/policy.hcl"), []byte("variable: {other: {default: x}}\n"))
	f.Add([]byte(`variable "schema" { default = "app" }`), []byte("role: {r: {grant: [{table: {schema: \"${var.schema}\", privileges: [SELECT]}}]}}\n"))
	f.Add([]byte(`locals { x = local.y }`), []byte("locals: {y: \"${local.x}\"}\n"))
	f.Add([]byte(`role "r" {}`), []byte("role: {r: {}}\n"))
	f.Add([]byte(`public { function = [] }`), []byte("public: {grant: {function: {except: [f()], privileges: [EXECUTE]}}, default_privileges: [{function: {for_role: o, privileges: []}}, {type: {for_role: o, schema: a, privileges: []}}]}\n"))
	f.Add([]byte("scope { schemas = [\"a\"] }\n"), []byte("scope: {schemas: [b]}\n"))
	f.Add([]byte("variable \"v\" {}\n"), []byte("variable: {v: {}}\n"))
	f.Fuzz(func(t *testing.T, hclSrc, yamlSrc []byte) {
		fsys := fstest.MapFS{"a.hcl": {Data: hclSrc}, "b.yaml": {Data: yamlSrc}}
		p, diags := policy.Load(fsys, "in", policy.LoadOptions{})
		if diags.HasErrors() == (p != nil) {
			t.Fatalf("policy non-nil = %v with errors = %v", p != nil, diags.HasErrors())
		}
		lines := map[string]int{"in/a.hcl": strings.Count(string(hclSrc), "\n") + 1, "in/b.yaml": strings.Count(string(yamlSrc), "\n") + 1}
		for _, d := range diags {
			if strings.TrimSpace(d.Summary) == "" || strings.TrimSpace(d.Detail) == "" {
				t.Errorf("diagnostic without a summary or a detail: %q: %q", d.Summary, d.Detail)
			}
			if d.Subject == nil || d.Subject.Filename == "" {
				if !rangeless[d.Summary] {
					t.Errorf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
				}
				continue
			}
			n, ok := lines[d.Subject.Filename]
			if !ok || d.Subject.Start.Line < 1 || d.Subject.Start.Line > n || d.Subject.Start.Column < 1 {
				t.Errorf("diagnostic at %s:%d:%d, outside the files: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
			}
		}
		_ = policy.FormatDiagnostics(diags)
	})
}
