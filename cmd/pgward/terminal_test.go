package main

import (
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
	pg.policy = writePolicy(t, `scope {
  schemas = ["public"]
}
role "tuist_processor" {
  member_of "tuist_ops_ro" {}
  grant "table" {
    schema     = "public"
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
}
`)
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
