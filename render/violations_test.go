package render_test

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/smalldb"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
	"github.com/pgward/pgward/render"
)

// TestWriteText_violations: the text plan lists the invariants the plan
// breaks, and none when it breaks none (the cases of plan's
// TestBuild_violations whose text matters).
func TestWriteText_violations(t *testing.T) {
	rng := func(line int) hcl.Range {
		return hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: line, Column: 1}}
	}
	const writes = acl.Insert | acl.Update | acl.Delete | acl.Truncate
	denyWrites := smalldb.DenyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})
	tests := []struct {
		name     string
		db       smalldb.DB
		role     *policy.Role
		broken   bool // the plan leaves an invariant broken
		wantText string
	}{
		{
			name: "the plan grants what a deny forbids",
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				Grants: []*policy.Grant{{Kind: acl.KindTable, Privileges: acl.Select | acl.Insert, DeclRange: rng(3)}}},
			broken:   true,
			wantText: "  # invariants broken\n  ✗ bob: INSERT on table app.t via bob (policy.hcl:12)\n",
		},
		{
			name: "the plan revokes what breaks a deny",
			db:   smalldb.DB{Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("bob", "alice", acl.Select|acl.Delete)}}},
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				Grants: []*policy.Grant{{Kind: acl.KindTable, Privileges: acl.Select, DeclRange: rng(3)}}},
		},
		{
			name: "a membership granted outside the policy is revoked",
			db:   smalldb.DB{Me: "postgres", Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role: &policy.Role{Name: "ops", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(&policy.Policy{Roles: []*policy.Role{tt.role}}, tt.db.Catalog(), plan.Options{})
			if diags.HasErrors() {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			if got := len(p.Violations) > 0; got != tt.broken {
				t.Fatalf("the plan breaks invariants: %t, want %t", got, tt.broken)
			}
			var buf bytes.Buffer
			if err := render.WriteText(&buf, p, render.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if tt.wantText != "" && !strings.Contains(buf.String(), tt.wantText) {
				t.Errorf("text plan lacks\n%s\ngot:\n%s", tt.wantText, buf.String())
			}
			if !tt.broken && strings.Contains(buf.String(), "invariants") {
				t.Errorf("text plan reports invariants it does not break:\n%s", buf.String())
			}
		})
	}
}

// TestWriteText_violationsFromHCL: the deny block as written in a policy file,
// through Build and the text plan.
func TestWriteText_violationsFromHCL(t *testing.T) {
	src := `role "ops" {
  external = true

  deny {
    kinds      = ["table"]
    privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
  }
}
`
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	c := smalldb.DB{Version: 170002, Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}}.Catalog()
	p, diags := plan.Build(pol, c, plan.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var buf bytes.Buffer
	if err := render.WriteText(&buf, p, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "  # invariants broken\n  ✗ ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:4)\n"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("text plan lacks\n%s\ngot:\n%s", want, buf.String())
	}
}
