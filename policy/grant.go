package policy

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

// decodeGrant decodes a grant block of a role, a profile, or (public) the
// public block.
func (d *decoder) decodeGrant(b *hcl.Block, public bool) *Grant {
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
		if v && public {
			d.errorf(c.Attributes["with_grant_option"].Range, "PUBLIC cannot hold a grant option", "PostgreSQL grants options only to roles (\"grant options can only be granted to roles\"); remove with_grant_option from this public grant.")
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return g
}

// decodeDefaultPrivilege decodes a default_privileges block of a role, a
// profile, or (public) the public block, where privileges = [] is allowed:
// PUBLIC gets nothing.
func (d *decoder) decodeDefaultPrivilege(b *hcl.Block, public bool) *DefaultPrivilege {
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
		p, all, pok := d.privileges(a, k, public)
		ok = ok && pok
		dp.Privileges, dp.All = p, all
		if pok && public {
			ok = d.checkPublicDefault(dp, c) && ok
		}
	}
	if v, set := d.boolean(c.Attributes["with_grant_option"]); set {
		dp.WithGrantOption = v
		if v && public {
			d.errorf(c.Attributes["with_grant_option"].Range, "PUBLIC cannot hold a grant option", "PostgreSQL grants options only to roles (\"grant options can only be granted to roles\"); remove with_grant_option from this public default_privileges.")
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return dp
}

// checkPublicDefault rejects a per-schema default privilege of PUBLIC that
// leaves out PostgreSQL's built-in default of its kind (EXECUTE on
// functions, USAGE on types): a per-schema entry can only add to the
// global one, so ALTER DEFAULT PRIVILEGES ... IN SCHEMA s REVOKE EXECUTE ON
// FUNCTIONS FROM PUBLIC stores nothing and new functions in s still get
// EXECUTE. Only the global form takes the default away.
func (d *decoder) checkPublicDefault(dp *DefaultPrivilege, c *hcl.BodyContent) bool {
	builtin := dp.Kind.PublicDefault()
	a := c.Attributes["schema"]
	if a == nil {
		a = c.Attributes["schemas"]
	}
	if a == nil || builtin == 0 || dp.All || dp.Privileges.Has(builtin) {
		return true
	}
	forRole := dp.ForRole
	if forRole == "" {
		forRole = "app_owner"
	}
	d.errorf(a.Range, "Per-schema revoke of a built-in default",
		"PostgreSQL gives PUBLIC %s on every new %s, and only a global entry can take that away: ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA ... REVOKE %s ON %s FROM PUBLIC stores nothing, so new %ss in the schema would still get %s. Write the global form, without schema: default_privileges %q with for_role = %q and privileges = [] in the public block; then, to let PUBLIC keep %s in some schemas, add per-schema entries with privileges = [%q].",
		builtin, dp.Kind, ident.Quote(forRole), builtin, dp.Kind.DefaultACLKeyword(), dp.Kind, builtin, dp.Kind.String(), forRole, builtin, builtin.String())
	return false
}

// decodePublic decodes the public block: the short form (one attribute per
// kind, a ceiling) and the rule form (grant and default_privileges blocks).
// One kind cannot have both.
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
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "grant":
			pub.Grants = append(pub.Grants, d.grantsOf(blk, true)...)
		case "default_privileges":
			pub.DefaultPrivileges = append(pub.DefaultPrivileges, d.defaultsOf(blk, true)...)
		}
	}
	for _, g := range pub.Grants {
		if g.Kind != acl.KindSchema {
			continue
		}
		for _, n := range g.Names {
			if !n.IsGlob() && acl.IsSystemSchema(n.Text) {
				d.errorf(n.Range, "PUBLIC on a system schema",
					"%q is a system schema, and pgward never manages what PUBLIC holds on one: every role needs USAGE on pg_catalog to name anything. Remove %q from this rule; scope { system_schemas } manages what declared roles hold there.", n.Text, n.Text)
			}
		}
	}
	reported := map[acl.Kind]bool{}
	for _, g := range pub.Grants {
		k := g.RuleKind()
		rng, short := pub.Ranges[k]
		if !short || reported[k] {
			continue
		}
		reported[k] = true
		d.errorf(g.DeclRange, "PUBLIC's "+plural(k)+" declared twice",
			"%s = [...] at %s is the short form, a ceiling on what PUBLIC may keep on every %s; grant %q blocks say exactly what PUBLIC holds. Use one form per kind: remove %s = [...] (an object no grant rule selects then loses everything PUBLIC holds on it), or remove the grant blocks.",
			k, pos(rng), k, g.Kind.String(), k)
	}
	d.policy.Public = pub
}
