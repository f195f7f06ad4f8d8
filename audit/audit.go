package audit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// Session is the sessions one role has open in the database from one
// application_name (pg_stat_activity, grouped).
type Session struct {
	Role            string
	ApplicationName string
	Count           int
}

// Options tune Audit.
type Options struct {
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
	reason  plan.Reason
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
			out = append(out, creatorRule{forRole: d.ForRole, kind: d.Kind, schema: d.Schema, reason: plan.Reason{Rule: &rng}})
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
func Audit(p *policy.Policy, c *catalog.Catalog, sessions []Session, o Options) []plan.Finding {
	var out []plan.Finding
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
		out = append(out, plan.Finding{
			Kind:      plan.FindingOwner,
			Role:      obj.Owner,
			Object:    obj.Object,
			WantOwner: names[0],
			Message: fmt.Sprintf("%s is owned by %s, not %s: another role created it, so the default privileges for %s did not fire",
				what, obj.Owner, strings.Join(names, " or "), names[0]),
			Fix:    plan.OwnerSQL(obj.Object, names[0]),
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
			out = append(out, plan.Finding{
				Kind:            plan.FindingSession,
				Role:            s.Role,
				ApplicationName: s.ApplicationName,
				Sessions:        s.Count,
				Message: fmt.Sprintf("owner role %s has %d %s open from application_name %s; expected %s",
					s.Role, s.Count, textout.Plural(s.Count, "session", "sessions"), strconv.Quote(s.ApplicationName), expected),
				Fix: "connect the application as its runtime role, not the owner; if it runs migrations, add its application_name to --owner-applications",
			})
		}
	}
	return out
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
	Kind  plan.FindingKind
	Role  string
	Count int
}

// CountFindings counts what an audit reports, by kind and role: the plan's
// changes (FindingDrift, by grantee: the member for memberships, PUBLIC for
// PUBLIC), its external drift and the invariants broken now (by role), and
// its Findings (owner: objects, by actual owner; session: sessions, by
// role). Every declared role of roles gets a zero count for every kind, so
// that a series exists before anything is found. The result is sorted by
// kind (in [plan.FindingKinds] order), then role.
func CountFindings(p *plan.Plan, roles []string) []FindingCount {
	counts := map[plan.FindingKind]map[string]int{}
	add := func(k plan.FindingKind, role string, n int) {
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][role] += n
	}
	for _, k := range plan.FindingKinds() {
		for _, r := range roles {
			add(k, r, 0)
		}
	}
	for _, c := range p.Changes {
		add(plan.FindingDrift, c.Grantee.String(), 1)
	}
	for _, d := range p.Drift {
		add(plan.FindingExternal, d.Role, 1)
	}
	for _, v := range p.ViolationsNow {
		add(plan.FindingViolation, v.Role, 1)
	}
	for _, f := range p.Findings {
		n := 1
		if f.Kind == plan.FindingSession {
			n = f.Sessions
		}
		add(f.Kind, f.Role, n)
	}
	var out []FindingCount
	for _, k := range plan.FindingKinds() {
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
