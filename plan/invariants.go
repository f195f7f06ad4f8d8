package plan

import (
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// Violation is a deny invariant a role breaks: it can use Privilege on
// Object through Path, although the deny block at Rule forbids it.
type Violation struct {
	Role string
	// Object is the object for people: "table public.t", "schema public",
	// "column public.t.email".
	Object string
	// Privilege lists the denied privileges this path gives, comma
	// separated ("INSERT, UPDATE").
	Privilege string
	// Path is the route that gives them: "tuist_ops_ro → member of
	// pg_write_all_data", "PUBLIC", "bob", "postgres (superuser)".
	Path string
	// Rule is the range of the deny block.
	Rule hcl.Range

	// Target and Privs are Object and Privilege as values.
	Target acl.Object
	Privs  acl.Priv

	// on is the catalog object checked and deny the index of the deny
	// block in its role's, for reuseUnchanged (two blocks may share a
	// range: a profile listed twice).
	on   *catalog.Object
	deny int
}

// CheckInvariants evaluates every deny block of the policy on the effective
// access the catalog gives (see [EffectiveAccess]) and returns what breaks
// them: one violation per role, deny block, object and route, in policy
// order, then catalog order, then path order. Roles the catalog lacks are
// skipped. A deny on tables also covers the column grants of the matched
// tables (a column INSERT is an INSERT into the table); a deny on columns
// alone covers columns through table-level privileges as well.
func CheckInvariants(p *policy.Policy, c *catalog.Catalog) []Violation {
	return checkInvariants(p, c, nil)
}

// checkInvariants is CheckInvariants; with reuse, an object reuse reports
// unchanged gets its earlier violations instead of being checked again.
func checkInvariants(p *policy.Policy, c *catalog.Catalog, reuse *invariantReuse) []Violation {
	if p == nil || c == nil {
		return nil
	}
	var (
		out []Violation
		e   *EffectiveAccess
	)
	for _, r := range p.Roles {
		if len(r.Deny) == 0 || c.Role(r.Name) == nil {
			continue
		}
		if e == nil {
			e = NewEffectiveAccess(c)
		}
		for i, d := range r.Deny {
			out = append(out, checkDeny(e, r.Name, d, i, reuse)...)
		}
	}
	return out
}

// checkDeny checks deny block d, the i-th of role's.
func checkDeny(e *EffectiveAccess, role string, d *policy.Deny, i int, reuse *invariantReuse) []Violation {
	kinds := map[acl.Kind]bool{}
	for _, k := range d.Kinds {
		kinds[k] = true
	}
	covers := func(k acl.Kind) bool { return len(d.Kinds) == 0 || kinds[k] }
	// Columns are matched by their table's schema and name.
	rules := map[acl.Kind]*compiledRule{}
	rule := func(k acl.Kind) *compiledRule {
		if k == acl.KindColumn {
			k = acl.KindTable
		}
		if cr, ok := rules[k]; ok {
			return cr
		}
		cr := &compiledRule{grant: &policy.Grant{Kind: k, Schema: d.Schema, Names: d.Names}, matched: make([]bool, len(d.Names))}
		rules[k] = cr
		return cr
	}
	var out []Violation
	for _, obj := range e.c.Objects {
		if !covers(obj.Kind) && !(obj.Kind == acl.KindColumn && covers(acl.KindTable)) {
			continue
		}
		if !denyInScope(d, obj) {
			continue
		}
		if _, ok := rule(obj.Kind).match(obj); !ok {
			continue
		}
		if reuse != nil && reuse.unchanged(obj) {
			out = append(out, reuse.prev[violationKey{role, i, obj}]...)
			continue
		}
		denied := d.Privileges
		if d.All {
			denied = acl.Valid(obj.Kind, e.c.ServerVersion)
		}
		denied &= acl.Valid(obj.Kind, e.c.ServerVersion)
		if denied == 0 {
			continue
		}
		if e.held(role, obj)&denied == 0 {
			continue
		}
		_, paths := e.Of(role, obj)
		// A deny that covers tables reports table-level privileges on the
		// table; on its columns only their own grants remain.
		onlyColumn := obj.Kind == acl.KindColumn && covers(acl.KindTable)
		var routes []string
		byRoute := map[string]acl.Priv{}
		for _, p := range paths {
			if onlyColumn && p.Object.Kind != acl.KindColumn {
				continue
			}
			got := p.Privs & denied
			if got == 0 {
				continue
			}
			rt := p.Route()
			if _, seen := byRoute[rt]; !seen {
				routes = append(routes, rt)
			}
			byRoute[rt] |= got
		}
		for _, rt := range routes {
			out = append(out, Violation{Role: role, Object: objectLabel(obj.Object), Privilege: byRoute[rt].String(),
				Path: rt, Rule: d.DeclRange, Target: obj.Object, Privs: byRoute[rt], on: obj, deny: i})
		}
	}
	return out
}

// denyInScope applies the deny block's schema to kinds that grant rules do
// not restrict by schema: a schema matches only itself, and objects outside
// schemas (the database, …) only a deny without a schema.
func denyInScope(d *policy.Deny, obj *catalog.Object) bool {
	if d.Schema == "" || obj.Kind.InSchema() {
		return true
	}
	return obj.Kind == acl.KindSchema && obj.Name == d.Schema
}

// objectLabel is the kind and name for people: "view public.v".
func objectLabel(o acl.Object) string {
	if o.Kind == acl.KindColumn {
		return "column " + o.String()
	}
	return changeHeader(&Change{Target: TargetObject, Object: o})
}

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
	now := CheckInvariants(b.pol, b.cat)
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
			b.plan.Violations = CheckInvariants(b.pol, after)
			return
		}
	}
	b.plan.Violations = checkInvariants(b.pol, after, reuseUnchanged(b.cat, after, now))
}

// reuseUnchanged serves checkInvariants on the projected catalog after
// when only object ACLs change (no role or membership): what a role holds
// on an object then depends only on that object's ACL and, for a column,
// its table's, so an object whose ACL and table ACL project does not touch
// keeps the violations it has now. At tens of thousands of objects this
// saves a second pass over all of them. project copies exactly the
// objects it changes and keeps the others, so objects are compared by
// pointer: an unchanged object of after is the very object of before that
// now's violations were found on.
func reuseUnchanged(before, after *catalog.Catalog, now []Violation) *invariantReuse {
	r := &invariantReuse{prev: map[violationKey][]Violation{}, changed: map[*catalog.Object]bool{}}
	for i, o := range after.Objects {
		if i >= len(before.Objects) || before.Objects[i] != o {
			r.changed[o] = true
			if o.Kind == acl.KindTable {
				if r.changedTables == nil {
					r.changedTables = map[string]bool{}
				}
				r.changedTables[o.Key()] = true
			}
		}
	}
	for _, v := range now {
		k := violationKey{v.Role, v.deny, v.on}
		r.prev[k] = append(r.prev[k], v)
	}
	return r
}

// invariantReuse is what reuseUnchanged found: the violations of now by
// role, deny block and object, and the objects project changed.
type invariantReuse struct {
	prev          map[violationKey][]Violation
	changed       map[*catalog.Object]bool
	changedTables map[string]bool // keys of the tables among changed
}

type violationKey struct {
	role string
	deny int
	on   *catalog.Object
}

// unchanged reports whether obj and, for a column, its table kept their
// ACLs.
func (r *invariantReuse) unchanged(obj *catalog.Object) bool {
	if r.changed[obj] {
		return false
	}
	return obj.Kind != acl.KindColumn || !r.changedTables[obj.Table().Key()]
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
	// access answers has_privs_of_role for revokes (what a grantee still
	// holds decides how far a CASCADE goes); rebuilt after a role or
	// membership change.
	var access *EffectiveAccess
	for _, ch := range changes {
		if ch.Target != TargetObject {
			access = nil
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
				if access == nil {
					access = NewEffectiveAccess(&out)
				}
				r := &aclRevoker{owner: o.Owner, holds: access.HasPrivilegesOf}
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
