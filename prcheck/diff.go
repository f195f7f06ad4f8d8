package prcheck

import (
	"slices"

	"github.com/pgward/pgward/internal/acl"
)

// Diff is what a schema change does to access: the objects it adds (with
// what each role can do on them), removes, and those on which some role
// can do something else.
type Diff struct {
	Roles   []string
	Added   []Object
	Removed []Object
	Changed []Change
	// Unclassified lists, per object, the roles for which the object is
	// unclassified in the head and was not in the base (new objects
	// included).
	Unclassified []Unclassified
	// Base and Head are the reports compared.
	Base, Head *Report
}

// Change is an object whose access differs between base and head.
type Change struct {
	acl.Object
	OwnerBefore, Owner string
	Roles              []RoleChange
}

// RoleChange is one role's access before and after.
type RoleChange struct {
	Role          string
	Before, After Access
}

// AccessChanged reports whether the schema change changes what any managed
// role can do: an object added or removed, or access changed.
func (d *Diff) AccessChanged() bool {
	return len(d.Added) > 0 || len(d.Removed) > 0 || len(d.Changed) > 0
}

// Compare reports what changes from base to head. Roles are those of head;
// a role only base reports counts as holding nothing in head.
func Compare(base, head *Report) *Diff {
	d := &Diff{Roles: head.Roles, Base: base, Head: head}
	before := map[string]Object{}
	for _, o := range base.Objects {
		before[o.Key()] = o
	}
	after := map[string]bool{}
	for _, o := range head.Objects {
		after[o.Key()] = true
		old, ok := before[o.Key()]
		if !ok {
			d.Added = append(d.Added, o)
			if u := unclassifiedIn(o, Object{}); len(u) > 0 {
				d.Unclassified = append(d.Unclassified, Unclassified{Object: o.Object, Roles: u})
			}
			continue
		}
		if u := unclassifiedIn(o, old); len(u) > 0 {
			d.Unclassified = append(d.Unclassified, Unclassified{Object: o.Object, Roles: u})
		}
		c := Change{Object: o.Object, OwnerBefore: old.Owner, Owner: o.Owner}
		for _, a := range o.Access {
			b := accessOf(old, a.Role)
			if a.Privs != b.Privs || a.SetRole != b.SetRole || a.Owner != b.Owner {
				c.Roles = append(c.Roles, RoleChange{Role: a.Role, Before: b, After: a})
			}
		}
		if len(c.Roles) > 0 || c.Owner != c.OwnerBefore {
			d.Changed = append(d.Changed, c)
		}
	}
	for _, o := range base.Objects {
		if !after[o.Key()] {
			d.Removed = append(d.Removed, o)
		}
	}
	return d
}

// unclassifiedIn returns the roles for which o is unclassified and old
// was not.
func unclassifiedIn(o, old Object) []string {
	var roles []string
	for _, a := range o.Access {
		if a.Unclassified && !accessOf(old, a.Role).Unclassified {
			roles = append(roles, a.Role)
		}
	}
	return roles
}

func accessOf(o Object, role string) Access {
	if i := slices.IndexFunc(o.Access, func(a Access) bool { return a.Role == role }); i >= 0 {
		return o.Access[i]
	}
	return Access{Role: role}
}
