package plan

import (
	"cmp"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// objectRevokes plans the revokes of one object. It runs each revoke on a
// copy of the object's ACL as PostgreSQL would, so that every later
// decision sees what earlier revokes (and their cascades) left: a grant
// that a CASCADE already took needs no revoke of its own, and one that a
// CASCADE cannot take (its grantor keeps the grant option through a
// membership) must be revoked first, while its grantor can still do it.
type objectRevokes struct {
	b     *builder
	obj   *catalog.Object
	want  wants
	items []acl.Item // the ACL once the revokes planned so far have run
	// busy holds the grantees whose revoke is being planned, so that a
	// cycle of grant options ends in a CASCADE instead of recursing.
	busy map[acl.Grantee]bool
	// kept holds the items whose revokes an additive role keeps: they are
	// reported once and never run.
	kept map[acl.Item]bool
	// start is the ACL before the revokes; emitted lists the revokes in
	// the order they were planned (see settle).
	start   []acl.Item
	emitted []*Change
	// routed is set when the owner takes an item of another grantor by a
	// CASCADE (ownerRoute); restore holds what that takes from roles whose
	// loss the policy does not decide, to be granted again (regrant).
	routed  bool
	restore []acl.Item
}

func (d *objectRevokes) plan() {
	d.start = d.items
	// The owner's items first: revoking a grant option there may cascade
	// to the items of other grantors.
	for {
		c := d.next(true)
		if c == nil {
			c = d.next(false)
		}
		if c == nil {
			break
		}
		if route := d.ownerRoute(c); route != nil {
			for _, r := range route {
				d.emit(r)
			}
			continue
		}
		d.emit(c)
	}
	d.settle()
	d.regrant()
}

// settle makes the revokes correct in the order they will run, which is
// not the order they were planned in: statements of one phase run by rank,
// then by grantee (lessChange). It runs them in that order on the ACL and
// takes each one's CASCADE from that run (a revoke that runs earlier can
// take away the grant option through which a later one's grantee kept its
// own, found by the oracle test). When that order would not do the same
// (a revoke would find its privileges gone, or the end state differs), the
// revokes get ranks that keep the planned order instead.
func (d *objectRevokes) settle() {
	if len(d.emitted) < 2 {
		return
	}
	order := slices.Clone(d.emitted)
	slices.SortStableFunc(order, func(a, b *Change) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.Grantee, b.Grantee))
	})
	items := d.start
	cascade := make([]bool, len(order))
	same := true
	for i, c := range order {
		if !holdsRevoked(items, c) {
			same = false
			break
		}
		r := d.revoker()
		items = r.revoke(items, c.Grantee, c.Grantor, c.Privs.Privs, c.GrantOptionOnly)
		cascade[i] = r.cascaded
	}
	if same && slices.Equal(sortedItems(items), sortedItems(d.items)) {
		for i, c := range order {
			c.Cascade = cascade[i]
		}
		return
	}
	for i, c := range d.emitted {
		c.rank = int32(i)
	}
}

// holdsRevoked reports whether items hold everything c revokes, as they
// did when c was planned.
func holdsRevoked(items []acl.Item, c *Change) bool {
	for _, it := range items {
		if it.Grantee != c.Grantee || it.Grantor != c.Grantor {
			continue
		}
		if c.GrantOptionOnly {
			return it.Privs.GrantOption.Has(c.Privs.Privs)
		}
		return it.Privs.Privs.Has(c.Privs.Privs)
	}
	return false
}

func sortedItems(items []acl.Item) []acl.Item {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b acl.Item) int {
		return cmp.Or(cmp.Compare(a.Grantee, b.Grantee), cmp.Compare(a.Grantor, b.Grantor))
	})
	return out
}

// next returns the revoke of the first item that needs one, among the
// owner's items (byOwner) or the others'.
func (d *objectRevokes) next(byOwner bool) *Change {
	for _, it := range d.items {
		if (it.Grantor == d.obj.Owner) != byOwner {
			continue
		}
		if c := d.needed(it); c != nil {
			return c
		}
	}
	return nil
}

// needed returns the revoke to run for an item, or nil. The revokes of an
// additive role go to the plan's kept list instead, once.
func (d *objectRevokes) needed(it acl.Item) *Change {
	c := d.revokeFor(it, false)
	if c == nil || !d.b.additive(c.Grantee) {
		return c
	}
	if !d.kept[it] {
		if d.kept == nil {
			d.kept = map[acl.Item]bool{}
		}
		d.kept[it] = true
		d.b.add(c)
		if opt := d.revokeFor(it, true); opt != nil && !c.GrantOptionOnly {
			d.b.add(opt)
		}
	}
	return nil
}

// revokeFor returns the revoke one item needs, or nil: privileges the
// grantee should not hold, then grant options it should not hold, or what
// PUBLIC holds beyond the policy's ceiling. Undeclared roles and the
// owner's own item are never touched. optionOnly asks only for the
// grant-option revoke.
func (d *objectRevokes) revokeFor(it acl.Item, optionOnly bool) *Change {
	b, obj, g := d.b, d.obj, it.Grantee
	// PUBLIC is never managed on a system schema: every role needs USAGE
	// on pg_catalog to name anything, whatever the public block says.
	if g.IsPublic() && systemSchema(obj) {
		return nil
	}
	if g.IsPublic() && b.pol.Public.Exact(obj.Kind) {
		// PUBLIC holds no grant options: PostgreSQL grants them only to
		// roles.
		if extra := it.Privs.Privs &^ d.want.of(g).privs; extra != 0 && !optionOnly {
			why := Reason{Text: "not declared for PUBLIC"}
			if it.Grantor != obj.Owner {
				why.Text += " (granted by " + it.Grantor + ")"
			}
			return b.objectChange(Revoke, obj, acl.Public, acl.Privileges{Privs: extra}, it.Grantor, why)
		}
		return nil
	}
	if g.IsPublic() {
		if b.pol.Public == nil || optionOnly {
			return nil
		}
		may, managed := b.pol.Public.MayHold[obj.Kind]
		extra := it.Privs.Privs &^ may
		if !managed || extra == 0 {
			return nil
		}
		return b.objectChange(Revoke, obj, acl.Public, acl.Privileges{Privs: extra}, it.Grantor, Reason{Rule: b.publicRange(obj.Kind), Text: "exceeds what PUBLIC may hold"})
	}
	if string(g) == obj.Owner || b.roles[string(g)] == nil {
		return nil
	}
	w := d.want.of(g)
	byOther := ""
	if it.Grantor != obj.Owner {
		byOther = " (granted by " + it.Grantor + ")"
	}
	if extra := it.Privs.Privs &^ w.privs; extra != 0 && !optionOnly {
		why := notDeclared
		if byOther != "" {
			why = Reason{Text: "not declared" + byOther}
		}
		return b.objectChange(Revoke, obj, g, acl.Privileges{Privs: extra, GrantOption: it.Privs.GrantOption & extra}, it.Grantor, why)
	}
	if opt := it.Privs.GrantOption & w.privs &^ w.grantOpt; opt != 0 {
		c := b.objectChange(Revoke, obj, g, acl.Privileges{Privs: opt, GrantOption: opt}, it.Grantor, Reason{Rule: w.rule, Text: "grant option not declared" + byOther})
		c.GrantOptionOnly = true
		return c
	}
	return nil
}

// emit adds c to the plan and runs it on the ACL. When c takes grant
// options its grantee passed on, the grants a CASCADE would not reach are
// revoked before c (they rank lower), and c cascades to the rest.
func (d *objectRevokes) emit(c *Change) {
	g := c.Grantee
	if lost := c.Privs.GrantOption; lost != 0 && !d.busy[g] && dependentOf(d.items, string(g), lost) >= 0 {
		if d.busy == nil {
			d.busy = map[acl.Grantee]bool{}
		}
		d.busy[g] = true
		after := d.revoker().revoke(d.items, g, c.Grantor, c.Privs.Privs, c.GrantOptionOnly)
		for dep := d.residual(after, string(g), lost); dep != nil; dep = d.residual(after, string(g), lost) {
			d.emit(dep)
			c.rank = max(c.rank, dep.rank+1)
			after = d.revoker().revoke(d.items, g, c.Grantor, c.Privs.Privs, c.GrantOptionOnly)
		}
		d.busy[g] = false
	}
	r := d.revoker()
	d.items = r.revoke(d.items, g, c.Grantor, c.Privs.Privs, c.GrantOptionOnly)
	c.Cascade = r.cascaded
	d.emitted = append(d.emitted, c)
	d.b.add(c)
}

// residual returns the revoke needed by a grant of grantor that items
// still hold with any of privs, or nil: those a CASCADE does not reach.
// Grants to undeclared roles are not pgward's to revoke.
func (d *objectRevokes) residual(items []acl.Item, grantor string, privs acl.Priv) *Change {
	for _, it := range items {
		if it.Grantor == grantor && it.Privs.Privs&privs != 0 {
			if c := d.needed(it); c != nil {
				return c
			}
		}
	}
	return nil
}

func (d *objectRevokes) revoker() *aclRevoker {
	return &aclRevoker{owner: d.obj.Owner, holds: d.b.holdsAtRevoke}
}

// publicRange is the range of the public block's rule for kind, shared by
// every change it causes.
func (b *builder) publicRange(kind acl.Kind) *hcl.Range {
	if r, ok := b.publicRanges[kind]; ok {
		return r
	}
	if b.publicRanges == nil {
		b.publicRanges = map[acl.Kind]*hcl.Range{}
	}
	rng := b.pol.Public.Ranges[kind]
	b.publicRanges[kind] = &rng
	return &rng
}
