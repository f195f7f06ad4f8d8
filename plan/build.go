package plan

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// Options tune Build. The zero value is the default.
type Options struct {
	// Strict turns the warning for a missing role with if_missing = "skip"
	// into an error.
	Strict bool
	// Partial lets a plan leave out the changes that need more authority
	// than the connecting role has (creating roles, memberships in
	// predefined roles, objects of other owners …): they stay in Changes
	// with Blocked set, are reported as warnings, and get no statement, so
	// that the rest can be applied. Without it they make the plan invalid.
	Partial bool
	// LeaveOutClusterWide leaves out what every database of the server
	// shares (roles, memberships, parameters, tablespaces; see
	// Change.ClusterWide): in a fleet run one database's run changes those
	// for all (cluster.go).
	LeaveOutClusterWide bool
}

// Build computes the changes that make the catalog match the policy.
//
// Error diagnostics mean the plan must not be applied: a declared role is
// missing, the policy asks for something this server version lacks, a
// change would lock the connecting role out, or (unless Options.Partial) a
// change needs authority the connecting role does not have (the change is
// in the plan with Blocked set, so it can be shown). Warnings are for the
// user to read. A blocked change never has a statement.
func Build(p *policy.Policy, c *catalog.Catalog, o Options) (*Plan, hcl.Diagnostics) {
	b := &builder{
		pol:      p,
		cat:      c,
		opts:     o,
		roles:    map[string]*policy.Role{},
		creating: map[string]bool{},
		graph:    access.NewGraph(c),
		plan: &Plan{
			Database:       c.Database,
			ServerVersion:  c.ServerVersion,
			ConnectingRole: c.CurrentUser,
			state:          &planState{cat: c},
		},
	}
	b.resolveRoles()
	b.checkVersion()
	b.roleAttributes()
	b.memberships()
	b.membershipCycles()
	b.objectPrivileges()
	b.defaultPrivileges()
	b.classify()
	b.guards() // lockout guard and warnings: guards.go, warnings.go
	statements := b.finish()
	b.invariants()
	b.plan.Statements = statements()
	b.leaveOutClusterWide()
	return b.plan, b.diags
}

type builder struct {
	pol   *policy.Policy
	cat   *catalog.Catalog
	opts  Options
	graph *access.Graph

	// roles holds the declared roles that exist (or that this plan
	// creates) and are managed, by name.
	roles map[string]*policy.Role
	// creating holds the roles this plan creates (if_missing = "create").
	creating map[string]bool
	// effective answers effective-access questions; built on first use.
	effective *access.EffectiveAccess
	// atRevoke answers has_privs_of_role as it stands when the object
	// revokes run (after the plan's role and membership grants); built on
	// first use.
	atRevoke *access.EffectiveAccess
	// holderGrants indexes by object key the plan's grants of a grant
	// option to a role the connecting role has the privileges of; built on
	// first use.
	holderGrants map[string][]*Change
	// columns indexes the catalog's column objects by table key; built on
	// first use.
	columns map[string][]*catalog.Object
	// objectIndex maps object keys to positions in cat.Objects; built on
	// first use (index).
	objectIndex map[string]int
	// origWants and missingWants are diffObject's reused buffers.
	origWants, missingWants wants
	plan                    *Plan
	diags                   hcl.Diagnostics
}

func (b *builder) errorf(rng *hcl.Range, summary, detail string, args ...any) {
	b.diags = append(b.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

func (b *builder) warnf(rng *hcl.Range, summary, detail string, args ...any) {
	b.diags = append(b.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

// resolveRoles keeps the declared roles that exist; the others follow
// their if_missing.
func (b *builder) resolveRoles() {
	for _, r := range b.pol.Roles {
		rng := r.DeclRange
		if b.cat.Role(r.Name) != nil {
			b.roles[r.Name] = r
			continue
		}
		switch {
		case r.Ensure == policy.EnsureAbsent:
			continue // retired and gone: nothing to do
		case r.IfMissing == policy.IfMissingCreate && r.External:
			b.errorf(&rng, fmt.Sprintf("Role %q does not exist", r.Name),
				"An external role is created by another system, so pgward will not create it. Remove external, or if_missing = \"create\".")
			continue
		case r.IfMissing == policy.IfMissingCreate:
			b.roles[r.Name] = r
			b.creating[r.Name] = true
			continue
		}
		if r.IfMissing == policy.IfMissingSkip {
			b.plan.Skipped = append(b.plan.Skipped, r.Name)
			detail := "Nothing is planned for it. The next run picks it up once the role exists (if_missing = \"skip\")."
			if b.opts.Strict {
				b.errorf(&rng, fmt.Sprintf("Role %q does not exist", r.Name), "%s --strict makes this an error.", detail)
			} else {
				b.warnf(&rng, fmt.Sprintf("Role %q does not exist", r.Name), "%s", detail)
			}
			continue
		}
		b.errorf(&rng, fmt.Sprintf("Role %q does not exist", r.Name),
			"Create it first, or set if_missing = \"skip\" to plan without it until it appears.")
	}
}

// checkVersion rejects privileges and roles the server does not have, naming
// the version, rather than skipping them.
func (b *builder) checkVersion() {
	v := b.cat.ServerVersion
	check := func(privs acl.Priv, rng hcl.Range) {
		privs.Each(func(p acl.Priv) {
			if min := MinVersionOf(p); min > v {
				b.errorf(&rng, fmt.Sprintf("%s needs PostgreSQL %d", p, min/10000),
					"The server runs PostgreSQL %s, which has no %s privilege. Remove it from this rule.", VersionString(v), p)
			}
		})
	}
	for _, r := range b.roles {
		for _, g := range r.Grants {
			if min := g.Kind.MinVersion(); min > v {
				rng := g.DeclRange
				b.errorf(&rng, fmt.Sprintf("Privileges on %ss need PostgreSQL %d", g.Kind, min/10000),
					"The server runs PostgreSQL %s, which has no %s privileges. Remove this rule for this server.", VersionString(v), g.Kind)
				continue
			}
			check(g.Privileges, g.DeclRange)
		}
		for _, d := range r.DefaultPrivileges {
			check(d.Privileges, d.DeclRange)
			if d.Kind.MinVersion() > v || (d.Kind == acl.KindLargeObject && v < 180000) {
				rng := d.DeclRange
				b.errorf(&rng, fmt.Sprintf("Default privileges on %ss need a newer PostgreSQL", d.Kind),
					"ALTER DEFAULT PRIVILEGES ... ON LARGE OBJECTS exists from PostgreSQL 18; the server runs %s.", VersionString(v))
			}
			if !b.exists(d.ForRole) && !b.skipped(d.ForRole) {
				rng := d.DeclRange
				b.errorf(&rng, fmt.Sprintf("Role %q does not exist", d.ForRole), "for_role names the role that creates objects; it must exist.")
			}
		}
		for _, m := range r.MemberOf {
			if (m.Inherit != nil || m.Set != nil) && v < 160000 {
				rng := m.Range
				b.errorf(&rng, "Membership options need PostgreSQL 16",
					"The server runs PostgreSQL %s, where a membership has no INHERIT or SET option of its own (the member's INHERIT attribute decides). Remove inherit and set from this member_of.", VersionString(v))
			}
			if b.exists(m.Role) || b.skipped(m.Role) {
				continue
			}
			rng := m.Range
			detail := "Create the role first, or remove this member_of."
			if since, ok := predefinedSince[m.Role]; ok && since > v {
				detail = fmt.Sprintf("%s exists from PostgreSQL %d; this server runs %s. On older servers grant the privileges explicitly instead (see docs/postgres-versions.md).", m.Role, since/10000, VersionString(v))
			}
			b.errorf(&rng, fmt.Sprintf("Role %q does not exist", m.Role), "%s", detail)
		}
	}
}

// predefinedSince lists predefined roles that later versions added.
var predefinedSince = map[string]int{
	"pg_database_owner": 140000, "pg_read_all_data": 140000, "pg_write_all_data": 140000,
	"pg_checkpoint": 150000, "pg_create_subscription": 160000, "pg_use_reserved_connections": 160000,
	"pg_maintain": 170000, "pg_signal_autovacuum_worker": 180000,
}

// MinVersionOf is acl.MinVersion, re-exported for renderers and tests.
func MinVersionOf(p acl.Priv) int { return acl.MinVersion(p) }

// exists reports whether a role exists or this plan creates it.
func (b *builder) exists(name string) bool { return b.cat.Role(name) != nil || b.creating[name] }

func (b *builder) skipped(name string) bool {
	for _, s := range b.plan.Skipped {
		if s == name {
			return true
		}
	}
	return false
}

// add records a change. In additive mode (the whole policy, or the
// grantee's role) a revoke is not planned but kept aside, so that plan can
// say what an authoritative policy would take away.
func (b *builder) add(c *Change) {
	if c.Action == Revoke && b.additive(c.Grantee) {
		b.plan.Kept = append(b.plan.Kept, c)
		return
	}
	b.plan.Changes = append(b.plan.Changes, c)
}

func (b *builder) additive(g acl.Grantee) bool {
	if b.pol.Additive {
		return true
	}
	r := b.roles[string(g)]
	return r != nil && r.Additive
}

// roleAttributes plans ALTER ROLE for managed roles and reports drift for
// external ones.
func (b *builder) roleAttributes() {
	for _, name := range sortedKeys(b.roles) {
		r := b.roles[name]
		have := b.cat.Role(name)
		if b.creating[name] {
			b.add(&Change{Action: Grant, Target: TargetRole, Grantee: acl.Grantee(name), Attributes: declaredAttributes(r.Attributes),
				Authority: AuthorityAdmin, Reason: ruleReason(r.DeclRange)})
			continue
		}
		var changes []AttributeChange
		a := r.Attributes
		boolAttr := func(key string, want *bool, got bool, yes, no string) {
			if want == nil || *want == got {
				return
			}
			changes = append(changes, AttributeChange{Name: key, Before: pick(got, yes, no), After: pick(*want, yes, no), SQL: pick(*want, yes, no)})
		}
		boolAttr("login", a.Login, have.Login, "LOGIN", "NOLOGIN")
		boolAttr("inherit", a.Inherit, have.Inherit, "INHERIT", "NOINHERIT")
		boolAttr("createdb", a.CreateDB, have.CreateDB, "CREATEDB", "NOCREATEDB")
		boolAttr("createrole", a.CreateRole, have.CreateRole, "CREATEROLE", "NOCREATEROLE")
		boolAttr("replication", a.Replication, have.Replication, "REPLICATION", "NOREPLICATION")
		boolAttr("bypassrls", a.BypassRLS, have.BypassRLS, "BYPASSRLS", "NOBYPASSRLS")
		if a.ConnectionLimit != nil && *a.ConnectionLimit != have.ConnectionLimit {
			changes = append(changes, AttributeChange{Name: "connection_limit",
				Before: fmt.Sprint(have.ConnectionLimit), After: fmt.Sprint(*a.ConnectionLimit),
				SQL: fmt.Sprintf("CONNECTION LIMIT %d", *a.ConnectionLimit)})
		}
		if a.ValidUntil != nil {
			if want, ok := parseValidUntil(*a.ValidUntil); ok && !sameValidUntil(want, have.ValidUntil) {
				changes = append(changes, AttributeChange{Name: "valid_until",
					Before: formatValidUntil(have.ValidUntil), After: *a.ValidUntil,
					SQL: "VALID UNTIL " + quoteLiteral(*a.ValidUntil)})
			} else if !ok {
				rng := a.Ranges["valid_until"]
				b.errorf(&rng, "Invalid valid_until", "%q is not a timestamp. Write RFC 3339 (2027-01-31T00:00:00Z) or \"infinity\".", *a.ValidUntil)
			}
		}
		if len(changes) == 0 {
			continue
		}
		if r.External {
			for _, ch := range changes {
				rng := a.Ranges[ch.Name]
				b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: ch.Name, Want: ch.After, Have: ch.Before, Reason: ruleReason(rng)})
			}
			continue
		}
		rng := r.DeclRange
		b.add(&Change{Action: Alter, Target: TargetRole, Grantee: acl.Grantee(name), Attributes: changes,
			Authority: roleAuthority(changes), Reason: ruleReason(rng)})
	}
}

// declaredAttributes lists the attributes a CREATE ROLE sets.
func declaredAttributes(a policy.Attributes) []AttributeChange {
	var out []AttributeChange
	flag := func(name string, v *bool, yes, no string) {
		if v != nil {
			out = append(out, AttributeChange{Name: name, Before: "(new role)", After: pick(*v, yes, no), SQL: pick(*v, yes, no)})
		}
	}
	flag("login", a.Login, "LOGIN", "NOLOGIN")
	flag("inherit", a.Inherit, "INHERIT", "NOINHERIT")
	flag("createdb", a.CreateDB, "CREATEDB", "NOCREATEDB")
	flag("createrole", a.CreateRole, "CREATEROLE", "NOCREATEROLE")
	flag("replication", a.Replication, "REPLICATION", "NOREPLICATION")
	flag("bypassrls", a.BypassRLS, "BYPASSRLS", "NOBYPASSRLS")
	if a.ConnectionLimit != nil {
		out = append(out, AttributeChange{Name: "connection_limit", Before: "(new role)", After: fmt.Sprint(*a.ConnectionLimit), SQL: fmt.Sprintf("CONNECTION LIMIT %d", *a.ConnectionLimit)})
	}
	if a.ValidUntil != nil {
		out = append(out, AttributeChange{Name: "valid_until", Before: "(new role)", After: *a.ValidUntil, SQL: "VALID UNTIL " + quoteLiteral(*a.ValidUntil)})
	}
	return out
}

func roleAuthority(changes []AttributeChange) Authority {
	for _, c := range changes {
		if c.Name == "replication" || c.Name == "bypassrls" {
			return AuthoritySuperuser
		}
	}
	return AuthorityAdmin
}

func pick(v bool, yes, no string) string {
	if v {
		return yes
	}
	return no
}

func ruleReason(rng hcl.Range) Reason {
	r := rng
	return Reason{Rule: &r}
}

var notDeclared = Reason{Text: "not declared"}

// memberships plans membership grants, option changes and revokes for
// managed roles, and reports drift for external ones.
func (b *builder) memberships() {
	v16 := b.cat.ServerVersion >= 160000
	for _, name := range sortedKeys(b.roles) {
		r := b.roles[name]
		held := map[string][]catalog.Membership{}
		for _, m := range b.cat.Memberships {
			if m.Member == name {
				held[m.Role] = append(held[m.Role], m)
			}
		}
		declared := map[string]bool{}
		for _, want := range r.MemberOf {
			if !b.exists(want.Role) {
				continue // reported by checkVersion, or skipped
			}
			declared[want.Role] = true
			rows := held[want.Role]
			if len(rows) == 0 {
				if r.External {
					b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "member of " + want.Role, Want: "member", Have: "not a member", Reason: ruleReason(want.Range)})
					continue
				}
				mc := &MembershipChange{Role: want.Role, Admin: boolPtr(want.Admin)}
				if v16 {
					mc.Inherit, mc.Set = want.Inherit, want.Set
				}
				b.add(&Change{Action: Grant, Target: TargetMembership, Grantee: acl.Grantee(name), Membership: mc, Authority: AuthorityAdmin, Reason: ruleReason(want.Range)})
				continue
			}
			// Options: any row granting them counts; changes apply to the
			// first row in place (16+ keeps one row per grantor).
			got := rows[0]
			var diffs []string
			mc := &MembershipChange{Role: want.Role, Grantor: got.Grantor}
			if want.Admin != got.Admin {
				mc.Admin = boolPtr(want.Admin)
				diffs = append(diffs, fmt.Sprintf("admin %t → %t", got.Admin, want.Admin))
			}
			if v16 && want.Inherit != nil && *want.Inherit != got.Inherit {
				mc.Inherit = want.Inherit
				diffs = append(diffs, fmt.Sprintf("inherit %t → %t", got.Inherit, *want.Inherit))
			}
			if v16 && want.Set != nil && *want.Set != got.Set {
				mc.Set = want.Set
				diffs = append(diffs, fmt.Sprintf("set %t → %t", got.Set, *want.Set))
			}
			if len(diffs) == 0 {
				continue
			}
			if r.External {
				b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "member of " + want.Role, Want: strings.Join(diffs, ", "), Have: "other options", Reason: ruleReason(want.Range)})
				continue
			}
			b.add(&Change{Action: Alter, Target: TargetMembership, Grantee: acl.Grantee(name), Membership: mc, Authority: AuthorityAdmin, Reason: ruleReason(want.Range)})
		}
		for _, role := range sortedKeys(held) {
			if declared[role] {
				continue
			}
			for _, row := range held[role] {
				if r.External {
					b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "member of " + role, Want: "not a member", Have: "member (granted by " + row.Grantor + ")", Reason: ruleReason(r.DeclRange)})
					continue
				}
				b.add(&Change{Action: Revoke, Target: TargetMembership, Grantee: acl.Grantee(name),
					Membership: &MembershipChange{Role: role, Grantor: row.Grantor}, Authority: AuthorityAdmin, Reason: notDeclared})
				if !v16 {
					break // one row per pair before 16
				}
			}
		}
	}
}

func boolPtr(v bool) *bool { return &v }

// membershipCycles refuses membership grants that would make a role a
// member of itself: PostgreSQL rejects them ("role … is a member of role
// …"), and apply would fail halfway. Grants run before revokes, so a
// membership the plan revokes still counts.
func (b *builder) membershipCycles() {
	edges := map[string][]string{} // member → roles
	for _, m := range b.cat.Memberships {
		edges[m.Member] = append(edges[m.Member], m.Role)
	}
	for _, c := range b.plan.Changes {
		if c.Target != TargetMembership || c.Action != Grant {
			continue
		}
		member, role := string(c.Grantee), c.Membership.Role
		if chain := membershipChain(edges, role, member); chain != nil {
			b.errorf(c.Reason.Rule, "Membership cycle",
				"%s cannot be a member of %s: %s is already a member of %s (%s), and PostgreSQL refuses a role that is a member of itself. Remove one of the member_of entries, or the membership in the database.",
				member, role, role, member, strings.Join(chain, " → "))
			continue
		}
		edges[member] = append(edges[member], role)
	}
}

// membershipChain returns a chain of memberships from one role to another
// (both included), or nil.
func membershipChain(edges map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for r := cur; r != ""; r = prev[r] {
				chain = append([]string{r}, chain...)
			}
			return chain
		}
		for _, next := range edges[cur] {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil
}

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

// columnWant is what one grantee should hold on one column.
type columnWant struct {
	obj     *catalog.Object
	grantee acl.Grantee
	want    want
}

// cascadeThroughColumns: PostgreSQL runs a table-level REVOKE on every
// column's ACL too, so it needs CASCADE when a column grant option it takes
// was passed on (found by the oracle test).
func (b *builder) cascadeThroughColumns() {
	for _, c := range b.plan.Changes {
		if c.Target != TargetObject || c.Action != Revoke || c.Object.Kind != acl.KindTable || c.Cascade {
			continue
		}
		for _, col := range b.columnsOf(c.Object) {
			r := &aclRevoker{owner: col.Owner, holds: b.holdsAtRevoke}
			r.revoke(col.ACL, c.Grantee, c.Grantor, c.Privs.Privs, c.GrantOptionOnly)
			if r.cascaded {
				c.Cascade = true
				break
			}
		}
	}
}

// columnsOf returns the catalog's column objects (columns with column
// privileges) of a table.
func (b *builder) columnsOf(table acl.Object) []*catalog.Object {
	if b.columns == nil {
		b.columns = map[string][]*catalog.Object{}
		for _, o := range b.cat.Objects {
			if o.Kind == acl.KindColumn {
				b.columns[o.Table().Key()] = append(b.columns[o.Table().Key()], o)
			}
		}
	}
	return b.columns[table.Key()]
}

// regrantWipedColumns re-grants column privileges that a table-level REVOKE
// of the same privilege wipes (PostgreSQL strips it from every column ACL),
// so that the run converges in one pass: what managed roles should keep,
// and what PUBLIC held on columns where the policy lets it (the column
// ceiling of the public block, or everything when it sets none; found by
// the oracle test).
func (b *builder) regrantWipedColumns(columns map[string][]columnWant) {
	planned := map[string]acl.Priv{} // column key + grantee → privileges already being granted
	var revokes []*Change
	for _, c := range b.plan.Changes {
		switch {
		case c.Target != TargetObject || c.GrantOptionOnly:
		case c.Action == Grant && c.Object.Kind == acl.KindColumn:
			planned[c.Object.Key()+"\x00"+string(c.Grantee)] |= c.Privs.Privs
		case c.Action == Revoke && c.Object.Kind == acl.KindTable:
			revokes = append(revokes, c)
		}
	}
	for _, r := range revokes {
		if r.Grantee.IsPublic() {
			b.regrantPublicColumns(r)
			continue
		}
		for _, cw := range columns[r.Object.Key()] {
			if cw.grantee != r.Grantee {
				continue
			}
			again := cw.want.privs & r.Privs.Privs &^ planned[cw.obj.Key()+"\x00"+string(cw.grantee)]
			if again == 0 {
				continue
			}
			c := b.objectChange(Grant, cw.obj, cw.grantee, acl.Privileges{Privs: again, GrantOption: again & cw.want.grantOpt}, cw.obj.Owner,
				Reason{Rule: cw.want.rule, Text: "re-granted: the table-level revoke wipes column grants"})
			b.add(c)
		}
	}
}

// regrantPublicColumns re-grants what a table-level revoke from PUBLIC
// wipes from PUBLIC's column grants, within the column ceiling.
func (b *builder) regrantPublicColumns(r *Change) {
	may, managed := acl.Priv(0), false
	if b.pol.Public != nil {
		may, managed = b.pol.Public.MayHold[acl.KindColumn]
	}
	for _, col := range b.columnsOf(r.Object) {
		for _, it := range col.ACL {
			if !it.Grantee.IsPublic() || it.Grantor != r.Grantor {
				continue
			}
			again := it.Privs.Privs & r.Privs.Privs
			if managed {
				again &= may
			}
			if again != 0 {
				b.add(b.objectChange(Grant, col, acl.Public, acl.Privileges{Privs: again}, it.Grantor,
					Reason{Text: "re-granted: the table-level revoke wipes column grants"}))
			}
		}
	}
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

func (b *builder) objectChange(a Action, obj *catalog.Object, g acl.Grantee, p acl.Privileges, grantor string, why Reason) *Change {
	c := &Change{Action: a, Target: TargetObject, Object: obj.Object, Owner: obj.Owner, Grantee: g, Privs: p, Grantor: grantor, Authority: AuthorityOwner, Reason: why}
	if grantor != obj.Owner {
		c.Authority = AuthorityGrantor
		c.AsRole = grantor
	}
	return c
}

// defaultPrivileges diffs pg_default_acl for managed grantees.
func (b *builder) defaultPrivileges() {
	type key struct {
		t DefaultTarget
		g acl.Grantee
	}
	desired := map[key]want{}
	var order []key
	for _, name := range sortedKeys(b.roles) {
		for _, d := range b.roles[name].DefaultPrivileges {
			if !b.exists(d.ForRole) || d.ForRole == name {
				continue
			}
			k := key{DefaultTarget{ForRole: d.ForRole, Schema: d.Schema, Kind: d.Kind}, acl.Grantee(name)}
			privs := d.Privileges & acl.Valid(d.Kind, b.cat.ServerVersion)
			if d.All {
				privs = acl.Valid(d.Kind, b.cat.ServerVersion)
			}
			w, seen := desired[k]
			if !seen {
				rng := d.DeclRange
				w.rule = &rng
				order = append(order, k)
			}
			w.privs |= privs
			if d.WithGrantOption {
				w.grantOpt |= privs
			}
			desired[k] = w
		}
	}
	for _, row := range b.cat.DefaultPrivileges {
		t := DefaultTarget{ForRole: row.ForRole, Schema: row.Schema, Kind: row.Kind}
		for _, it := range row.ACL {
			g := it.Grantee
			if g.IsPublic() || string(g) == row.ForRole || b.roles[string(g)] == nil {
				continue
			}
			k := key{t, g}
			w := desired[k]
			if extra := it.Privs.Privs &^ w.privs; extra != 0 {
				b.add(&Change{Action: Revoke, Target: TargetDefault, Default: &k.t, Grantee: g, Privs: acl.Privileges{Privs: extra, GrantOption: it.Privs.GrantOption & extra}, Authority: AuthorityForRole, Reason: notDeclared})
			}
			if opt := it.Privs.GrantOption & w.privs &^ w.grantOpt; opt != 0 {
				b.add(&Change{Action: Revoke, Target: TargetDefault, Default: &k.t, Grantee: g, Privs: acl.Privileges{Privs: opt, GrantOption: opt}, GrantOptionOnly: true, Authority: AuthorityForRole, Reason: Reason{Rule: w.rule, Text: "grant option not declared"}})
			}
			if _, ok := desired[k]; ok {
				w.privs &^= it.Privs.Privs &^ (w.grantOpt &^ it.Privs.GrantOption)
				w.grantOpt &^= it.Privs.GrantOption
				desired[k] = w
			}
		}
	}
	for _, k := range order {
		w := desired[k]
		t := k.t
		if plain := w.privs &^ w.grantOpt; plain != 0 {
			b.add(&Change{Action: Grant, Target: TargetDefault, Default: &t, Grantee: k.g, Privs: acl.Privileges{Privs: plain}, Authority: AuthorityForRole, Reason: Reason{Rule: w.rule}})
		}
		if w.grantOpt != 0 {
			b.add(&Change{Action: Grant, Target: TargetDefault, Default: &t, Grantee: k.g, Privs: acl.Privileges{Privs: w.grantOpt, GrantOption: w.grantOpt}, Authority: AuthorityForRole, Reason: Reason{Rule: w.rule}})
		}
	}
}

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
					c.AsRole, c.AsRole, c.AsRole, sch.Name, objectSQL(sch.Object), granteeSQL(acl.Grantee(c.AsRole)), c.AsRole, renderOne(c, b.cat.ServerVersion))
			} else if !b.graph.CanSetRole(me, c.AsRole) {
				c.Blocked = fmt.Sprintf("the privilege was granted by %s, and only %s can revoke it (REVOKE by the owner would silently do nothing). Run: SET ROLE %s; %s; RESET ROLE;",
					c.AsRole, c.AsRole, c.AsRole, renderOne(c, b.cat.ServerVersion))
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
			if !canAdmin(b.graph, b.cat, me, c) {
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
			if p.Target == TargetObject && p.Action == Grant && p.rank == 1 {
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

// object finds a catalog object by identity.
func (b *builder) object(o acl.Object) *catalog.Object {
	if i, ok := b.index()[o.Key()]; ok {
		return b.cat.Objects[i]
	}
	return nil
}

// index is indexObjects(b.cat), shared by every projection of the plan.
func (b *builder) index() map[string]int {
	if b.objectIndex == nil {
		b.objectIndex = indexObjects(b.cat)
	}
	return b.objectIndex
}

// project is the package's project on the plan's catalog.
func (b *builder) project(changes []*Change) *catalog.Catalog {
	return projectIndexed(b.cat, b.index(), changes)
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

// finish orders the changes and starts batching them into statements;
// the function it returns waits for them.
func (b *builder) finish() (statements func() []Statement) {
	// compareChanges's order; the position breaks the last ties, as a
	// stable sort would, without the stable sort's extra log factor.
	type indexed struct {
		c *Change
		i int
	}
	ks := make([]indexed, len(b.plan.Changes))
	for i, c := range b.plan.Changes {
		ks[i] = indexed{c, i}
	}
	slices.SortFunc(ks, func(x, y indexed) int { return cmp.Or(compareChanges(x.c, y.c), cmp.Compare(x.i, y.i)) })
	for i := range ks {
		b.plan.Changes[i] = ks[i].c
	}
	run := executable(b.plan.Changes)
	// The statements are rendered while invariants projects the plan:
	// both only read the changes (batch reads none of the fields
	// invariants caches in them), and a large plan spends a fifth of its
	// time in each.
	done := make(chan []Statement, 1)
	go func() { done <- batch(run, b.cat.ServerVersion) }()
	return func() []Statement { return <-done }
}

// executable is the changes that get statements: those not blocked.
func executable(changes []*Change) []*Change {
	run := make([]*Change, 0, len(changes))
	for _, c := range changes {
		if c.Blocked == "" {
			run = append(run, c)
		}
	}
	return run
}

// want is the desired privileges of one grantee on one object (and the
// subset wanted WITH GRANT OPTION), with the rule that decided them.
type want struct {
	privs    acl.Priv
	grantOpt acl.Priv
	rule     *hcl.Range
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
