package main

import (
	"strings"
	"testing"
)

// helpFlag runs pgward COMMAND --help and returns the line of flag (such
// as "--out"), "" when there is none.
func helpFlag(t *testing.T, command, flag string) string {
	t.Helper()
	pg := cli{t: t}
	stdout, _ := pg.expect(0, command, "--help")
	for line := range strings.SplitSeq(stdout, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "-") {
			continue // not a flag line
		}
		for _, w := range strings.Fields(line)[:2] {
			if strings.TrimSuffix(w, ",") == flag {
				return line
			}
		}
	}
	return ""
}

// TestHelp_flags checks the flag lines of --help that once said something
// false or garbled (issue 14, point 6).
func TestHelp_flags(t *testing.T) {
	tests := []struct {
		command, flag string
		want          []string // in the line; none: the command has no such flag
		not           []string
	}{
		// cobra takes a back-quoted word of the usage as the placeholder.
		{"plan", "--out", []string{"-o, --out FILE ", "pgward apply FILE"}, []string{"--out pgward", "--out string"}},
		{"plan", "--policy", []string{".hcl", ".yaml"}, []string{"*.hcl files"}},
		{"apply", "--policy", []string{".hcl", ".yaml"}, nil},
		{"diff", "--policy", []string{".hcl", ".yaml"}, nil},
		{"plan", "--maintenance-db", nil, nil},
		{"audit", "--maintenance-db", nil, nil},
		{"apply", "--maintenance-db", []string{"advisory lock", `(default "postgres")`}, []string{"fleet apply"}},
		{"import", "--format", []string{"hcl or yaml", "else hcl)"}, []string{`(default "hcl")`}},
		{"diff", "--owner", []string{"the role that owns the schema"}, []string{"with --schema", "or diff"}},
		{"diff", "--sandbox-url", []string{"superuser URL"}, []string{"with --schema", "or diff"}},
		{"plan", "--owner", []string{"with --schema: the role"}, []string{"or diff"}},
		{"plan", "--pg-image", []string{"with --schema: run"}, []string{"or diff"}},
		{"audit", "--shard", []string{"--shard INDEX/COUNT ", "from 0 to COUNT-1", "JOB_COMPLETION_INDEX"}, []string{"--shard string"}},
	}
	for _, tt := range tests {
		t.Run(tt.command+" "+tt.flag, func(t *testing.T) {
			line := helpFlag(t, tt.command, tt.flag)
			if tt.want == nil {
				if line != "" {
					t.Errorf("pgward %s --help lists %s:\n%s", tt.command, tt.flag, line)
				}
				return
			}
			if line == "" {
				t.Fatalf("pgward %s --help has no %s", tt.command, tt.flag)
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("the line lacks %q:\n%s", w, line)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(line, n) {
					t.Errorf("the line has %q:\n%s", n, line)
				}
			}
		})
	}
}

// TestImport_formatDefault: without --format the name of --output decides,
// as before the flag lost its "hcl" default value.
func TestImport_formatDefault(t *testing.T) {
	for _, tt := range []struct {
		format   string
		explicit bool
		output   string
		ok       bool
	}{
		{"", false, "", true},
		{"", false, "policy.yaml", true},
		{"", false, "policy.hcl", true},
		{"yaml", true, "", true},
		{"hcl", true, "policy.yml", false},
		{"", true, "", false},
	} {
		_, err := importWriter(tt.format, tt.explicit, tt.output)
		if (err == nil) != tt.ok {
			t.Errorf("importWriter(%q, %v, %q): %v", tt.format, tt.explicit, tt.output, err)
		}
	}
}
