package access

import (
	"sort"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// Source says where an effective privilege comes from. The zero value is
// invalid.
type Source uint8

const (
	SourceInvalid Source = iota
	// SourceACL: an ACL item of the role itself, or of a role whose
	// privileges it has (a chain of memberships with INHERIT). The owner's
	// rights are such an item: an owner that revoked them holds nothing.
	SourceACL
	// SourcePublic: an ACL item granted to PUBLIC, which every role holds.
	SourcePublic
	// SourcePredefined: a predefined role the role has the privileges of
	// (pg_read_all_data, pg_write_all_data on 14+, pg_maintain on 17+),
	// which PostgreSQL honours with no trace in any ACL.
	SourcePredefined
	// SourceSuperuser: the role is a superuser, so PostgreSQL skips the
	// check. Superuser status is not inherited through membership.
	SourceSuperuser
)

func (s Source) String() string {
	switch s {
	case SourceACL:
		return "acl"
	case SourcePublic:
		return "public"
	case SourcePredefined:
		return "predefined role"
	case SourceSuperuser:
		return "superuser"
	}
	return "invalid"
}

// Path is one reason a role can use privileges on an object.
type Path struct {
	Source Source
	// Privs are the privileges this path gives, restricted to what the
	// object's kind accepts on the server.
	Privs acl.Priv
	// Via is the chain of roles from the role asked about to the role
	// that holds the privilege: Via[0] is the role, each next one a role
	// the previous one is a member of with INHERIT (pg_database_owner
	// included, which the database owner belongs to implicitly). For
	// SourcePredefined the last role is the predefined one. Empty for
	// SourcePublic.
	Via []string
	// Grantor is the grantor of the ACL item (SourceACL, SourcePublic).
	Grantor string
	// Object is what the item is held on: the table for a table-level
	// privilege that a column query inherits, the column for a column
	// grant, the object itself otherwise.
	Object acl.Object
	// SetRole, when not empty, says the path needs SET ROLE first: the
	// chain of memberships that allow it, from the role asked about to
	// the role it becomes (SetRole[0] is the role, the last one the role
	// set; Via then starts there). Only [EffectiveAccess.Reach] gives such
	// paths: has_*_privilege does not count them, a session can.
	SetRole []string
}

// NeedsSetRole reports whether the path is open only after SET ROLE.
func (p Path) NeedsSetRole() bool { return len(p.SetRole) > 0 }

// Route is the chain that gives the access, without what it gives:
// "tuist_ops_ro → member of pg_read_all_data", "PUBLIC", "bob",
// "postgres (superuser)".
//
// A path that needs SET ROLE starts with it: "dave → SET ROLE app_owner",
// "dave → SET ROLE app_owner (through ops) → member of readers",
// "dave → SET ROLE admin (superuser)".
func (p Path) Route() string {
	var b strings.Builder
	if p.NeedsSetRole() {
		set := p.SetRole[len(p.SetRole)-1]
		b.WriteString(p.SetRole[0])
		b.WriteString(" → SET ROLE ")
		b.WriteString(set)
		if mid := p.SetRole[1 : len(p.SetRole)-1]; len(mid) > 0 {
			b.WriteString(" (through " + strings.Join(mid, ", ") + ")")
		}
		if p.Source == SourceSuperuser {
			b.WriteString(" (superuser)")
		}
	}
	switch p.Source {
	case SourcePublic:
		return "PUBLIC"
	case SourceSuperuser:
		if p.NeedsSetRole() {
			return b.String()
		}
		if len(p.Via) > 0 {
			return p.Via[0] + " (superuser)"
		}
		return "superuser"
	}
	for i, r := range p.Via {
		if i == 0 {
			if !p.NeedsSetRole() {
				b.WriteString(r)
			}
			continue
		}
		b.WriteString(" → member of ")
		b.WriteString(r)
		if r == "pg_database_owner" {
			b.WriteString(" (as owner of the database)")
		}
	}
	return b.String()
}

// String is the route followed by what it gives:
// "tuist_ops_ro → member of pg_read_all_data → SELECT on public.accounts",
// "PUBLIC → EXECUTE on public.f()".
func (p Path) String() string {
	on := p.Object.String()
	if p.Object.Kind == acl.KindColumn {
		on = "column " + on
	}
	return p.Route() + " → " + p.Privs.String() + " on " + on
}

// EffectiveAccess answers what roles can actually use on objects of one
// catalog, as PostgreSQL's has_*_privilege functions answer: ACL items of
// the role, of PUBLIC and of the roles whose privileges it has, the
// predefined roles that act outside ACLs, and superuser status. It caches
// membership closures; it is not safe for concurrent use.
type EffectiveAccess struct {
	c *catalog.Catalog
	g *Graph
	// byKey finds objects by key; built on first use (Object), since
	// most callers only ask about roles.
	byKey  map[string]*catalog.Object
	privs  map[string]map[string]string // role → roles whose privileges it has
	member map[string]map[string]string // role → roles it is a member of
	set    map[string]map[string]string // role → roles it may SET ROLE to
	sets   map[string][]string          // role → setRoles(role)
}

// NewEffectiveAccess prepares effective-access queries on c, which must not
// change while they run.
func NewEffectiveAccess(c *catalog.Catalog) *EffectiveAccess {
	return &EffectiveAccess{c: c, g: NewGraph(c),
		privs: map[string]map[string]string{}, member: map[string]map[string]string{},
		set: map[string]map[string]string{}, sets: map[string][]string{}}
}

// Object finds an object of the catalog by its key (acl.Object.Key), or
// nil.
func (e *EffectiveAccess) Object(key string) *catalog.Object {
	if e.byKey == nil {
		e.byKey = make(map[string]*catalog.Object, len(e.c.Objects))
		for _, o := range e.c.Objects {
			e.byKey[o.Key()] = o
		}
	}
	return e.byKey[key]
}

// Effective computes what role can use on obj, with the paths that give
// it; see [EffectiveAccess.Of]. For many queries on one catalog, use
// [NewEffectiveAccess] once.
func Effective(c *catalog.Catalog, role string, obj *catalog.Object) (acl.Priv, []Path) {
	return NewEffectiveAccess(c).Of(role, obj)
}

// Of computes what role can use on obj: the privileges has_*_privilege
// reports true for (grant options aside), and every path that gives one,
// direct grants first, then PUBLIC, then chains of memberships by length,
// then predefined roles. A superuser gets every privilege of the kind and
// the one superuser path. The role "" is PUBLIC itself: only PUBLIC items
// count, as has_table_privilege('public', …) answers.
//
// For a column (acl.KindColumn) the answer is has_column_privilege's: the
// table-level privileges (looked up in the catalog) plus the column's own
// items; a column without column privileges may be passed with no ACL. For
// a table the column grants do not count, as in has_table_privilege.
func (e *EffectiveAccess) Of(role string, obj *catalog.Object) (acl.Priv, []Path) {
	v := e.c.ServerVersion
	valid := acl.Valid(obj.Kind, v)
	if r := e.c.Role(role); r != nil && r.Superuser {
		return valid, []Path{{Source: SourceSuperuser, Privs: valid, Via: []string{role}, Object: obj.Object}}
	}
	var paths []Path
	if obj.Kind == acl.KindColumn {
		if t := e.Object(obj.Table().Key()); t != nil {
			_, tp := e.Of(role, t)
			for _, p := range tp {
				if p.Privs &= valid; p.Privs != 0 {
					paths = append(paths, p)
				}
			}
		}
	}
	held := e.privilegesOf(role)
	for _, it := range obj.ACL {
		privs := it.Privs.Privs & valid
		if privs == 0 {
			continue
		}
		p := Path{Source: SourceACL, Privs: privs, Grantor: it.Grantor, Object: obj.Object}
		switch {
		case it.Grantee.IsPublic():
			p.Source = SourcePublic
		case held != nil:
			if _, ok := held[string(it.Grantee)]; !ok {
				continue
			}
			p.Via = chain(held, string(it.Grantee))
		default:
			continue
		}
		paths = append(paths, p)
	}
	if held != nil && obj.Kind != acl.KindColumn {
		paths = append(paths, e.predefined(held, obj, valid)...)
	}
	sort.SliceStable(paths, func(i, j int) bool { return pathRank(paths[i]) < pathRank(paths[j]) })
	var privs acl.Priv
	for _, p := range paths {
		privs |= p.Privs
	}
	return privs, paths
}

// Reach computes what role can use on obj in a session it opens: what Of
// says, and what it can use after SET ROLE to a role it may become (a
// NOINHERIT member on every version, a member WITH INHERIT FALSE, SET TRUE
// on 16+). The paths of Of come first; then, for each role it may SET ROLE
// to whose privileges it does not already have (nearest first), that
// role's paths, marked with the chain that allows the SET ROLE (PUBLIC's
// items are left out: the role holds them anyway). The privileges are the
// union of every path's.
func (e *EffectiveAccess) Reach(role string, obj *catalog.Object) (acl.Priv, []Path) {
	privs, paths := e.Of(role, obj)
	sets := e.setRoles(role)
	if len(sets) == 0 {
		return privs, paths
	}
	for _, s := range sets {
		_, theirs := e.Of(s, obj)
		for _, p := range theirs {
			if p.Source == SourcePublic {
				continue
			}
			p.SetRole = chain(e.setClosure(role), s)
			paths = append(paths, p)
			privs |= p.Privs
		}
	}
	return privs, paths
}

// reach is Reach's privileges alone, as held is Of's.
func (e *EffectiveAccess) reach(role string, obj *catalog.Object) acl.Priv {
	privs := e.held(role, obj)
	for _, s := range e.setRoles(role) {
		privs |= e.held(s, obj)
	}
	return privs
}

// setRoles lists the roles role may SET ROLE to that give it something its
// own privileges do not: in breadth-first order of the SET chain, each role
// not already among the privileges of role or of a role listed before it,
// and every superuser.
// Nil for PUBLIC and for a superuser, which needs no SET ROLE.
func (e *EffectiveAccess) setRoles(role string) []string {
	if role == "" || e.g.IsSuperuser(role) {
		return nil
	}
	if list, ok := e.sets[role]; ok {
		return list
	}
	closure := e.setClosure(role)
	covered := map[string]bool{}
	for r := range e.privilegesOf(role) {
		covered[r] = true
	}
	var list []string
	for _, s := range bfsOrder(closure, role) {
		// Superuser status is not inherited: a role that has a superuser's
		// privileges still gains everything by becoming it.
		if covered[s] && !e.g.IsSuperuser(s) {
			continue
		}
		list = append(list, s)
		for r := range e.privilegesOf(s) {
			covered[r] = true
		}
	}
	e.sets[role] = list
	return list
}

// setClosure is every role role may SET ROLE to, each mapped to the role it
// is reached from (pg_has_role(role, r, 'SET') on 16+, 'MEMBER' before,
// where every membership allows SET).
func (e *EffectiveAccess) setClosure(role string) map[string]string {
	m, ok := e.set[role]
	if !ok {
		m = e.g.closure(role, func(m catalog.Membership) bool { return m.Set })
		e.set[role] = m
	}
	return m
}

// bfsOrder lists the roles of a closure by distance from root, then by
// name, root left out: a deterministic order of nearest first.
func bfsOrder(closure map[string]string, root string) []string {
	depth := func(r string) int {
		n := 0
		for ; r != root && r != ""; r = closure[r] {
			n++
		}
		return n
	}
	var out []string
	for r := range closure {
		if r != root {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if di, dj := depth(out[i]), depth(out[j]); di != dj {
			return di < dj
		}
		return out[i] < out[j]
	})
	return out
}

// predefined gives what the predefined roles held grant outside ACLs
// (pg_class_aclmask and pg_namespace_aclmask).
func (e *EffectiveAccess) predefined(held map[string]string, obj *catalog.Object, valid acl.Priv) []Path {
	var grants []struct {
		role  string
		privs acl.Priv
	}
	add := func(role string, since int, privs acl.Priv) {
		if _, ok := held[role]; ok && e.c.ServerVersion >= since && privs&valid != 0 {
			grants = append(grants, struct {
				role  string
				privs acl.Priv
			}{role, privs & valid})
		}
	}
	switch obj.Kind {
	case acl.KindTable, acl.KindSequence:
		add("pg_read_all_data", 140000, acl.Select)
		add("pg_write_all_data", 140000, acl.Insert|acl.Update|acl.Delete)
		add("pg_maintain", 170000, acl.Maintain)
	case acl.KindSchema:
		add("pg_read_all_data", 140000, acl.Usage)
		add("pg_write_all_data", 140000, acl.Usage)
	}
	var out []Path
	for _, g := range grants {
		out = append(out, Path{Source: SourcePredefined, Privs: g.privs, Via: chain(held, g.role), Object: obj.Object})
	}
	return out
}

// held is what Of returns first, the privileges alone, without building
// the paths: checkDenyBlock asks it of every object and needs the paths only
// for the few where a denied privilege is held.
func (e *EffectiveAccess) held(role string, obj *catalog.Object) acl.Priv {
	valid := acl.Valid(obj.Kind, e.c.ServerVersion)
	if r := e.c.Role(role); r != nil && r.Superuser {
		return valid
	}
	var privs acl.Priv
	if obj.Kind == acl.KindColumn {
		if t := e.Object(obj.Table().Key()); t != nil {
			privs |= e.held(role, t) & valid
		}
	}
	held := e.privilegesOf(role)
	for _, it := range obj.ACL {
		p := it.Privs.Privs & valid
		if p == 0 {
			continue
		}
		if it.Grantee.IsPublic() {
			privs |= p
		} else if _, ok := held[string(it.Grantee)]; ok {
			privs |= p
		}
	}
	if held != nil && obj.Kind != acl.KindColumn {
		for _, p := range e.predefined(held, obj, valid) {
			privs |= p.Privs
		}
	}
	return privs
}

// pathRank orders paths: direct grants, PUBLIC, memberships by length,
// predefined roles, superuser.
func pathRank(p Path) int {
	switch p.Source {
	case SourcePublic:
		return 1
	case SourceACL:
		if len(p.Via) <= 1 {
			return 0
		}
		return 1 + len(p.Via)
	case SourcePredefined:
		return 1000 + len(p.Via)
	}
	return 2000
}

// chain is the path from the closure's root to role, root first.
func chain(prev map[string]string, role string) []string {
	var out []string
	for r := role; r != ""; r = prev[r] {
		out = append(out, r)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// privilegesOf is the set of roles whose privileges role has (itself
// included): memberships with INHERIT, nested. Nil for PUBLIC.
func (e *EffectiveAccess) privilegesOf(role string) map[string]string {
	if role == "" {
		return nil
	}
	if m, ok := e.privs[role]; ok {
		return m
	}
	m := e.g.closure(role, func(m catalog.Membership) bool { return m.Inherit })
	e.privs[role] = m
	return m
}

// HasPrivilegesOf reports whether role has the privileges of other, as
// pg_has_role(role, other, 'USAGE') answers: the same role, a superuser, or
// a chain of memberships with INHERIT.
func (e *EffectiveAccess) HasPrivilegesOf(role, other string) bool {
	if r := e.c.Role(role); r != nil && r.Superuser {
		return true
	}
	_, ok := e.privilegesOf(role)[other]
	return ok
}

// IsMemberOf reports whether role is a member of other, directly or not,
// whatever the INHERIT options, as pg_has_role(role, other, 'MEMBER')
// answers. A NOINHERIT member is a member that has none of the privileges.
func (e *EffectiveAccess) IsMemberOf(role, other string) bool {
	if r := e.c.Role(role); r != nil && r.Superuser {
		return true
	}
	m, ok := e.member[role]
	if !ok {
		m = e.g.closure(role, func(catalog.Membership) bool { return true })
		e.member[role] = m
	}
	_, ok = m[other]
	return ok
}
