package plan

import (
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// access answers who may act as whom, from the catalog's roles and
// memberships, the way PostgreSQL checks it.
type access struct {
	c       *catalog.Catalog
	rows    map[string][]catalog.Membership // by member
	dbOwner string
}

func newAccess(c *catalog.Catalog) *access {
	a := &access{c: c, rows: map[string][]catalog.Membership{}}
	for _, m := range c.Memberships {
		a.rows[m.Member] = append(a.rows[m.Member], m)
	}
	for _, o := range c.Objects {
		if o.Kind == acl.KindDatabase {
			a.dbOwner = o.Owner
		}
	}
	return a
}

func (a *access) isSuperuser(role string) bool {
	r := a.c.Role(role)
	return r != nil && r.Superuser
}

// reaches reports whether from reaches to through memberships that pass
// the edge test. pg_database_owner has the database owner as implicit
// member; viaDBOwner says whether that implicit membership passes the test.
func (a *access) reaches(from, to string, edge func(catalog.Membership) bool, viaDBOwner bool) bool {
	if from == to {
		return true
	}
	if to == "pg_database_owner" && viaDBOwner && a.dbOwner != "" && a.reaches(from, a.dbOwner, edge, false) {
		return true
	}
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, m := range a.rows[cur] {
			if !edge(m) || seen[m.Role] {
				continue
			}
			if m.Role == to {
				return true
			}
			seen[m.Role] = true
			queue = append(queue, m.Role)
		}
	}
	return false
}

// canActAs: GRANT on owner's objects and ALTER DEFAULT PRIVILEGES FOR ROLE
// need the privileges of the owner (a membership with INHERIT).
func (a *access) canActAs(me, owner string) bool {
	return a.isSuperuser(me) || a.reaches(me, owner, func(m catalog.Membership) bool { return m.Inherit }, a.dbOwnerInherits())
}

// dbOwnerInherits: the database owner's implicit membership in
// pg_database_owner gives its privileges on 16+ always, and before 16 only
// when the owner has INHERIT (PostgreSQL agrees: plan/effectivetest).
func (a *access) dbOwnerInherits() bool {
	if a.c.ServerVersion >= 160000 {
		return true
	}
	r := a.c.Role(a.dbOwner)
	return r != nil && r.Inherit
}

// canSetRole: SET ROLE needs membership with SET (always, before 16).
func (a *access) canSetRole(me, role string) bool {
	return a.isSuperuser(me) || a.reaches(me, role, func(m catalog.Membership) bool { return m.Set }, false)
}

// canAdmin: granting a role or altering one needs ADMIN OPTION on it, or
// CREATEROLE (before 16 CREATEROLE covers every non-superuser role).
func (a *access) canAdmin(me string, c *Change) bool {
	if a.isSuperuser(me) {
		return true
	}
	r := a.c.Role(me)
	if c.Target == TargetRole && c.Action == Grant {
		return r != nil && r.CreateRole // CREATE ROLE
	}
	target := string(c.Grantee)
	if c.Target == TargetMembership {
		target = c.Membership.Role
	}
	t := a.c.Role(target)
	if r != nil && r.CreateRole && a.c.ServerVersion < 160000 && t != nil && !t.Superuser {
		return true
	}
	for _, m := range a.rows[me] {
		if m.Role == target && m.Admin {
			return c.Target == TargetMembership || (r != nil && r.CreateRole)
		}
	}
	return false
}

// closure returns every role from reaches through memberships that pass the
// edge test, from included, each mapped to the role it was reached from on
// a shortest chain ("" for from itself). It walks as PostgreSQL's
// roles_is_member_of does, with the database owner's implicit membership in
// pg_database_owner (14+): that edge counts as INHERIT on 16+ and follows
// the owner's INHERIT attribute before, as every membership does there.
func (a *access) closure(from string, edge func(catalog.Membership) bool) map[string]string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		rows := a.rows[cur]
		if cur == a.dbOwner && a.c.ServerVersion >= 140000 {
			implicit := catalog.Membership{Role: "pg_database_owner", Member: cur, Inherit: true, Set: true}
			if r := a.c.Role(cur); a.c.ServerVersion < 160000 && r != nil {
				implicit.Inherit = r.Inherit
			}
			rows = append(rows[:len(rows):len(rows)], implicit)
		}
		for _, m := range rows {
			if _, seen := prev[m.Role]; seen || !edge(m) {
				continue
			}
			prev[m.Role] = cur
			queue = append(queue, m.Role)
		}
	}
	return prev
}
