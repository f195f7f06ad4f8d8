package plan

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/policy"
)

// Rank is how specifically a grant rule selects an object; for one role and
// object the matching rules of the highest rank decide and add up
// (docs/policy.md, "Which rule wins: precedence").
type Rank int

const (
	// RankAll: the rule has no names and selects every object of its kind.
	RankAll Rank = rankAll
	// RankPattern: a pattern with * or ? selects the object.
	RankPattern Rank = rankPattern
	// RankExact: the rule names the object exactly.
	RankExact Rank = rankExact
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

// RuleMatch is one grant rule that selects the object of an [Explanation].
type RuleMatch struct {
	Rule *policy.Grant
	Rank Rank
	// Privileges is what the rule grants on the object on this server
	// (["ALL"] resolved); GrantOption the part it grants WITH GRANT OPTION.
	Privileges  acl.Priv
	GrantOption acl.Priv
}

// DenyMatch is a deny block of the role that covers the object.
type DenyMatch struct {
	Deny *policy.Deny
	// Denied is what the block forbids on this object (its privileges
	// that the object's kind has on the server).
	Denied acl.Priv
	// Broken lists the paths by which the role can use a denied privilege
	// now, each restricted to the denied privileges; empty when the
	// invariant holds.
	Broken []Path
}

// Explanation says why a role holds, should hold and can use what it does
// on one object: the policy rules that decide it, the ACL items it holds,
// its effective access with every path, the deny blocks that cover the
// object and the changes a plan would make. Role "" is PUBLIC.
type Explanation struct {
	Role   string
	Object catalog.Object
	// InCatalog is false when the catalog does not list the object: a
	// column without column privileges, a parameter without privileges.
	InCatalog  bool
	RoleExists bool
	// Declared is the role's block, nil when the policy does not manage
	// the role (or, for PUBLIC, has no public block).
	Declared *policy.Role
	// IsOwner: the role owns the object. The owner's privileges are its
	// own and never managed, so its rules do not apply here.
	IsOwner bool

	// Deciding are the matching rules of the highest rank, in policy
	// order; Overridden the rules that match at a lower rank.
	Deciding   []RuleMatch
	Overridden []RuleMatch
	// Want is what the policy says the role should hold: the union of the
	// deciding rules (zero for the owner, or when no rule matches).
	Want acl.Privileges

	// PublicManaged, for PUBLIC: the public block has an attribute for
	// the kind; PublicMayHold is then its ceiling and PublicRange where
	// it is declared.
	PublicManaged bool
	PublicMayHold acl.Priv
	PublicRange   hcl.Range

	// Held are the role's own ACL items on the object.
	Held []acl.Item
	// Access is what the role can use, and Paths every way it gets it
	// (see [EffectiveAccess.Of]).
	Access acl.Priv
	Paths  []Path

	Denies []DenyMatch
	// Changes are what a plan would do for this role on this object.
	Changes []*Change
}

// Explain answers why role holds what it holds on obj, for pgward explain.
// It reuses the plan's own rule matching, effective access and Build, so
// the answer is what plan and audit act on. Role "" is PUBLIC.
func Explain(p *policy.Policy, c *catalog.Catalog, role string, obj acl.Object) *Explanation {
	x := &Explanation{Role: role, Object: catalog.Object{Object: obj}}
	cat := c
	if o := findObject(c, obj); o != nil {
		x.Object, x.InCatalog = *o, true
	} else {
		// Not listed: a column without column privileges (or a parameter
		// without any), which holds no ACL item; a column belongs to its
		// table's owner.
		if t := findObject(c, obj.Table()); t != nil && obj.Kind == acl.KindColumn {
			x.Object.Owner, x.Object.Subkind = t.Owner, t.Subkind
		}
		x.Object.NullACL = true
		cc := *c
		cc.Objects = append(slices.Clip(c.Objects), &x.Object)
		cat = &cc
	}
	o := &x.Object
	x.RoleExists = role == "" || c.Role(role) != nil
	x.IsOwner = role != "" && role == o.Owner
	for _, it := range o.ACL {
		if string(it.Grantee) == role {
			x.Held = append(x.Held, it)
		}
	}
	x.Access, x.Paths = NewEffectiveAccess(cat).Of(role, o)

	if role == "" {
		if p != nil && p.Public != nil {
			x.PublicMayHold, x.PublicManaged = p.Public.MayHold[o.Kind]
			x.PublicRange = p.Public.Ranges[o.Kind]
		}
	} else if p != nil {
		for _, r := range p.Roles {
			if r.Name == role {
				x.Declared = r
			}
		}
	}
	if x.Declared != nil {
		x.explainRules(p, cat, o)
		x.explainDenies(cat, o)
	}
	if p != nil {
		plan, _ := Build(p, c, Options{})
		for _, ch := range plan.Changes {
			if ch.Target == TargetObject && ch.Object.Key() == o.Key() && string(ch.Grantee) == role {
				x.Changes = append(x.Changes, ch)
			}
		}
	}
	return x
}

func findObject(c *catalog.Catalog, obj acl.Object) *catalog.Object {
	key := obj.Key()
	for _, o := range c.Objects {
		if o.Key() == key {
			return o
		}
	}
	return nil
}

// explainRules lists the role's rules that select the object, with the
// plan's compiled rules and matching.
func (x *Explanation) explainRules(p *policy.Policy, c *catalog.Catalog, o *catalog.Object) {
	b := &builder{pol: p, cat: c, roles: map[string]*policy.Role{x.Role: x.Declared}}
	rs := b.compileRules()
	var all []RuleMatch
	best := -1
	for _, cr := range rs.byRole[x.Role][o.Kind] {
		rank, ok := cr.match(o)
		if !ok {
			continue
		}
		all = append(all, RuleMatch{Rule: cr.grant, Rank: Rank(rank), Privileges: cr.privs, GrantOption: cr.grantOpt})
		best = max(best, rank)
	}
	for _, m := range all {
		if int(m.Rank) == best {
			x.Deciding = append(x.Deciding, m)
		} else {
			x.Overridden = append(x.Overridden, m)
		}
	}
	slices.SortStableFunc(x.Overridden, func(a, b RuleMatch) int { return int(b.Rank) - int(a.Rank) })
	if !x.IsOwner {
		w := rs.desired(x.Role, o)
		x.Want = acl.Privileges{Privs: w.privs, GrantOption: w.grantOpt}
	}
}

// explainDenies finds the role's deny blocks that cover the object, as
// CheckInvariants selects them, and the paths that break them.
func (x *Explanation) explainDenies(c *catalog.Catalog, o *catalog.Object) {
	for _, d := range x.Declared.Deny {
		covers := func(k acl.Kind) bool { return len(d.Kinds) == 0 || slices.Contains(d.Kinds, k) }
		if !covers(o.Kind) && !(o.Kind == acl.KindColumn && covers(acl.KindTable)) {
			continue
		}
		if !denyInScope(d, o) {
			continue
		}
		k := o.Kind
		if k == acl.KindColumn {
			k = acl.KindTable // columns are selected by their table
		}
		cr := &compiledRule{grant: &policy.Grant{Kind: k, Schema: d.Schema, Names: d.Names}, matched: make([]bool, len(d.Names))}
		if _, ok := cr.match(o); !ok {
			continue
		}
		valid := acl.Valid(o.Kind, c.ServerVersion)
		denied := d.Privileges & valid
		if d.All {
			denied = valid
		}
		if denied == 0 {
			continue
		}
		m := DenyMatch{Deny: d, Denied: denied}
		onlyColumn := o.Kind == acl.KindColumn && covers(acl.KindTable)
		for _, p := range x.Paths {
			if onlyColumn && p.Object.Kind != acl.KindColumn {
				continue
			}
			if p.Privs&denied != 0 {
				p.Privs &= denied
				m.Broken = append(m.Broken, p)
			}
		}
		x.Denies = append(x.Denies, m)
	}
}

// LookupObjects finds the objects of c that name designates, for the
// command line: "schema.table", "schema.function(argument types)" (or
// "schema.function" for every overload), "schema.table.column" (columns
// that carry privileges), a schema, the database, or, for kinds outside
// schemas, the object's name. kind restricts the search; acl.KindInvalid
// searches every kind. The objects come in catalog order; several mean the
// name is ambiguous.
//
// A column without column privileges is not in the catalog; with kind
// acl.KindColumn, "schema.table.column" of an existing table designates it
// all the same (see [Explain]).
func LookupObjects(c *catalog.Catalog, name string, kind acl.Kind) []*catalog.Object {
	sig := ""
	if strings.HasSuffix(name, ")") && strings.Contains(name, "(") {
		if s, err := policy.FormatSignature(name); err == nil {
			sig = s
		}
	}
	var out []*catalog.Object
	for _, o := range c.Objects {
		if kind != acl.KindInvalid && o.Kind != kind {
			continue
		}
		qualified := o.Schema + "." + o.Name
		var ok bool
		switch {
		case o.Kind == acl.KindFunction:
			ok = name == qualified || name == o.String() || (sig != "" && sig == qualified+"("+o.ArgTypes+")")
		case o.Kind == acl.KindColumn:
			ok = name == o.String()
		case o.Kind.InSchema():
			ok = name == qualified
		default:
			ok = name == o.Name
		}
		if ok {
			out = append(out, o)
		}
	}
	if len(out) == 0 && kind == acl.KindColumn {
		if dot := strings.LastIndexByte(name, '.'); dot > 0 {
			for _, t := range LookupObjects(c, name[:dot], acl.KindTable) {
				col := t.Object
				col.Kind, col.Column = acl.KindColumn, name[dot+1:]
				out = append(out, &catalog.Object{Object: col, Owner: t.Owner, NullACL: true})
			}
		}
	}
	return out
}

// WriteExplanation writes an explanation for people. Only o.Color is read.
func WriteExplanation(w io.Writer, x *Explanation, o TextOptions) error {
	tw := textout.NewWriter(w, o.Color)
	who := x.Role
	if who == "" {
		who = "PUBLIC"
	}
	obj := &x.Object
	tw.Printf("%s on %s", tw.Paint(textout.Bold, who), tw.Paint(textout.Bold, objectLabel(obj.Object)))
	if obj.Owner != "" {
		tw.Printf(", owned by %s", obj.Owner)
	}
	tw.Printf("\n")
	if !x.RoleExists {
		tw.Printf("  %s role %s does not exist\n", tw.Paint(textout.Yellow, "!"), x.Role)
	}
	if !x.InCatalog {
		tw.Printf("  %s the catalog does not list this object (nothing is granted on it yet)\n", tw.Paint(textout.Yellow, "!"))
	}
	tw.Printf("\n")

	tw.Printf("%s\n", tw.Paint(textout.Bold, "Policy"))
	switch {
	case x.Role == "" && !x.PublicManaged:
		tw.Printf("  PUBLIC is not managed for %ss: it keeps what it holds.\n", obj.Kind)
	case x.Role == "":
		tw.Printf("  PUBLIC may keep %s (%s); pgward revokes more and never grants.\n", privsOrNothing(x.PublicMayHold), ruleLine(x.PublicRange))
	case x.Declared == nil:
		tw.Printf("  %s is not declared in the policy: pgward does not manage its privileges.\n", x.Role)
	default:
		if x.IsOwner {
			tw.Printf("  %s owns this object: the owner's privileges are its own and never managed, so no rule applies.\n", x.Role)
		} else {
			want := x.Want.Privs.String()
			if x.Want.Privs == 0 {
				want = "nothing"
			}
			if x.Want.GrantOption != 0 {
				want += fmt.Sprintf(" (WITH GRANT OPTION: %s)", x.Want.GrantOption)
			}
			tw.Printf("  %s should hold: %s\n", x.Role, want)
		}
		if len(x.Deciding) == 0 {
			tw.Printf("  No grant rule of %s selects this object.\n", x.Role)
		} else {
			tw.Printf("  Decided by the rules at rank %q (rules at one rank add up):\n", x.Deciding[0].Rank)
			for _, m := range x.Deciding {
				tw.Printf("    %s  %s: %s\n", ruleLine(m.Rule.DeclRange), ruleLabel(m.Rule), matchPrivs(m))
			}
		}
		for i, m := range x.Overridden {
			if i == 0 || m.Rank != x.Overridden[i-1].Rank {
				tw.Printf("  Overridden, matched at rank %q:\n", m.Rank)
			}
			tw.Printf("    %s  %s: %s\n", ruleLine(m.Rule.DeclRange), ruleLabel(m.Rule), matchPrivs(m))
		}
	}
	tw.Printf("\n")

	tw.Printf("%s\n", tw.Paint(textout.Bold, "Held now"))
	if len(x.Held) == 0 {
		tw.Printf("  No ACL item of %s on this object.\n", who)
	}
	for _, it := range x.Held {
		tw.Printf("  %s, granted by %s\n", heldPrivs(it.Privs), it.Grantor)
	}
	tw.Printf("\n")

	tw.Printf("%s %s\n", tw.Paint(textout.Bold, "Effective access:"), privsOrNothing(x.Access))
	for _, p := range x.Paths {
		line := p.String()
		if p.Grantor != "" {
			line += " (granted by " + p.Grantor + ")"
		}
		tw.Printf("  %s\n", line)
	}
	tw.Printf("\n")

	if len(x.Denies) > 0 {
		tw.Printf("%s\n", tw.Paint(textout.Bold, "Deny blocks"))
		for _, d := range x.Denies {
			status := tw.Paint(textout.Green, "holds")
			if len(d.Broken) > 0 {
				status = tw.Paint(textout.Red, "broken")
			}
			tw.Printf("  %s  deny %s: %s\n", ruleLine(d.Deny.DeclRange), d.Denied, status)
			for _, p := range d.Broken {
				tw.Printf("    %s %s\n", tw.Paint(textout.Red, "✗"), p)
			}
		}
		tw.Printf("\n")
	}

	tw.Printf("%s\n", tw.Paint(textout.Bold, "Plan"))
	if len(x.Changes) == 0 {
		tw.Printf("  No changes for %s on this object.\n", who)
	}
	for _, c := range x.Changes {
		line := fmt.Sprintf("%s %s", tw.Paint(actionColor(c.Action), string(rune(c.Action))), changeLine(c))
		tw.Printf("  %-62s  %s\n", line, c.Reason)
		if c.Blocked != "" {
			tw.Printf("      %s %s\n", tw.Paint(textout.Red, "cannot be executed:"), c.Blocked)
		}
	}
	return tw.Flush()
}

func ruleLine(r hcl.Range) string {
	if r.Filename == "" {
		return "(no position)"
	}
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

func privsOrNothing(p acl.Priv) string {
	if p == 0 {
		return "nothing"
	}
	return p.String()
}

func matchPrivs(m RuleMatch) string {
	s := privsOrNothing(m.Privileges)
	if m.GrantOption != 0 {
		s += " WITH GRANT OPTION"
	}
	return s
}

// heldPrivs is an ACL item's privileges, with the grantable ones marked.
func heldPrivs(p acl.Privileges) string {
	s := p.Privs.String()
	if p.GrantOption != 0 {
		s += fmt.Sprintf(" (WITH GRANT OPTION: %s)", p.GrantOption)
	}
	return s
}

// ruleLabel describes a grant rule's selection in one line:
// `grant "table" schema "public" names ["schema_migrations"]`.
func ruleLabel(g *policy.Grant) string {
	var b strings.Builder
	fmt.Fprintf(&b, "grant %q", g.Kind.String())
	if g.Schema != "" {
		fmt.Fprintf(&b, " schema %q", g.Schema)
	}
	patterns := func(ps []policy.Pattern) string {
		q := make([]string, len(ps))
		for i, p := range ps {
			q[i] = fmt.Sprintf("%q", p.Text)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	if len(g.Names) > 0 {
		b.WriteString(" names " + patterns(g.Names))
	}
	if len(g.Except) > 0 {
		b.WriteString(" except " + patterns(g.Except))
	}
	if g.Owner != "" {
		fmt.Fprintf(&b, " owner %q", g.Owner)
	}
	if len(g.Columns) > 0 {
		fmt.Fprintf(&b, " columns [%s]", strings.Join(g.Columns, ", "))
	}
	return b.String()
}

// CheckRules returns what pgward validate reports about the rules of a
// policy beyond what loading it checks, without a catalog:
//
//   - a warning for a grant rule that never changes the outcome: one
//     identical to another rule of the role, or one whose every name
//     another rule of the role names exactly with at least its
//     privileges (rules at one rank add up, so it adds nothing);
//   - an error for a grant rule that names an object exactly with a
//     privilege that a deny block of the role, with names, forbids on it.
//     (Loading rejects the rules a deny without names forbids; which
//     objects a pattern selects is known only with the catalog, where plan
//     checks the deny on effective access.)
func CheckRules(p *policy.Policy) hcl.Diagnostics {
	if p == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, r := range p.Roles {
		diags = append(diags, redundantRules(r)...)
		diags = append(diags, contradictedNames(r)...)
	}
	// A block applied several times (schemas, profiles) would repeat its
	// message once per copy.
	seen := map[string]bool{}
	return slices.DeleteFunc(diags, func(d *hcl.Diagnostic) bool {
		key := rangePos(*d.Subject) + "\x00" + d.Summary + "\x00" + d.Detail
		dup := seen[key]
		seen[key] = true
		return dup
	})
}

// redundantRules flags, from the last rule to the first, rules that the
// rules not flagged so far make useless, so that of two identical rules
// the later one is reported and removing every reported rule together
// changes nothing. A block applied to several schemas or through a
// profile is several rules with one position: it is reported when all of
// them are flagged, or when it repeats itself.
func redundantRules(r *policy.Role) hcl.Diagnostics {
	flagged := map[*policy.Grant]*hcl.Diagnostic{}
	repeats := map[*policy.Grant]bool{}
	warn := func(g *policy.Grant, summary, detail string) {
		rng := g.DeclRange
		flagged[g] = &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Subject: &rng, Detail: detail}
	}
	for i := len(r.Grants) - 1; i >= 0; i-- {
		g := r.Grants[i]
		for _, h := range r.Grants[:i] {
			if !sameRule(g, h) {
				continue
			}
			detail := fmt.Sprintf("This rule is identical to the rule at %s. Rules that select the same objects add up, so it changes nothing; remove one of them.", rangePos(h.DeclRange))
			if h.DeclRange == g.DeclRange {
				repeats[g] = true
				detail = "This block applies twice to the same objects: a schema listed twice in schemas, or a profile included twice. Remove the repetition."
			}
			warn(g, "Duplicate rule", detail)
			break
		}
		if flagged[g] != nil || len(g.Names) == 0 {
			continue
		}
		privs, opt := rulePrivs(g)
		var by []string
		redundant := true
		for _, n := range g.Names {
			if n.IsGlob() {
				redundant = false
				break
			}
			var got, gotOpt acl.Priv
			for _, h := range r.Grants {
				if h == g || flagged[h] != nil || !namesExactly(h, g, n) {
					continue
				}
				hp, ho := rulePrivs(h)
				got, gotOpt = got|hp, gotOpt|ho
				if p := rangePos(h.DeclRange); !slices.Contains(by, p) {
					by = append(by, p)
				}
			}
			if privs&^got != 0 || opt&^gotOpt != 0 {
				redundant = false
				break
			}
		}
		if redundant {
			warn(g, "Redundant rule", fmt.Sprintf("Every object this rule names is also named exactly by the rule at %s, with at least the same privileges. Rules at the same rank add up, so this rule changes nothing; remove it, or merge the rules.", strings.Join(by, " and ")))
		}
	}
	var diags hcl.Diagnostics
	for _, g := range r.Grants {
		d := flagged[g]
		if d == nil {
			continue
		}
		all := true
		for _, h := range r.Grants {
			all = all && (h.DeclRange != g.DeclRange || flagged[h] != nil)
		}
		if all || repeats[g] {
			diags = append(diags, d)
		}
	}
	return diags
}

// rulePrivs is what a rule grants on the newest server, and the part it
// grants WITH GRANT OPTION.
func rulePrivs(g *policy.Grant) (privs, opt acl.Priv) {
	privs = g.Privileges
	if g.All {
		k := g.Kind
		if len(g.Columns) > 0 {
			k = acl.KindColumn
		}
		privs = acl.ValidAnyVersion(k)
	}
	if g.WithGrantOption {
		opt = privs
	}
	return privs, opt
}

// sameRule reports whether two rules select and grant the same, whatever
// their positions.
func sameRule(a, b *policy.Grant) bool {
	texts := func(ps []policy.Pattern) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.Text
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	cols := func(cs []string) []string {
		out := slices.Clone(cs)
		slices.Sort(out)
		return slices.Compact(out)
	}
	ap, ao := rulePrivs(a)
	bp, bo := rulePrivs(b)
	return a.Kind == b.Kind && a.Schema == b.Schema && a.Owner == b.Owner && ap == bp && ao == bo && a.All == b.All &&
		(len(a.Names) == 0) == (len(b.Names) == 0) && slices.Equal(texts(a.Names), texts(b.Names)) &&
		slices.Equal(texts(a.Except), texts(b.Except)) &&
		(len(a.Columns) == 0) == (len(b.Columns) == 0) && slices.Equal(cols(a.Columns), cols(b.Columns))
}

// namesExactly reports whether rule h certainly selects, by the exact name
// n, every object that rule g selects by that name: same kind, a schema
// and owner no narrower, the same name written exactly, no exclusion that
// may remove it, and for column rules at least g's columns.
func namesExactly(h, g *policy.Grant, n policy.Pattern) bool {
	if h.Kind != g.Kind || (len(h.Columns) > 0) != (len(g.Columns) > 0) ||
		(h.Schema != "" && h.Schema != g.Schema) || (h.Owner != "" && h.Owner != g.Owner) {
		return false
	}
	for _, c := range g.Columns {
		if !slices.Contains(h.Columns, c) {
			return false
		}
	}
	named := false
	for _, hn := range h.Names {
		named = named || (!hn.IsGlob() && hn.Text == n.Text)
	}
	if !named {
		return false
	}
	for _, ex := range h.Except {
		if ex.Match(n.Text) || ex.Match(baseName(n.Text)) || (h.Kind == acl.KindFunction && ex.HasSignature()) {
			return false // it may exclude the object, or some overloads
		}
	}
	return true
}

// baseName is a function name without its signature.
func baseName(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		return s[:i]
	}
	return s
}

// contradictedNames reports exact names of the role's grant rules that a
// deny of the role with names forbids, for the privileges it forbids.
func contradictedNames(r *policy.Role) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, g := range r.Grants {
		if g.Owner != "" {
			continue // whether it selects the object depends on the owner
		}
		k := g.Kind
		if len(g.Columns) > 0 {
			k = acl.KindColumn
		}
		privs, _ := rulePrivs(g)
		for _, n := range g.Names {
			if n.IsGlob() {
				continue
			}
			excluded := false
			for _, ex := range g.Except {
				excluded = excluded || ex.Match(n.Text)
			}
			if excluded {
				continue
			}
			for _, d := range r.Deny {
				if len(d.Names) == 0 || !denyNames(d, g, n) {
					continue
				}
				bad := privs & denyForbids(d, k)
				switch {
				case bad != 0:
				case k == acl.KindTable:
					bad = privs & denyForbids(d, acl.KindColumn)
				case k == acl.KindColumn:
					bad = privs & denyForbids(d, acl.KindTable)
				}
				if bad == 0 {
					continue
				}
				rng := n.Range
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Rule contradicts a deny", Subject: &rng,
					Detail: fmt.Sprintf("This rule grants %s on the %s %q, which the deny block at %s forbids for %s. Remove %s from the rule, or narrow the deny.",
						bad, g.Kind, n.Text, rangePos(d.DeclRange), r.Name, bad)})
				break
			}
		}
	}
	return diags
}

// denyNames reports whether deny d certainly covers the objects that rule
// g names exactly with n: the same schema (or a deny without one), and a
// deny name that matches n as plan matches names.
func denyNames(d *policy.Deny, g *policy.Grant, n policy.Pattern) bool {
	switch {
	case d.Schema == "":
	case g.Kind == acl.KindSchema:
		if n.Text != d.Schema {
			return false
		}
	case !g.Kind.InSchema() || g.Schema != d.Schema:
		return false
	}
	for _, dp := range d.Names {
		switch {
		case g.Kind != acl.KindFunction:
			if dp.Match(n.Text) {
				return true
			}
		case dp.HasSignature():
			if n.HasSignature() && dp.Match(n.Text) {
				return true
			}
		case dp.Match(baseName(n.Text)):
			return true
		}
	}
	return false
}

// denyForbids is what d forbids on objects of kind k, on the newest
// server (as loading the policy reads a deny).
func denyForbids(d *policy.Deny, k acl.Kind) acl.Priv {
	if len(d.Kinds) > 0 && !slices.Contains(d.Kinds, k) {
		return 0
	}
	if d.Schema != "" && !k.InSchema() && k != acl.KindSchema {
		return 0
	}
	if d.All {
		return acl.ValidAnyVersion(k)
	}
	return d.Privileges & acl.ValidAnyVersion(k)
}

// rangePos is the "file:line:col" form of a range's start.
func rangePos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
