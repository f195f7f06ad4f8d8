package plan

import "github.com/pgward/pgward/internal/acl"

// aclRevoker applies a REVOKE to one object's ACL items the way
// PostgreSQL's aclupdate and recursive_revoke do, so that the plan knows
// what a CASCADE takes with it, what it leaves (a grantee that keeps a
// grant option through a membership or another grantor stops the
// cascade), and whether CASCADE is needed at all. Guessing any of this
// wrong gives a run that fails with "dependent privileges exist" or one
// that does not converge.
type aclRevoker struct {
	owner string
	// holds reports has_privs_of_role(role, other): the same role, a
	// superuser, or a chain of INHERIT memberships.
	holds func(role, other string) bool
	// cascaded is set when dependent grants were removed: the statement
	// needs CASCADE.
	cascaded bool
}

// revoke removes privs (only their grant options when optionOnly) from the
// item of grantee recorded under grantor, then what the grantee can no
// longer have passed on. items is not modified.
func (r *aclRevoker) revoke(items []acl.Item, grantee acl.Grantee, grantor string, privs acl.Priv, optionOnly bool) []acl.Item {
	var lost acl.Priv
	out := make([]acl.Item, 0, len(items))
	for _, it := range items {
		if it.Grantee == grantee && it.Grantor == grantor {
			before := it.Privs.GrantOption
			it.Privs.GrantOption &^= privs
			if !optionOnly {
				it.Privs.Privs &^= privs
			}
			lost = before &^ it.Privs.GrantOption
			if it.Privs.IsZero() {
				continue
			}
		}
		out = append(out, it)
	}
	if lost != 0 && !grantee.IsPublic() {
		out = r.dependents(out, string(grantee), lost)
	}
	return out
}

// dependents is recursive_revoke: the grants grantee made of the grant
// options it lost go too, unless it still holds those options: as the
// owner or with the owner's privileges, or through any item of its own or
// of a role whose privileges it has.
func (r *aclRevoker) dependents(items []acl.Item, grantee string, lost acl.Priv) []acl.Item {
	if grantee == r.owner || r.holds(grantee, r.owner) {
		return items
	}
	for _, it := range items {
		if !it.Grantee.IsPublic() && (string(it.Grantee) == grantee || r.holds(grantee, string(it.Grantee))) {
			lost &^= it.Privs.GrantOption
		}
	}
	if lost == 0 {
		return items
	}
	for {
		k := dependentOf(items, grantee, lost)
		if k < 0 {
			return items
		}
		r.cascaded = true
		items = r.revoke(items, items[k].Grantee, grantee, lost, false)
	}
}

// dependentOf returns the index of an item grantor granted with any of
// privs, or -1.
func dependentOf(items []acl.Item, grantor string, privs acl.Priv) int {
	for k, it := range items {
		if it.Grantor == grantor && it.Privs.Privs&privs != 0 {
			return k
		}
	}
	return -1
}
