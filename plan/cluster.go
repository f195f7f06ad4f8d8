package plan

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// ClusterWide reports whether the change acts on what every database of a
// server shares: a role (CREATE ROLE, its attributes), a membership, or a
// privilege on a parameter or a tablespace. Database, schema and object
// privileges and default privileges belong to one database.
func (c *Change) ClusterWide() bool {
	switch c.Target {
	case TargetRole, TargetMembership, TargetSetting:
		// pg_db_role_setting is shared by every database, even for the
		// values of one database (IN DATABASE).
		return true
	case TargetObject:
		return c.Object.Kind.ClusterWide()
	}
	return false
}

// leaveOutClusterWide implements Options.LeaveOutClusterWide. It runs last
// in Build, after the deny invariants were checked on the whole plan: the
// run that owns the cluster-wide changes makes them, so what the database
// will look like includes them. Left out are the cluster-wide changes (also
// the revokes an additive policy keeps), their diagnostics when the
// connecting role could not execute them, and the drift of external roles
// (attributes, memberships and settings, which are cluster-wide too); the statements
// are batched again from what is left.
func (b *builder) leaveOutClusterWide() {
	if !b.opts.LeaveOutClusterWide {
		return
	}
	left := map[*Change]bool{}
	for _, c := range b.plan.Changes {
		if c.ClusterWide() {
			left[c] = true
		}
	}
	b.plan.Drift = nil
	b.plan.Kept = slices.DeleteFunc(b.plan.Kept, (*Change).ClusterWide)
	if len(left) == 0 {
		return
	}
	b.plan.Changes = slices.DeleteFunc(b.plan.Changes, func(c *Change) bool { return left[c] })
	b.diags = slices.DeleteFunc(b.diags, func(d *hcl.Diagnostic) bool {
		u, ok := d.Extra.(Unauthorized)
		return ok && left[u.Change]
	})
	b.plan.Statements = batch(executable(b.plan.Changes), b.cat.ServerVersion)
}
