package importer

import (
	"sort"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// This file turns what one role holds on the objects of one kind (in one
// schema) into grant rules, as a person would write them, without granting
// more than the role holds:
//
//   - explicit: one rule per distinct privilege set, naming its objects,
//     with runs of names that share a prefix written as a glob ("oban_*")
//     when the glob selects no object that holds something else;
//   - all but a few: one rule without names for the most common set, rules
//     naming the objects that hold another set (an exact name or a glob
//     beats a rule without names), and except for the objects that hold
//     nothing.
//
// Objects the role owns are free: an owner's privileges are never managed,
// so any rule may select them. Every candidate is checked by evaluating
// the rules as plan does (docs/policy.md, precedence); the cheapest one
// that reproduces every object wins, explicit on a tie.

// rule is a grant rule before it is split by grant option.
type rule struct {
	names   []string // nil: every object of the kind (in the schema)
	except  []string
	columns []string
	v       acl.Privileges
	comment string
}

// unit is what a rule can name: one object, or for functions every
// overload of a name when they all hold the same.
type unit struct {
	pattern string // name, or for one overload name(argument types)
	name    string // the objects' name, which globs match
	objs    []*catalog.Object
	v       acl.Privileges
	free    bool // owned by the role
}

// group is the objects of one kind (in one schema) that rules of one role
// choose among.
type group struct {
	objs  []*catalog.Object
	units []*unit
	val   map[string]objValue // by object key
	// globs, base and except say which forms the kind allows.
	globs, base, except bool
}

type objValue struct {
	v    acl.Privileges
	free bool
}

// kindOrder is the order a role's grants are written in; columns follow the
// tables of their schema.
var kindOrder = []acl.Kind{acl.KindDatabase, acl.KindSchema, acl.KindTable, acl.KindSequence, acl.KindFunction, acl.KindType,
	acl.KindLanguage, acl.KindFDW, acl.KindServer, acl.KindLargeObject, acl.KindParameter, acl.KindTablespace}

// grants adds the role's grant and default_privileges blocks: per kind,
// per schema, the grants, then the default privileges of that schema, then
// the global default privileges of the kind.
func (b *builder) grants(layout *RoleLayout) {
	role := layout.Role.Name
	defs := b.defaults(role)
	bySchema := b.objectsBySchema()
	addDefaults := func(k acl.Kind, schema string) {
		for _, d := range defs[defKey{k, schema}] {
			layout.Role.DefaultPrivileges = append(layout.Role.DefaultPrivileges, d)
			layout.Blocks = append(layout.Blocks, Block{Default: d})
		}
	}
	for _, k := range kindOrder {
		if !k.InSchema() {
			b.addRules(layout, k, "", b.kindRules(role, k, "", bySchema[k][""], defs))
			if k == acl.KindSchema {
				b.addRules(layout, k, "", b.systemSchemaRules(role))
			}
			addDefaults(k, "")
			continue
		}
		for _, s := range b.cat.Schemas {
			b.addRules(layout, k, s, b.kindRules(role, k, s, bySchema[k][s], defs))
			if k == acl.KindTable {
				b.addRules(layout, k, s, b.columnRules(role, bySchema[acl.KindColumn][s]))
			}
			addDefaults(k, s)
		}
		addDefaults(k, "")
	}
}

// objectsBySchema indexes the objects plan manages by kind and schema
// ("" outside schemas), in catalog order, which is name order.
func (b *builder) objectsBySchema() map[acl.Kind]map[string][]*catalog.Object {
	if b.bySchema != nil {
		return b.bySchema
	}
	b.bySchema = map[acl.Kind]map[string][]*catalog.Object{}
	for _, o := range b.cat.Objects {
		if !managedObject(o) {
			continue
		}
		if b.bySchema[o.Kind] == nil {
			b.bySchema[o.Kind] = map[string][]*catalog.Object{}
		}
		b.bySchema[o.Kind][o.Schema] = append(b.bySchema[o.Kind][o.Schema], o)
	}
	return b.bySchema
}

// addRules turns rules into grant blocks: a rule whose privileges are
// partly grantable becomes two blocks with the same selection, which add
// up.
func (b *builder) addRules(layout *RoleLayout, k acl.Kind, schema string, rules []rule) {
	for _, r := range rules {
		comment := r.comment
		for _, part := range splitGrantOption(r.v) {
			g := &policy.Grant{
				Kind:            k,
				Names:           patterns(r.names),
				Except:          patterns(r.except),
				Columns:         r.columns,
				Privileges:      part.Privs,
				WithGrantOption: part.GrantOption != 0,
			}
			if k.InSchema() {
				g.Schema = schema
			}
			layout.Role.Grants = append(layout.Role.Grants, g)
			layout.Blocks = append(layout.Blocks, Block{Grant: g, Comment: comment})
			comment = ""
		}
	}
}

// splitGrantOption splits privileges into the part without the grant
// option and the part with it, leaving out an empty part.
func splitGrantOption(p acl.Privileges) []acl.Privileges {
	var out []acl.Privileges
	if plain := p.Privs &^ p.GrantOption; plain != 0 {
		out = append(out, acl.Privileges{Privs: plain})
	}
	if p.GrantOption != 0 {
		out = append(out, acl.Privileges{Privs: p.GrantOption, GrantOption: p.GrantOption})
	}
	return out
}

func patterns(ss []string) []policy.Pattern {
	if ss == nil {
		return nil
	}
	out := make([]policy.Pattern, len(ss))
	for i, s := range ss {
		out[i] = policy.Pattern{Text: s}
	}
	return out
}

type defKey struct {
	kind   acl.Kind
	schema string
}

// defaults returns the role's default privilege blocks, by kind and schema.
func (b *builder) defaults(role string) map[defKey][]*policy.DefaultPrivilege {
	out := map[defKey][]*policy.DefaultPrivilege{}
	for _, row := range b.cat.DefaultPrivileges {
		if row.ForRole == role {
			continue
		}
		var held acl.Privileges
		for _, it := range row.ACL {
			if string(it.Grantee) == role {
				held = held.Union(it.Privs)
			}
		}
		for _, part := range splitGrantOption(held) {
			k := defKey{row.Kind, row.Schema}
			out[k] = append(out[k], &policy.DefaultPrivilege{
				Kind:            row.Kind,
				ForRole:         row.ForRole,
				Schema:          row.Schema,
				Privileges:      part.Privs,
				WithGrantOption: part.GrantOption != 0,
			})
		}
	}
	return out
}

// kindRules collapses what the role holds on objs, the objects of kind k
// in one schema (or outside schemas).
func (b *builder) kindRules(role string, k acl.Kind, schema string, objs []*catalog.Object, defs map[defKey][]*policy.DefaultPrivilege) []rule {
	if len(objs) == 0 {
		return nil
	}
	if k == acl.KindDatabase {
		// One database, and its rule takes no names.
		if v, free := b.value(role, objs[0]); !free && !v.IsZero() {
			return []rule{{v: v}}
		}
		return nil
	}
	g := &group{objs: objs, val: map[string]objValue{}, globs: true, base: true, except: true}
	switch k {
	case acl.KindParameter:
		// Parameters are listed only while they carry privileges: a rule
		// without names or a glob would follow whichever parameter someone
		// grants on next. Name each one.
		g.globs, g.base, g.except = false, false, false
	case acl.KindLargeObject:
		g.globs = false // OIDs are selected exactly
	}
	// An exclusion next to default privileges of the same kind draws a
	// warning from validate (default privileges cannot exclude names).
	if len(defs[defKey{k, ""}]) > 0 || (schema != "" && len(defs[defKey{k, schema}]) > 0) {
		g.except = false
	}
	for _, o := range objs {
		v, free := b.value(role, o)
		g.val[o.Key()] = objValue{v, free}
	}
	g.units = buildUnits(g, k)
	return collapse(g)
}

// buildUnits makes one unit per object, except that the overloads of a
// function name that all hold the same are one unit named without a
// signature.
func buildUnits(g *group, k acl.Kind) []*unit {
	var units []*unit
	if k != acl.KindFunction {
		for _, o := range g.objs {
			ov := g.val[o.Key()]
			units = append(units, &unit{pattern: o.Name, name: o.Name, objs: []*catalog.Object{o}, v: ov.v, free: ov.free})
		}
		return units
	}
	var names []string
	overloads := map[string][]*catalog.Object{}
	for _, o := range g.objs {
		if _, seen := overloads[o.Name]; !seen {
			names = append(names, o.Name)
		}
		overloads[o.Name] = append(overloads[o.Name], o)
	}
	for _, n := range names {
		os := overloads[n]
		// A policy reads parentheses in a function pattern as a signature:
		// a name holding one is matched through ? instead.
		pn := strings.Map(func(r rune) rune {
			if r == '(' || r == ')' {
				return '?'
			}
			return r
		}, n)
		same, free := true, true
		var v acl.Privileges
		for _, o := range os {
			ov := g.val[o.Key()]
			if ov.free {
				continue
			}
			if !free && ov.v != v {
				same = false
			}
			v, free = ov.v, false
		}
		if same {
			units = append(units, &unit{pattern: pn, name: n, objs: os, v: v, free: free})
			continue
		}
		for _, o := range os {
			ov := g.val[o.Key()]
			units = append(units, &unit{pattern: pn + "(" + o.ArgTypes + ")", name: o.Name, objs: []*catalog.Object{o}, v: ov.v, free: ov.free})
		}
	}
	return units
}

// class is the units that hold one privilege set.
type class struct {
	v     acl.Privileges
	units []*unit
}

// collapse picks the cheapest rule set that reproduces the group.
func collapse(g *group) []rule {
	var classes []*class
	var empty []*unit
	index := map[acl.Privileges]*class{}
	for _, u := range g.units {
		switch {
		case u.free:
		case u.v.IsZero():
			empty = append(empty, u)
		default:
			c := index[u.v]
			if c == nil {
				c = &class{v: u.v}
				index[u.v] = c
				classes = append(classes, c)
			}
			c.units = append(c.units, u)
		}
	}
	if len(classes) == 0 {
		return nil
	}
	type candidate struct {
		rules    []rule
		explicit bool
	}
	cands := []candidate{{explicit(g, classes, g.globs), true}}
	if g.base {
		for _, c := range classes {
			if r, ok := base(g, c, classes, empty); ok {
				cands = append(cands, candidate{r, false})
			}
		}
	}
	// Cheapest first; on a tie explicit wins, then the rule without names
	// that needs fewer blocks: exceptions read better as additions.
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if ca, cb := cost(a.rules), cost(b.rules); ca != cb {
			return ca < cb
		}
		if a.explicit != b.explicit {
			return a.explicit
		}
		return !a.explicit && len(splitGrantOption(a.rules[0].v)) < len(splitGrantOption(b.rules[0].v))
	})
	for _, c := range cands {
		if g.reproduces(c.rules) {
			return c.rules
		}
	}
	// Only names holding * or ? can get here: they match as patterns.
	// Name every object; the self-check notes what still differs.
	return explicit(g, classes, false)
}

// explicit names the units of each class, in one rule per class.
func explicit(g *group, classes []*class, globs bool) []rule {
	var out []rule
	for _, c := range classes {
		out = append(out, rule{names: g.cover(c.units, othersThan(g, c.v), globs), v: c.v})
	}
	return out
}

// base writes one rule without names for class common, rules naming the
// units of the other classes, and except for the units that hold nothing.
func base(g *group, common *class, classes []*class, empty []*unit) ([]rule, bool) {
	r := rule{v: common.v}
	if len(empty) > 0 {
		if !g.except {
			return nil, false
		}
		// The exclusion may also cover objects that other rules decide
		// (they outrank a rule without names), never one that relies on it.
		r.except = g.cover(empty, func(o *catalog.Object) bool {
			ov := g.val[o.Key()]
			return !ov.free && ov.v == common.v
		}, g.globs)
	}
	out := []rule{r}
	for _, c := range classes {
		if c == common {
			continue
		}
		out = append(out, rule{names: g.cover(c.units, othersThan(g, c.v), g.globs), v: c.v})
	}
	if len(out) > 1 {
		out[1].comment = "These hold other privileges: a name or a pattern beats the rule without names."
	}
	return out, true
}

// othersThan is the objects a rule for v must not select: those that hold
// something else and are not free.
func othersThan(g *group, v acl.Privileges) func(*catalog.Object) bool {
	return func(o *catalog.Object) bool {
		ov := g.val[o.Key()]
		return !ov.free && ov.v != v
	}
}

// cost estimates how much there is to read: a block counts as three names.
func cost(rules []rule) int {
	n := 0
	for _, r := range rules {
		n += 3*len(splitGrantOption(r.v)) + len(r.names) + len(r.except)
	}
	return n
}

// cover returns patterns that select exactly the target units among the
// group's objects, apart from free ones: globs for runs of names sharing a
// prefix that selects no forbidden object, exact patterns for the rest.
func (g *group) cover(target []*unit, forbidden func(*catalog.Object) bool, globs bool) []string {
	covered := make([]bool, len(target))
	var out []string
	for globs {
		best, bestN := "", 1
		for _, p := range g.prefixes(target, covered) {
			n := 0
			for i, u := range target {
				if !covered[i] && strings.HasPrefix(u.name, p) {
					n++
				}
			}
			if n < 2 || !g.prefixAllowed(p, forbidden) {
				continue
			}
			if n > bestN || n == bestN && len(p) > len(best) || n == bestN && len(p) == len(best) && p < best {
				best, bestN = p, n
			}
		}
		if best == "" {
			break
		}
		out = append(out, best+"*")
		for i, u := range target {
			if strings.HasPrefix(u.name, best) {
				covered[i] = true
			}
		}
	}
	for i, u := range target {
		if !covered[i] {
			out = append(out, u.pattern)
		}
	}
	return out
}

// prefixes are the candidate glob prefixes of the uncovered units: each
// name cut after a separator (_ - . or space), at least two bytes long,
// without wildcard characters of its own, nor parentheses (which a
// function pattern reads as a signature).
func (g *group) prefixes(target []*unit, covered []bool) []string {
	seen := map[string]bool{}
	var out []string
	for i, u := range target {
		if covered[i] {
			continue
		}
		for j := 0; j < len(u.name)-1; j++ {
			switch u.name[j] {
			case '_', '-', '.', ' ':
			default:
				continue
			}
			p := u.name[:j+1]
			if len(p) < 2 || strings.ContainsAny(p, "*?()") || seen[p] {
				continue
			}
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (g *group) prefixAllowed(p string, forbidden func(*catalog.Object) bool) bool {
	for _, o := range g.objs {
		if strings.HasPrefix(o.Name, p) && forbidden(o) {
			return false
		}
	}
	return true
}

// reproduces evaluates the rules on every object of the group, with plan's
// precedence, and reports whether each object that is not free gets
// exactly what it holds.
func (g *group) reproduces(rules []rule) bool {
	cs := make([]*compiledRule, len(rules))
	for i, r := range rules {
		cs[i] = compile(r)
	}
	for _, o := range g.objs {
		ov := g.val[o.Key()]
		if ov.free {
			continue
		}
		if evaluate(cs, o) != ov.v {
			return false
		}
	}
	return true
}

// Ranks of a rule's match, as in docs/policy.md: exact name > pattern > no
// names.
const (
	rankAll = iota
	rankPattern
	rankExact
)

// compiledRule is a rule with its exact names in sets, so that evaluating
// many names over many objects stays linear.
type compiledRule struct {
	v                 acl.Privileges
	all               bool // no names
	names, signatures map[string]bool
	globs             []policy.Pattern
	exceptNames       map[string]bool
	exceptSignatures  map[string]bool
	exceptGlobs       []policy.Pattern
}

func compile(r rule) *compiledRule {
	c := &compiledRule{v: r.v, all: r.names == nil,
		names: map[string]bool{}, signatures: map[string]bool{}, exceptNames: map[string]bool{}, exceptSignatures: map[string]bool{}}
	split := func(texts []string, names, sigs map[string]bool, globs *[]policy.Pattern) {
		for _, t := range texts {
			p := policy.Pattern{Text: t}
			switch {
			case p.IsGlob():
				*globs = append(*globs, p)
			case p.HasSignature():
				sigs[t] = true
			default:
				names[t] = true
			}
		}
	}
	split(r.names, c.names, c.signatures, &c.globs)
	split(r.except, c.exceptNames, c.exceptSignatures, &c.exceptGlobs)
	return c
}

// evaluate is what the rules give an object: the matching rules of the
// highest rank add up.
func evaluate(rules []*compiledRule, o *catalog.Object) acl.Privileges {
	best := -1
	var v acl.Privileges
	for _, r := range rules {
		rank, ok := r.match(o)
		switch {
		case !ok:
		case rank > best:
			best, v = rank, r.v
		case rank == best:
			v = v.Union(r.v)
		}
	}
	return v
}

// match matches as plan does: a function pattern with a signature against
// name(argument types), any other against the name.
func (r *compiledRule) match(o *catalog.Object) (int, bool) {
	sig := ""
	if o.Kind == acl.KindFunction {
		sig = o.Name + "(" + o.ArgTypes + ")"
	}
	exact := func(names, sigs map[string]bool) bool {
		if sig == "" {
			return names[o.Name] || sigs[o.Name] // only functions have signatures
		}
		return names[o.Name] || sigs[sig]
	}
	if exact(r.exceptNames, r.exceptSignatures) {
		return 0, false
	}
	for _, p := range r.exceptGlobs {
		if matchPattern(p, o) {
			return 0, false
		}
	}
	if r.all {
		return rankAll, true
	}
	if exact(r.names, r.signatures) {
		return rankExact, true
	}
	for _, p := range r.globs {
		if matchPattern(p, o) {
			return rankPattern, true
		}
	}
	return 0, false
}

func matchPattern(p policy.Pattern, o *catalog.Object) bool {
	if o.Kind == acl.KindFunction && p.HasSignature() {
		return p.Match(o.Name + "(" + o.ArgTypes + ")")
	}
	return p.Match(o.Name)
}

// columnRules writes the role's column privileges in one schema: per
// table, one rule per privilege set naming its columns; tables whose
// columns hold the same share a rule. Tables are named exactly: a column
// rule selects the named columns of every table it selects, and another
// table may lack them.
func (b *builder) columnRules(role string, cols []*catalog.Object) []rule {
	type key struct {
		v    acl.Privileges
		cols string
	}
	var order []key
	rules := map[key]*rule{}
	var tables []string
	byTable := map[string][]*catalog.Object{}
	for _, c := range cols {
		if _, seen := byTable[c.Name]; !seen {
			tables = append(tables, c.Name)
		}
		byTable[c.Name] = append(byTable[c.Name], c)
	}
	for _, t := range tables {
		var sets []acl.Privileges
		bySet := map[acl.Privileges][]string{}
		for _, c := range byTable[t] {
			v, free := b.value(role, c)
			if free || v.IsZero() {
				continue
			}
			if _, seen := bySet[v]; !seen {
				sets = append(sets, v)
			}
			bySet[v] = append(bySet[v], c.Column)
		}
		for _, v := range sets {
			k := key{v, strings.Join(bySet[v], "\x00")}
			r := rules[k]
			if r == nil {
				r = &rule{columns: bySet[v], v: v}
				rules[k] = r
				order = append(order, k)
			}
			r.names = append(r.names, t)
		}
	}
	out := make([]rule, 0, len(order))
	for _, k := range order {
		out = append(out, *rules[k])
	}
	return out
}

// lists names the privilege lists that more than one block uses (two
// privileges or more), and points those blocks at them.
func (b *builder) lists() {
	count := map[acl.Priv]int{}
	var order []acl.Priv
	for _, l := range b.im.Roles {
		for _, blk := range l.Blocks {
			p := blk.Privileges()
			if p.Len() < 2 {
				continue
			}
			if count[p] == 0 {
				order = append(order, p)
			}
			count[p]++
		}
	}
	names := map[acl.Priv]string{}
	used := map[string]bool{}
	for _, p := range order {
		if count[p] < 2 {
			continue
		}
		name := listName(p, b.cat.ServerVersion)
		if used[name] {
			name += "_list"
		}
		used[name] = true
		names[p] = name
		b.im.Lists = append(b.im.Lists, List{Name: name, Privs: p})
	}
	for _, l := range b.im.Roles {
		for i := range l.Blocks {
			l.Blocks[i].List = names[l.Blocks[i].Privileges()]
		}
	}
}

// listName names a privilege list: "dml" for SELECT, INSERT, UPDATE,
// DELETE, "table_all" for every table privilege, otherwise the keywords
// joined ("usage_select").
func listName(p acl.Priv, version int) string {
	dml := acl.Select | acl.Insert | acl.Update | acl.Delete
	switch p {
	case dml:
		return "dml"
	case dml | acl.Truncate:
		return "dml_truncate"
	case acl.Valid(acl.KindTable, version):
		return "table_all"
	}
	var parts []string
	for _, k := range p.List() {
		parts = append(parts, strings.ToLower(strings.ReplaceAll(k, " ", "_")))
	}
	return strings.Join(parts, "_")
}
