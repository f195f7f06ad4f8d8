package plan

import (
	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/catalog"
)

// canAdmin: granting a role or altering one needs ADMIN OPTION on it, or
// CREATEROLE (before 16 CREATEROLE covers every non-superuser role).
func canAdmin(a *access.Graph, cat *catalog.Catalog, me string, c *Change) bool {
	if a.IsSuperuser(me) {
		return true
	}
	r := cat.Role(me)
	if c.Target == TargetRole && c.Action == Grant {
		return r != nil && r.CreateRole // CREATE ROLE
	}
	target := string(c.Grantee)
	if c.Target == TargetMembership {
		target = c.Membership.Role
	}
	t := cat.Role(target)
	if r != nil && r.CreateRole && cat.ServerVersion < 160000 && t != nil && !t.Superuser {
		return true
	}
	for _, m := range a.MembershipsOf(me) {
		if m.Role == target && m.Admin {
			return c.Target == TargetMembership || (r != nil && r.CreateRole)
		}
	}
	return false
}
