package plan_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/plan"
)

// TestBuild_ownerCascade checks the statements, their order and their
// reasons when the owner takes an item of another grantor that it cannot
// revoke as that grantor: REVOKE GRANT OPTION FOR … CASCADE from the role
// the owner gave the grant option to, then the grants that give back what
// the cascade took and must stay. internal/testkit/cases runs the same
// shapes against PostgreSQL (C10c…C10h).
func TestBuild_ownerCascade(t *testing.T) {
	dave, erin := role("dave", 16387), role("erin", 16388)
	tool := role("tool", 16389)
	const carolWithOption = `
role "carol" {
  grant "table" {
    privileges        = ["SELECT"]
    with_grant_option = true
  }
}`
	tests := []struct {
		name      string
		policy    string
		db        fixture
		want      []string // "SQL  -- reason", in order
		wantDiags []string
	}{
		{
			name:   "direct chain, carol undeclared: her grant option is taken and given back",
			policy: `role "dave" {}`,
			db: fixture{Extra: []*catalog.Role{dave}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, 0)),
			}},
			want: []string{
				`REVOKE GRANT OPTION FOR SELECT ON TABLE app.t FROM carol CASCADE  -- removes dave's SELECT granted by carol`,
				`GRANT SELECT ON TABLE app.t TO carol WITH GRANT OPTION  -- re-grants what carol held before the cascade (not declared)`,
			},
		},
		{
			name:   "carol wanted WITH GRANT OPTION: the cascade still takes dave's item, carol gets the option back",
			policy: `role "dave" {}` + carolWithOption,
			db: fixture{Extra: []*catalog.Role{dave}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, 0)),
			}},
			want: []string{
				`REVOKE GRANT OPTION FOR SELECT ON TABLE app.t FROM carol CASCADE  -- removes dave's SELECT granted by carol`,
				`GRANT SELECT ON TABLE app.t TO carol WITH GRANT OPTION  -- re-grants what carol keeps after the cascade`,
			},
		},
		{
			name: "two hops: carol → erin → dave; erin keeps SELECT from the owner, granted before the revokes",
			policy: `role "dave" {}` + carolWithOption + `
role "erin" {
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
			db: fixture{Extra: []*catalog.Role{dave, erin}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("erin", "carol", acl.Select, acl.Select), item("dave", "erin", acl.Select, 0)),
			}},
			want: []string{
				`GRANT SELECT ON TABLE app.t TO erin  -- policy.hcl:9`,
				`REVOKE GRANT OPTION FOR SELECT ON TABLE app.t FROM carol CASCADE  -- removes erin's grant option for SELECT granted by carol`,
				`GRANT SELECT ON TABLE app.t TO carol WITH GRANT OPTION  -- re-grants what carol keeps after the cascade`,
			},
		},
		{
			name:   "a grant option from another grantor: the cascade takes the whole item, the owner's grant stays",
			policy: "role \"dave\" {\n  grant \"table\" {\n    privileges = [\"SELECT\"]\n  }\n}",
			db: fixture{Extra: []*catalog.Role{dave}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, acl.Select)),
			}},
			want: []string{
				`GRANT SELECT ON TABLE app.t TO dave  -- policy.hcl:2`,
				`REVOKE GRANT OPTION FOR SELECT ON TABLE app.t FROM carol CASCADE  -- removes dave's grant option for SELECT granted by carol`,
				`GRANT SELECT ON TABLE app.t TO carol WITH GRANT OPTION  -- re-grants what carol held before the cascade (not declared)`,
			},
		},
		{
			name:   "the re-grant runs after every revoke of the object",
			policy: `role "dave" {}` + "\n" + `role "bob" {}` + carolWithOption,
			db: fixture{Extra: []*catalog.Role{dave}, Objects: []*catalog.Object{
				table("t", item("bob", "alice", acl.Update, 0), item("carol", "alice", acl.Select|acl.Insert, acl.Select|acl.Insert),
					item("dave", "carol", acl.Select|acl.Insert, 0)),
			}},
			want: []string{
				`REVOKE UPDATE ON TABLE app.t FROM bob  -- not declared`,
				`REVOKE INSERT ON TABLE app.t FROM carol CASCADE  -- not declared`,
				`REVOKE GRANT OPTION FOR SELECT ON TABLE app.t FROM carol CASCADE  -- removes dave's SELECT granted by carol`,
				`GRANT SELECT ON TABLE app.t TO carol WITH GRANT OPTION  -- re-grants what carol keeps after the cascade`,
			},
		},
		{
			name:   "a member of the owner takes the same route",
			policy: `role "dave" {}`,
			db: fixture{Me: "tool", Extra: []*catalog.Role{dave, tool},
				Members: []catalog.Membership{{Role: "alice", Member: "tool", Grantor: "postgres", Inherit: true, Set: true}},
				Objects: []*catalog.Object{table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, 0))}},
			want: []string{
				`REVOKE GRANT OPTION FOR SELECT ON TABLE app.t FROM carol CASCADE  -- removes dave's SELECT granted by carol`,
				`GRANT SELECT ON TABLE app.t TO carol WITH GRANT OPTION  -- re-grants what carol held before the cascade (not declared)`,
			},
		},
		{
			name:   "an undeclared role in the middle of the chain: no cascade over it, blocked with the reason",
			policy: `role "dave" {}`,
			db: fixture{Extra: []*catalog.Role{dave, erin}, SchemaItems: []acl.Item{item("erin", "alice", acl.Usage, 0)}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("erin", "carol", acl.Select, acl.Select), item("dave", "erin", acl.Select, 0)),
			}},
			wantDiags: []string{"only erin can revoke it (REVOKE by the owner would silently do nothing). Run: SET ROLE erin; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"dave\"; RESET ROLE; Nor does the owner take it by REVOKE GRANT OPTION FOR … FROM carol CASCADE: that would also take erin's SELECT granted by carol"},
		},
		{
			name:   "an undeclared role beside the target: no cascade over it",
			policy: `role "dave" {}`,
			db: fixture{Extra: []*catalog.Role{dave, erin}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, 0), item("erin", "carol", acl.Select, 0)),
			}},
			wantDiags: []string{"that would also take erin's SELECT granted by carol"},
		},
		{
			// PostgreSQL's table-level REVOKE … CASCADE reaches the columns
			// too: carol's grant option on column b, and erin's SELECT (b)
			// granted from it. The route is not taken (found by review: apply
			// failed its verification and erin, undeclared, lost her grant).
			name:   "column items the cascade would reach: no cascade, blocked with the reason",
			policy: `role "dave" {}`,
			db: fixture{Extra: []*catalog.Role{dave, erin}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, 0)),
				column("t", "b", item("carol", "alice", acl.Select, acl.Select), item("erin", "carol", acl.Select, 0)),
			}},
			wantDiags: []string{"Nor does the owner take it by REVOKE GRANT OPTION FOR … FROM carol CASCADE: on a table that also takes carol's SELECT on column b with grant option"},
		},
		{
			name:   "a role that is neither the owner nor a member of it cannot",
			policy: `role "dave" {}`,
			db: fixture{Me: "tool", Extra: []*catalog.Role{dave, tool}, SchemaItems: []acl.Item{item("carol", "alice", acl.Usage, 0)}, Objects: []*catalog.Object{
				table("t", item("carol", "alice", acl.Select, acl.Select), item("dave", "carol", acl.Select, 0)),
			}},
			wantDiags: []string{"only carol can revoke it (REVOKE by the owner would silently do nothing). Run: SET ROLE carol; REVOKE SELECT ON TABLE \"app\".\"t\" FROM \"dave\"; RESET ROLE; Nor can tool take it as the owner would"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := plan.Build(loadPolicy(t, tt.policy), tt.db.Catalog(), plan.Options{})
			var got []string
			for _, s := range p.Statements {
				got = append(got, strings.ReplaceAll(s.SQL, `"`, "")+"  -- "+s.Changes[0].Reason.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("statements:\n got %q\nwant %q", got, tt.want)
			}
			checkDiags(t, diags, tt.wantDiags)
			if tt.wantDiags == nil {
				// The plan converges: run on the catalog, it leaves
				// nothing to do.
				after := plan.ProjectForTest(tt.db.Catalog(), p)
				if again, _ := plan.Build(loadPolicy(t, tt.policy), after, plan.Options{}); !again.Empty() {
					t.Errorf("second plan: %q", summary(again))
				}
			}
		})
	}
}
