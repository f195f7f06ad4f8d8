package pgtest_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestShared_matrixMajor checks, when the version matrix (scripts/pgbin
// matrix) sets $PGWARD_TEST_PGMAJOR, that the shared server is of that
// major: a run that silently used another PostgreSQL would prove nothing.
func TestShared_matrixMajor(t *testing.T) {
	want := os.Getenv("PGWARD_TEST_PGMAJOR")
	if want == "" {
		t.Skip("PGWARD_TEST_PGMAJOR not set (only the version matrix sets it)")
	}
	major, err := strconv.Atoi(want)
	if err != nil {
		t.Fatalf("PGWARD_TEST_PGMAJOR=%q: %v", want, err)
	}
	if got := pgtest.Shared(t).Version() / 10000; got != major {
		t.Errorf("server major = %d, want %d (PGWARD_TEST_PGBIN=%s)", got, major, os.Getenv(pgtest.EnvBinDir))
	}
}
