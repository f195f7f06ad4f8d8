package policy

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
)

func (d *decoder) decodeGrant(b *hcl.Block) *Grant {
	label := b.Labels[0]
	var k acl.Kind
	var kindOK bool
	if label == "column" || label == "columns" {
		d.errorf(b.LabelRanges[0], "Invalid object kind",
			"There is no %q kind: column privileges are granted by a table rule with columns, such as grant \"table\" with names = [\"accounts\"], columns = [\"email\"] and privileges = [\"SELECT\"].", label)
	} else {
		k, kindOK = d.parseKind(label, b.LabelRanges[0], "grant", grantKinds())
	}
	c := d.content(b.Body, grantSchema)
	// With an unknown kind the rest is still checked, privileges excepted.
	g := &Grant{Kind: k, DeclRange: b.DefRange}
	ok := kindOK
	if a := c.Attributes["schema"]; a != nil {
		switch {
		case k == acl.KindDatabase:
			d.errorf(a.NameRange, "Invalid attribute", "A database grant applies to the connected database; it takes no schema.")
			ok = false
		case k == acl.KindSchema:
			d.errorf(a.NameRange, "Invalid attribute", "grant \"schema\" chooses schemas with names, not schema: write names = [\"app\"].")
			ok = false
		case k != acl.KindInvalid && !k.InSchema():
			d.errorf(a.NameRange, "Invalid attribute", "%s do not live in a schema; grant %q takes no schema. Remove schema.", capitalize(plural(k)), k.String())
			ok = false
		default:
			if s, set := d.str(a, `"public"`, false); set {
				if d.name(s, a.Expr.Range(), "schema name") {
					g.Schema = s
					d.inScope(s, a.Expr.Range())
				} else {
					ok = false
				}
			}
		}
	}
	for _, attr := range []string{"names", "except"} {
		a := c.Attributes[attr]
		if a == nil {
			continue
		}
		if k == acl.KindDatabase {
			d.errorf(a.NameRange, "Invalid attribute", "A database grant applies to the connected database, always; remove %s.", attr)
			ok = false
			continue
		}
		ps, pok := d.patterns(a, k)
		ok = ok && pok
		if attr == "names" {
			if pok && len(ps) == 0 {
				d.errorf(a.Expr.Range(), "Empty names", "names = [] selects nothing; list names or patterns, or remove names to select every %s.", k)
				ok = false
			}
			g.Names = ps
		} else {
			g.Except = ps
		}
	}
	if a := c.Attributes["owner"]; a != nil {
		switch k {
		case acl.KindDatabase:
			d.errorf(a.NameRange, "Invalid attribute", "A database grant applies to the connected database, whoever owns it; remove owner.")
			ok = false
		case acl.KindParameter:
			d.errorf(a.NameRange, "Invalid attribute", "Parameters have no owner; remove owner.")
			ok = false
		default:
			if s, set := d.str(a, `"tuist_app"`, false); set {
				if d.checkRefName(s, a.Expr.Range()) {
					g.Owner = s
				} else {
					ok = false
				}
			}
		}
	}
	privKind := k
	if a := c.Attributes["columns"]; a != nil {
		switch k {
		case acl.KindTable:
			privKind = acl.KindColumn
			cols, cok := d.columns(a)
			ok = ok && cok
			g.Columns = cols
		case acl.KindInvalid:
			d.columns(a) // the kind is reported on its label
		default:
			d.errorf(a.NameRange, "Invalid attribute", "columns grants column privileges, which only tables have: it belongs in grant \"table\". Remove columns.")
			ok = false
		}
	}
	if a := c.Attributes["privileges"]; a != nil {
		p, all, pok := d.privileges(a, privKind, false)
		ok = ok && pok
		g.Privileges, g.All = p, all
	}
	if v, set := d.boolean(c.Attributes["with_grant_option"]); set {
		g.WithGrantOption = v
	}
	if !ok {
		return nil
	}
	return g
}

func (d *decoder) decodeDefaultPrivilege(b *hcl.Block) *DefaultPrivilege {
	k, kindOK := d.parseKind(b.Labels[0], b.LabelRanges[0], "default_privileges", defaultPrivilegeKinds())
	c := d.content(b.Body, defaultPrivilegesSchema)
	// With an unknown kind the rest is still checked, privileges excepted.
	dp := &DefaultPrivilege{Kind: k, DeclRange: b.DefRange}
	ok := kindOK
	for _, attr := range []string{"names", "except"} {
		if a := c.Attributes[attr]; a != nil {
			d.errorf(a.NameRange, "Invalid attribute", "Default privileges apply to every object of the kind that for_role creates; they cannot select names. Remove %s.", attr)
			ok = false
		}
	}
	if a := c.Attributes["for_role"]; a != nil {
		if s, set := d.str(a, `"app_owner"`, true); set && d.checkRefName(s, a.Expr.Range()) {
			dp.ForRole = s
		} else {
			ok = false
		}
	}
	if a := c.Attributes["schema"]; a != nil {
		switch k {
		case acl.KindSchema:
			d.errorf(a.NameRange, "Invalid attribute", "IN SCHEMA cannot be used with schemas: default privileges for schemas are always global; remove schema.")
			ok = false
		case acl.KindLargeObject:
			d.errorf(a.NameRange, "Invalid attribute", "Large objects do not live in a schema: default privileges for large objects are always global; remove schema.")
			ok = false
		default:
			if s, set := d.str(a, `"public"`, false); set {
				if d.name(s, a.Expr.Range(), "schema name") {
					dp.Schema = s
					d.inScope(s, a.Expr.Range())
				} else {
					ok = false
				}
			}
		}
	}
	if a := c.Attributes["privileges"]; a != nil {
		p, all, pok := d.privileges(a, k, false)
		ok = ok && pok
		dp.Privileges, dp.All = p, all
	}
	if v, set := d.boolean(c.Attributes["with_grant_option"]); set {
		dp.WithGrantOption = v
	}
	if !ok {
		return nil
	}
	return dp
}

func (d *decoder) decodePublic(b *hcl.Block) {
	c := d.content(b.Body, publicSchema)
	pub := &Public{MayHold: map[acl.Kind]acl.Priv{}, Ranges: map[acl.Kind]hcl.Range{}, DeclRange: b.DefRange}
	for _, k := range acl.Kinds() {
		a := c.Attributes[k.String()]
		if a == nil {
			continue
		}
		p, all, ok := d.privileges(a, k, true)
		if !ok {
			continue
		}
		if all {
			p = acl.ValidAnyVersion(k)
		}
		pub.MayHold[k] = p
		pub.Ranges[k] = a.Range
	}
	d.policy.Public = pub
}
