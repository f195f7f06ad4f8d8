package oracle

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// This file evaluates a policy the way docs/policy.md states it, written
// apart from plan/rules.go and access/match.go on purpose: "for one role and object, the
// matching grant rules of the most specific rank decide, and rules at that
// rank add up: exact name > pattern with wildcards > no names. except
// removes objects from its own rule only."

// Want is what a role should hold on an object, directly, from the owner.
type Want struct {
	Privs       acl.Priv
	GrantOption acl.Priv
}

// Desired evaluates the grant rules of role (a declared role of p) for an
// object on a server of the given version. The owner's own rights are never
// managed: Desired is not asked about them.
func Desired(p *policy.Policy, version int, role string, o *Obj) Want {
	var r *policy.Role
	for _, x := range p.Roles {
		if x.Name == role {
			r = x
		}
	}
	if r == nil {
		return Want{}
	}
	best := -1
	var w Want
	for _, g := range r.Grants {
		kind := g.Kind
		if kind == acl.KindTable && len(g.Columns) > 0 {
			kind = acl.KindColumn
		}
		if kind != o.Kind || (kind == acl.KindColumn && !slices.Contains(g.Columns, o.Column)) {
			continue
		}
		rank := ruleRank(g, o)
		if rank < 0 {
			continue
		}
		privs := g.Privileges
		if g.All {
			privs = acl.Valid(kind, version)
		}
		privs &= acl.Valid(kind, version)
		if rank > best {
			best, w = rank, Want{}
		}
		if rank == best {
			w.Privs |= privs
			if g.WithGrantOption {
				w.GrantOption |= privs
			}
		}
	}
	return w
}

// ruleRank is how specifically rule g selects o: 2 for an exact name, 1 for
// a pattern, 0 for a rule without names, -1 when it does not select o.
func ruleRank(g *policy.Grant, o *Obj) int {
	if g.Schema != "" && o.Schema != g.Schema {
		return -1
	}
	if g.Owner != "" && o.Owner != g.Owner {
		return -1
	}
	for _, ex := range g.Except {
		if patternMatches(ex.Text, o) {
			return -1
		}
	}
	if len(g.Names) == 0 {
		return 0
	}
	rank := -1
	for _, n := range g.Names {
		if !patternMatches(n.Text, o) {
			continue
		}
		r := 2
		if strings.ContainsAny(n.Text, "*?") {
			r = 1
		}
		rank = max(rank, r)
	}
	return rank
}

// patternMatches matches a name or glob against the object's name, or, for
// a function pattern with an argument list, against name(argument types).
func patternMatches(pat string, o *Obj) bool {
	subject := o.Name
	if o.Kind == acl.KindFunction && strings.HasSuffix(pat, ")") && strings.Contains(pat, "(") {
		subject = o.Name + "(" + o.ArgTypes + ")"
	}
	return globRegexp(pat).MatchString(subject)
}

// globRegexp translates a glob (* any run, ? one character) to an anchored
// regular expression.
func globRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, r := range pat {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)$`)
	return regexp.MustCompile(b.String())
}

// DesiredDefaults is what the declared roles ask of default privileges:
// for each (for_role, schema, kind) row, what each grantee should hold.
func DesiredDefaults(p *policy.Policy, version int) map[DefaultKey]Want {
	out := map[DefaultKey]Want{}
	for _, r := range p.Roles {
		for _, d := range r.DefaultPrivileges {
			if d.ForRole == r.Name {
				continue // the for_role's own rights are not managed
			}
			privs := d.Privileges
			if d.All {
				privs = acl.Valid(d.Kind, version)
			}
			privs &= acl.Valid(d.Kind, version)
			k := DefaultKey{ForRole: d.ForRole, Schema: d.Schema, Kind: d.Kind, Grantee: r.Name}
			w := out[k]
			w.Privs |= privs
			if d.WithGrantOption {
				w.GrantOption |= privs
			}
			out[k] = w
		}
	}
	return out
}
