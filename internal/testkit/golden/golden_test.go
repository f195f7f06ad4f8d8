package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	Check(t, path, []byte("a\nb\n"), true, "update")
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\nb\n" {
		t.Fatalf("update wrote %q, %v", b, err)
	}
	same := &recorder{TB: t}
	Check(same, path, []byte("a\nb\n"), false, "update")
	if same.failed {
		t.Error("equal output reported as different")
	}
	diff := &recorder{TB: t}
	Check(diff, path, []byte("a\nc\n"), false, "update")
	if !diff.failed || !strings.Contains(diff.msg, "-update rewrites it") {
		t.Errorf("different output not reported: failed %v, %q", diff.failed, diff.msg)
	}
	if d := LineDiff("a\nb\n", "a\nc\n"); !strings.Contains(d, "b") || !strings.Contains(d, "c") {
		t.Errorf("LineDiff lacks the changed lines: %q", d)
	}
}
