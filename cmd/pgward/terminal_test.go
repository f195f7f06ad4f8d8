package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTerminal_blockedChangeOnce: a change the connecting role cannot make
// is listed with its fix in the plan; on a terminal, where stdout and
// stderr are read together, the warning that says the same is not printed
// again (issue 14, point 6). Elsewhere stderr keeps it: a job log may be
// all that is read.
func TestTerminal_blockedChangeOnce(t *testing.T) {
	_, pg := tuistDB(t, false)
	pg.policy = writePolicy(t, processorReadsAccounts)
	pg.env = map[string]string{"NO_COLOR": "1"}
	const warning = "Change cannot be executed by tuist_app"
	for _, args := range [][]string{
		{"plan", "--policy", pg.policy},
		{"plan", "--format", "json", "--policy", pg.policy},
		{"apply", "--auto-approve", "--policy", pg.policy},
	} {
		t.Run(strings.Join(args[:len(args)-2], " "), func(t *testing.T) {
			code := 2
			if args[0] == "apply" {
				code = 0
			}
			for _, tty := range []bool{true, false} {
				pg.tty = tty
				stdout, stderr := pg.expect(code, args...)
				text := !slices.Contains(args, "json")
				if text && strings.Count(stdout, "cannot be executed:") != 1 {
					t.Errorf("tty=%t: the plan does not list the membership once with its fix:\n%s", tty, stdout)
				}
				// On a terminal the text plan says it; JSON carries it
				// among its warnings, and stderr keeps it.
				if got, want := strings.Count(stderr, warning), map[bool]int{true: 0, false: 1}[tty && text]; got != want {
					t.Errorf("tty=%t: stderr says %q %d times, want %d:\n%s", tty, warning, got, want, stderr)
				}
			}
		})
	}
}

// runTerminal runs pgward in-process as on a terminal (stdin, stdout and
// stderr; NO_COLOR set) or not, with stdin as given.
func runTerminal(t *testing.T, tty bool, stdin string, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string {
			if k == "NO_COLOR" {
				return "1"
			}
			return vars[k]
		},
		isTTY: func(any) bool { return tty },
	})
	return code, out.String(), errOut.String()
}

// checkProgress checks that stderr shows the progress line starting with
// prefix, rewritten in place and erased after its last drawing, and that
// stdout has none of it.
func checkProgress(t *testing.T, stdout, stderr, prefix string) {
	t.Helper()
	i := strings.LastIndex(stderr, "\r\x1b[K"+prefix)
	if i < 0 {
		t.Fatalf("no progress line %q on stderr:\n%q", prefix, stderr)
	}
	if !strings.Contains(stderr[i+1:], "\r\x1b[K") {
		t.Errorf("the progress line is not erased at the end:\n%q", stderr[i:])
	}
	if strings.ContainsAny(stdout, "\r\x1b") {
		t.Errorf("stdout has terminal controls:\n%q", stdout)
	}
}

// noProgress checks that without a terminal nothing of the progress line
// is written.
func noProgress(t *testing.T, stdout, stderr string) {
	t.Helper()
	if strings.ContainsAny(stdout+stderr, "\r\x1b") || strings.Contains(stderr, "statements,") || strings.Contains(stderr, "databases:") {
		t.Errorf("progress without a terminal:\nstdout %q\nstderr %q", stdout, stderr)
	}
}

// TestProgress_apply: on a terminal, apply shows on stderr how many
// statements have executed of how many, for how long, and erases the line
// at the end (issue 14, point 7); without one, nothing of it.
func TestProgress_apply(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		_, pg := tuistDB(t, true)
		code, stdout, stderr := runTerminal(t, true, "yes\n", map[string]string{"DATABASE_URL": pg.url}, "apply", "--policy", pg.policy)
		if code != 0 {
			t.Fatalf("apply on a terminal: exit %d\n%s\n%s", code, stdout, stderr)
		}
		checkProgress(t, stdout, stderr, "apply: ")
		// The elapsed time is whatever the machine took: only its shape is checked.
		if !regexp.MustCompile(`\r\x1b\[Kapply: 1 of [0-9,]+ statements, [0-9.]+ s`).MatchString(stderr) {
			t.Errorf("the progress line does not count statements with the time:\n%q", stderr)
		}
		if !strings.Contains(stdout, "Apply complete") {
			t.Errorf("stdout:\n%s", stdout)
		}
	})
	t.Run("no terminal", func(t *testing.T) {
		_, pg := tuistDB(t, true)
		code, stdout, stderr := runTerminal(t, false, "", map[string]string{"DATABASE_URL": pg.url}, "apply", "--auto-approve", "--policy", pg.policy)
		if code != 0 {
			t.Fatalf("apply without a terminal: exit %d\n%s\n%s", code, stdout, stderr)
		}
		noProgress(t, stdout, stderr)
	})
}

// TestProgress_fleet: on a terminal, a fleet run shows how many databases
// are done and how many failed, for how long; without one, nothing of it.
func TestProgress_fleet(t *testing.T) {
	f := newFleet(t)
	args := []string{"plan", "--policy", f.policy, "--database-url", f.urls[0], "--database-url", f.urls[1], "--database-url", f.urls[2]}
	code, stdout, stderr := runTerminal(t, true, "", nil, args...)
	if code != 2 {
		t.Fatalf("fleet plan on a terminal: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkProgress(t, stdout, stderr, "databases: ")
	if !regexp.MustCompile(`\r\x1b\[Kdatabases: 0 of 3 done, 0 failed, [0-9.]+ s`).MatchString(stderr) {
		t.Errorf("the progress line does not count databases with the time:\n%q", stderr)
	}
	code, stdout, stderr = runTerminal(t, false, "", nil, args...)
	if code != 2 {
		t.Fatalf("fleet plan without a terminal: exit %d\n%s\n%s", code, stdout, stderr)
	}
	noProgress(t, stdout, stderr)
}
