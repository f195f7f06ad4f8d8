// Package golden compares what a test produced with a file under testdata,
// and rewrites the file when the test runs with its update flag. It owns
// only that comparison and its line diff; which outputs have golden files,
// and the flag itself, belong to each package's tests (a flag is defined
// once per test binary).
package golden

import (
	"bytes"
	"os"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Check fails t when got differs from the file at path, showing a line
// diff (-want +got), or, with update set, writes got to the file instead.
// flagName is the test binary's flag that sets update ("update",
// "prometheus.update"), named in the messages.
func Check(t testing.TB, path string, got []byte, update bool, flagName string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -%s to create it)", err, flagName)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (-want +got; -%s rewrites it):\n%s", path, flagName, LineDiff(string(want), string(got)))
	}
}

// LineDiff is a line-by-line diff of want and got, for test messages.
func LineDiff(want, got string) string {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(want, got)
	return dmp.DiffPrettyText(dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines))
}
