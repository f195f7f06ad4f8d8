package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fmtReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fmtWriteFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestFmt(t *testing.T) {
	pg := cli{t: t}
	messy := fmtReadFile(t, "../../policy/testdata/format/messy/input.hcl")
	want := fmtReadFile(t, "../../policy/testdata/format/messy/want.hcl")
	dir := t.TempDir()
	files := map[string]string{
		"10-messy.hcl":     messy,
		"20-canonical.hcl": want,
		"policy.yaml":      "role:   {}\n",
		".hidden.hcl":      messy,
		"sub/nested.hcl":   messy,
	}
	for name, content := range files {
		fmtWriteFile(t, filepath.Join(dir, name), content, 0o600)
	}
	unchanged := func(names ...string) {
		t.Helper()
		for _, n := range names {
			if got := fmtReadFile(t, filepath.Join(dir, n)); got != files[n] {
				t.Errorf("%s was rewritten:\n%s", n, got)
			}
		}
	}
	messyPath := filepath.Join(dir, "10-messy.hcl")

	// --check writes nothing, lists the file and fails.
	stdout, stderr := pg.expect(1, "fmt", "--check", "--policy", dir)
	if stdout != messyPath+"\n" || !strings.Contains(stderr, "1 file is not in canonical form") {
		t.Errorf("fmt --check: stdout %q, stderr %q", stdout, stderr)
	}
	unchanged("10-messy.hcl", "20-canonical.hcl", "policy.yaml", ".hidden.hcl", "sub/nested.hcl")

	// fmt rewrites it, keeps its mode, and leaves YAML, dot-files and
	// subdirectories alone, as the loader does.
	stdout, _ = pg.expect(0, "fmt", "--policy", dir)
	if stdout != messyPath+"\n" {
		t.Errorf("fmt: stdout %q", stdout)
	}
	if got := fmtReadFile(t, messyPath); got != want {
		t.Errorf("fmt wrote:\n%s", got)
	}
	if st, err := os.Stat(messyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode after fmt: %v, %v", st.Mode(), err)
	}
	unchanged("20-canonical.hcl", "policy.yaml", ".hidden.hcl", "sub/nested.hcl")

	// Idempotent: nothing more to do.
	if stdout, _ := pg.expect(0, "fmt", "--check", "--policy", dir); stdout != "" {
		t.Errorf("second fmt --check lists %q", stdout)
	}
	if stdout, _ := pg.expect(0, "fmt", "--policy", dir); stdout != "" {
		t.Errorf("second fmt lists %q", stdout)
	}

	// One file by name.
	nested := filepath.Join(dir, "sub", "nested.hcl")
	pg.expect(1, "fmt", "--check", "--policy", nested)
	pg.expect(0, "fmt", "--policy", nested)
	if got := fmtReadFile(t, nested); got != want {
		t.Errorf("fmt of one file wrote:\n%s", got)
	}
	if _, stderr := pg.expect(0, "fmt", "--policy", filepath.Join(dir, "policy.yaml")); !strings.Contains(stderr, "leaves YAML") {
		t.Errorf("fmt of a YAML file: %q", stderr)
	}
}

func TestFmt_syntaxErrorWritesNothing(t *testing.T) {
	pg := cli{t: t}
	dir := t.TempDir()
	messy := "role \"a\" {\nlogin = true\n}\n"
	fmtWriteFile(t, filepath.Join(dir, "a.hcl"), messy, 0o644)
	fmtWriteFile(t, filepath.Join(dir, "b.hcl"), "role \"b\" {\n  grant \"table\" {\n    privileges = [\"SELECT\" \"INSERT\"]\n  }\n}\n", 0o644)
	stdout, stderr := pg.expect(1, "fmt", "--policy", dir)
	if stdout != "" || !strings.Contains(stderr, filepath.Join(dir, "b.hcl")+":3:") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	if got := fmtReadFile(t, filepath.Join(dir, "a.hcl")); got != messy {
		t.Errorf("a.hcl was rewritten despite the syntax error in b.hcl:\n%s", got)
	}
	pg.expect(1, "fmt", "--check", "--policy", dir)
	pg.expect(1, "fmt", "--policy", filepath.Join(dir, "missing"))
	pg.expect(1, "fmt", "--policy", t.TempDir()) // no policy files
}

// The examples are canonical: fmt --check passes on them.
func TestFmt_examplesAreCanonical(t *testing.T) {
	pg := cli{t: t}
	for _, path := range []string{"../../examples/tuist/policy.hcl", "../../examples/tuist/pg13/policy.hcl", "../../examples/tuist"} {
		if stdout, stderr := pg.expect(0, "fmt", "--check", "--policy", path); stdout != "" {
			t.Errorf("%s is not canonical: %s%s", path, stdout, stderr)
		}
	}
}
