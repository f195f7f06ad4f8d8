package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/render"
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

// v2Keys are what format_version "2" added to a plan: a consumer finds
// errors (always empty in a plan) and warnings.
var v2Keys = []string{"errors", "warnings"}

// TestJSON_v1Compatibility: version 2 keeps every key version 1 promised,
// and adds v2Keys.
func TestJSON_v1Compatibility(t *testing.T) {
	pol := loadPolicy(t, "role \"bob\" {\n  grant \"table\" { privileges = [\"SELECT\"] }\n  member_of \"carol\" {}\n}")
	f := fixture{Me: "postgres", Objects: []*catalog.Object{table("t", item("bob", "alice", acl.Truncate, 0))}}
	p, _ := plan.Build(pol, f.Catalog(), plan.Options{})
	var buf bytes.Buffer
	if err := render.WriteJSON(&buf, p, render.JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != "2" {
		t.Fatalf("format_version = %v, want \"2\"", doc["format_version"])
	}
	for _, k := range v2Keys {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("plan lacks the array %q, which format_version 2 promises", k)
		}
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

// TestJSON_failureDocument: a failed run's document holds the errors and
// warnings and no key of a plan, so that nothing reads it as one.
func TestJSON_failureDocument(t *testing.T) {
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: `Role "tuist_procesor" does not exist`, Detail: `Did you mean "tuist_processor"?`,
			Subject: &hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: 3, Column: 1}}},
		{Severity: hcl.DiagWarning, Summary: `No table named "userz"`},
	}
	var buf bytes.Buffer
	if err := render.WriteJSONFailure(&buf, diags, errors.New("lock timeout")); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != "2" {
		t.Errorf("format_version = %v, want \"2\"", doc["format_version"])
	}
	for _, k := range v1Keys["plan"] {
		if _, ok := doc[k]; ok && k != "format_version" {
			t.Errorf("a failure document has the plan key %q:\n%s", k, buf.String())
		}
	}
	errs, _ := doc["errors"].([]any)
	warnings, _ := doc["warnings"].([]any)
	if len(errs) != 2 || len(warnings) != 1 {
		t.Fatalf("want 2 errors and 1 warning:\n%s", buf.String())
	}
	first := errs[0].(map[string]any)
	if first["file"] != "policy.hcl" || first["line"] != float64(3) || first["summary"] != `Role "tuist_procesor" does not exist` {
		t.Errorf("first error: %v", first)
	}
	if errs[1].(map[string]any)["summary"] != "lock timeout" {
		t.Errorf("the error of the environment comes last: %v", errs[1])
	}
}
