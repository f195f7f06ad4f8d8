package plan

import (
	"fmt"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// memberships plans membership grants, option changes and revokes for
// managed roles, and reports drift for external ones.
func (b *builder) memberships() {
	v16 := b.cat.ServerVersion >= 160000
	for _, name := range sortedKeys(b.roles) {
		r := b.roles[name]
		held := map[string][]catalog.Membership{}
		for _, m := range b.cat.Memberships {
			if m.Member == name {
				held[m.Role] = append(held[m.Role], m)
			}
		}
		declared := map[string]bool{}
		for _, want := range r.MemberOf {
			if !b.exists(want.Role) {
				continue // reported by checkVersion, or skipped
			}
			declared[want.Role] = true
			rows := held[want.Role]
			if len(rows) == 0 {
				if r.External {
					b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "member of " + want.Role, Want: "member", Have: "not a member", Reason: ruleReason(want.Range)})
					continue
				}
				mc := &MembershipChange{Role: want.Role, Admin: boolPtr(want.Admin)}
				if v16 {
					mc.Inherit, mc.Set = want.Inherit, want.Set
				}
				b.add(&Change{Action: Grant, Target: TargetMembership, Grantee: acl.Grantee(name), Membership: mc, Authority: AuthorityAdmin, Reason: ruleReason(want.Range)})
				continue
			}
			// Options: any row granting them counts; changes apply to the
			// first row in place (16+ keeps one row per grantor).
			got := rows[0]
			var diffs []string
			mc := &MembershipChange{Role: want.Role, Grantor: got.Grantor}
			if want.Admin != got.Admin {
				mc.Admin = boolPtr(want.Admin)
				diffs = append(diffs, fmt.Sprintf("admin %t → %t", got.Admin, want.Admin))
			}
			if v16 && want.Inherit != nil && *want.Inherit != got.Inherit {
				mc.Inherit = want.Inherit
				diffs = append(diffs, fmt.Sprintf("inherit %t → %t", got.Inherit, *want.Inherit))
			}
			if v16 && want.Set != nil && *want.Set != got.Set {
				mc.Set = want.Set
				diffs = append(diffs, fmt.Sprintf("set %t → %t", got.Set, *want.Set))
			}
			if len(diffs) == 0 {
				continue
			}
			if r.External {
				b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "member of " + want.Role, Want: strings.Join(diffs, ", "), Have: "other options", Reason: ruleReason(want.Range)})
				continue
			}
			b.add(&Change{Action: Alter, Target: TargetMembership, Grantee: acl.Grantee(name), Membership: mc, Authority: AuthorityAdmin, Reason: ruleReason(want.Range)})
		}
		for _, role := range sortedKeys(held) {
			if declared[role] {
				continue
			}
			for _, row := range held[role] {
				if r.External {
					b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "member of " + role, Want: "not a member", Have: "member (granted by " + row.Grantor + ")", Reason: ruleReason(r.DeclRange)})
					continue
				}
				b.add(&Change{Action: Revoke, Target: TargetMembership, Grantee: acl.Grantee(name),
					Membership: &MembershipChange{Role: role, Grantor: row.Grantor}, Authority: AuthorityAdmin, Reason: notDeclared})
				if !v16 {
					break // one row per pair before 16
				}
			}
		}
	}
}

func boolPtr(v bool) *bool { return &v }

// membershipCycles refuses membership grants that would make a role a
// member of itself: PostgreSQL rejects them ("role … is a member of role
// …"), and apply would fail halfway. Grants run before revokes, so a
// membership the plan revokes still counts.
func (b *builder) membershipCycles() {
	edges := map[string][]string{} // member → roles
	for _, m := range b.cat.Memberships {
		edges[m.Member] = append(edges[m.Member], m.Role)
	}
	for _, c := range b.plan.Changes {
		if c.Target != TargetMembership || c.Action != Grant {
			continue
		}
		member, role := string(c.Grantee), c.Membership.Role
		if chain := membershipChain(edges, role, member); chain != nil {
			b.errorf(c.Reason.Rule, "Membership cycle",
				"%s cannot be a member of %s: %s is already a member of %s (%s), and PostgreSQL refuses a role that is a member of itself. Remove one of the member_of entries, or the membership in the database.",
				member, role, role, member, strings.Join(chain, " → "))
			continue
		}
		edges[member] = append(edges[member], role)
	}
}

// membershipChain returns a chain of memberships from one role to another
// (both included), or nil.
func membershipChain(edges map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for r := cur; r != ""; r = prev[r] {
				chain = append([]string{r}, chain...)
			}
			return chain
		}
		for _, next := range edges[cur] {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil
}
