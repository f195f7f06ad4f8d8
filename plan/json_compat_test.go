package plan_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// v1Keys is format_version "1" as docs/json.md promises it. Consumers rely
// on these keys: removing or renaming one breaks them and needs version "2".
// Adding keys is compatible. Do not edit this list to make a test pass.
var v1Keys = map[string][]string{
	"plan":       {"format_version", "database", "server_version_num", "connecting_role", "fingerprint", "summary", "changes", "statements", "drift", "skipped_roles", "violations", "violations_now"},
	"summary":    {"grant", "revoke", "alter", "blocked"},
	"change":     {"action", "target", "grantee", "grant_option", "grant_option_only", "cascade", "authority", "reason"},
	"object":     {"kind", "name", "owner"},
	"statement":  {"sql", "changes"},
	"membership": {"role"},
}

func TestJSON_v1Compatibility(t *testing.T) {
	pol := loadPolicy(t, "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n  member_of \"carol\" {}\n}")
	f := fixture{me: "postgres", objects: []*catalog.Object{table("t", item("bob", "alice", acl.Truncate, 0))}}
	p, _ := plan.Build(pol, f.catalog(), plan.Options{})
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != "1" {
		t.Fatalf("format_version = %v, want \"1\"", doc["format_version"])
	}
	need := func(what string, m map[string]any) {
		for _, k := range v1Keys[what] {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q, which format_version 1 promises", what, k)
			}
		}
	}
	need("plan", doc)
	need("summary", doc["summary"].(map[string]any))
	seen := map[string]bool{}
	for _, c := range doc["changes"].([]any) {
		c := c.(map[string]any)
		need("change", c)
		if o, ok := c["object"].(map[string]any); ok {
			need("object", o)
			seen["object"] = true
		}
		if m, ok := c["membership"].(map[string]any); ok {
			need("membership", m)
			seen["membership"] = true
		}
	}
	for _, s := range doc["statements"].([]any) {
		need("statement", s.(map[string]any))
	}
	if !seen["object"] || !seen["membership"] {
		t.Errorf("the fixture should produce object and membership changes: %v", seen)
	}
}
