package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/smalldb"
	"github.com/pgward/pgward/policy"
)

const writes = acl.Insert | acl.Update | acl.Delete | acl.Truncate

// violations renders violations as the text plan prints them, without the
// marker.
func violations(vs []access.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s: %s on %s via %s (%s:%d)", v.Role, v.Privilege, v.Object, v.Path, v.Rule.Filename, v.Rule.Start.Line))
	}
	return out
}

func TestProject(t *testing.T) {
	c := smalldb.DB{
		Version: 150018,
		Members: []catalog.Membership{smalldb.Member("readers", "bob", true)},
		Edit: map[string][]acl.Item{
			"table t":    {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 150000)), smalldb.Item("carol", "alice", acl.Select|acl.Insert)},
			"column t.c": {smalldb.Item("carol", "alice", acl.Select|acl.Update), smalldb.Item("carol", "bob", acl.Select)},
		},
	}.Catalog()
	tbl, col := smalldb.Find(t, c, "table t"), smalldb.Find(t, c, "column t.c")
	changes := []*Change{
		{Action: Alter, Target: TargetRole, Grantee: "bob", Attributes: []AttributeChange{{Name: "inherit", Before: "INHERIT", After: "NOINHERIT"}}},
		{Action: Grant, Target: TargetMembership, Grantee: "carol", Membership: &MembershipChange{Role: "ops"}},
		{Action: Revoke, Target: TargetObject, Object: tbl.Object, Owner: "alice", Grantee: "carol", Grantor: "alice", Privs: acl.Privileges{Privs: acl.Select}},
		{Action: Grant, Target: TargetObject, Object: tbl.Object, Owner: "alice", Grantee: "dave", Grantor: "alice", Privs: acl.Privileges{Privs: acl.Select}},
		{Action: Grant, Target: TargetObject, Object: acl.Object{Kind: acl.KindColumn, Schema: "app", Name: "t", Column: "d"}, Owner: "alice", Grantee: "dave", Grantor: "alice", Privs: acl.Privileges{Privs: acl.Update}},
	}
	before := fmt.Sprint(tbl.ACL, col.ACL, c.Memberships, c.Role("bob").Inherit)
	p := project(c, changes)
	if after := fmt.Sprint(tbl.ACL, col.ACL, c.Memberships, c.Role("bob").Inherit); after != before {
		t.Fatalf("project changed its input: %s → %s", before, after)
	}
	e := access.NewEffectiveAccess(p)
	if e.HasPrivilegesOf("bob", "readers") || !e.IsMemberOf("bob", "readers") {
		t.Errorf("bob NOINHERIT before 16: want a member without the privileges of readers")
	}
	if !e.HasPrivilegesOf("carol", "ops") {
		t.Errorf("carol: membership in ops not projected")
	}
	check := func(role, what string, want acl.Priv) {
		t.Helper()
		if got, _ := e.Of(role, smalldb.Find(t, p, what)); got != want {
			t.Errorf("%s on %s: %s, want %s", role, what, got, want)
		}
	}
	check("carol", "table t", acl.Insert)
	// The table-level REVOKE SELECT strips alice's column SELECT, not bob's.
	check("carol", "column t.c", acl.Select|acl.Insert|acl.Update)
	if got := fmt.Sprint(smalldb.Find(t, p, "column t.c").ACL); got != "[carol=w/alice carol=r/bob]" {
		t.Errorf("column ACL after a table-level revoke: %s", got)
	}
	check("dave", "table t", acl.Select)
	check("dave", "column t.d", acl.Select|acl.Update)
}

// TestBuild_violations: the deny invariants broken before and after the
// plan; how the text plan writes them is render's TestWriteText_violations.
func TestBuild_violations(t *testing.T) {
	rng := func(line int) hcl.Range {
		return hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: line, Column: 1}}
	}
	denyWrites := smalldb.DenyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})
	tests := []struct {
		name  string
		db    smalldb.DB
		role  *policy.Role
		now   []string
		after []string
	}{
		{
			name: "the plan grants what a deny forbids",
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				Grants: []*policy.Grant{{Kind: acl.KindTable, Privileges: acl.Select | acl.Insert, DeclRange: rng(3)}}},
			after: []string{"bob: INSERT on table app.t via bob (policy.hcl:12)"},
		},
		{
			name: "the plan revokes what breaks a deny",
			db:   smalldb.DB{Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("bob", "alice", acl.Select|acl.Delete)}}},
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				Grants: []*policy.Grant{{Kind: acl.KindTable, Privileges: acl.Select, DeclRange: rng(3)}}},
			now: []string{"bob: DELETE on table app.t via bob (policy.hcl:12)"},
		},
		{
			name: "a membership the plan grants breaks a deny",
			db:   smalldb.DB{Me: "postgres"},
			role: &policy.Role{Name: "ops", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				MemberOf: []*policy.Membership{{Role: "pg_write_all_data", Range: rng(2)}}},
			after: []string{"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:12)"},
		},
		{
			name: "a membership granted outside the policy is revoked",
			db:   smalldb.DB{Me: "postgres", Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role: &policy.Role{Name: "ops", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites}},
			now:  []string{"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:12)"},
		},
		{
			name: "a violation on an object the plan leaves alone stays",
			db: smalldb.DB{Members: []catalog.Membership{smalldb.Member("readers", "bob", true)}, Edit: map[string][]acl.Item{
				"table t": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("readers", "alice", acl.Delete)},
				"table u": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("bob", "alice", acl.Truncate)},
			}},
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{smalldb.DenyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: acl.Delete | acl.Truncate})},
				MemberOf: []*policy.Membership{{Role: "readers", Range: rng(2)}},
				Grants:   []*policy.Grant{{Kind: acl.KindTable, Names: smalldb.Patterns("u"), Privileges: acl.Select, DeclRange: rng(3)}}},
			now:   []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: TRUNCATE on table app.u via bob (policy.hcl:12)"},
			after: []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)"},
		},
		{
			// The same block twice (a profile listed twice): each reports,
			// and reusing the violations of untouched objects keeps them
			// apart.
			name: "a deny block listed twice",
			db: smalldb.DB{Members: []catalog.Membership{smalldb.Member("readers", "bob", true)}, Edit: map[string][]acl.Item{
				"table t": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("readers", "alice", acl.Delete)},
				"table u": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("bob", "alice", acl.Truncate)},
			}},
			role: func() *policy.Role {
				d := smalldb.DenyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: acl.Delete | acl.Truncate})
				return &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{d, d},
					MemberOf: []*policy.Membership{{Role: "readers", Range: rng(2)}},
					Grants:   []*policy.Grant{{Kind: acl.KindTable, Names: smalldb.Patterns("u"), Privileges: acl.Select, DeclRange: rng(3)}}}
			}(),
			now: []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: TRUNCATE on table app.u via bob (policy.hcl:12)",
				"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: TRUNCATE on table app.u via bob (policy.hcl:12)"},
			after: []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)"},
		},
		{
			name:  "an external role keeps the membership that breaks a deny",
			db:    smalldb.DB{Members: []catalog.Membership{smalldb.Member("readers", "ops", true)}, Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", acl.Valid(acl.KindTable, 160000)), smalldb.Item("readers", "alice", acl.Update)}}},
			role:  &policy.Role{Name: "ops", External: true, DeclRange: rng(1), Deny: []*policy.Deny{denyWrites}, MemberOf: []*policy.Membership{{Role: "readers", Range: rng(2)}}},
			now:   []string{"ops: UPDATE on table app.t via ops → member of readers (policy.hcl:12)"},
			after: []string{"ops: UPDATE on table app.t via ops → member of readers (policy.hcl:12)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, cat := &policy.Policy{Roles: []*policy.Role{tt.role}}, tt.db.Catalog()
			p, diags := Build(pol, cat, Options{})
			if diags.HasErrors() {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			// Build reuses the violations of objects the plan leaves alone;
			// checking the whole projected catalog must agree.
			full := violations(access.CheckDeny(pol, project(cat, p.Changes)))
			if got := violations(p.Violations); strings.Join(got, "\n") != strings.Join(full, "\n") {
				t.Errorf("after the plan, reused:\n  %s\nchecked in full:\n  %s", strings.Join(got, "\n  "), strings.Join(full, "\n  "))
			}
			if got := violations(p.ViolationsNow); strings.Join(got, "\n") != strings.Join(tt.now, "\n") {
				t.Errorf("now:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.now, "\n  "))
			}
			if got := violations(p.Violations); strings.Join(got, "\n") != strings.Join(tt.after, "\n") {
				t.Errorf("after the plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.after, "\n  "))
			}
		})
	}
}
