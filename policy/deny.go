package policy

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
)

// covers reports whether the deny applies to objects of kind k, as plan
// reads it: kinds, when listed, decide; otherwise every kind. A schema
// narrows the deny to objects inside that schema and to that schema
// itself, so kinds that live outside schemas are then not covered.
func (dn *Deny) covers(k acl.Kind) bool {
	switch {
	case k == acl.KindInvalid:
		return false
	case len(dn.Kinds) > 0 && !slices.Contains(dn.Kinds, k):
		return false
	case dn.Schema != "":
		return k.InSchema() || k == acl.KindSchema
	}
	return true
}

// forbids is what the deny forbids on objects of kind k: its privileges
// that k has (on the newest server), nothing when it does not cover k.
func (dn *Deny) forbids(k acl.Kind) acl.Priv {
	if !dn.covers(k) {
		return 0
	}
	if dn.All {
		return acl.ValidAnyVersion(k)
	}
	return dn.Privileges & acl.ValidAnyVersion(k)
}

// coveredKinds lists the kinds the deny covers, in plan order.
func (dn *Deny) coveredKinds() []acl.Kind {
	var out []acl.Kind
	for _, k := range acl.Kinds() {
		if dn.covers(k) {
			out = append(out, k)
		}
	}
	return out
}

func (d *decoder) decodeDeny(b *hcl.Block) *Deny {
	c := d.content(b.Body, denySchema)
	dn := &Deny{DeclRange: b.DefRange}
	ok := true
	if a := c.Attributes["kinds"]; a != nil {
		// Not set (null) or not evaluated: every kind.
		if list, ranges, set := d.strList(a, `["table"]`, false); set {
			if len(list) == 0 {
				d.errorf(a.Expr.Range(), "Empty kinds", "kinds = [] covers no kind: list kinds, or remove kinds to cover every kind.")
				ok = false
			}
			seen := map[acl.Kind]hcl.Range{}
			for i, s := range list {
				k, kok := d.parseKind(s, ranges[i], "deny", acl.Kinds())
				if !kok {
					ok = false
					continue
				}
				if first, dup := seen[k]; dup {
					d.warnf(ranges[i], "Duplicate kind", "Kind %q is already listed at %s.", s, pos(first))
					continue
				}
				seen[k] = ranges[i]
				dn.Kinds = append(dn.Kinds, k)
			}
			if !ok {
				dn.Kinds = nil // privileges are then checked against every kind
			}
		}
	}
	if a := c.Attributes["schema"]; a != nil {
		if s, set := d.str(a, `"public"`, false); set {
			var outside []acl.Kind
			for _, k := range dn.Kinds {
				if !k.InSchema() && k != acl.KindSchema {
					outside = append(outside, k)
				}
			}
			switch {
			case len(outside) > 0:
				d.errorf(a.NameRange, "Invalid attribute", "schema limits a deny to the objects inside schema %q and to that schema itself, but %s do not live in a schema. Write a separate deny for them, without schema.",
					s, pluralList(outside))
				ok = false
			case d.name(s, a.Expr.Range(), "schema name"):
				dn.Schema = s
				d.inScope(s, a.Expr.Range())
			default:
				ok = false
			}
		}
	}
	if a := c.Attributes["names"]; a != nil {
		k := acl.KindInvalid // names of several kinds: no kind's own rules
		if len(dn.Kinds) == 1 {
			k = dn.Kinds[0]
		}
		ps, pok := d.patterns(a, k)
		ok = ok && pok
		if pok && len(ps) == 0 {
			d.errorf(a.Expr.Range(), "Empty names", "names = [] selects nothing; list names or patterns, or remove names to cover every object.")
			ok = false
		}
		dn.Names = ps
	}
	if a := c.Attributes["privileges"]; a != nil {
		note := ""
		if dn.Schema != "" && len(dn.Kinds) == 0 {
			note = fmt.Sprintf(" With schema, a deny covers schema %q and the objects inside it only.", dn.Schema)
		}
		p, all, pok := d.privilegeList(a, dn.coveredKinds(), false, "denies", note)
		ok = ok && pok
		dn.Privileges, dn.All = p, all
	}
	if !ok {
		return nil
	}
	return dn
}

// checkDenies reports the rules of a role that one of its deny blocks
// forbids outright: the deny selects no names, so every object the rule
// can reach is covered. (Which objects names select is known only when
// the catalog is read; plan checks those, and every other way to hold a
// privilege.)
func (d *decoder) checkDenies(r *Role) {
	if r.Ensure == EnsureAbsent {
		return // its rules are errors already
	}
	for _, dn := range r.Deny {
		if len(dn.Names) > 0 {
			continue
		}
		for _, g := range r.Grants {
			if !dn.reaches(g) {
				continue
			}
			k := g.Kind
			if len(g.Columns) > 0 {
				k = acl.KindColumn
			}
			privs := g.Privileges
			if g.All {
				privs = acl.ValidAnyVersion(k)
			}
			bad, via := privs&dn.forbids(k), ""
			switch {
			case bad != 0:
			case k == acl.KindTable:
				if bad = privs & dn.forbids(acl.KindColumn); bad != 0 {
					via = " on their columns (a privilege on a table is held on each of its columns)"
				}
			case k == acl.KindColumn:
				if bad = privs & dn.forbids(acl.KindTable); bad != 0 {
					via = " on tables (a privilege on a column is a privilege on its table)"
				}
			}
			if bad != 0 {
				d.errorf(g.DeclRange, "Rule contradicts a deny", "This rule grants %s on %s, which the deny block at %s forbids for %s%s. Remove %s from the rule, or narrow the deny.",
					bad, plural(k), pos(dn.DeclRange), r.Name, via, bad)
			}
		}
		for _, dp := range r.DefaultPrivileges {
			if dn.Schema != "" && (dp.Kind == acl.KindSchema || dp.Schema != "" && dp.Schema != dn.Schema) {
				continue // new schemas are not the deny's schema; or another schema
			}
			privs := dp.Privileges
			if dp.All {
				privs = acl.ValidAnyVersion(dp.Kind)
			}
			if bad := privs & dn.forbids(dp.Kind); bad != 0 {
				d.errorf(dp.DeclRange, "Rule contradicts a deny", "These default privileges give %s on new %s, which the deny block at %s forbids for %s. Remove %s from the block, or narrow the deny.",
					bad, plural(dp.Kind), pos(dn.DeclRange), r.Name, bad)
			}
		}
	}
}

// reaches reports whether a grant rule can select an object in the deny's
// schema: a rule on another schema cannot, and a schema rule must select
// the deny's schema by name.
func (dn *Deny) reaches(g *Grant) bool {
	if dn.Schema == "" {
		return true
	}
	if g.Kind == acl.KindSchema {
		for _, ex := range g.Except {
			if ex.Match(dn.Schema) {
				return false
			}
		}
		if len(g.Names) == 0 {
			return true
		}
		for _, n := range g.Names {
			if n.Match(dn.Schema) {
				return true
			}
		}
		return false
	}
	return g.Schema == "" || g.Schema == dn.Schema
}
