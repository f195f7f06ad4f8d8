package pipeline

import (
	"bytes"
	"flag"
	goldenfile "github.com/pgward/pgward/internal/testkit/golden"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgward/pgward/audit"
	"github.com/pgward/pgward/internal/testkit/promcheck"
	"github.com/pgward/pgward/plan"
)

var updatePrometheus = flag.Bool("prometheus.update", false, "rewrite the golden files of TestWritePrometheus_golden")

// TestWritePrometheus_golden: the exposition format, byte for byte: HELP
// and TYPE before each family, one series per kind and role, label values
// with backslash, double quote and line feed escaped.
func TestWritePrometheus_golden(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		report Metrics
	}{
		{"drift", Metrics{Database: "tuist", Success: true, Time: at, Counts: []audit.FindingCount{
			{Kind: plan.FindingDrift, Role: "PUBLIC", Count: 1},
			{Kind: plan.FindingDrift, Role: "tuist_web", Count: 3},
			{Kind: plan.FindingExternal, Role: "tuist_web", Count: 0},
			{Kind: plan.FindingViolation, Role: "tuist_ops_ro", Count: 2},
			{Kind: plan.FindingOwner, Role: "postgres", Count: 1},
			{Kind: plan.FindingSession, Role: "tuist_app", Count: 4},
			{Kind: plan.FindingSession, Role: "we\"ird\\role\nname", Count: 1},
		}}},
		{"failed", Metrics{Database: `my"db`, Success: false, Time: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePrometheus(&buf, tt.report); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "prometheus", tt.name+".prom")
			goldenfile.Check(t, path, buf.Bytes(), *updatePrometheus, "prometheus.update")
			promcheck.Exposition(t, buf.String())
		})
	}
}

func TestEscapeLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tuist_web", "tuist_web"},
		{`a"b`, `a\"b`},
		{`a\b`, `a\\b`},
		{"a\nb", `a\nb`},
		{`\"`, `\\\"`},
	}
	for _, tt := range tests {
		if got := escapeLabel(tt.in); got != tt.want {
			t.Errorf("escapeLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
