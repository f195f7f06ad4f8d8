package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
)

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
func CheckRules(p *Policy) hcl.Diagnostics {
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
func redundantRules(r *Role) hcl.Diagnostics {
	flagged := map[*Grant]*hcl.Diagnostic{}
	repeats := map[*Grant]bool{}
	warn := func(g *Grant, summary, detail string) {
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
func rulePrivs(g *Grant) (privs, opt acl.Priv) {
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
func sameRule(a, b *Grant) bool {
	texts := func(ps []Pattern) []string {
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
func namesExactly(h, g *Grant, n Pattern) bool {
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
func contradictedNames(r *Role) hcl.Diagnostics {
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
func denyNames(d *Deny, g *Grant, n Pattern) bool {
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
func denyForbids(d *Deny, k acl.Kind) acl.Priv {
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
