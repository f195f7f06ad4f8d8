package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/didyoumean"
	"github.com/pgward/pgward/policy"
)

// Options tune Build. The zero value is the default.
type Options struct {
	// Strict turns the warning for a missing role with if_missing = "skip",
	// and the warning for an exact name in a rule that matches no object,
	// into errors.
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
	c = withSystemSchemas(p, c)
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
	b.roleSettings()
	b.memberships()
	b.membershipCycles()
	b.objectPrivileges()
	b.defaultPrivileges()
	b.publicDefaults()
	b.warnRowTypes()
	b.classify()
	b.guards() // lockout guard and warnings: guards.go, warnings.go
	statements := b.finish()
	b.invariants()
	b.plan.Statements = statements()
	b.leaveOutClusterWide()
	// The cached object keys served the lookups above; a plan that is
	// executed and rendered does not need them, and at tens of thousands
	// of changes they are several MiB that would stay alive with it.
	for _, cs := range [][]*Change{b.plan.Changes, b.plan.Kept} {
		for _, c := range cs {
			c.key = ""
		}
	}
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
	// changes is the free part of the slab objectChange allocates from:
	// a half-converged database of 50,000 tables has over 100,000 object
	// changes, and one allocation each rounded every Change up to the
	// next size class and gave the collector as many objects to scan.
	changes []Change
	// publicRanges are the ranges of the public block's kinds, one
	// pointer per kind for every revoke from PUBLIC to share.
	publicRanges map[acl.Kind]*hcl.Range
	plan         *Plan
	diags        hcl.Diagnostics
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
				"An external role is created by another system, so pgward will not create it.%s Remove external, or if_missing = \"create\".", b.roleHint(r.Name))
			continue
		case r.IfMissing == policy.IfMissingCreate:
			b.roles[r.Name] = r
			b.creating[r.Name] = true
			continue
		}
		if r.IfMissing == policy.IfMissingSkip {
			b.plan.Skipped = append(b.plan.Skipped, r.Name)
			detail := "Nothing is planned for it. The next run picks it up once the role exists (if_missing = \"skip\")." + b.roleHint(r.Name)
			if b.opts.Strict {
				b.errorf(&rng, fmt.Sprintf("Role %q does not exist", r.Name), "%s --strict makes this an error.", detail)
			} else {
				b.warnf(&rng, fmt.Sprintf("Role %q does not exist", r.Name), "%s", detail)
			}
			continue
		}
		b.errorf(&rng, fmt.Sprintf("Role %q does not exist", r.Name),
			"%s", strings.TrimSpace(b.roleHint(r.Name)+" Create it first, or set if_missing = \"skip\" to plan without it until it appears."))
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
	type rules struct {
		grants   []*policy.Grant
		defaults []*policy.DefaultPrivilege
	}
	var all []rules
	for _, r := range b.roles {
		all = append(all, rules{r.Grants, r.DefaultPrivileges})
	}
	if pub := b.pol.Public; pub != nil {
		all = append(all, rules{pub.Grants, pub.DefaultPrivileges})
	}
	for _, r := range all {
		for _, g := range r.grants {
			if min := g.Kind.MinVersion(); min > v {
				rng := g.DeclRange
				b.errorf(&rng, fmt.Sprintf("Privileges on %ss need PostgreSQL %d", g.Kind, min/10000),
					"The server runs PostgreSQL %s, which has no %s privileges. Remove this rule for this server.", VersionString(v), g.Kind)
				continue
			}
			check(g.Privileges, g.DeclRange)
		}
		for _, d := range r.defaults {
			check(d.Privileges, d.DeclRange)
			if d.Kind.MinVersion() > v || (d.Kind == acl.KindLargeObject && v < 180000) {
				rng := d.DeclRange
				b.errorf(&rng, fmt.Sprintf("Default privileges on %ss need a newer PostgreSQL", d.Kind),
					"ALTER DEFAULT PRIVILEGES ... ON LARGE OBJECTS exists from PostgreSQL 18; the server runs %s.", VersionString(v))
			}
			if !b.exists(d.ForRole) && !b.skipped(d.ForRole) {
				rng := d.DeclRange
				b.errorf(&rng, fmt.Sprintf("Role %q does not exist", d.ForRole), "for_role names the role that creates objects; it must exist.%s", b.roleHint(d.ForRole))
			}
		}
	}
	for _, r := range b.roles {
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
			detail := strings.TrimSpace(b.roleHint(m.Role) + " Create the role first, or remove this member_of.")
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

// roleHint is " Did you mean \"tuist_processor\"?" when a role of the
// catalog is close to name, else "".
func (b *builder) roleHint(name string) string {
	names := make([]string, 0, len(b.cat.Roles))
	for n := range b.cat.Roles {
		names = append(names, n)
	}
	sort.Strings(names)
	return didyoumean.Sentence(name, names)
}

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

func ruleReason(rng hcl.Range) Reason {
	r := rng
	return Reason{Rule: &r}
}

var notDeclared = Reason{Text: "not declared"}

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

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
