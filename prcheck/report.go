package prcheck

import (
	"fmt"
	"slices"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/explain"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// Answers holds what PostgreSQL answered for [AnswerKey](role, object).
type Answers map[string]Answer

// Answer is what one role can use on one object, as PostgreSQL answers.
type Answer struct {
	// Privs is has_*_privilege's answer.
	Privs acl.Priv
	// Reach is what a session of the role can use: Privs, and what the
	// roles it may SET ROLE to have (pg_has_role 'SET' on 16+, 'MEMBER'
	// before).
	Reach acl.Priv
}

// AnswerKey is the key of [Answers] for one role and object.
func AnswerKey(role string, o acl.Object) string { return role + "\x00" + o.Key() }

// Reported reports whether objects of kind k appear in a report: the
// database, its schemas and what lives in them.
func Reported(k acl.Kind) bool { return k == acl.KindDatabase || k == acl.KindSchema || k.InSchema() }

// classifiable kinds are those a role's rules may leave unclassified.
func classifiable(k acl.Kind) bool {
	switch k {
	case acl.KindTable, acl.KindSequence, acl.KindFunction, acl.KindType:
		return true
	}
	return false
}

// Report is what each managed role can use on every object in scope.
type Report struct {
	// ServerVersion is server_version_num of the server that answered.
	ServerVersion int
	// Roles are the managed roles reported, in policy order: the declared
	// roles that exist and are not being retired.
	Roles []string
	// Objects in kind order (database, schemas, tables, columns,
	// sequences, functions, types), then by name. The database object has
	// no name: reports of two databases compare.
	Objects []Object
	// Disagreements list where plan's effective-access model and
	// PostgreSQL answered differently; PostgreSQL's answer is reported.
	Disagreements []Disagreement
	// Violations are the deny blocks the database breaks once the policy
	// is applied (SET ROLE included); plan --schema exits 2 on them.
	Violations []access.Violation
}

// Object is one object and what each managed role can do on it.
type Object struct {
	acl.Object
	Owner string
	// Access has one entry per Report.Roles, in that order.
	Access []Access
}

// Access is what one role can do on one object.
type Access struct {
	Role string
	// Privs is what the role can use: PostgreSQL's has_*_privilege answer
	// (through grants, PUBLIC, memberships, predefined roles), or the
	// model's when PostgreSQL was not asked.
	Privs acl.Priv
	// SetRole is what the role can use only after SET ROLE to a role it
	// may become (a NOINHERIT member, or a 16+ membership WITH INHERIT
	// FALSE, SET TRUE): not in Privs, but within a session's reach.
	SetRole acl.Priv
	// Owner: the role owns the object, and so can do everything on it.
	Owner bool
	// Rules are the policy rules that decide what the role should hold
	// (file:line), empty when none selects the object.
	Rules []string
	// Unclassified: no rule of the role selects the object, though the
	// role has rules for objects of that kind in that schema.
	Unclassified bool
}

// Disagreement is a role and object for which pgward's model and
// PostgreSQL disagree: on what the role can use, or, with SetRole, on what
// a session of it reaches, SET ROLE included.
type Disagreement struct {
	Role       string
	Object     acl.Object
	PostgreSQL acl.Priv
	Model      acl.Priv
	SetRole    bool
}

// Unclassified lists the objects that are unclassified for some role, with
// those roles.
func (r *Report) Unclassified() []Unclassified {
	var out []Unclassified
	for _, o := range r.Objects {
		var roles []string
		for _, a := range o.Access {
			if a.Unclassified {
				roles = append(roles, a.Role)
			}
		}
		if len(roles) > 0 {
			out = append(out, Unclassified{Object: o.Object, Roles: roles})
		}
	}
	return out
}

// Unclassified is an object no rule of these roles selects.
type Unclassified struct {
	Object acl.Object
	Roles  []string
}

// Build reports what every role the policy declares can do on every object
// of cat that [Reported] accepts. A role's privileges are the answer in ans
// when there is one (checked against plan's model), else the model's. The
// rules of each role are matched as plan matches them.
func Build(pol *policy.Policy, cat *catalog.Catalog, ans Answers) *Report {
	r := &Report{ServerVersion: cat.ServerVersion}
	for _, role := range pol.Roles {
		if role.Ensure == policy.EnsurePresent && cat.Role(role.Name) != nil {
			r.Roles = append(r.Roles, role.Name)
		}
	}
	eff := access.NewEffectiveAccess(cat)
	var db, schemas []*catalog.Object
	for _, o := range cat.Objects {
		switch o.Kind {
		case acl.KindDatabase:
			db = append(db, o)
		case acl.KindSchema:
			schemas = append(schemas, o)
		}
	}
	for _, o := range cat.Objects {
		if !Reported(o.Kind) {
			continue
		}
		ro := Object{Object: o.Object, Owner: o.Owner}
		if o.Kind == acl.KindDatabase {
			ro.Name = ""
		}
		// Rule matching depends on the object alone: explain it on a
		// catalog cut down to it, so that each question stays cheap.
		small := *cat
		small.Objects = slices.Concat(db, schemas, []*catalog.Object{o})
		for _, role := range r.Roles {
			a := Access{Role: role, Owner: o.Owner == role}
			model, _ := eff.Of(role, o)
			reach, _ := eff.Reach(role, o)
			a.Privs, a.SetRole = model, reach&^model
			if got, ok := ans[AnswerKey(role, o.Object)]; ok {
				a.Privs, a.SetRole = got.Privs, got.Reach&^got.Privs
				if got.Privs != model {
					r.Disagreements = append(r.Disagreements, Disagreement{Role: role, Object: ro.Object, PostgreSQL: got.Privs, Model: model})
				}
				if got.Reach != reach {
					r.Disagreements = append(r.Disagreements, Disagreement{Role: role, Object: ro.Object, PostgreSQL: got.Reach, Model: reach, SetRole: true})
				}
			}
			x := explain.Object(pol, &small, role, o.Object)
			for _, m := range x.Deciding {
				a.Rules = append(a.Rules, fmt.Sprintf("%s:%d", m.Rule.DeclRange.Filename, m.Rule.DeclRange.Start.Line))
			}
			a.Unclassified = !a.Owner && len(x.Deciding) == 0 && classifiable(o.Kind) && hasRulesFor(pol, role, o.Kind, o.Schema)
			ro.Access = append(ro.Access, a)
		}
		r.Objects = append(r.Objects, ro)
	}
	slices.SortStableFunc(r.Objects, func(a, b Object) int { return compareObjects(a.Object, b.Object) })
	r.Violations = access.CheckDeny(pol, cat)
	return r
}

// hasRulesFor reports whether the role has grant rules for objects of kind
// k in schema. Column rules do not count: they select columns, not tables.
func hasRulesFor(pol *policy.Policy, role string, k acl.Kind, schema string) bool {
	for _, r := range pol.Roles {
		if r.Name != role {
			continue
		}
		for _, g := range r.Grants {
			if g.Kind == k && len(g.Columns) == 0 && (g.Schema == "" || g.Schema == schema) {
				return true
			}
		}
	}
	return false
}

func kindRank(k acl.Kind) int { return slices.Index(acl.Kinds(), k) }

func compareObjects(a, b acl.Object) int {
	if c := kindRank(a.Kind) - kindRank(b.Kind); c != 0 {
		return c
	}
	for _, p := range [][2]string{{a.Schema, b.Schema}, {a.Name, b.Name}, {a.Args, b.Args}, {a.Column, b.Column}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}
