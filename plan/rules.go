package plan

import (
	"fmt"
	"sort"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/didyoumean"
)

// compiledRule is a grant rule resolved for the server, with what its
// exact names matched (for warnUnmatched).
type compiledRule struct {
	*access.Rule
	matched []bool // per exact pattern of Grant.Names: did it match anything
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
			// What the server lacks was reported by checkVersion.
			cr := &compiledRule{Rule: access.NewRule(g, v), matched: make([]bool, len(g.Names))}
			byKind[cr.Kind] = append(byKind[cr.Kind], cr)
		}
		rs.byRole[name] = byKind
	}
	if pub := b.pol.Public; pub != nil && len(pub.Grants) > 0 {
		// PUBLIC's rules, under its grantee name "": no role has that name.
		byKind := map[acl.Kind][]*compiledRule{}
		for _, g := range pub.Grants {
			cr := &compiledRule{Rule: access.NewRule(g, v), matched: make([]bool, len(g.Names))}
			byKind[cr.Kind] = append(byKind[cr.Kind], cr)
		}
		rs.byRole[string(acl.Public)] = byKind
	}
	return rs
}

// desired returns what the role's rules grant on the object.
func (rs *ruleSet) desired(role string, obj *catalog.Object) want {
	best := access.Rank(-1)
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
			w = want{privs: cr.Privileges, grantOpt: cr.GrantOption, rule: &cr.Grant.DeclRange}
		case rank == best:
			w.privs |= cr.Privileges
			w.grantOpt |= cr.GrantOption
		}
	}
	return w
}

func (cr *compiledRule) match(obj *catalog.Object) (access.Rank, bool) {
	return cr.Rule.Match(obj, cr.matched)
}

// matchName matches the rule's schema, owner, names and exclusions; for a
// column rule the names are those of tables.
func (cr *compiledRule) matchName(obj *catalog.Object) (access.Rank, bool) {
	return access.MatchName(cr.Grant, obj, cr.matched)
}

// warnUnmatched warns about exact names that matched no object: a typo
// (with the closest name of the catalog), or an object a later migration
// creates. Under Options.Strict they are errors.
func (rs *ruleSet) warnUnmatched(b *builder) {
	for _, role := range sortedKeys(rs.byRole) {
		for _, k := range acl.Kinds() {
			for _, cr := range rs.byRole[role][k] {
				for i, p := range cr.Grant.Names {
					if p.IsGlob() || cr.matched[i] {
						continue
					}
					where := "in scope"
					if cr.Grant.Schema != "" {
						where = "in schema " + cr.Grant.Schema
					}
					rng := p.Range
					summary := fmt.Sprintf("No %s named %q", k, p.Text)
					detail := fmt.Sprintf("The rule for %s names %q, but no %s %s has that name.%s Check the spelling; if a later migration creates it, the next run grants it.",
						acl.Grantee(role), p.Text, k, where, didyoumean.Sentence(p.Text, b.objectNames(k, cr.Grant.Schema)))
					if b.opts.Strict {
						b.errorf(&rng, summary, "%s --strict makes this an error.", detail)
					} else {
						b.warnf(&rng, summary, "%s", detail)
					}
				}
			}
		}
	}
}

// objectNames lists the names of the catalog's objects of kind k (in
// schema, unless it is ""), sorted, for suggestions: a column rule names
// tables.
func (b *builder) objectNames(k acl.Kind, schema string) []string {
	if k == acl.KindColumn {
		k = acl.KindTable
	}
	seen := map[string]bool{}
	var out []string
	for _, o := range b.cat.Objects {
		if o.Kind != k || schema != "" && o.Schema != schema || seen[o.Name] {
			continue
		}
		seen[o.Name] = true
		out = append(out, o.Name)
	}
	sort.Strings(out)
	return out
}
