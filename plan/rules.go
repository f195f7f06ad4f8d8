package plan

import (
	"fmt"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/policy"
)

// Ranks of a rule's match on one object; the highest rank that matches
// decides (docs/policy.md, "Precedence").
const (
	rankAll     = 0 // the rule names no objects: every object of the kind
	rankPattern = 1 // a pattern with * or ? matched
	rankExact   = 2 // the object's exact name matched
)

type compiledRule struct {
	grant    *policy.Grant
	privs    acl.Priv
	grantOpt acl.Priv
	columns  map[string]bool // column rules only
	matched  []bool          // per exact pattern of grant.Names: did it match anything
}

type ruleSet struct {
	byRole map[string]map[acl.Kind][]*compiledRule
}

func (b *builder) compileRules() *ruleSet {
	rs := &ruleSet{byRole: map[string]map[acl.Kind][]*compiledRule{}}
	v := b.cat.ServerVersion
	for name, r := range b.roles {
		byKind := map[acl.Kind][]*compiledRule{}
		for _, g := range r.Grants {
			kind := g.Kind
			if kind == acl.KindTable && len(g.Columns) > 0 {
				kind = acl.KindColumn // a table rule with columns grants on those columns
			}
			privs := g.Privileges
			if g.All {
				privs = acl.Valid(kind, v)
			}
			// What the server lacks was reported by checkVersion.
			privs &= acl.Valid(kind, v)
			cr := &compiledRule{grant: g, privs: privs, matched: make([]bool, len(g.Names))}
			if g.WithGrantOption {
				cr.grantOpt = privs
			}
			if kind == acl.KindColumn {
				cr.columns = map[string]bool{}
				for _, c := range g.Columns {
					cr.columns[c] = true
				}
			}
			byKind[kind] = append(byKind[kind], cr)
		}
		rs.byRole[name] = byKind
	}
	return rs
}

// desired returns what the role's rules grant on the object.
func (rs *ruleSet) desired(role string, obj *catalog.Object) want {
	best := -1
	var w want
	for _, cr := range rs.byRole[role][obj.Kind] {
		rank, ok := cr.match(obj)
		if !ok {
			continue
		}
		switch {
		case rank > best:
			best = rank
			// Points into the policy, which nothing modifies: one Range
			// per rule, not one per object it matches.
			w = want{privs: cr.privs, grantOpt: cr.grantOpt, rule: &cr.grant.DeclRange}
		case rank == best:
			w.privs |= cr.privs
			w.grantOpt |= cr.grantOpt
		}
	}
	return w
}

func (cr *compiledRule) match(obj *catalog.Object) (int, bool) {
	if cr.columns != nil && !cr.columns[obj.Column] {
		return 0, false
	}
	return cr.matchName(obj)
}

// matchName matches the rule's schema, owner, names and exclusions; for a
// column rule the names are those of tables.
func (cr *compiledRule) matchName(obj *catalog.Object) (int, bool) {
	g := cr.grant
	if g.Kind.InSchema() && g.Schema != "" && g.Schema != obj.Schema {
		return 0, false
	}
	if g.Owner != "" && g.Owner != obj.Owner {
		return 0, false
	}
	for _, ex := range g.Except {
		if matchPattern(ex, obj) {
			return 0, false
		}
	}
	if len(g.Names) == 0 {
		return rankAll, true
	}
	rank, ok := -1, false
	for i, p := range g.Names {
		if !matchPattern(p, obj) {
			continue
		}
		ok = true
		r := rankPattern
		if !p.IsGlob() {
			r = rankExact
			cr.matched[i] = true
		}
		if r > rank {
			rank = r
		}
	}
	return rank, ok
}

// warnUnmatched warns about exact names that matched no object: a typo, or
// an object a later migration creates.
func (rs *ruleSet) warnUnmatched(b *builder) {
	for _, role := range sortedKeys(rs.byRole) {
		for _, k := range acl.Kinds() {
			for _, cr := range rs.byRole[role][k] {
				for i, p := range cr.grant.Names {
					if p.IsGlob() || cr.matched[i] {
						continue
					}
					where := "in scope"
					if cr.grant.Schema != "" {
						where = "in schema " + cr.grant.Schema
					}
					rng := p.Range
					b.warnf(&rng, fmt.Sprintf("No %s named %q", k, p.Text),
						"The rule for %s names %q, but no %s %s has that name. Check the spelling; if a later migration creates it, the next run grants it.", role, p.Text, k, where)
				}
			}
		}
	}
}

// matchPattern matches a policy pattern against an object. A function
// pattern with a signature matches name(argument types), the types as
// PostgreSQL formats them under ident.SearchPath (built-in types bare,
// others schema-qualified) or with every schema left out, so that a policy
// may name an argument type qualified or not.
func matchPattern(p policy.Pattern, obj *catalog.Object) bool {
	if obj.Kind == acl.KindFunction && p.HasSignature() {
		if p.Match(obj.Name + "(" + obj.ArgTypes + ")") {
			return true
		}
		bare := ident.StripSchemas(obj.ArgTypes)
		return bare != obj.ArgTypes && p.Match(obj.Name+"("+bare+")")
	}
	return p.Match(obj.Name)
}
