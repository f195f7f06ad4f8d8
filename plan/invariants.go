package plan

import (
	"maps"
	"slices"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// invariants fills the plan's violations: those the catalog breaks now,
// and those it would still break once the plan is applied.
func (b *builder) invariants() {
	has := false
	for _, r := range b.pol.Roles {
		has = has || len(r.Deny) > 0
	}
	if !has {
		return
	}
	now := access.CheckDeny(b.pol, b.cat)
	b.plan.ViolationsNow = now
	if len(b.plan.Changes) == 0 {
		b.plan.Violations = now
		return
	}
	after := b.project(b.plan.Changes)
	for _, ch := range b.plan.Changes {
		if ch.Target != TargetObject && ch.Target != TargetDefault {
			// A membership or attribute change can change what a role
			// holds on every object.
			b.plan.Violations = access.CheckDeny(b.pol, after)
			return
		}
	}
	b.plan.Violations = access.RecheckDeny(b.pol, b.cat, after, now)
}

// project returns the catalog as it will be once changes run in order: the
// grants and revokes of object privileges (a grant recorded with the owner
// as grantor, as plan predicts; a table-level revoke also strips the
// column grants of the same grantee and grantor), memberships, and the
// INHERIT attribute. Default privileges change no existing object and are
// left out. c is not modified.
func project(c *catalog.Catalog, changes []*Change) *catalog.Catalog {
	return projectIndexed(c, indexObjects(c), changes)
}

// indexObjects maps the keys of c's objects to their positions.
func indexObjects(c *catalog.Catalog) map[string]int {
	index := make(map[string]int, len(c.Objects))
	for i, o := range c.Objects {
		index[o.Key()] = i
	}
	return index
}

// projectIndexed is project with c's index (indexObjects), which it
// does not modify: a plan projects its catalog several times.
func projectIndexed(c *catalog.Catalog, base map[string]int, changes []*Change) *catalog.Catalog {
	out := *c
	out.Roles = maps.Clone(c.Roles)
	out.Memberships = slices.Clone(c.Memberships)
	out.Objects = slices.Clone(c.Objects)
	var added map[string]int // columns the changes give their first grant
	find := func(key string) (int, bool) {
		if i, ok := base[key]; ok {
			return i, true
		}
		i, ok := added[key]
		return i, ok
	}
	copied := map[int]bool{}
	var columns map[string][]int // column objects by table key, built on the first table-level revoke
	mutable := func(i int) *catalog.Object {
		if !copied[i] {
			o := *out.Objects[i]
			o.ACL = slices.Clone(o.ACL)
			out.Objects[i] = &o
			copied[i] = true
		}
		return out.Objects[i]
	}
	v16 := c.ServerVersion >= 160000
	// effective answers has_privs_of_role for revokes (what a grantee still
	// holds decides how far a CASCADE goes); rebuilt after a role or
	// membership change.
	var effective *access.EffectiveAccess
	for _, ch := range changes {
		if ch.Target != TargetObject {
			effective = nil
		}
		switch ch.Target {
		case TargetObject:
			key := ch.objectKey()
			i, ok := find(key)
			if !ok {
				if ch.Action != Grant || ch.Object.Kind != acl.KindColumn {
					continue
				}
				// A column without column grants has no object yet.
				out.Objects = append(out.Objects, &catalog.Object{Object: ch.Object, Owner: ch.Owner, NullACL: true})
				i = len(out.Objects) - 1
				if added == nil {
					added = map[string]int{}
				}
				added[key] = i
				copied[i] = true
				if columns != nil {
					columns[ch.Object.Table().Key()] = append(columns[ch.Object.Table().Key()], i)
				}
			}
			switch ch.Action {
			case Grant:
				grantor := ch.Grantor
				if grantor == "" {
					grantor = ch.Owner
				}
				o := mutable(i)
				o.ACL = grantItem(o.ACL, ch.Grantee, grantor, ch.Privs)
				o.NullACL = false
			case Revoke:
				o := mutable(i)
				if effective == nil {
					effective = access.NewEffectiveAccess(&out)
				}
				r := &aclRevoker{owner: o.Owner, holds: effective.HasPrivilegesOf}
				o.ACL = r.revoke(o.ACL, ch.Grantee, ch.Grantor, ch.Privs.Privs, ch.GrantOptionOnly)
				o.NullACL = false
				if ch.Object.Kind != acl.KindTable {
					continue
				}
				if columns == nil {
					columns = map[string][]int{}
					for j, col := range out.Objects {
						if col.Kind == acl.KindColumn {
							columns[col.Table().Key()] = append(columns[col.Table().Key()], j)
						}
					}
				}
				for _, j := range columns[key] {
					col := mutable(j)
					col.ACL = r.revoke(col.ACL, ch.Grantee, ch.Grantor, ch.Privs.Privs, ch.GrantOptionOnly)
				}
			}
		case TargetMembership:
			out.Memberships = projectMembership(&out, out.Memberships, ch, v16)
		case TargetRole:
			if ch.Action == Grant { // CREATE ROLE: INHERIT unless declared otherwise
				out.Roles[string(ch.Grantee)] = &catalog.Role{Name: string(ch.Grantee), Inherit: true, ConnectionLimit: -1}
			}
			for _, a := range ch.Attributes {
				if a.Name != "inherit" {
					continue
				}
				name := string(ch.Grantee)
				r, ok := out.Roles[name]
				if !ok {
					continue
				}
				nr := *r
				nr.Inherit = a.After == "INHERIT"
				out.Roles[name] = &nr
				if v16 {
					continue // 16+: only memberships granted later follow it
				}
				for k := range out.Memberships {
					if out.Memberships[k].Member == name {
						out.Memberships[k].Inherit = nr.Inherit
					}
				}
			}
		}
	}
	return &out
}

func grantItem(items []acl.Item, g acl.Grantee, grantor string, p acl.Privileges) []acl.Item {
	for k := range items {
		if items[k].Grantee == g && items[k].Grantor == grantor {
			items[k].Privs = items[k].Privs.Union(p)
			return items
		}
	}
	return append(items, acl.Item{Grantee: g, Grantor: grantor, Privs: p})
}

func projectMembership(c *catalog.Catalog, rows []catalog.Membership, ch *Change, v16 bool) []catalog.Membership {
	mc := ch.Membership
	member := string(ch.Grantee)
	inheritDefault := true
	if r := c.Role(member); r != nil {
		inheritDefault = r.Inherit
	}
	same := func(m catalog.Membership) bool { return m.Role == mc.Role && m.Member == member }
	switch ch.Action {
	case Grant:
		m := catalog.Membership{Role: mc.Role, Member: member, Grantor: c.CurrentUser, Inherit: inheritDefault, Set: true}
		if mc.Admin != nil {
			m.Admin = *mc.Admin
		}
		if v16 && mc.Inherit != nil {
			m.Inherit = *mc.Inherit
		}
		if v16 && mc.Set != nil {
			m.Set = *mc.Set
		}
		return append(rows, m)
	case Revoke:
		return slices.DeleteFunc(rows, func(m catalog.Membership) bool {
			return same(m) && (!v16 || m.Grantor == mc.Grantor)
		})
	case Alter:
		k := slices.IndexFunc(rows, func(m catalog.Membership) bool { return same(m) && m.Grantor == mc.Grantor })
		if k < 0 {
			k = slices.IndexFunc(rows, same)
		}
		if k < 0 {
			return rows
		}
		if mc.Admin != nil {
			rows[k].Admin = *mc.Admin
		}
		if v16 && mc.Inherit != nil {
			rows[k].Inherit = *mc.Inherit
		}
		if v16 && mc.Set != nil {
			rows[k].Set = *mc.Set
		}
	}
	return rows
}
