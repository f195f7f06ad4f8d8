// Package promcheck holds the one check that the Prometheus outputs' tests
// share (pipeline's golden files, the CLI's audit --prometheus). Tests
// only: nothing the binary links.
package promcheck

import (
	"strings"
	"testing"
)

// Exposition checks what node-exporter's textfile collector requires of a
// Prometheus text file, independently of any golden file: every sample line belongs to a family
// announced by HELP and TYPE gauge, each family is announced once, label
// values hold no raw line feed, and the file ends with a line feed.
func Exposition(t *testing.T, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("no final line feed")
	}
	help, typ := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name := strings.Fields(line)[2]
			if help[name] {
				t.Errorf("HELP of %s twice", name)
			}
			help[name] = true
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 || f[3] != "gauge" {
				t.Errorf("bad TYPE line %q", line)
			}
			typ[f[2]] = true
		default:
			name, _, _ := strings.Cut(line, "{")
			if !help[name] || !typ[name] {
				t.Errorf("sample %q before its HELP and TYPE", line)
			}
			if strings.Count(line, `"`)-strings.Count(line, `\"`) != 2*strings.Count(line, `="`) {
				t.Errorf("unbalanced quotes in %q", line)
			}
		}
	}
}
