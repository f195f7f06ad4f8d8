package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pgward/pgward/internal/acl"
)

// The owner's route to an item of another grantor.
//
// An ACL item granted by another role (dave=r/carol, carol holding the
// grant option the owner gave her) can only be revoked by its grantor: a
// REVOKE by the owner or a superuser silently does nothing. When the
// connecting role cannot act as that grantor (SET ROLE carol) but can act
// as the owner, it can still take the item: REVOKE GRANT OPTION FOR … FROM
// carol CASCADE takes carol's grant option and, by cascade, every grant
// that depends on it, dave's among them. What the cascade takes that must
// stay is granted again, after the revokes, in the same transaction:
//
//   - a declared role gets what the policy wants it to hold (carol's grant
//     option, when the policy gives it to her);
//   - an undeclared role (or PUBLIC where the policy does not manage it,
//     or an additive role beyond what the policy wants) gets back exactly
//     the privileges it lost. That is possible only for an item the owner
//     granted (the intermediary's own item, which loses only its grant
//     option): the owner's GRANT records the owner again. An item another
//     grantor made cannot be given back as it was, so when the cascade
//     would take one, the owner does not cascade, and the revoke stays
//     blocked with the reason.
//
// The revokes are found with aclRevoker, the simulation of PostgreSQL's
// REVOKE … CASCADE that objectRevokes plans with, on the ACL as the
// revokes planned so far leave it.

// ownerRoute returns the revokes by which the object's owner takes what c
// revokes, when the connecting role cannot revoke it as its grantor but
// can act as the owner: grant options the owner gave to roles upstream of
// the item (nearest first), each taken with CASCADE, until the cascade
// reaches the item. It records in d.restore what the cascade takes from
// roles whose loss the policy does not decide. It returns nil, with the
// reason in c.noRoute, when there is no such route or the cascade would
// take what cannot be given back.
func (d *objectRevokes) ownerRoute(c *Change) []*Change {
	b, owner := d.b, d.obj.Owner
	me := b.cat.CurrentUser
	if c.Authority != AuthorityGrantor || b.revocableAsGrantor(c.AsRole, c.Object) {
		return nil
	}
	if !b.graph.CanActAs(me, owner) {
		c.noRoute = fmt.Sprintf("Nor can %s take it as the owner would (REVOKE GRANT OPTION FOR … CASCADE from the role %s gave the grant option to): it is neither %s, a member of it with INHERIT, nor a superuser.", me, owner, owner)
		return nil
	}
	privs := c.Privs.Privs
	gone := func(items []acl.Item) bool {
		for _, it := range items {
			if it.Grantee == c.Grantee && it.Grantor == c.Grantor {
				if c.GrantOptionOnly {
					return it.Privs.GrantOption&privs == 0
				}
				return it.Privs.Privs&privs == 0
			}
		}
		return true
	}
	candidates := d.upstream(c.Grantor, privs)
	after := func(use []acl.Item) []acl.Item {
		items := d.items
		for _, it := range use {
			items = d.revoker().revoke(items, it.Grantee, owner, it.Privs.GrantOption&privs, true)
		}
		return items
	}
	// Nearest first, until the cascade reaches the item; then leave out
	// the grant options it did not need.
	var use []acl.Item
	for _, it := range candidates {
		use = append(use, it)
		if gone(after(use)) {
			break
		}
	}
	if !gone(after(use)) {
		c.noRoute = fmt.Sprintf("Nor can the owner take it by a CASCADE: no grant option that %s gave leads to %s's grant (%s holds it through a membership, or as the owner).", owner, c.Grantor, c.Grantor)
		return nil
	}
	for i := 0; i < len(use) && len(use) > 1; {
		without := slices.Delete(slices.Clone(use), i, i+1)
		if gone(after(without)) {
			use = without
			continue
		}
		i++
	}
	if col := d.columnsTouched(use, privs); col != "" {
		c.noRoute = fmt.Sprintf("Nor does the owner take it by REVOKE GRANT OPTION FOR … FROM %s CASCADE: on a table that also takes %s, and pgward does not plan what a cascade takes from columns.",
			joinGrantees(use), col)
		return nil
	}
	restore, lost := d.losses(d.items, after(use))
	if lost != "" {
		c.noRoute = fmt.Sprintf("Nor does the owner take it by REVOKE GRANT OPTION FOR … FROM %s CASCADE: that would also take %s, which the policy does not declare and which only its grantor could give back as it was.",
			joinGrantees(use), lost)
		return nil
	}
	d.restore = append(d.restore, restore...)
	why := Reason{Text: "removes " + possessive(c.Grantee) + " " + c.Privs.Privs.String() + " granted by " + c.Grantor}
	if c.GrantOptionOnly {
		why.Text = "removes " + possessive(c.Grantee) + " grant option for " + c.Privs.Privs.String() + " granted by " + c.Grantor
	}
	route := make([]*Change, len(use))
	for i, it := range use {
		opt := it.Privs.GrantOption & privs
		r := b.objectChange(Revoke, d.obj, it.Grantee, acl.Privileges{Privs: opt, GrantOption: opt}, owner, why)
		r.GrantOptionOnly = true
		route[i] = r
	}
	d.routed = true
	return route
}

// columnsTouched describes the first column item that a table-level REVOKE
// GRANT OPTION FOR privs … CASCADE from the grantees of use would change
// ("erin's SELECT on column b granted by carol"), or "". PostgreSQL applies
// a table-level revoke to every column too, so the cascade reaches the
// column grant options of those grantees and what was granted from them;
// the simulation covers the table's own ACL only, so the owner does not
// take that route when a column could be reached: an item granted by a
// role other than the owner, or a grant option held by one of use's
// grantees.
func (d *objectRevokes) columnsTouched(use []acl.Item, privs acl.Priv) string {
	if d.obj.Kind != acl.KindTable {
		return ""
	}
	for _, col := range d.b.columnsOf(d.obj.Object) {
		for _, it := range col.ACL {
			if it.Privs.Privs&privs == 0 {
				continue
			}
			byOther := it.Grantor != d.obj.Owner
			option := it.Privs.GrantOption&privs != 0 && slices.ContainsFunc(use, func(u acl.Item) bool { return u.Grantee == it.Grantee })
			if byOther || option {
				what := possessive(it.Grantee) + " " + (it.Privs.Privs & privs).String() + " on column " + col.Column
				if byOther {
					what += " granted by " + it.Grantor
				} else {
					what += " with grant option"
				}
				return what
			}
		}
	}
	return ""
}

// upstream returns the items of the owner that hold a grant option of privs
// and that the grants of grantor derive from: grantor's own, or those of a
// role grantor has the privileges of, or (walking up) those of the roles
// that gave grantor, or such a role, the grant option. Nearest first.
func (d *objectRevokes) upstream(grantor string, privs acl.Priv) []acl.Item {
	owner := d.obj.Owner
	var out []acl.Item
	seen := map[string]bool{grantor: true}
	queue := []string{grantor}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for _, it := range d.items {
			g := string(it.Grantee)
			if it.Grantee.IsPublic() || g == owner || it.Privs.GrantOption&privs == 0 {
				continue
			}
			if g != r && !d.b.holdsAtRevoke(r, g) {
				continue
			}
			if it.Grantor != owner {
				if !seen[it.Grantor] {
					seen[it.Grantor] = true
					queue = append(queue, it.Grantor)
				}
				continue
			}
			if !slices.Contains(out, it) {
				out = append(out, it)
			}
		}
	}
	return out
}

// losses compares the items before and after an owner's cascade. It
// returns what must be granted again exactly (lost from items the owner
// granted, by roles whose loss the policy does not decide) and, when the
// cascade takes such privileges from an item of another grantor, a
// description of the first one ("erin's SELECT granted by carol").
func (d *objectRevokes) losses(before, after []acl.Item) (restore []acl.Item, lost string) {
	for _, it := range before {
		var now acl.Privileges
		for _, a := range after {
			if a.Grantee == it.Grantee && a.Grantor == it.Grantor {
				now = a.Privs
			}
		}
		privs, opt := d.undecided(it.Grantee, it.Privs.Privs&^now.Privs, it.Privs.GrantOption&^now.GrantOption)
		if privs|opt == 0 {
			continue
		}
		if it.Grantor != d.obj.Owner {
			what := privs.String()
			if privs == 0 {
				what = "grant option for " + opt.String()
			}
			return nil, possessive(it.Grantee) + " " + what + " granted by " + it.Grantor
		}
		restore = append(restore, acl.Item{Grantee: it.Grantee, Grantor: it.Grantor, Privs: acl.Privileges{Privs: privs | opt, GrantOption: opt}})
	}
	return restore, ""
}

// undecided returns the part of a loss of g's that the policy does not
// decide: everything for an undeclared role, what an additive role holds
// beyond the policy, what PUBLIC may hold (or everything where the policy
// does not manage PUBLIC); nothing for a declared role, which is given
// what the policy wants (regrant).
func (d *objectRevokes) undecided(g acl.Grantee, privs, opt acl.Priv) (acl.Priv, acl.Priv) {
	b := d.b
	switch {
	case g.IsPublic():
		if b.pol.Public != nil {
			if may, managed := b.pol.Public.MayHold[d.obj.Kind]; managed {
				return privs & may, opt & may
			}
		}
		return privs, opt
	case b.roles[string(g)] == nil:
		return privs, opt
	case b.additive(g):
		w := d.want.of(g)
		return privs &^ w.privs, opt &^ w.grantOpt
	}
	return 0, 0
}

// regrant gives back, after the object's revokes, what an owner's cascade
// (ownerRoute) took and must stay: what the policy wants each declared
// role to hold from the owner, and exactly what the others lost.
func (d *objectRevokes) regrant() {
	if !d.routed {
		return
	}
	b, owner := d.b, d.obj.Owner
	rank := int32(0)
	for _, c := range d.emitted {
		rank = max(rank, c.rank+1)
	}
	add := func(g acl.Grantee, privs, opt acl.Priv, why Reason) {
		if plain := privs &^ opt; plain != 0 {
			c := b.objectChange(Grant, d.obj, g, acl.Privileges{Privs: plain}, owner, why)
			c.afterRevokes, c.rank = true, rank
			b.add(c)
		}
		if opt != 0 {
			c := b.objectChange(Grant, d.obj, g, acl.Privileges{Privs: opt, GrantOption: opt}, owner, why)
			c.afterRevokes, c.rank = true, rank
			b.add(c)
		}
	}
	for _, w := range d.want {
		var held acl.Privileges
		for _, it := range d.items {
			if it.Grantee == w.grantee && it.Grantor == owner {
				held = it.Privs
			}
		}
		privs, opt := w.privs&^held.Privs, w.grantOpt&^held.GrantOption
		if privs|opt != 0 {
			add(w.grantee, privs|opt, opt, Reason{Text: "re-grants what " + w.grantee.String() + " keeps after the cascade"})
		}
	}
	for _, it := range d.restore {
		add(it.Grantee, it.Privs.Privs, it.Privs.GrantOption, Reason{Text: "re-grants what " + it.Grantee.String() + " held before the cascade (not declared)"})
	}
}

// possessive is "dave's", "PUBLIC's".
func possessive(g acl.Grantee) string { return g.String() + "'s" }

func joinGrantees(items []acl.Item) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.Grantee.String()
	}
	return strings.Join(names, ", ")
}
