package access

import (
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/policy"
)

// Rank is how specifically a grant rule selects an object; for one role and
// object the matching rules of the highest rank decide and add up
// (docs/policy.md, "Which rule wins: precedence").
type Rank int

const (
	// RankAll: the rule has no names and selects every object of its kind.
	RankAll Rank = iota
	// RankPattern: a pattern with * or ? selects the object.
	RankPattern
	// RankExact: the rule names the object exactly.
	RankExact
)

func (r Rank) String() string {
	switch r {
	case RankExact:
		return "exact name"
	case RankPattern:
		return "pattern"
	}
	return "no names"
}

// Rule is a grant rule as it applies on one server version: the kind of
// object it selects (a table rule with columns selects those columns) and
// what it grants there.
type Rule struct {
	Grant *policy.Grant
	Kind  acl.Kind
	// Privileges is what the rule grants on objects of Kind on the server
	// (["ALL"] resolved, what the server lacks left out); GrantOption the
	// part it grants WITH GRANT OPTION.
	Privileges  acl.Priv
	GrantOption acl.Priv
	columns     map[string]bool // column rules only
}

// NewRule resolves grant rule g for a server of version serverVersion
// (server_version_num).
func NewRule(g *policy.Grant, serverVersion int) *Rule {
	kind := g.Kind
	if kind == acl.KindTable && len(g.Columns) > 0 {
		kind = acl.KindColumn // a table rule with columns grants on those columns
	}
	privs := g.Privileges
	if g.All {
		privs = acl.Valid(kind, serverVersion)
	}
	// What the server lacks is reported when the plan is built.
	privs &= acl.Valid(kind, serverVersion)
	r := &Rule{Grant: g, Kind: kind, Privileges: privs}
	if g.WithGrantOption {
		r.GrantOption = privs
	}
	if kind == acl.KindColumn {
		r.columns = map[string]bool{}
		for _, c := range g.Columns {
			r.columns[c] = true
		}
	}
	return r
}

// Match reports whether the rule selects obj, an object of the rule's
// Kind, and at which rank: for a column rule, one of its columns of a
// table its names select. matched is as for [MatchName].
func (r *Rule) Match(obj *catalog.Object, matched []bool) (Rank, bool) {
	if r.columns != nil && !r.columns[obj.Column] {
		return 0, false
	}
	return MatchName(r.Grant, obj, matched)
}

// MatchName reports whether grant rule g selects obj by its schema, owner,
// names and exclusions, and at which rank; for a column rule the names are
// those of tables and the columns are not looked at. When matched is not
// nil (one entry per name of g), matched[i] is set for each exact name
// g.Names[i] that selects obj, so that names matching nothing can be
// reported.
func MatchName(g *policy.Grant, obj *catalog.Object, matched []bool) (Rank, bool) {
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
	// A system schema (scope { system_schemas }) is selected only by its
	// exact name: "every schema" and patterns mean the schemas in scope.
	system := obj.Kind == acl.KindSchema && obj.Subkind == acl.SubkindSystemSchema
	if len(g.Names) == 0 {
		return RankAll, !system
	}
	rank, ok := Rank(-1), false
	for i, p := range g.Names {
		if (system && p.IsGlob()) || !matchPattern(p, obj) {
			continue
		}
		ok = true
		r := RankPattern
		if !p.IsGlob() {
			r = RankExact
			if matched != nil {
				matched[i] = true
			}
		}
		if r > rank {
			rank = r
		}
	}
	return rank, ok
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
