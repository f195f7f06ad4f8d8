package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestPolicySchema: pgward policy-schema prints the schema shipped in
// schema/ (which policy's TestJSONSchema_shipped keeps equal to the
// generated one), as JSON, and takes no arguments.
func TestPolicySchema(t *testing.T) {
	want, err := os.ReadFile("../../schema/pgward-policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{args: []string{"policy-schema"}, code: 0, stdout: string(want)},
		{args: []string{"policy-schema", "policy.yaml"}, code: 1, inStderr: "unknown command"},
	}
	for _, tt := range tests {
		pg := cli{t: t}
		code, stdout, stderr := pg.run(tt.args...)
		if code != tt.code {
			t.Fatalf("pgward %v: exit %d, want %d\n%s", tt.args, code, tt.code, stderr)
		}
		if tt.code == 0 {
			if stdout != tt.stdout {
				t.Errorf("pgward %v does not print schema/pgward-policy.schema.json", tt.args)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Errorf("not JSON: %v", err)
			}
			if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema = %v", doc["$schema"])
			}
			continue
		}
		if stdout != "" {
			t.Errorf("stdout: %q", stdout)
		}
		if !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("stderr lacks %q:\n%s", tt.inStderr, stderr)
		}
	}
}
