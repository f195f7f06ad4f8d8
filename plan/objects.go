package plan

import (
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// objectPrivileges diffs the ACL of every object in scope for each managed
// grantee, and for PUBLIC where the policy manages it.
func (b *builder) objectPrivileges() {
	rules := b.compileRules()
	columns := map[string][]columnWant{} // by table key
	roles := sortedKeys(b.roles)
	for _, obj := range b.objectsInScope(rules) {
		orig := b.diffObject(rules, roles, obj)
		if obj.Kind == acl.KindColumn {
			t := obj.Table().Key()
			for _, w := range orig {
				columns[t] = append(columns[t], columnWant{obj: obj, grantee: w.grantee, want: w.want})
			}
		}
	}
	b.cascadeThroughColumns()
	b.regrantWipedColumns(columns)
	rules.warnUnmatched(b)
}

// wanted is what one grantee should hold on an object.
type wanted struct {
	grantee acl.Grantee
	want
}

// wants is what the managed grantees should hold on one object, one entry
// per grantee that should hold something: a handful at most, so a slice
// rather than a map.
type wants []wanted

// of is what g should hold (zero if nothing).
func (ws wants) of(g acl.Grantee) want {
	for _, w := range ws {
		if w.grantee == g {
			return w.want
		}
	}
	return want{}
}

// diffObject plans the changes for one object and returns what each
// managed grantee should hold on it. roles are the managed roles, sorted.
func (b *builder) diffObject(rules *ruleSet, roles []string, obj *catalog.Object) wants {
	// orig and missing live in buffers reused from object to object: at
	// tens of thousands of objects, two small slices each were most of
	// what an in-sync plan allocated. orig is returned: valid until the
	// next call.
	orig := b.origWants[:0] // in role order, so that the grants below come out sorted
	// PUBLIC is never managed on a system schema (see objectRevokes).
	if b.pol.Public.Exact(obj.Kind) && !systemSchema(obj) {
		// PUBLIC ("") sorts before every role.
		if w := rules.desired(string(acl.Public), obj); w.privs != 0 {
			orig = append(orig, wanted{acl.Public, w})
		}
	}
	for _, name := range roles {
		if name == obj.Owner {
			continue // the owner's own item is never managed
		}
		if w := rules.desired(name, obj); w.privs != 0 {
			orig = append(orig, wanted{acl.Grantee(name), w})
		}
	}
	missing := append(b.missingWants[:0], orig...)
	b.origWants, b.missingWants = orig, missing
	// What is missing is judged on the items the owner granted: pgward's
	// own GRANT records the owner, so an item of another grantor never
	// counts as held.
	for _, it := range obj.ACL {
		if it.Grantor != obj.Owner {
			continue
		}
		for i := range missing {
			if missing[i].grantee == it.Grantee {
				missing[i].privs &^= it.Privs.Privs
				missing[i].grantOpt &^= it.Privs.GrantOption
			}
		}
	}
	// Grants run before revokes (see phase), so the revokes are planned on
	// the ACL the grants leave: a grant option granted to a role the
	// grantee inherits from stops a CASCADE.
	items, cloned := obj.ACL, false
	for _, mw := range missing {
		g, m := mw.grantee, mw.want
		// A missing grant option needs the privilege granted again WITH
		// GRANT OPTION; privileges without it go in a plain GRANT.
		if plain := m.privs &^ m.grantOpt; plain != 0 {
			b.add(b.objectChange(Grant, obj, g, acl.Privileges{Privs: plain}, obj.Owner, Reason{Rule: m.rule}))
		}
		if m.grantOpt != 0 {
			c := b.objectChange(Grant, obj, g, acl.Privileges{Privs: m.grantOpt, GrantOption: m.grantOpt}, obj.Owner, Reason{Rule: m.rule})
			if b.actsAsHolder(string(g), obj.Owner) {
				// Once g holds the grant option, PostgreSQL may pick g as
				// the grantor of the connecting role's later statements on
				// the object (see grantOptionHolder): this grant goes last.
				c.rank = 1
			}
			b.add(c)
		}
		if m.privs|m.grantOpt != 0 {
			if !cloned {
				items, cloned = slices.Clone(items), true
			}
			items = grantItem(items, g, obj.Owner, acl.Privileges{Privs: m.privs | m.grantOpt, GrantOption: m.grantOpt})
		}
	}
	d := &objectRevokes{b: b, obj: obj, want: orig, items: items}
	d.plan()
	return orig
}

// objectsInScope is the catalog's objects plus those the catalog cannot
// list until they carry a privilege: columns named by column rules, and
// parameters named by parameter rules (pg_parameter_acl holds a row only
// while a parameter's ACL differs from the default).
func (b *builder) objectsInScope(rules *ruleSet) []*catalog.Object {
	objs := make([]*catalog.Object, 0, len(b.cat.Objects))
	for _, o := range b.cat.Objects {
		// Untrusted languages accept no grant or revoke at all.
		if o.Kind == acl.KindLanguage && o.Subkind == 'u' {
			continue
		}
		objs = append(objs, o)
	}
	// The catalog's object index is built only when a column or
	// parameter rule needs it: most policies have none.
	var added map[string]bool
	addSynth := func(o *catalog.Object) {
		k := o.Key()
		if _, ok := b.index()[k]; ok || added[k] {
			return
		}
		if added == nil {
			added = map[string]bool{}
		}
		added[k] = true
		objs = append(objs, o)
	}
	for _, role := range sortedKeys(rules.byRole) {
		for _, cr := range rules.byRole[role][acl.KindColumn] {
			for _, t := range b.cat.Objects {
				if t.Kind != acl.KindTable {
					continue
				}
				if _, ok := cr.matchName(t); !ok {
					continue
				}
				for _, col := range cr.Grant.Columns {
					o := &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: t.Schema, Name: t.Name, Column: col, Subkind: t.Subkind}, Owner: t.Owner}
					addSynth(o)
				}
			}
		}
		if b.cat.ServerVersion < 150000 {
			continue
		}
		boot := b.bootstrapSuperuser()
		for _, cr := range rules.byRole[role][acl.KindParameter] {
			for _, p := range cr.Grant.Names {
				if p.IsGlob() || boot == "" {
					continue
				}
				all := acl.Valid(acl.KindParameter, b.cat.ServerVersion)
				addSynth(&catalog.Object{Object: acl.Object{Kind: acl.KindParameter, Name: p.Text}, Owner: boot, NullACL: true,
					ACL: []acl.Item{{Grantee: acl.Grantee(boot), Grantor: boot, Privs: acl.Privileges{Privs: all}}}})
			}
		}
	}
	return objs
}

// bootstrapSuperuser is the role with OID 10, which owns parameters.
func (b *builder) bootstrapSuperuser() string {
	for _, r := range b.cat.Roles {
		if r.OID == 10 {
			return r.Name
		}
	}
	return ""
}

// changeSlab is the number of changes objectChange allocates at once: a
// slab of 64 KiB or so, at most that much unused at the end of a plan.
const changeSlab = 256

func (b *builder) objectChange(a Action, obj *catalog.Object, g acl.Grantee, p acl.Privileges, grantor string, why Reason) *Change {
	if len(b.changes) == 0 {
		b.changes = make([]Change, changeSlab)
	}
	c := &b.changes[0]
	b.changes = b.changes[1:]
	*c = Change{Action: a, Target: TargetObject, Object: obj.Object, Owner: obj.Owner, Grantee: g, Privs: p, Grantor: grantor, Authority: AuthorityOwner, Reason: why}
	if grantor != obj.Owner {
		c.Authority = AuthorityGrantor
		c.AsRole = grantor
	}
	return c
}

// want is the desired privileges of one grantee on one object (and the
// subset wanted WITH GRANT OPTION), with the rule that decided them.
type want struct {
	privs    acl.Priv
	grantOpt acl.Priv
	rule     *hcl.Range
}
