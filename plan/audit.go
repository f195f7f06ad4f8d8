package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/policy"
)

// FindingKind says what an audit finding is about. Its value is the kind
// label of pgward audit's Prometheus output.
type FindingKind string

// The kinds of audit findings. Drift, External and Violation count what a
// Plan already holds (Changes, Drift, ViolationsNow); Owner and Session are
// the findings of [Audit].
const (
	// FindingDrift: a change apply would make (a grant, revoke or alter).
	FindingDrift FindingKind = "drift"
	// FindingExternal: an attribute or membership of an external role that
	// differs from the policy.
	FindingExternal FindingKind = "external"
	// FindingViolation: a deny invariant broken now.
	FindingViolation FindingKind = "violation"
	// FindingOwner: an object in scope owned by a role other than the
	// creator the policy declares, so default privileges did not fire.
	FindingOwner FindingKind = "owner"
	// FindingSession: the creator (owner) role connected from an
	// application that is not one of the expected ones.
	FindingSession FindingKind = "session"
)

// FindingKinds lists every kind, in the order reports write them.
func FindingKinds() []FindingKind {
	return []FindingKind{FindingDrift, FindingExternal, FindingViolation, FindingOwner, FindingSession}
}

// Finding is one result of [Audit]: something the catalog or the server's
// activity shows that the policy does not expect, and that no GRANT or
// REVOKE fixes.
type Finding struct {
	Kind FindingKind
	// Role is the role the finding is about: for FindingOwner the object's
	// actual owner (the role that created it), for FindingSession the
	// connected role.
	Role string

	// FindingOwner: the object, and the owner the policy declares for it
	// (the for_role of its default privileges).
	Object    acl.Object
	WantOwner string

	// FindingSession: the application_name ("" when the client set none)
	// and how many sessions the role has open from it.
	ApplicationName string
	Sessions        int

	// Message says what is wrong, for people.
	Message string
	// Fix is what resolves it: the SQL for FindingOwner, advice for
	// FindingSession.
	Fix string
	// Reason is the policy rule that declares the expected owner.
	Reason Reason
}

// Session is the sessions one role has open in the database from one
// application_name (pg_stat_activity, grouped).
type Session struct {
	Role            string
	ApplicationName string
	Count           int
}

// AuditOptions tune Audit.
type AuditOptions struct {
	// CheckSessions turns on session findings: every session of an owner
	// role whose application_name is not in OwnerApplications is one. Off,
	// sessions are not looked at.
	CheckSessions bool
	// OwnerApplications are the application_name values the owner role may
	// connect with (the migration runner, pgward apply). Empty with
	// CheckSessions: the owner role may not be connected at all.
	OwnerApplications []string
}

// creatorRule is one default_privileges entry: the role that creates the
// objects of a kind (in a schema, or anywhere) and the rule saying so.
type creatorRule struct {
	forRole string
	kind    acl.Kind
	schema  string // "": every schema
	reason  Reason
}

// Creators returns the roles the policy declares as creators of its
// objects: the for_role of every default_privileges entry of a present
// role, sorted and without duplicates. They are the owner roles, which run
// the migrations.
func Creators(p *policy.Policy) []string {
	var out []string
	for _, r := range creatorRules(p) {
		out = append(out, r.forRole)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func creatorRules(p *policy.Policy) []creatorRule {
	if p == nil {
		return nil
	}
	var out []creatorRule
	for _, role := range p.Roles {
		if role.Ensure == policy.EnsureAbsent {
			continue
		}
		for _, d := range role.DefaultPrivileges {
			rng := d.DeclRange
			out = append(out, creatorRule{forRole: d.ForRole, kind: d.Kind, schema: d.Schema, reason: Reason{Rule: &rng}})
		}
	}
	return out
}

// ownedKinds are the kinds whose objects default privileges cover and that
// live in the scope's schemas, plus schemas themselves.
var ownedKinds = []acl.Kind{acl.KindSchema, acl.KindTable, acl.KindSequence, acl.KindFunction, acl.KindType}

// Audit returns what the catalog and the sessions show that the policy does
// not expect, beyond the plan's changes, drift and broken invariants:
//
//   - FindingOwner: an object of a kind that default privileges cover
//     (schema, table and other relations, sequence, function, type) in a
//     schema in scope, owned by a role other than every for_role the policy
//     declares default privileges for, for that kind and schema (entries
//     without a schema count for every schema). The migration that created
//     it ran as another role, so the default privileges did not fire; the
//     fix is ALTER … OWNER TO the declared role. Kinds and schemas for
//     which the policy declares no default privileges, creators that do not
//     exist, and objects owned by pg_database_owner (the public schema on
//     PostgreSQL 15+) are not checked.
//   - FindingSession (with o.CheckSessions): a session of a creator role
//     whose application_name is not in o.OwnerApplications: the owner
//     connected outside a migration.
//
// Findings are sorted: owner findings in catalog order, then sessions by
// role and application. Audit is pure.
func Audit(p *policy.Policy, c *catalog.Catalog, sessions []Session, o AuditOptions) []Finding {
	var out []Finding
	rules := creatorRules(p)
	exists := func(role string) bool { return c.Role(role) != nil }
	owners := map[string]bool{}
	for _, r := range rules {
		if exists(r.forRole) {
			owners[r.forRole] = true
		}
	}
	for _, obj := range c.Objects {
		if !slices.Contains(ownedKinds, obj.Kind) || obj.Owner == "pg_database_owner" {
			continue
		}
		schema := obj.Schema
		if obj.Kind == acl.KindSchema {
			schema = ""
		}
		var want []creatorRule
		for _, r := range rules {
			if r.kind == obj.Kind && (r.schema == "" || r.schema == schema) && exists(r.forRole) {
				want = append(want, r)
			}
		}
		if len(want) == 0 || slices.ContainsFunc(want, func(r creatorRule) bool { return r.forRole == obj.Owner }) {
			continue
		}
		names := make([]string, 0, len(want))
		for _, r := range want {
			names = append(names, r.forRole)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		first := want[0]
		for _, r := range want {
			if r.forRole == names[0] {
				first = r
				break
			}
		}
		what := objectNoun(obj.Object) + " " + obj.Object.String()
		out = append(out, Finding{
			Kind:      FindingOwner,
			Role:      obj.Owner,
			Object:    obj.Object,
			WantOwner: names[0],
			Message: fmt.Sprintf("%s is owned by %s, not %s: another role created it, so the default privileges for %s did not fire",
				what, obj.Owner, strings.Join(names, " or "), names[0]),
			Fix:    OwnerSQL(obj.Object, names[0]),
			Reason: first.reason,
		})
	}
	if o.CheckSessions {
		for _, s := range sessions {
			if !owners[s.Role] || slices.Contains(o.OwnerApplications, s.ApplicationName) {
				continue
			}
			expected := "no application (--owner-applications is empty)"
			if len(o.OwnerApplications) > 0 {
				quoted := make([]string, len(o.OwnerApplications))
				for i, a := range o.OwnerApplications {
					quoted[i] = strconv.Quote(a)
				}
				expected = "only " + strings.Join(quoted, ", ")
			}
			out = append(out, Finding{
				Kind:            FindingSession,
				Role:            s.Role,
				ApplicationName: s.ApplicationName,
				Sessions:        s.Count,
				Message: fmt.Sprintf("owner role %s has %d %s open from application_name %s; expected %s",
					s.Role, s.Count, pluralWord(s.Count, "session", "sessions"), strconv.Quote(s.ApplicationName), expected),
				Fix: "connect the application as its runtime role, not the owner; if it runs migrations, add its application_name to --owner-applications",
			})
		}
	}
	return out
}

// OwnerSQL is the statement that gives obj to owner: ALTER <kind> <name>
// OWNER TO <owner>, with the keyword of the object's subkind (VIEW,
// PROCEDURE, DOMAIN, …).
func OwnerSQL(obj acl.Object, owner string) string {
	kw := keyword(obj)
	switch obj.Kind {
	case acl.KindTable:
		switch obj.Subkind {
		case 'v':
			kw = "VIEW"
		case 'm':
			kw = "MATERIALIZED VIEW"
		case 'f':
			kw = "FOREIGN TABLE"
		}
	case acl.KindFunction:
		if obj.Subkind == 'a' {
			kw = "AGGREGATE"
		}
	case acl.KindType:
		if obj.Subkind == 'd' {
			kw = "DOMAIN"
		}
	}
	return fmt.Sprintf("ALTER %s %s OWNER TO %s", kw, objectSQL(obj), ident.Quote(owner))
}

// objectNoun names the object's kind for people: "table", "view",
// "procedure", "sequence", …
func objectNoun(o acl.Object) string {
	switch {
	case o.Kind == acl.KindTable:
		return textout.RelkindName(o.Subkind)
	case o.Kind == acl.KindFunction && o.Subkind == 'p':
		return "procedure"
	case o.Kind == acl.KindFunction && o.Subkind == 'a':
		return "aggregate"
	case o.Kind == acl.KindType && o.Subkind == 'd':
		return "domain"
	}
	return strings.ReplaceAll(o.Kind.String(), "_", " ")
}

// FindingCount is how many findings of one kind concern one role.
type FindingCount struct {
	Kind  FindingKind
	Role  string
	Count int
}

// CountFindings counts what an audit reports, by kind and role: the plan's
// changes (FindingDrift, by grantee: the member for memberships, PUBLIC for
// PUBLIC), its external drift and the invariants broken now (by role), and
// its Findings (owner: objects, by actual owner; session: sessions, by
// role). Every declared role of roles gets a zero count for every kind, so
// that a series exists before anything is found. The result is sorted by
// kind (in [FindingKinds] order), then role.
func CountFindings(p *Plan, roles []string) []FindingCount {
	counts := map[FindingKind]map[string]int{}
	add := func(k FindingKind, role string, n int) {
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][role] += n
	}
	for _, k := range FindingKinds() {
		for _, r := range roles {
			add(k, r, 0)
		}
	}
	for _, c := range p.Changes {
		add(FindingDrift, c.Grantee.String(), 1)
	}
	for _, d := range p.Drift {
		add(FindingExternal, d.Role, 1)
	}
	for _, v := range p.ViolationsNow {
		add(FindingViolation, v.Role, 1)
	}
	for _, f := range p.Findings {
		n := 1
		if f.Kind == FindingSession {
			n = f.Sessions
		}
		add(f.Kind, f.Role, n)
	}
	var out []FindingCount
	for _, k := range FindingKinds() {
		roles := make([]string, 0, len(counts[k]))
		for role := range counts[k] {
			roles = append(roles, role)
		}
		slices.Sort(roles)
		for _, role := range roles {
			out = append(out, FindingCount{Kind: k, Role: role, Count: counts[k][role]})
		}
	}
	return out
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
