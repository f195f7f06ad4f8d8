package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// TestApply_withoutATerminal: whatever standard input is when it is not a
// terminal (/dev/null as in cron, Kubernetes and docker run without -i, a
// pipe, even one that says yes, a closed descriptor), apply without
// --auto-approve fails at once with one line naming --auto-approve, shows
// no plan and changes nothing.
func TestApply_withoutATerminal(t *testing.T) {
	db, pg := tuistDB(t, true)
	before := aclSnapshot(t, db)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	pipe := func(input string) *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		go func() { w.WriteString(input); w.Close() }()
		return r
	}
	closed, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	closed.Close()
	for name, stdin := range map[string]*os.File{"/dev/null": devNull, "a pipe": pipe("yes\n"), "an empty pipe": pipe(""), "closed": closed} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"apply", "--policy", pg.policy}, env{
				stdin: stdin, stdout: &out, stderr: &errOut,
				getenv: func(k string) string { return map[string]string{"DATABASE_URL": pg.url}[k] },
				isTTY:  isTerminal,
			})
			if code != 1 || out.Len() > 0 {
				t.Errorf("exit %d, want 1 and nothing on stdout:\n%s", code, out.String())
			}
			oneLineError(t, errOut.String(), "apply needs --auto-approve when standard input is not a terminal")
			if aclSnapshot(t, db) != before {
				t.Error("privileges changed")
			}
		})
	}
}
