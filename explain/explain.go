package explain

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// RuleMatch is one grant rule that selects the object of an [Explanation].
type RuleMatch struct {
	Rule *policy.Grant
	Rank access.Rank
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
	Broken []access.Path
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
	// Access is what the role can use in a session, and Paths every way it
	// gets it, SET ROLE included (see [access.EffectiveAccess.Reach]).
	// Direct is the part has_*_privilege reports, without SET ROLE.
	Access acl.Priv
	Direct acl.Priv
	Paths  []access.Path

	Denies []DenyMatch
	// Changes are what a plan would do for this role on this object.
	Changes []*plan.Change
}

// Object answers why role holds what it holds on obj, for pgward explain.
// It reuses the plan's own rule matching, effective access and Build, so
// the answer is what plan and audit act on. Role "" is PUBLIC.
func Object(p *policy.Policy, c *catalog.Catalog, role string, obj acl.Object) *Explanation {
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
	eff := access.NewEffectiveAccess(cat)
	x.Direct, _ = eff.Of(role, o)
	x.Access, x.Paths = eff.Reach(role, o)

	if role == "" {
		switch {
		case p != nil && p.Public.Exact(o.Kind):
			// Grant rules manage the kind for PUBLIC, as a role's do.
			x.Declared = &policy.Role{Grants: p.Public.Grants, DeclRange: p.Public.DeclRange}
		case p != nil && p.Public != nil:
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
		x.explainRules(cat, o)
		x.explainDenies(cat, o)
	}
	if p != nil {
		pl, _ := plan.Build(p, c, plan.Options{})
		for _, ch := range pl.Changes {
			if ch.Target == plan.TargetObject && ch.Object.Key() == o.Key() && string(ch.Grantee) == role {
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

// explainRules lists the role's rules that select the object, resolved
// and matched as plan resolves and matches them (access.Rule).
func (x *Explanation) explainRules(c *catalog.Catalog, o *catalog.Object) {
	var all []RuleMatch
	best := access.Rank(-1)
	for _, g := range x.Declared.Grants {
		r := access.NewRule(g, c.ServerVersion)
		if r.Kind != o.Kind {
			continue
		}
		rank, ok := r.Match(o, nil)
		if !ok {
			continue
		}
		all = append(all, RuleMatch{Rule: g, Rank: rank, Privileges: r.Privileges, GrantOption: r.GrantOption})
		best = max(best, rank)
	}
	for _, m := range all {
		if m.Rank == best {
			x.Deciding = append(x.Deciding, m)
		} else {
			x.Overridden = append(x.Overridden, m)
		}
	}
	slices.SortStableFunc(x.Overridden, func(a, b RuleMatch) int { return int(b.Rank) - int(a.Rank) })
	if !x.IsOwner {
		// What the rules of the highest rank grant, added up, as plan
		// wants it.
		for _, m := range x.Deciding {
			x.Want.Privs |= m.Privileges
			x.Want.GrantOption |= m.GrantOption
		}
	}
}

// explainDenies finds the role's deny blocks that cover the object, as
// access.CheckDeny selects them, and the paths that break them.
func (x *Explanation) explainDenies(c *catalog.Catalog, o *catalog.Object) {
	for _, d := range x.Declared.Deny {
		covers := func(k acl.Kind) bool { return len(d.Kinds) == 0 || slices.Contains(d.Kinds, k) }
		if !covers(o.Kind) && !(o.Kind == acl.KindColumn && covers(acl.KindTable)) {
			continue
		}
		if !access.DenyInScope(d, o) {
			continue
		}
		k := o.Kind
		if k == acl.KindColumn {
			k = acl.KindTable // columns are selected by their table
		}
		if _, ok := access.MatchName(&policy.Grant{Kind: k, Schema: d.Schema, Names: d.Names}, o, nil); !ok {
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
// all the same (see [Object]).
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

// TextOptions tune WriteText.
type TextOptions struct {
	// Color adds ANSI colours. The caller decides: a terminal, and no
	// NO_COLOR in the environment.
	Color bool
}

// WriteText writes an explanation for people.
func WriteText(w io.Writer, x *Explanation, o TextOptions) error {
	tw := textout.NewWriter(w, o.Color)
	who := x.Role
	if who == "" {
		who = "PUBLIC"
	}
	obj := &x.Object
	tw.Printf("%s on %s", tw.Paint(textout.Bold, who), tw.Paint(textout.Bold, textout.ObjectLabel(obj.Object)))
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
	case x.Role == "" && x.Declared == nil && !x.PublicManaged:
		tw.Printf("  PUBLIC is not managed for %ss: it keeps what it holds.\n", obj.Kind)
	case x.Role == "" && x.Declared == nil:
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
			tw.Printf("  %s should hold: %s\n", who, want)
		}
		if len(x.Deciding) == 0 {
			tw.Printf("  No grant rule of %s selects this object.\n", who)
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

	setOnly := ""
	if only := x.Access &^ x.Direct; only != 0 {
		setOnly = " (" + only.String() + " only after SET ROLE)"
	}
	tw.Printf("%s %s%s\n", tw.Paint(textout.Bold, "Effective access:"), privsOrNothing(x.Access), setOnly)
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
		line := fmt.Sprintf("%s %s", tw.Paint(textout.ActionColor(rune(c.Action)), string(rune(c.Action))), c.Line())
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
