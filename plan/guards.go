package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
)

// guards runs the checks that need the whole classified plan: the lockout
// guard, and the warnings about declared superusers and dangerous grants
// (warnings.go). Build calls it after classify, before the changes are
// ordered and batched.
func (b *builder) guards() {
	b.guardLockout()
	b.warnSuperusers()
	b.warnDangerous()
}

// needKind is what the connecting role must keep to go on working.
type needKind uint8

// The zero needKind is a need the catalog cannot show (LOGIN): the guard
// checks it on the change itself.
const (
	// needPrivilege: a privilege on an object (CONNECT on the database,
	// USAGE on a schema it owns objects in).
	needPrivilege needKind = iota + 1
	// needRole: the privileges of a role that owns objects in scope,
	// which it acts as through a membership with INHERIT.
	needRole
)

// need is one thing the connecting role has before the plan and must
// still have after it.
type need struct {
	kind  needKind
	key   string // needPrivilege: the object's key
	obj   acl.Object
	owner string   // needPrivilege: the object's owner
	priv  acl.Priv // needPrivilege
	role  string   // needRole
	label string   // for messages: "CONNECT on database appdb"
	why   string   // what losing it breaks
}

// holds reports whether me has n in the catalog of e.
func (n need) holds(e *access.EffectiveAccess, me string) bool {
	switch n.kind {
	case needPrivilege:
		o := e.Object(n.key)
		if o == nil {
			return false
		}
		have, _ := e.Of(me, o)
		return have&n.priv != 0
	case needRole:
		return e.HasPrivilegesOf(me, n.role)
	}
	return true
}

// lockout is one change the guard refuses, with the need it would take
// away.
type lockout struct {
	need need
	fix  string
}

// guardLockout refuses the changes that would leave the connecting role
// unable to do its job: log in (NOLOGIN, CONNECTION LIMIT 0), connect
// (CONNECT on the database, directly, through PUBLIC or through a role it
// inherits from), reach the objects it manages (USAGE on the schemas where
// it owns objects) and act as the roles that own them (its memberships
// with INHERIT). Each such change stays in the plan with Blocked set and
// an error diagnostic naming it and the fix, so the plan cannot be applied
// until the policy says to keep what the role needs.
//
// Only changes that actually take a need away are refused: when several
// revokes together remove it (PUBLIC's CONNECT and the role's own), the
// guard refuses the fewest that keep it, trying them in plan order.
func (b *builder) guardLockout() {
	me := b.cat.CurrentUser
	meRole := b.cat.Role(me)
	if meRole == nil {
		return
	}
	found := map[*Change][]lockout{}
	for _, c := range b.plan.Changes {
		if c.Blocked != "" || c.Target != TargetRole || c.Action != Alter || string(c.Grantee) != me {
			continue
		}
		for _, a := range c.Attributes {
			switch {
			case a.Name == "login" && a.After == "NOLOGIN":
				found[c] = append(found[c], lockout{
					need: need{label: "LOGIN", why: "neither the next run nor anything else running as " + me + " could log in"},
					fix:  fmt.Sprintf("remove login = false from role %q, or run pgward as another role to retire it", me),
				})
			case a.Name == "connection_limit" && a.After == "0" && !meRole.Superuser:
				found[c] = append(found[c], lockout{
					need: need{label: "a connection (CONNECTION LIMIT 0)", why: "no new session of " + me + " could start"},
					fix:  fmt.Sprintf("raise connection_limit of role %q, or run pgward as another role", me),
				})
			}
		}
	}
	// A superuser passes every privilege check: only its attributes matter.
	if !meRole.Superuser && b.mayLockOut() {
		refused := map[*Change]bool{}
		var now *access.EffectiveAccess // after the plan without the refused changes
		needs := b.lockoutNeeds(me)
		// What me holds on a need's object depends on that object's ACL and
		// on roles and memberships only: the projections below leave out
		// the changes on every other object, which at tens of thousands of
		// objects are nearly all of them.
		keys := map[string]bool{}
		for _, n := range needs {
			if n.kind == needPrivilege {
				keys[n.key] = true
				if n.obj.Kind == acl.KindColumn {
					keys[n.obj.Table().Key()] = true
				}
			}
		}
		projectWithout := func(skip map[*Change]bool) *catalog.Catalog {
			changes := make([]*Change, 0, len(keys))
			for _, c := range b.plan.Changes {
				if c.Blocked == "" && !skip[c] && (c.Target != TargetObject || keys[c.objectKey()]) {
					changes = append(changes, c)
				}
			}
			return b.project(changes)
		}
		for _, n := range needs {
			if now == nil {
				now = access.NewEffectiveAccess(projectWithout(refused))
			}
			if n.holds(now, me) {
				continue
			}
			cands := b.lockoutCandidates(n, refused)
			trial := map[*Change]bool{}
			for c := range refused {
				trial[c] = true
			}
			for _, c := range cands {
				trial[c] = true
			}
			if !n.holds(access.NewEffectiveAccess(projectWithout(trial)), me) {
				continue // not this plan's doing
			}
			for _, c := range cands {
				delete(trial, c)
				if !n.holds(access.NewEffectiveAccess(projectWithout(trial)), me) {
					trial[c] = true
				}
			}
			for _, c := range cands {
				if trial[c] {
					refused[c] = true
					now = nil
					found[c] = append(found[c], lockout{need: n, fix: lockoutFix(n, c, me)})
				}
			}
		}
	}
	for _, c := range b.plan.Changes {
		ls := found[c]
		if len(ls) == 0 {
			continue
		}
		labels := make([]string, len(ls))
		for i, l := range ls {
			labels[i] = l.need.label
		}
		lost := strings.Join(labels, ", ")
		c.Blocked = fmt.Sprintf("it would leave %s, the role pgward connects as, without %s; %s", me, lost, ls[0].fix)
		rng := c.Reason.Rule
		if r := b.roles[string(c.Grantee)]; rng == nil && r != nil {
			decl := r.DeclRange
			rng = &decl
		}
		var whys, fixes []string
		for _, l := range ls {
			whys = append(whys, l.need.why)
			if !slices.Contains(fixes, l.fix) {
				fixes = append(fixes, l.fix)
			}
		}
		b.diags = append(b.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Change would lock out " + me,
			Detail: fmt.Sprintf("%s would leave %s, the role pgward connects as, without %s: %s. pgward refuses it, so the plan cannot be applied. To fix it, %s.",
				describe(c), me, lost, strings.Join(whys, "; "), strings.Join(fixes, "; or ")),
			Subject: rng,
		})
	}
}

// lockoutNeeds lists what me holds now and needs: CONNECT on the database,
// USAGE on every schema in scope where it owns objects (itself or through
// a role it inherits from: PostgreSQL looks names up through the schema,
// so GRANT on them needs it), and the privileges of every role owning
// something in scope that it has them of.
func (b *builder) lockoutNeeds(me string) []need {
	e := access.NewEffectiveAccess(b.cat)
	var out []need
	worksIn := map[string]bool{}
	owners := map[string]bool{}
	for _, o := range b.cat.Objects {
		if o.Owner == "" || !e.HasPrivilegesOf(me, o.Owner) {
			continue
		}
		if o.Owner != me {
			owners[o.Owner] = true
		}
		if o.Kind.InSchema() {
			worksIn[o.Schema] = true
		}
	}
	// Roles first: losing a membership usually takes the other needs with
	// it, and refusing it keeps them, so the guard refuses the cause.
	names := make([]string, 0, len(owners))
	for r := range owners {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		out = append(out, need{kind: needRole, role: r,
			label: "the privileges of " + r,
			why:   fmt.Sprintf("%s owns objects in scope, and %s acts as it through membership; without it the next run could not grant or revoke on them", r, me)})
	}
	var objs []need
	for _, o := range b.cat.Objects {
		var n need
		switch {
		case o.Kind == acl.KindDatabase:
			n = need{kind: needPrivilege, key: o.Key(), obj: o.Object, owner: o.Owner, priv: acl.Connect,
				label: "CONNECT on database " + o.Name,
				why:   "neither the next run nor anything else running as " + me + " could connect"}
		case o.Kind == acl.KindSchema && worksIn[o.Name]:
			n = need{kind: needPrivilege, key: o.Key(), obj: o.Object, owner: o.Owner, priv: acl.Usage,
				label: "USAGE on schema " + o.Name,
				why:   fmt.Sprintf("PostgreSQL looks objects up through their schema, so %s could no longer reach what it owns in %s, nor could the next run grant or revoke on it", me, o.Name)}
		default:
			continue
		}
		if have, _ := e.Of(me, o); have&n.priv != 0 {
			objs = append(objs, n)
		}
	}
	// Schemas before the database: the catalog lists the database first.
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].obj.Kind == acl.KindSchema && objs[j].obj.Kind != acl.KindSchema })
	return append(out, objs...)
}

// mayLockOut reports whether the plan has a change that could take a need
// away, so that a plan of grants costs the guard nothing.
func (b *builder) mayLockOut() bool {
	for _, c := range b.plan.Changes {
		switch {
		case c.Blocked != "":
		case c.Target == TargetObject && c.Action == Revoke && (c.Object.Kind == acl.KindDatabase || c.Object.Kind == acl.KindSchema):
			return true
		case c.Target == TargetMembership && c.Action != Grant, c.Target == TargetRole && c.Action == Alter:
			return true
		}
	}
	return false
}

// lockoutCandidates lists, in plan order, the changes not yet refused that
// can take n away: revokes on n's object, membership revokes and option
// changes, and role changes of INHERIT.
func (b *builder) lockoutCandidates(n need, refused map[*Change]bool) []*Change {
	var out []*Change
	for _, c := range b.plan.Changes {
		if c.Blocked != "" || refused[c] {
			continue
		}
		switch c.Target {
		case TargetObject:
			if n.kind == needPrivilege && c.Action == Revoke && c.objectKey() == n.key && (c.Privs.Privs&n.priv != 0 || c.Cascade) {
				out = append(out, c)
			}
		case TargetMembership:
			if c.Action == Revoke || c.Action == Alter {
				out = append(out, c)
			}
		case TargetRole:
			if c.Action != Alter {
				continue
			}
			for _, a := range c.Attributes {
				if a.Name == "inherit" {
					out = append(out, c)
					break
				}
			}
		}
	}
	return out
}

// lockoutFix says how to keep n while making c unnecessary.
func lockoutFix(n need, c *Change, me string) string {
	switch c.Target {
	case TargetObject:
		rule := grantSnippet(n)
		switch {
		case n.owner == me:
			// pgward never manages an owner's own privileges.
			return fmt.Sprintf("restore the owner's own privilege by hand (GRANT %s ON %s %s TO %s), or let PUBLIC keep it in the public block",
				n.priv, keyword(n.obj), objectSQL(n.obj), ident.Quote(me))
		case c.Grantee.IsPublic():
			return fmt.Sprintf("grant %s %s explicitly in the policy (%s in role %q), or let PUBLIC keep it in the public block", me, n.priv, rule, me)
		case string(c.Grantee) == me:
			return fmt.Sprintf("declare it: add %s to role %q", rule, me)
		default:
			return fmt.Sprintf("declare it for %s (%s in role %q), or grant %s %s explicitly in the policy", c.Grantee, rule, string(c.Grantee), me, n.priv)
		}
	case TargetMembership:
		if c.Action == Revoke {
			return fmt.Sprintf("declare the membership: add member_of %q {} to role %q", c.Membership.Role, string(c.Grantee))
		}
		return fmt.Sprintf("declare the membership with inherit = true (member_of %q { inherit = true } in role %q), or leave inherit out", c.Membership.Role, string(c.Grantee))
	case TargetRole:
		return fmt.Sprintf("remove inherit = false from role %q", string(c.Grantee))
	}
	return "keep it in the policy"
}

// grantSnippet is the policy rule that grants n.
func grantSnippet(n need) string {
	if n.obj.Kind == acl.KindSchema {
		return fmt.Sprintf(`grant "schema" { names = [%q], privileges = [%q] }`, n.obj.Name, n.priv.String())
	}
	return fmt.Sprintf(`grant "database" { privileges = [%q] }`, n.priv.String())
}

// warnSuperusers warns about declared roles that are superusers: pgward
// manages them because the policy names them, though no grant limits what
// they can do.
func (b *builder) warnSuperusers() {
	for _, name := range sortedKeys(b.roles) {
		r := b.cat.Role(name)
		if r == nil || !r.Superuser {
			continue
		}
		rng := b.roles[name].DeclRange
		b.warnf(&rng, fmt.Sprintf("Role %q is a superuser", name),
			"A superuser passes every privilege check, so no grant or revoke changes what %s can do. pgward manages its grants, default privileges and memberships only because the policy declares it; remove the block unless that is what you want.", name)
	}
}
