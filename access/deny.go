package access

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/textout"
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

// CheckDeny evaluates every deny block of the policy on the effective
// access the catalog gives (see [EffectiveAccess]) and returns what breaks
// them: one violation per role, deny block, object and route, in policy
// order, then catalog order, then path order. Roles the catalog lacks are
// skipped. A deny on tables also covers the column grants of the matched
// tables (a column INSERT is an INSERT into the table); a deny on columns
// alone covers columns through table-level privileges as well.
func CheckDeny(p *policy.Policy, c *catalog.Catalog) []Violation {
	return checkDeny(p, c, nil)
}

// RecheckDeny is CheckDeny on after, a catalog that differs from before
// only in object ACLs (no role or membership changed), where now is what
// CheckDeny found on before: an object whose ACL and, for a column, whose
// table's ACL after shares with before (the same *catalog.Object) keeps
// the violations it has now instead of being checked again. Objects are
// compared by pointer, so after must copy exactly the objects that
// change; plan's projection of its changes does.
func RecheckDeny(p *policy.Policy, before, after *catalog.Catalog, now []Violation) []Violation {
	return checkDeny(p, after, reuseUnchanged(before, after, now))
}

// checkDeny is CheckDeny; with reuse, an object reuse reports
// unchanged gets its earlier violations instead of being checked again.
func checkDeny(p *policy.Policy, c *catalog.Catalog, reuse *invariantReuse) []Violation {
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
			out = append(out, checkDenyBlock(e, r.Name, d, i, reuse)...)
		}
	}
	return out
}

// checkDenyBlock checks deny block d, the i-th of role's.
func checkDenyBlock(e *EffectiveAccess, role string, d *policy.Deny, i int, reuse *invariantReuse) []Violation {
	kinds := map[acl.Kind]bool{}
	for _, k := range d.Kinds {
		kinds[k] = true
	}
	covers := func(k acl.Kind) bool { return len(d.Kinds) == 0 || kinds[k] }
	// Columns are matched by their table's schema and name.
	rules := map[acl.Kind]*policy.Grant{}
	rule := func(k acl.Kind) *policy.Grant {
		if k == acl.KindColumn {
			k = acl.KindTable
		}
		if g, ok := rules[k]; ok {
			return g
		}
		g := &policy.Grant{Kind: k, Schema: d.Schema, Names: d.Names}
		rules[k] = g
		return g
	}
	var out []Violation
	for _, obj := range e.c.Objects {
		if !covers(obj.Kind) && !(obj.Kind == acl.KindColumn && covers(acl.KindTable)) {
			continue
		}
		if !DenyInScope(d, obj) {
			continue
		}
		if _, ok := MatchName(rule(obj.Kind), obj, nil); !ok {
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
		// A deny says the role must never be able to use the privilege:
		// what it reaches by SET ROLE breaks it as much as what it holds.
		if e.reach(role, obj)&denied == 0 {
			continue
		}
		_, paths := e.Reach(role, obj)
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
			out = append(out, Violation{Role: role, Object: textout.ObjectLabel(obj.Object), Privilege: byRoute[rt].String(),
				Path: rt, Rule: d.DeclRange, Target: obj.Object, Privs: byRoute[rt], on: obj, deny: i})
		}
	}
	return out
}

// DenyInScope applies the deny block's schema to kinds that grant rules do
// not restrict by schema: a schema matches only itself, and objects outside
// schemas (the database, …) only a deny without a schema.
func DenyInScope(d *policy.Deny, obj *catalog.Object) bool {
	if d.Schema == "" || obj.Kind.InSchema() {
		return true
	}
	return obj.Kind == acl.KindSchema && obj.Name == d.Schema
}

// reuseUnchanged serves checkDeny on the projected catalog after
// when only object ACLs change (no role or membership): what a role holds
// on an object then depends only on that object's ACL and, for a column,
// its table's, so an object whose ACL and table ACL the changes do not touch
// keeps the violations it has now. At tens of thousands of objects this
// saves a second pass over all of them. plan's projection copies exactly the
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
// role, deny block and object, and the objects after changed.
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
