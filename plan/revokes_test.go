package plan_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// TestBuild_grantOptionChains checks the statements planned for grants
// passed on from role to role, where PostgreSQL's REVOKE takes the
// dependent grants with it (CASCADE) unless the grantee keeps the grant
// option another way. internal/testkit/oracle runs the same shapes against
// PostgreSQL (TestOracle_shrunkCases).
func TestBuild_grantOptionChains(t *testing.T) {
	fn := func(items ...acl.Item) *catalog.Object {
		all := append([]acl.Item{item("alice", "alice", acl.Execute, 0)}, items...)
		return &catalog.Object{Object: acl.Object{Kind: acl.KindFunction, Schema: "app", Name: "f", Subkind: 'f'}, Owner: "alice", ACL: all}
	}
	dave := role("dave", 16387)
	bobUsage := []acl.Item{item("bob", "alice", acl.Usage, 0)} // bob must name the function to revoke as itself
	const bobSchema = `
  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }`
	tests := []struct {
		name    string
		policy  string
		db      fixture
		want    []string // statements, in order, with SET ROLE shown as "as X:"
		wantErr string
	}{
		{
			name:   "a revoke as another grantor cascades to what the grantee passed on",
			policy: `role "carol" {}`,
			db: fixture{Me: "postgres", SchemaItems: bobUsage, Objects: []*catalog.Object{fn(
				item("bob", "alice", acl.Execute, acl.Execute),
				item("carol", "bob", acl.Execute, acl.Execute),
				item("", "carol", acl.Execute, 0))}},
			want: []string{`as bob: REVOKE EXECUTE ON FUNCTION app.f() FROM carol CASCADE`},
		},
		{
			name:   "a cycle of grant options goes with one CASCADE",
			policy: `role "bob" {}`,
			db: fixture{Me: "postgres", Objects: []*catalog.Object{fn(
				item("bob", "alice", acl.Execute, acl.Execute),
				item("carol", "bob", acl.Execute, acl.Execute),
				item("bob", "carol", acl.Execute, 0))}},
			want: []string{`REVOKE EXECUTE ON FUNCTION app.f() FROM bob CASCADE`},
		},
		{
			name: "a membership stops the CASCADE: the dependent grant is revoked first",
			policy: `role "bob" {
  member_of "carol" {}` + bobSchema + `
}
role "carol" {}`,
			db: fixture{Me: "postgres", SchemaItems: bobUsage, Members: []catalog.Membership{{Role: "carol", Member: "bob", Grantor: "postgres", Inherit: true, Set: true}},
				Objects: []*catalog.Object{fn(
					item("bob", "alice", acl.Execute, acl.Execute),
					item("carol", "bob", acl.Execute, acl.Execute))}},
			want: []string{
				`as bob: REVOKE EXECUTE ON FUNCTION app.f() FROM carol`,
				`REVOKE EXECUTE ON FUNCTION app.f() FROM bob`,
			},
		},
		{
			name: "the membership the plan grants counts too",
			policy: `role "bob" {
  member_of "dave" {}` + bobSchema + `
}
role "dave" {}`,
			db: fixture{Me: "postgres", SchemaItems: bobUsage, Extra: []*catalog.Role{dave},
				Objects: []*catalog.Object{fn(
					item("bob", "alice", acl.Execute, acl.Execute),
					item("dave", "bob", acl.Execute, acl.Execute))}},
			want: []string{
				`GRANT "dave" TO "bob" WITH ADMIN FALSE`,
				`as bob: REVOKE EXECUTE ON FUNCTION app.f() FROM dave`,
				`REVOKE EXECUTE ON FUNCTION app.f() FROM bob`,
			},
		},
		{
			name:   "taking only the grant option cascades too",
			policy: "role \"bob\" {\n  grant \"function\" {\n    schema = \"app\"\n    privileges = [\"EXECUTE\"]\n  }\n}",
			db: fixture{Me: "postgres", Objects: []*catalog.Object{fn(
				item("bob", "alice", acl.Execute, acl.Execute),
				item("carol", "bob", acl.Execute, 0))}},
			want: []string{`REVOKE GRANT OPTION FOR EXECUTE ON FUNCTION app.f() FROM bob CASCADE`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(loadPolicy(t, tt.policy), tt.db.Catalog(), plan.Options{})
			if diags.HasErrors() {
				t.Fatalf("unexpected errors: %s", diags.Error())
			}
			var got []string
			for _, s := range p.Statements {
				sql := strings.ReplaceAll(s.SQL, `"`, "")
				if strings.HasPrefix(s.SQL, "GRANT \"") {
					sql = s.SQL // memberships: keep the quoting
				}
				if s.AsRole != "" {
					sql = "as " + s.AsRole + ": " + sql
				}
				got = append(got, sql)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("statements:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
