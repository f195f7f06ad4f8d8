package pgtest

import (
	"context"
	"errors"
	"testing"

	"github.com/pgward/pgward/internal/pgserver"
)

func TestHasWord(t *testing.T) {
	tests := []struct {
		options, word string
		want          bool
	}{
		{"LOGIN", "LOGIN", true},
		{"login createdb", "LOGIN", true},
		{"WITH NOLOGIN", "LOGIN", false},
		{"LOGIN PASSWORD 'x'", "PASSWORD", true},
		{"", "LOGIN", false},
	}
	for _, tt := range tests {
		if got := hasWord(tt.options, tt.word); got != tt.want {
			t.Errorf("hasWord(%q, %q) = %v, want %v", tt.options, tt.word, got, tt.want)
		}
	}
}

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "true": true, "1": true, "false": false, "0": false, "yes": true, "github": true} {
		t.Setenv("CI", v)
		if got := InCI(); got != want {
			t.Errorf("CI=%q: InCI() = %v, want %v", v, got, want)
		}
	}
}

// TestRunContainer_noDocker checks that a Docker that does not answer is
// reported as pgserver.ErrNoDocker (which Start turns into ErrNoServer),
// not as a failure. Where Docker answers, the container path itself is
// exercised.
func TestRunContainer_noDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	if err := dockerAvailable(ctx); err == nil {
		s, err := Start(ctx, Options{NoLocal: true, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		if s.Version() < 130000 {
			t.Errorf("Version() = %d", s.Version())
		}
		return
	}
	_, err := runContainer(ctx, DefaultImage, t.Logf)
	if !errors.Is(err, pgserver.ErrNoDocker) {
		t.Errorf("runContainer without Docker: %v, want pgserver.ErrNoDocker", err)
	}
}
