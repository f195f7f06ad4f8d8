package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// classify marks the changes the connecting role cannot execute, so that
// apply never discovers it halfway through.
func (b *builder) classify() {
	me := b.cat.CurrentUser
	for _, c := range b.plan.Changes {
		switch c.Authority {
		case AuthorityOwner:
			if holder := b.grantOptionHolder(me, c); holder != "" {
				c.Blocked = fmt.Sprintf("%s is not %s itself, and has the privileges of %s, which holds the grant option (or receives it earlier in this plan): PostgreSQL may then act as %s instead of the owner, and the change would be recorded under %s or do nothing. Connect as %s itself, or take the grant option from %s first.",
					me, c.Owner, holder, holder, holder, c.Owner, holder)
			} else if !b.graph.CanActAs(me, c.Owner) {
				c.Blocked = fmt.Sprintf("%s %s is owned by %s, and %s is neither that role, a member of it with INHERIT, nor a superuser. Run pgward as %s, or ALTER %s %s OWNER TO %s.",
					c.Object.Kind, c.Object, c.Owner, me, c.Owner, keyword(c.Object), objectSQL(c.Object), me)
			}
		case AuthorityGrantor:
			if sch := b.schemaOf(c.Object); sch != nil && !b.grantorCanName(c.AsRole, sch) {
				c.Blocked = fmt.Sprintf("the privilege was granted by %s, and only %s can revoke it, but %s has no USAGE on schema %s, so it cannot name the object. Run: GRANT USAGE ON SCHEMA %s TO %s; SET ROLE %s; %s; RESET ROLE; then revoke that USAGE again.",
					c.AsRole, c.AsRole, c.AsRole, sch.Name, objectSQL(sch.Object), granteeSQL(acl.Grantee(c.AsRole)), c.AsRole, c.SQL(b.cat.ServerVersion))
			} else if !b.graph.CanSetRole(me, c.AsRole) {
				c.Blocked = fmt.Sprintf("the privilege was granted by %s, and only %s can revoke it (REVOKE by the owner would silently do nothing). Run: SET ROLE %s; %s; RESET ROLE;",
					c.AsRole, c.AsRole, c.AsRole, c.SQL(b.cat.ServerVersion))
			}
			if c.Blocked != "" && c.noRoute != "" {
				c.Blocked += " " + c.noRoute
			}
		case AuthorityForRole:
			if !b.graph.CanAlterDefaultsFor(me, c.Default.ForRole) {
				with := " with INHERIT"
				if b.cat.ServerVersion < 160000 {
					with = ""
				}
				c.Blocked = fmt.Sprintf("only %s, a member of it%s, or a superuser may change its default privileges; %s is none of them. Run pgward as %s, or GRANT %s TO %s.",
					c.Default.ForRole, with, me, c.Default.ForRole, c.Default.ForRole, me)
			}
		case AuthorityAdmin:
			switch {
			case c.Target == TargetSetting:
				c.Blocked = b.settingBlocked(c)
			case canAdmin(b.graph, b.cat, me, c):
			case c.Target == TargetRole && c.Action == Grant:
				c.Blocked = fmt.Sprintf("%s needs CREATEROLE to create it. Run pgward as a role that has it, or create the role elsewhere (and leave if_missing unset).", me)
			default:
				c.Blocked = fmt.Sprintf("%s needs CREATEROLE or ADMIN OPTION on the role to do this. Run pgward as a role that has it, or let the system that owns the roles do it (external = true).", me)
			}
		case AuthoritySuperuser:
			if !b.graph.IsSuperuser(me) {
				c.Blocked = fmt.Sprintf("only a superuser can change REPLICATION or BYPASSRLS; %s is not one.", me)
			}
		}
	}
	b.blockDependents()
	for _, c := range b.plan.Changes {
		if c.Blocked == "" {
			continue
		}
		rng := c.Reason.Rule
		if r := b.roles[string(c.Grantee)]; rng == nil && r != nil {
			// A revoke of something undeclared: point at the role.
			decl := r.DeclRange
			rng = &decl
		}
		sev := hcl.DiagError
		if b.opts.Partial {
			sev = hcl.DiagWarning
		}
		b.diags = append(b.diags, &hcl.Diagnostic{Severity: sev, Summary: "Change cannot be executed by " + me,
			Detail: fmt.Sprintf("%s: %s", describe(c), c.Blocked), Subject: rng, Extra: Unauthorized{Change: c}})
	}
}

// Unauthorized is the Extra of a diagnostic about a change the connecting
// role lacks the authority for: tools that check a policy without regard to
// who runs it (validate) leave those out.
type Unauthorized struct{ Change *Change }

// blockDependents blocks the changes that name a role whose CREATE ROLE is
// blocked: without the role they would fail.
func (b *builder) blockDependents() {
	missing := map[string]bool{}
	for _, c := range b.plan.Changes {
		if c.Blocked != "" && c.Target == TargetRole && c.Action == Grant {
			missing[string(c.Grantee)] = true
		}
	}
	if len(missing) == 0 {
		return
	}
	for _, c := range b.plan.Changes {
		if c.Blocked != "" {
			continue
		}
		for _, r := range []string{string(c.Grantee), c.AsRole, roleOf(c)} {
			if missing[r] {
				c.Blocked = fmt.Sprintf("role %s does not exist, and creating it cannot be executed either.", r)
				break
			}
		}
	}
}

// roleOf is the role a membership change grants or the role whose default
// privileges a change alters, else "".
func roleOf(c *Change) string {
	switch {
	case c.Membership != nil:
		return c.Membership.Role
	case c.Default != nil:
		return c.Default.ForRole
	}
	return ""
}

// grantOptionHolder returns the role other than the owner that PostgreSQL
// would record as the grantor of the change (see access.Graph.GrantorFor), or
// "". PostgreSQL picks the grantor among all the roles the connecting role
// has the privileges of, and may pick one holding the grant option over
// the owner (found by the oracle test): the change would not be the one
// planned. A connecting role that is the owner or a superuser is exempt.
func (b *builder) grantOptionHolder(me string, c *Change) string {
	if me == c.Owner || b.graph.IsSuperuser(me) || c.Target != TargetObject {
		return ""
	}
	var items []acl.Item
	if obj := b.object(c.Object); obj != nil {
		items = obj.ACL
	}
	// The plan's own grants of a grant option to such a role run last
	// among the grants (rank 1), but before the revokes, and before each
	// other.
	if b.holderGrants == nil {
		b.holderGrants = map[string][]*Change{}
		for _, p := range b.plan.Changes {
			if p.Target == TargetObject && p.Action == Grant && p.rank == 1 && !p.afterRevokes {
				b.holderGrants[p.Object.Key()] = append(b.holderGrants[p.Object.Key()], p)
			}
		}
	}
	for _, p := range b.holderGrants[c.Object.Key()] {
		if p != c && (c.Action == Revoke || c.rank == 1 && lessChange(p, c)) {
			items = append(items[:len(items):len(items)], acl.Item{Grantee: p.Grantee, Grantor: p.Owner, Privs: p.Privs})
		}
	}
	if g, ok := b.graph.GrantorFor(me, c.Owner, items, c.Privs.Privs); ok && g != c.Owner {
		return g
	}
	return ""
}

// actsAsHolder reports whether a grant option granted to g would make
// PostgreSQL pick g as the grantor of the connecting role's statements on
// an object of owner: the connecting role is neither the owner nor a
// superuser, and has the privileges of g (as of the catalog).
func (b *builder) actsAsHolder(g, owner string) bool {
	me := b.cat.CurrentUser
	if me == owner || g == owner || b.graph.IsSuperuser(me) {
		return false
	}
	if b.effective == nil {
		b.effective = access.NewEffectiveAccess(b.cat)
	}
	return b.effective.HasPrivilegesOf(me, g)
}

// holdsAtRevoke reports whether role has the privileges of other when the
// object revokes run: roles are created and memberships granted before
// them, and memberships revoked after them (see phase).
func (b *builder) holdsAtRevoke(role, other string) bool {
	if b.atRevoke == nil {
		var before []*Change
		for _, c := range b.plan.Changes {
			if c.Target == TargetRole || c.Target == TargetMembership && c.Action != Revoke {
				before = append(before, c)
			}
		}
		b.atRevoke = access.NewEffectiveAccess(b.project(before))
	}
	return b.atRevoke.HasPrivilegesOf(role, other)
}

// revocableAsGrantor reports whether the connecting role can revoke an
// item of grantor on obj as that grantor: SET ROLE to it, and the grantor
// can name the object (classify's AuthorityGrantor checks).
func (b *builder) revocableAsGrantor(grantor string, obj acl.Object) bool {
	if sch := b.schemaOf(obj); sch != nil && !b.grantorCanName(grantor, sch) {
		return false
	}
	return b.graph.CanSetRole(b.cat.CurrentUser, grantor)
}

// schemaOf returns the schema an object lives in, or nil.
func (b *builder) schemaOf(o acl.Object) *catalog.Object {
	if !o.Kind.InSchema() {
		return nil
	}
	for _, obj := range b.cat.Objects {
		if obj.Kind == acl.KindSchema && obj.Name == o.Schema {
			return obj
		}
	}
	return nil
}

// grantorCanName: to revoke as the grantor, the grantor must be able to
// look the object up, which takes USAGE on its schema (or owning it).
func (b *builder) grantorCanName(grantor string, schema *catalog.Object) bool {
	if b.effective == nil {
		b.effective = access.NewEffectiveAccess(b.cat)
	}
	privs, _ := b.effective.Of(grantor, schema)
	return privs.Has(acl.Usage) || b.effective.HasPrivilegesOf(grantor, schema.Owner)
}

// canAdmin: granting a role or altering one needs ADMIN OPTION on it, or
// CREATEROLE (before 16 CREATEROLE covers every non-superuser role).
func canAdmin(a *access.Graph, cat *catalog.Catalog, me string, c *Change) bool {
	if a.IsSuperuser(me) {
		return true
	}
	r := cat.Role(me)
	if c.Target == TargetRole && c.Action == Grant {
		return r != nil && r.CreateRole // CREATE ROLE
	}
	target := string(c.Grantee)
	if c.Target == TargetMembership {
		target = c.Membership.Role
	}
	t := cat.Role(target)
	if r != nil && r.CreateRole && cat.ServerVersion < 160000 && t != nil && !t.Superuser {
		return true
	}
	for _, m := range a.MembershipsOf(me) {
		if m.Role == target && m.Admin {
			return c.Target == TargetMembership || (r != nil && r.CreateRole)
		}
	}
	return false
}
