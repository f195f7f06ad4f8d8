package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestGitHubAction runs the action's script (scripts/github-action.sh, the
// step action.yml runs) as GitHub would: GITHUB_STEP_SUMMARY,
// GITHUB_OUTPUT, GITHUB_WORKSPACE and RUNNER_TEMP point at temporary
// files, the inputs are INPUT_* variables, and pgward is built from this
// checkout. Against a real PostgreSQL: a clean plan, a plan with changes
// (passing by default, failing with fail-on: changes), a policy error (an
// annotation on the file and line) and the fail-on choices.
func TestGitHubAction(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("the action's script needs bash: %v", err)
	}
	db := pgtest.NewDB(t)
	owner, web := db.RoleName("owner"), db.RoleName("web")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, web, "LOGIN")
	db.Exec(t, fmt.Sprintf("CREATE SCHEMA app AUTHORIZATION %q", owner))
	db.ExecAs(t, owner, fmt.Sprintf("CREATE TABLE app.t (id int); GRANT USAGE ON SCHEMA app TO %q; GRANT SELECT ON app.t TO %q", web, web))

	bin := filepath.Join(t.TempDir(), "pgward")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "github-action.sh"))
	if err != nil {
		t.Fatal(err)
	}

	clean := fmt.Sprintf(`scope {
  schemas = ["app"]
}
role %q {
  external = true
  grant "schema" {
    privileges = ["USAGE"]
  }
  grant "table" {
    privileges = ["SELECT"]
  }
}
`, web)
	changes := strings.Replace(clean, `privileges = ["SELECT"]`, `privileges = ["SELECT", "INSERT"]`, 1)
	broken := strings.Replace(clean, `privileges = ["SELECT"]`, `privileges = ["SELEC"]`, 1)

	tests := []struct {
		name, policy, failOn string
		wantExit             int
		wantOutputs          []string
		wantStdout           []string
		wantSummary          []string
	}{
		{name: "clean", policy: clean, wantExit: 0,
			wantOutputs: []string{"exit-code=0", "result=no-changes", "errors=0", "warnings=0", "grant=0", "revoke=0", "alter=0"},
			wantSummary: []string{"### pgward plan: `" + db.Name + "`", "**No changes.**"}},
		{name: "changes pass by default", policy: changes, wantExit: 0,
			wantOutputs: []string{"exit-code=2", "result=changes", "grant=1", "revoke=0"},
			wantSummary: []string{"**1 to grant, 0 to revoke, 0 to alter.**", "grant INSERT to " + web}},
		{name: "changes fail with fail-on changes", policy: changes, failOn: "changes", wantExit: 1,
			wantOutputs: []string{"exit-code=2", "result=changes"},
			wantStdout:  []string{"::error title=pgward::pgward plan exited 2 (changes); the action fails on fail-on: changes"}},
		{name: "policy error", policy: broken, wantExit: 1,
			wantOutputs: []string{"exit-code=1", "result=error", "errors=1", "grant="},
			wantStdout:  []string{"::error file=policy/main.hcl,line=10,col=19,title=Unknown privilege::Unknown privilege; \"SELEC\" is not a PostgreSQL privilege. Did you mean \"SELECT\"?"},
			wantSummary: []string{"Unknown privilege"}},
		{name: "policy error passes with fail-on never", policy: broken, failOn: "never", wantExit: 0,
			wantOutputs: []string{"exit-code=1", "result=error"}},
		{name: "unknown fail-on", policy: clean, failOn: "sometimes", wantExit: 1,
			wantStdout: []string{`::error title=pgward::fail-on is error, changes or never, not "sometimes"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			workspace, runner := t.TempDir(), t.TempDir()
			if err := os.MkdirAll(filepath.Join(workspace, "policy"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(workspace, "policy", "main.hcl"), []byte(tt.policy), 0o644); err != nil {
				t.Fatal(err)
			}
			summary, output := filepath.Join(runner, "summary.md"), filepath.Join(runner, "output")
			cmd := exec.Command("bash", script)
			cmd.Dir = workspace
			cmd.Env = append(os.Environ(),
				"PGWARD="+bin, "GITHUB_WORKSPACE="+workspace, "RUNNER_TEMP="+runner,
				"GITHUB_STEP_SUMMARY="+summary, "GITHUB_OUTPUT="+output,
				"INPUT_POLICY=policy", "INPUT_DATABASE_URL="+db.URL, "INPUT_FAIL_ON="+tt.failOn,
				"DATABASE_URL=postgres://nobody@127.0.0.1:1/none", // the input wins
			)
			if tt.failOn == "" {
				cmd.Env = append(cmd.Env, "INPUT_FAIL_ON=error")
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantExit, stdout.String(), stderr.String())
			}
			outputs := readOptional(t, output)
			for _, w := range tt.wantOutputs {
				if !containsLine(outputs, w) {
					t.Errorf("GITHUB_OUTPUT lacks the line %q:\n%s", w, outputs)
				}
			}
			for _, w := range tt.wantStdout {
				if !hasLinePrefix(stdout.String(), w) {
					t.Errorf("stdout lacks a line starting %q:\n%s", w, stdout.String())
				}
			}
			got := readOptional(t, summary)
			for _, w := range tt.wantSummary {
				if !strings.Contains(got, w) {
					t.Errorf("the job summary lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(stdout.String()+stderr.String()+got+outputs, db.URL) {
				t.Errorf("the database URL was printed")
			}
		})
	}
}

func readOptional(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func containsLine(s, line string) bool {
	for _, l := range strings.Split(s, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func hasLinePrefix(s, prefix string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
