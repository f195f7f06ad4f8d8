package plan_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// carolActsAsAlice is the connecting role carol, a member of the owner
// alice with INHERIT (the migrator of a four-role setup), able to change
// memberships (CREATEROLE before 16, ADMIN OPTION on 16+).
func carolActsAsAlice(version int) fixture {
	carol := role("carol", 16386)
	carol.CreateRole = true
	return fixture{
		Version: version,
		Me:      "carol",
		Extra:   []*catalog.Role{carol},
		Members: []catalog.Membership{{Role: "alice", Member: "carol", Grantor: "postgres", Inherit: true, Set: true, Admin: version >= 160000}},
		Objects: []*catalog.Object{table("t")},
	}
}

func TestBuild_lockoutGuard(t *testing.T) {
	tests := []struct {
		name      string
		policy    string
		db        fixture
		edit      func(*catalog.Catalog)
		want      []string
		wantDiags []string
	}{
		{
			name:   "revoking the connecting role's membership in the owner is refused",
			policy: `role "carol" {}`,
			db:     carolActsAsAlice(150004),
			want:   []string{"- member carol in alice BLOCKED"},
			wantDiags: []string{
				`Change would lock out carol revoke membership of carol in alice would leave carol, the role pgward connects as, without the privileges of alice: ` +
					`alice owns objects in scope, and carol acts as it through membership`,
			},
		},
		{
			name:      "the fix names the membership to declare",
			policy:    `role "carol" {}`,
			db:        carolActsAsAlice(150004),
			want:      []string{"- member carol in alice BLOCKED"},
			wantDiags: []string{`declare the membership: add member_of "alice" {} to role "carol"`},
		},
		{
			name:   "declaring the membership keeps it: nothing to refuse",
			policy: "role \"carol\" {\n  member_of \"alice\" {}\n}",
			db:     carolActsAsAlice(150004),
		},
		{
			name: "a PUBLIC ceiling that removes the only CONNECT of the connecting role is refused",
			// alice revoked her own CONNECT (an owner may), so carol, acting
			// as alice, connects only through PUBLIC.
			policy: `public { database = [] }`,
			db:     carolActsAsAlice(160004),
			edit: func(c *catalog.Catalog) {
				c.Objects[0].ACL = []acl.Item{item("", "alice", acl.Connect|acl.Temporary, 0), item("alice", "alice", acl.Create|acl.Temporary, 0)}
			},
			want: []string{"- database appdb PUBLIC CONNECT, TEMPORARY BLOCKED"},
			wantDiags: []string{
				`without CONNECT on database appdb: neither the next run nor anything else running as carol could connect. pgward refuses it, so the plan cannot be applied. ` +
					`To fix it, grant carol CONNECT explicitly in the policy (grant "database" { privileges = ["CONNECT"] } in role "carol"), or let PUBLIC keep it in the public block.`,
			},
		},
		{
			name:   "granting the connecting role CONNECT explicitly lets the ceiling apply",
			policy: "public { database = [] }\nrole \"carol\" {\n  member_of \"alice\" {}\n  grant \"database\" { privileges = [\"CONNECT\"] }\n}",
			db:     carolActsAsAlice(150004),
			edit: func(c *catalog.Catalog) {
				c.Objects[0].ACL = []acl.Item{item("", "alice", acl.Connect|acl.Temporary, 0), item("alice", "alice", acl.Create|acl.Temporary, 0)}
			},
			want: []string{"+ database appdb carol CONNECT", "- database appdb PUBLIC CONNECT, TEMPORARY"},
		},
		{
			name:   "the owner that revoked its own CONNECT is told to restore it by hand",
			policy: `public { database = [] }`,
			db:     fixture{},
			edit: func(c *catalog.Catalog) {
				c.Objects[0].ACL = []acl.Item{item("", "alice", acl.Connect|acl.Temporary, 0), item("alice", "alice", acl.Create|acl.Temporary, 0)}
			},
			want:      []string{"- database appdb PUBLIC CONNECT, TEMPORARY BLOCKED"},
			wantDiags: []string{`restore the owner's own privilege by hand (GRANT CONNECT ON DATABASE "appdb" TO "alice")`},
		},
		{
			name:   "a PUBLIC ceiling is fine when the connecting role has CONNECT of its own",
			policy: `public { database = [] }`,
			db:     fixture{},
			want:   []string{"- database appdb PUBLIC CONNECT, TEMPORARY"},
		},
		{
			name: "two revokes that together remove CONNECT: only the cause is refused",
			// Without the membership carol would connect through PUBLIC
			// only; refusing the membership revoke keeps every need, so the
			// PUBLIC ceiling goes ahead.
			policy:    "public { database = [] }\nrole \"carol\" {}",
			db:        carolActsAsAlice(150004),
			want:      []string{"- database appdb PUBLIC CONNECT, TEMPORARY", "- member carol in alice BLOCKED"},
			wantDiags: []string{"Change would lock out carol"},
		},
		{
			name:      "NOLOGIN on the connecting role is refused",
			policy:    "role \"carol\" {\n  login = false\n  member_of \"alice\" {}\n}",
			db:        carolActsAsAlice(150004),
			want:      []string{"~ role carol NOLOGIN BLOCKED"},
			wantDiags: []string{`without LOGIN: neither the next run nor anything else running as carol could log in. pgward refuses it, so the plan cannot be applied. To fix it, remove login = false from role "carol"`},
		},
		{
			name:      "CONNECTION LIMIT 0 on the connecting role is refused",
			policy:    "role \"carol\" {\n  connection_limit = 0\n  member_of \"alice\" {}\n}",
			db:        carolActsAsAlice(150004),
			want:      []string{"~ role carol CONNECTION LIMIT 0 BLOCKED"},
			wantDiags: []string{"without a connection (CONNECTION LIMIT 0)"},
		},
		{
			name:      "NOINHERIT before 16 drops the owner's privileges and is refused",
			policy:    "role \"carol\" {\n  inherit = false\n  member_of \"alice\" {}\n}",
			db:        carolActsAsAlice(150004),
			want:      []string{"~ role carol NOINHERIT BLOCKED"},
			wantDiags: []string{`remove inherit = false from role "carol"`},
		},
		{
			name:      "a membership without INHERIT on 16+ is refused",
			policy:    "role \"carol\" {\n  member_of \"alice\" {\n    inherit = false\n    admin   = true\n  }\n}",
			db:        carolActsAsAlice(160004),
			want:      []string{"~ member carol in alice BLOCKED"},
			wantDiags: []string{`member_of "alice" { inherit = true } in role "carol"`},
		},
		{
			name:   "a superuser cannot lock itself out through privileges",
			policy: "role \"postgres\" {}\npublic { database = [] }",
			db: fixture{Me: "postgres", Members: []catalog.Membership{{Role: "alice", Member: "postgres", Grantor: "postgres", Inherit: true, Set: true}},
				Objects: []*catalog.Object{table("t", item("postgres", "alice", acl.Select, 0))}},
			want:      []string{"- table app.t postgres SELECT", "- database appdb PUBLIC CONNECT, TEMPORARY", "- member postgres in alice"},
			wantDiags: []string{`Role "postgres" is a superuser`},
		},
		{
			name:      "but NOLOGIN locks a superuser out too",
			policy:    "role \"postgres\" {\n  login = false\n}",
			db:        fixture{Me: "postgres"},
			want:      []string{"~ role postgres NOLOGIN BLOCKED"},
			wantDiags: []string{"Change would lock out postgres", `Role "postgres" is a superuser`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.db.Catalog()
			if tt.edit != nil {
				tt.edit(c)
			}
			p, diags := plan.Build(loadPolicy(t, tt.policy), c, plan.Options{})
			if got := summary(p); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.want)
			}
			checkDiags(t, diags, tt.wantDiags)
			for _, ch := range p.Blocked() {
				if !strings.Contains(ch.Blocked, "the role pgward connects as") {
					t.Errorf("blocked change %v does not say why: %s", summary(&plan.Plan{Changes: []*plan.Change{ch}}), ch.Blocked)
				}
			}
		})
	}
}

// The lockout error points at the rule that causes the change: the
// public block's attribute for a PUBLIC revoke, the role block for an
// undeclared membership.
func TestBuild_lockoutGuardPointsAtTheRule(t *testing.T) {
	pol := loadPolicy(t, "role \"carol\" {}\n\npublic {\n  database = []\n}\n")
	c := carolActsAsAlice(150004).Catalog()
	_, diags := plan.Build(pol, c, plan.Options{})
	if len(diags) != 1 || diags[0].Subject == nil {
		t.Fatalf("want one diagnostic with a range, got %v", diags)
	}
	if got := diags[0].Subject; got.Filename != "policy.hcl" || got.Start.Line != 1 {
		t.Errorf("subject %s, want policy.hcl:1 (the role block)", got)
	}
}

// Plan touches declared roles and PUBLIC only: superusers, predefined pg_*
// roles and provider-reserved roles keep whatever they hold, as grantees
// of objects and default privileges and as members, unless declared.
func TestBuild_neverTouchesUndeclaredReservedRoles(t *testing.T) {
	su := role("rdsadmin", 16400)
	su.Superuser = true
	reserved := []*catalog.Role{su, role("rds_superuser", 16401), role("cloudsqlsuperuser", 16402), role("azure_pg_admin", 16403),
		role("supabase_admin", 16404), role("alloydbsuperuser", 16405), role("pg_monitor", 3373)}
	all := acl.Valid(acl.KindTable, 160000)
	var items []acl.Item
	var members []catalog.Membership
	for _, r := range append(reserved, role("postgres", 10)) {
		items = append(items, item(r.Name, "alice", all, all))
		members = append(members, catalog.Membership{Role: "alice", Member: r.Name, Grantor: "postgres", Inherit: true, Set: true})
	}
	f := fixture{
		Me:      "postgres",
		Extra:   reserved,
		Members: members,
		Objects: []*catalog.Object{table("t", items...)},
		Defs:    []*catalog.DefaultACL{{ForRole: "alice", Kind: acl.KindTable, ACL: append([]acl.Item{item("alice", "alice", all, 0)}, items...)}},
	}
	c := f.Catalog()
	c.Objects[0].ACL = append(c.Objects[0].ACL, item("rds_superuser", "alice", acl.Connect|acl.Create, 0), item("pg_monitor", "alice", acl.Connect, 0))
	c.Objects[1].ACL = append(c.Objects[1].ACL, item("rds_superuser", "alice", acl.Usage|acl.Create, 0), item("postgres", "alice", acl.Usage, 0))
	pol := loadPolicy(t, `role "bob" {}
public {
  database = []
  schema   = []
  table    = []
}`)
	p, diags := plan.Build(pol, c, plan.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, ch := range p.Changes {
		if !ch.Grantee.IsPublic() && ch.Grantee != "bob" {
			t.Errorf("plan touches %s: %v", ch.Grantee, summary(&plan.Plan{Changes: []*plan.Change{ch}}))
		}
	}
	if want := []string{"- database appdb PUBLIC CONNECT, TEMPORARY"}; strings.Join(summary(p), "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n got %q\nwant %q", summary(p), want)
	}
}
