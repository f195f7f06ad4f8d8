package access

import (
	"math/bits"
	"slices"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// Graph answers who may act as whom, from the catalog's roles and
// memberships, the way PostgreSQL checks it: the authority of the role
// that applies a plan, and the membership closures effective access walks.
type Graph struct {
	c       *catalog.Catalog
	rows    map[string][]catalog.Membership // by member
	dbOwner string
}

// NewGraph indexes the memberships of c, which must not change while the
// graph is used.
func NewGraph(c *catalog.Catalog) *Graph {
	a := &Graph{c: c, rows: map[string][]catalog.Membership{}}
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

// IsSuperuser reports whether role is a superuser.
func (a *Graph) IsSuperuser(role string) bool {
	r := a.c.Role(role)
	return r != nil && r.Superuser
}

// reaches reports whether from reaches to through memberships that pass
// the edge test. pg_database_owner has the database owner as implicit
// member; viaDBOwner says whether that implicit membership passes the test.
func (a *Graph) reaches(from, to string, edge func(catalog.Membership) bool, viaDBOwner bool) bool {
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

// CanActAs reports whether me has the privileges of owner: GRANT and REVOKE on the owner's objects (and, on 16+, ALTER
// DEFAULT PRIVILEGES FOR ROLE) need the privileges of the owner (a
// membership with INHERIT).
func (a *Graph) CanActAs(me, owner string) bool {
	return a.IsSuperuser(me) || a.reaches(me, owner, func(m catalog.Membership) bool { return m.Inherit }, a.dbOwnerInherits())
}

// CanAlterDefaultsFor reports whether me may alter the default
// privileges of role: ALTER DEFAULT PRIVILEGES FOR ROLE needs the
// privileges of the role on 16+, and before 16 only membership in it,
// INHERIT or not (found by the oracle test).
func (a *Graph) CanAlterDefaultsFor(me, role string) bool {
	if a.c.ServerVersion >= 160000 {
		return a.CanActAs(me, role)
	}
	return a.IsSuperuser(me) || a.reaches(me, role, func(catalog.Membership) bool { return true }, true)
}

// MembershipsOf lists the memberships of member as the catalog has them
// (not the implicit one in pg_database_owner).
func (a *Graph) MembershipsOf(member string) []catalog.Membership {
	return a.rows[member]
}

// dbOwnerInherits: the database owner's implicit membership in
// pg_database_owner gives its privileges on 16+ always, and before 16 only
// when the owner has INHERIT (PostgreSQL agrees: internal/testkit/effectivetest).
func (a *Graph) dbOwnerInherits() bool {
	if a.c.ServerVersion >= 160000 {
		return true
	}
	r := a.c.Role(a.dbOwner)
	return r != nil && r.Inherit
}

// CanSetRole reports whether me may SET ROLE to role: SET ROLE needs membership with SET (always, before 16).
func (a *Graph) CanSetRole(me, role string) bool {
	return a.IsSuperuser(me) || a.reaches(me, role, func(m catalog.Membership) bool { return m.Set }, false)
}

// closure returns every role from reaches through memberships that pass the
// edge test, from included, each mapped to the role it was reached from on
// a shortest chain ("" for from itself). It walks as PostgreSQL's
// roles_is_member_of does, with the database owner's implicit membership in
// pg_database_owner (14+): that edge counts as INHERIT on 16+ and follows
// the owner's INHERIT attribute before, as every membership does there.
func (a *Graph) closure(from string, edge func(catalog.Membership) bool) map[string]string {
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

// GrantorFor returns the role PostgreSQL records as the grantor when me
// grants or revokes privs on an object of owner whose ACL is items, as
// select_best_grantor picks it: the owner for the owner itself or a
// superuser; else the first role, in roles_is_member_of order, that holds
// every grant option needed (the owner holds them all), else the one
// holding most of them. ok is false when no role holds any.
func (a *Graph) GrantorFor(me, owner string, items []acl.Item, privs acl.Priv) (grantor string, ok bool) {
	if me == owner || a.IsSuperuser(me) {
		return owner, true
	}
	best, most := me, 0
	for _, r := range a.privilegesOrder(me) {
		var have acl.Priv
		if r == owner {
			have = privs
		}
		for _, it := range items {
			if !it.Grantee.IsPublic() && string(it.Grantee) == r {
				have |= it.Privs.GrantOption & privs
			}
		}
		if have == privs {
			return r, true
		}
		if n := bits.OnesCount16(uint16(have)); n > most {
			best, most = r, n
		}
	}
	return best, most > 0
}

// privilegesOrder lists the roles whose privileges me has, in the order of
// PostgreSQL's roles_is_member_of: breadth first, each role's memberships
// by role OID, then the implicit pg_database_owner of the database owner.
func (a *Graph) privilegesOrder(me string) []string {
	list := []string{me}
	seen := map[string]bool{me: true}
	add := func(r string) {
		if !seen[r] {
			seen[r] = true
			list = append(list, r)
		}
	}
	oid := func(name string) uint32 {
		if r := a.c.Role(name); r != nil {
			return r.OID
		}
		return 0
	}
	for i := 0; i < len(list); i++ {
		cur := list[i]
		rows := slices.Clone(a.rows[cur])
		slices.SortStableFunc(rows, func(x, y catalog.Membership) int { return int(int64(oid(x.Role)) - int64(oid(y.Role))) })
		for _, m := range rows {
			if m.Inherit {
				add(m.Role)
			}
		}
		if cur == a.dbOwner && a.c.ServerVersion >= 140000 && a.dbOwnerInherits() {
			add("pg_database_owner")
		}
	}
	return list
}
