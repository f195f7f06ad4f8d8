package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The example files users copy: each pgward command line in them must be
// one this pgward accepts, and the files must be well formed.
const (
	exampleWorkflow = "../../examples/ci/pgward.yml"
	exampleJob      = "../../examples/kubernetes/migrate-job.yaml"
	exampleCronJob  = "../../examples/kubernetes/audit-cronjob.yaml"
	// A fleet split over the pods of Indexed Jobs (docs/fleets.md).
	exampleShardedJob     = "../../examples/kubernetes/apply-indexed-job.yaml"
	exampleShardedCronJob = "../../examples/kubernetes/audit-sharded-cronjob.yaml"
	exampleDocker         = "../../Dockerfile"
)

// checkPgwardArgs checks args (what follows "pgward") the way cobra would
// run them, without running them: the subcommand exists, every flag is one
// it defines with a value of the right type, and the positional arguments
// are what it accepts.
func checkPgwardArgs(args []string) error {
	root := newRootCmd(env{getenv: func(string) string { return "" }, isTTY: func(any) bool { return false }})
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if cmd == root {
		return errors.New("no subcommand")
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("pgward %s: %w", cmd.Name(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return fmt.Errorf("pgward %s: %w", cmd.Name(), err)
	}
	return nil
}

func TestCheckPgwardArgs(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"plan", "--policy", "p", "--format", "markdown"}, true},
		{[]string{"audit", "--format=prometheus", "--owner-applications", "a,b", "--output", "/x"}, true},
		{[]string{"apply", "--auto-approve", "--lock-timeout", "10s"}, true},
		{[]string{"apply", "saved.plan"}, true},
		{[]string{"plann"}, false},
		{[]string{"--policy", "p"}, false},
		{[]string{"plan", "--auto-approve"}, false},                  // apply's flag
		{[]string{"apply", "--lock-timeout", "soon"}, false},         // not a duration
		{[]string{"audit", "extra"}, false},                          // no arguments
		{[]string{"audit", "--owner-application", "migrate"}, false}, // a typo
	}
	for _, tt := range tests {
		if err := checkPgwardArgs(tt.args); (err == nil) != tt.ok {
			t.Errorf("%q: err = %v, want ok = %t", tt.args, err, tt.ok)
		}
	}
}

// shellCommands splits a shell script into simple commands, each a list of
// words with quotes removed: enough of sh for the scripts of the examples
// (quotes, backslash-newline, comments, and the operators ; | & > < ( )
// that end a command). Variables stay as written.
func shellCommands(script string) [][]string {
	var (
		cmds    [][]string
		words   []string
		word    strings.Builder
		inWord  bool
		quote   rune
		comment bool
	)
	endWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	for _, r := range strings.ReplaceAll(script, "\\\n", " ") {
		switch {
		case comment:
			if r == '\n' {
				comment = false
				endCmd()
			}
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord:
			comment = true
		case strings.ContainsRune(";|&<>()\n", r):
			endCmd()
		case r == ' ' || r == '\t':
			endWord()
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// pgwardIn returns the pgward invocations among commands: those whose
// program (after VAR=value assignments) is named pgward.
func pgwardIn(cmds [][]string) [][]string {
	assignment := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	var out [][]string
	for _, c := range cmds {
		for len(c) > 0 && assignment.MatchString(c[0]) {
			c = c[1:]
		}
		if len(c) > 0 && path.Base(c[0]) == "pgward" {
			out = append(out, c[1:])
		}
	}
	return out
}

func TestShellCommands(t *testing.T) {
	script := "set +e\n" +
		"PGAPPNAME=ci pgward plan --policy \"policy dir/\" --format markdown > plan.md # comment pgward apply\n" +
		"code=$?; ./bin/pgward apply \\\n  --auto-approve && echo 'pgward fmt'\n" +
		"go install github.com/pgward/pgward/cmd/pgward@latest\n"
	got := fmt.Sprint(pgwardIn(shellCommands(script)))
	want := fmt.Sprint([][]string{{"plan", "--policy", "policy dir/", "--format", "markdown"}, {"apply", "--auto-approve"}})
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// workflow is the part of a GitHub Actions workflow the test looks at.
type workflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn   string `yaml:"runs-on"`
		Services map[string]struct {
			Image string            `yaml:"image"`
			Env   map[string]string `yaml:"env"`
			Ports []string          `yaml:"ports"`
		} `yaml:"services"`
		Env   map[string]string `yaml:"env"`
		Steps []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestExample_ciWorkflow: examples/ci/pgward.yml is a GitHub Actions
// workflow with a PostgreSQL service that migrates, posts pgward plan as
// Markdown on the pull request and fails on pending changes; its pgward
// commands exist with the flags they pass.
func TestExample_ciWorkflow(t *testing.T) {
	var wf workflow
	decodeYAML(t, exampleWorkflow, &wf)
	if _, ok := wf.On["pull_request"]; !ok || wf.Name == "" {
		t.Errorf("%s: want a named workflow on pull_request, got name %q, on %v", exampleWorkflow, wf.Name, wf.On)
	}
	if len(wf.Jobs) != 1 {
		t.Fatalf("%s: want one job, got %d", exampleWorkflow, len(wf.Jobs))
	}
	for name, job := range wf.Jobs {
		pg, ok := job.Services["postgres"]
		if !ok || !strings.HasPrefix(pg.Image, "postgres:") || len(pg.Ports) == 0 {
			t.Errorf("job %s: want a postgres service with a port, got %+v", name, job.Services)
		}
		if job.RunsOn == "" || !strings.Contains(job.Env["DATABASE_URL"], "@localhost:5432/") {
			t.Errorf("job %s: runs-on %q, DATABASE_URL %q", name, job.RunsOn, job.Env["DATABASE_URL"])
		}
		var subcommands []string
		var migrated, planID, commented, fails bool
		for i, s := range job.Steps {
			if (s.Run == "") == (s.Uses == "") {
				t.Errorf("step %d (%s): want exactly one of run and uses", i, s.Name)
			}
			cmds := shellCommands(s.Run)
			for _, c := range cmds {
				if c[0] == "migrate" && !slices.Contains(subcommands, "plan") {
					migrated = true
				}
				if c[0] == "gh" && slices.Contains(c, "comment") && slices.Contains(c, "plan.md") {
					commented = true
				}
			}
			for _, args := range pgwardIn(cmds) {
				if err := checkPgwardArgs(args); err != nil {
					t.Errorf("step %q: pgward %s: %v", s.Name, strings.Join(args, " "), err)
					continue
				}
				subcommands = append(subcommands, args[0])
				if args[0] == "plan" {
					planID = s.ID != ""
					if !slices.Contains(args, "markdown") {
						t.Errorf("step %q: the plan is not Markdown: %q", s.Name, args)
					}
				}
			}
			if strings.Contains(s.If, "steps.plan.outputs.exit_code") && strings.Contains(s.Run, "exit 1") {
				fails = true
			}
		}
		if want := []string{"validate", "apply", "plan"}; !slices.Equal(subcommands, want) {
			t.Errorf("pgward commands %v, want %v", subcommands, want)
		}
		if !migrated || !planID || !commented || !fails {
			t.Errorf("migrates before the plan %t, plan step has an id %t, posts the comment %t, fails on pending changes %t", migrated, planID, commented, fails)
		}
	}
}

// TestExample_docs: the pgward command lines of the workflow pages
// (lines of their sh blocks, with or without a "$ " prompt) exist with
// the flags they pass.
func TestExample_docs(t *testing.T) {
	for _, file := range []string{"../../docs/audit.md", "../../docs/migrations.md"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var inSh bool
		var n int
		for i, line := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(line, "```sh"), strings.HasPrefix(line, "```console"):
				inSh = true
				continue
			case strings.HasPrefix(line, "```"):
				inSh = false
				continue
			}
			if !inSh {
				continue
			}
			for _, args := range pgwardIn(shellCommands(strings.TrimPrefix(line, "$ "))) {
				n++
				if err := checkPgwardArgs(args); err != nil {
					t.Errorf("%s:%d: pgward %s: %v", file, i+1, strings.Join(args, " "), err)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no pgward command found", file)
		}
	}
}

func decodeYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func decodeYAMLDocs[T any](t *testing.T, file string) []T {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []T
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, v)
	}
}
