package plan

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

func denyAt(line int, d policy.Deny) *policy.Deny {
	d.DeclRange = hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: line, Column: 3}}
	return &d
}

func patterns(ns ...string) []policy.Pattern {
	out := make([]policy.Pattern, len(ns))
	for i, n := range ns {
		out[i] = policy.Pattern{Text: n}
	}
	return out
}

// violations renders violations as the text plan prints them, without the
// marker.
func violations(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s: %s on %s via %s (%s:%d)", v.Role, v.Privilege, v.Object, v.Path, v.Rule.Filename, v.Rule.Start.Line))
	}
	return out
}

const writes = acl.Insert | acl.Update | acl.Delete | acl.Truncate

func TestCheckInvariants(t *testing.T) {
	tableAll := acl.Valid(acl.KindTable, 160000)
	tests := []struct {
		name string
		db   effDB
		role string
		deny []*policy.Deny
		want []string
	}{
		{
			name: "kept: nothing to write with",
			db:   effDB{members: []catalog.Membership{eMember("pg_read_all_data", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{denyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
		},
		{
			name: "broken through pg_write_all_data",
			db:   effDB{members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{denyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
			want: []string{"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:12)"},
		},
		{
			name: "every kind when kinds are omitted; one line per route",
			db: effDB{
				members: []catalog.Membership{eMember("pg_write_all_data", "ops", true), eMember("readers", "ops", true)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll), eItem("ops", "alice", acl.Truncate), eItem("readers", "alice", acl.Insert)}},
			},
			role: "ops",
			deny: []*policy.Deny{denyAt(3, policy.Deny{Privileges: writes})},
			want: []string{
				"ops: TRUNCATE on table app.t via ops (policy.hcl:3)",
				"ops: INSERT on table app.t via ops → member of readers (policy.hcl:3)",
				"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:3)",
				"ops: UPDATE on sequence app.s via ops → member of pg_write_all_data (policy.hcl:3)",
			},
		},
		{
			name: "never CREATE anywhere: public schema on 14 through PUBLIC",
			db:   effDB{version: 140023},
			role: "bob",
			deny: []*policy.Deny{denyAt(5, policy.Deny{Privileges: acl.Create})},
			want: []string{"bob: CREATE on schema public via PUBLIC (policy.hcl:5)"},
		},
		{
			name: "never CREATE anywhere: kept on 15",
			db:   effDB{version: 150018},
			role: "bob",
			deny: []*policy.Deny{denyAt(5, policy.Deny{Privileges: acl.Create})},
		},
		{
			name: "the database owner creates in public on 15 and in its database",
			db:   effDB{version: 150018},
			role: "alice",
			deny: []*policy.Deny{denyAt(5, policy.Deny{Privileges: acl.Create})},
			want: []string{
				"alice: CREATE on database appdb via alice (policy.hcl:5)",
				"alice: CREATE on schema app via alice (policy.hcl:5)",
				"alice: CREATE on schema public via alice → member of pg_database_owner (as owner of the database) (policy.hcl:5)",
			},
		},
		{
			name: "schema restricts: a schema matches itself, the database does not match",
			db:   effDB{version: 150018},
			role: "alice",
			deny: []*policy.Deny{denyAt(5, policy.Deny{Schema: "public", Privileges: acl.Create})},
			want: []string{"alice: CREATE on schema public via alice → member of pg_database_owner (as owner of the database) (policy.hcl:5)"},
		},
		{
			name: "names and schema filter like grant rules",
			db:   effDB{members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{
				denyAt(7, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Schema: "other", Privileges: writes}),
				denyAt(8, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Names: patterns("x*"), Privileges: writes}),
				denyAt(9, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Schema: "app", Names: patterns("?"), Privileges: acl.Delete}),
			},
			want: []string{"ops: DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:9)"},
		},
		{
			name: "ALL means every privilege of the kind",
			db:   effDB{members: []catalog.Membership{eMember("readers", "bob", true)}},
			role: "bob",
			deny: []*policy.Deny{denyAt(4, policy.Deny{Kinds: []acl.Kind{acl.KindFunction}, All: true})},
			want: []string{"bob: EXECUTE on function app.f() via PUBLIC (policy.hcl:4)"},
		},
		{
			name: "a deny on tables covers column grants",
			db:   effDB{edit: map[string][]acl.Item{"column t.c": {eItem("bob", "alice", acl.Insert|acl.Select)}}},
			role: "bob",
			deny: []*policy.Deny{denyAt(6, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
			want: []string{"bob: INSERT on column app.t.c via bob (policy.hcl:6)"},
		},
		{
			name: "a column grant is not reported twice next to the table-level one",
			db: effDB{edit: map[string][]acl.Item{
				"table t":    {eItem("alice", "alice", tableAll), eItem("bob", "alice", acl.Insert)},
				"column t.c": {eItem("bob", "alice", acl.Insert)},
			}},
			role: "bob",
			deny: []*policy.Deny{denyAt(6, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: acl.Insert})},
			want: []string{
				"bob: INSERT on table app.t via bob (policy.hcl:6)",
				"bob: INSERT on column app.t.c via bob (policy.hcl:6)",
			},
		},
		{
			name: "superuser breaks every deny",
			role: "postgres",
			deny: []*policy.Deny{denyAt(2, policy.Deny{Kinds: []acl.Kind{acl.KindSequence}, Privileges: acl.Usage})},
			want: []string{"postgres: USAGE on sequence app.s via postgres (superuser) (policy.hcl:2)"},
		},
		{
			name: "a role the database lacks is skipped",
			role: "ghost",
			deny: []*policy.Deny{denyAt(2, policy.Deny{Privileges: acl.Execute})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &policy.Policy{Roles: []*policy.Role{{Name: tt.role, Deny: tt.deny}}}
			got := violations(CheckInvariants(p, tt.db.catalog()))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestProject(t *testing.T) {
	c := effDB{
		version: 150018,
		members: []catalog.Membership{eMember("readers", "bob", true)},
		edit: map[string][]acl.Item{
			"table t":    {eItem("alice", "alice", acl.Valid(acl.KindTable, 150000)), eItem("carol", "alice", acl.Select|acl.Insert)},
			"column t.c": {eItem("carol", "alice", acl.Select|acl.Update), eItem("carol", "bob", acl.Select)},
		},
	}.catalog()
	tbl, col := find(t, c, "table t"), find(t, c, "column t.c")
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
	e := NewEffectiveAccess(p)
	if e.HasPrivilegesOf("bob", "readers") || !e.IsMemberOf("bob", "readers") {
		t.Errorf("bob NOINHERIT before 16: want a member without the privileges of readers")
	}
	if !e.HasPrivilegesOf("carol", "ops") {
		t.Errorf("carol: membership in ops not projected")
	}
	check := func(role, what string, want acl.Priv) {
		t.Helper()
		if got, _ := e.Of(role, find(t, p, what)); got != want {
			t.Errorf("%s on %s: %s, want %s", role, what, got, want)
		}
	}
	check("carol", "table t", acl.Insert)
	// The table-level REVOKE SELECT strips alice's column SELECT, not bob's.
	check("carol", "column t.c", acl.Select|acl.Insert|acl.Update)
	if got := fmt.Sprint(find(t, p, "column t.c").ACL); got != "[carol=w/alice carol=r/bob]" {
		t.Errorf("column ACL after a table-level revoke: %s", got)
	}
	check("dave", "table t", acl.Select)
	check("dave", "column t.d", acl.Select|acl.Update)
}

func TestBuild_violations(t *testing.T) {
	rng := func(line int) hcl.Range {
		return hcl.Range{Filename: "policy.hcl", Start: hcl.Pos{Line: line, Column: 1}}
	}
	denyWrites := denyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})
	tests := []struct {
		name     string
		db       effDB
		role     *policy.Role
		now      []string
		after    []string
		wantText string
	}{
		{
			name: "the plan grants what a deny forbids",
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				Grants: []*policy.Grant{{Kind: acl.KindTable, Privileges: acl.Select | acl.Insert, DeclRange: rng(3)}}},
			after:    []string{"bob: INSERT on table app.t via bob (policy.hcl:12)"},
			wantText: "  # invariants broken\n  ✗ bob: INSERT on table app.t via bob (policy.hcl:12)\n",
		},
		{
			name: "the plan revokes what breaks a deny",
			db:   effDB{edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", acl.Valid(acl.KindTable, 160000)), eItem("bob", "alice", acl.Select|acl.Delete)}}},
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				Grants: []*policy.Grant{{Kind: acl.KindTable, Privileges: acl.Select, DeclRange: rng(3)}}},
			now: []string{"bob: DELETE on table app.t via bob (policy.hcl:12)"},
		},
		{
			name: "a membership the plan grants breaks a deny",
			db:   effDB{me: "postgres"},
			role: &policy.Role{Name: "ops", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites},
				MemberOf: []*policy.Membership{{Role: "pg_write_all_data", Range: rng(2)}}},
			after: []string{"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:12)"},
		},
		{
			name: "a membership granted outside the policy is revoked",
			db:   effDB{me: "postgres", members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}},
			role: &policy.Role{Name: "ops", DeclRange: rng(1), Deny: []*policy.Deny{denyWrites}},
			now:  []string{"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:12)"},
		},
		{
			name: "a violation on an object the plan leaves alone stays",
			db: effDB{members: []catalog.Membership{eMember("readers", "bob", true)}, edit: map[string][]acl.Item{
				"table t": {eItem("alice", "alice", acl.Valid(acl.KindTable, 160000)), eItem("readers", "alice", acl.Delete)},
				"table u": {eItem("alice", "alice", acl.Valid(acl.KindTable, 160000)), eItem("bob", "alice", acl.Truncate)},
			}},
			role: &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{denyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: acl.Delete | acl.Truncate})},
				MemberOf: []*policy.Membership{{Role: "readers", Range: rng(2)}},
				Grants:   []*policy.Grant{{Kind: acl.KindTable, Names: patterns("u"), Privileges: acl.Select, DeclRange: rng(3)}}},
			now:   []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: TRUNCATE on table app.u via bob (policy.hcl:12)"},
			after: []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)"},
		},
		{
			// The same block twice (a profile listed twice): each reports,
			// and reusing the violations of untouched objects keeps them
			// apart.
			name: "a deny block listed twice",
			db: effDB{members: []catalog.Membership{eMember("readers", "bob", true)}, edit: map[string][]acl.Item{
				"table t": {eItem("alice", "alice", acl.Valid(acl.KindTable, 160000)), eItem("readers", "alice", acl.Delete)},
				"table u": {eItem("alice", "alice", acl.Valid(acl.KindTable, 160000)), eItem("bob", "alice", acl.Truncate)},
			}},
			role: func() *policy.Role {
				d := denyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: acl.Delete | acl.Truncate})
				return &policy.Role{Name: "bob", DeclRange: rng(1), Deny: []*policy.Deny{d, d},
					MemberOf: []*policy.Membership{{Role: "readers", Range: rng(2)}},
					Grants:   []*policy.Grant{{Kind: acl.KindTable, Names: patterns("u"), Privileges: acl.Select, DeclRange: rng(3)}}}
			}(),
			now: []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: TRUNCATE on table app.u via bob (policy.hcl:12)",
				"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: TRUNCATE on table app.u via bob (policy.hcl:12)"},
			after: []string{"bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)", "bob: DELETE on table app.t via bob → member of readers (policy.hcl:12)"},
		},
		{
			name:  "an external role keeps the membership that breaks a deny",
			db:    effDB{members: []catalog.Membership{eMember("readers", "ops", true)}, edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", acl.Valid(acl.KindTable, 160000)), eItem("readers", "alice", acl.Update)}}},
			role:  &policy.Role{Name: "ops", External: true, DeclRange: rng(1), Deny: []*policy.Deny{denyWrites}, MemberOf: []*policy.Membership{{Role: "readers", Range: rng(2)}}},
			now:   []string{"ops: UPDATE on table app.t via ops → member of readers (policy.hcl:12)"},
			after: []string{"ops: UPDATE on table app.t via ops → member of readers (policy.hcl:12)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, cat := &policy.Policy{Roles: []*policy.Role{tt.role}}, tt.db.catalog()
			p, diags := Build(pol, cat, Options{})
			if diags.HasErrors() {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			// Build reuses the violations of objects the plan leaves alone;
			// checking the whole projected catalog must agree.
			full := violations(CheckInvariants(pol, project(cat, p.Changes)))
			if got := violations(p.Violations); strings.Join(got, "\n") != strings.Join(full, "\n") {
				t.Errorf("after the plan, reused:\n  %s\nchecked in full:\n  %s", strings.Join(got, "\n  "), strings.Join(full, "\n  "))
			}
			if got := violations(p.ViolationsNow); strings.Join(got, "\n") != strings.Join(tt.now, "\n") {
				t.Errorf("now:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.now, "\n  "))
			}
			if got := violations(p.Violations); strings.Join(got, "\n") != strings.Join(tt.after, "\n") {
				t.Errorf("after the plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.after, "\n  "))
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, p, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if tt.wantText != "" && !strings.Contains(buf.String(), tt.wantText) {
				t.Errorf("text plan lacks\n%s\ngot:\n%s", tt.wantText, buf.String())
			}
			if len(tt.after) == 0 && strings.Contains(buf.String(), "invariants") {
				t.Errorf("text plan reports invariants it does not break:\n%s", buf.String())
			}
		})
	}
}

// TestBuild_violationsFromHCL: the deny block as written in a policy file,
// through Build and the text plan.
func TestBuild_violationsFromHCL(t *testing.T) {
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
	c := effDB{version: 170002, members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}}.catalog()
	p, diags := Build(pol, c, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "  # invariants broken\n  ✗ ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:4)\n"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("text plan lacks\n%s\ngot:\n%s", want, buf.String())
	}
}
