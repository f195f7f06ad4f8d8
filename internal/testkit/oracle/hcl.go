package oracle

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// HCLFile is the file name the ranges of a materialized policy point to.
const HCLFile = "oracle.hcl"

// FormatHCL prints a policy in pgward's HCL syntax.
func FormatHCL(p *policy.Policy) string { return formatHCL(p, false) }

// hclPrinter writes lines and counts them, so that ranges can point at the
// line of each block.
type hclPrinter struct {
	b    strings.Builder
	line int
}

func (w *hclPrinter) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	w.b.WriteString(s)
	w.line += strings.Count(s, "\n")
}

// rng is the range of the line about to be written.
func (w *hclPrinter) rng() hcl.Range {
	return hcl.Range{Filename: HCLFile, Start: hcl.Pos{Line: w.line + 1, Column: 1}, End: hcl.Pos{Line: w.line + 1, Column: 1}}
}

// hclString quotes s as an HCL string literal: escapes, and no template
// sequence (${ and %{ are doubled).
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '$', '%':
			b.WriteRune(r)
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteRune(r)
			}
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hclList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = hclString(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func hclPrivs(p acl.Priv, all bool) string {
	if all {
		return `["ALL"]`
	}
	return hclList(p.List())
}

func patterns(ps []policy.Pattern) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text
	}
	return out
}

// formatHCL prints p; with setRanges, it points the ranges of p's blocks at
// the lines printed.
func formatHCL(p *policy.Policy, setRanges bool) string {
	w := &hclPrinter{}
	if p.Schemas != nil {
		w.printf("scope {\n  schemas = %s\n}\n\n", hclList(p.Schemas))
	}
	for _, r := range p.Roles {
		if setRanges {
			r.DeclRange = w.rng()
		}
		w.printf("role %s {\n", hclString(r.Name))
		if r.External {
			w.printf("  external = true\n")
		}
		if r.Attributes.Login != nil {
			w.printf("  login = %t\n", *r.Attributes.Login)
		}
		if r.Attributes.Inherit != nil {
			w.printf("  inherit = %t\n", *r.Attributes.Inherit)
		}
		for _, m := range r.MemberOf {
			if setRanges {
				m.Range = w.rng()
			}
			w.printf("  member_of %s {\n", hclString(m.Role))
			if m.Admin {
				w.printf("    admin = true\n")
			}
			if m.Inherit != nil {
				w.printf("    inherit = %t\n", *m.Inherit)
			}
			if m.Set != nil {
				w.printf("    set = %t\n", *m.Set)
			}
			w.printf("  }\n")
		}
		for _, g := range r.Grants {
			if setRanges {
				g.DeclRange = w.rng()
			}
			w.printf("  grant %s {\n", hclString(g.Kind.String()))
			if g.Schema != "" {
				w.printf("    schema = %s\n", hclString(g.Schema))
			}
			if len(g.Names) > 0 {
				w.printf("    names = %s\n", hclList(patterns(g.Names)))
			}
			if len(g.Except) > 0 {
				w.printf("    except = %s\n", hclList(patterns(g.Except)))
			}
			if g.Owner != "" {
				w.printf("    owner = %s\n", hclString(g.Owner))
			}
			if len(g.Columns) > 0 {
				w.printf("    columns = %s\n", hclList(g.Columns))
			}
			w.printf("    privileges = %s\n", hclPrivs(g.Privileges, g.All))
			if g.WithGrantOption {
				w.printf("    with_grant_option = true\n")
			}
			w.printf("  }\n")
		}
		for _, d := range r.DefaultPrivileges {
			if setRanges {
				d.DeclRange = w.rng()
			}
			w.printf("  default_privileges %s {\n", hclString(d.Kind.String()))
			w.printf("    for_role = %s\n", hclString(d.ForRole))
			if d.Schema != "" {
				w.printf("    schema = %s\n", hclString(d.Schema))
			}
			w.printf("    privileges = %s\n", hclPrivs(d.Privileges, d.All))
			if d.WithGrantOption {
				w.printf("    with_grant_option = true\n")
			}
			w.printf("  }\n")
		}
		w.printf("}\n\n")
	}
	if p.Public != nil {
		if setRanges {
			p.Public.DeclRange = w.rng()
		}
		w.printf("public {\n")
		for _, k := range acl.Kinds() {
			privs, ok := p.Public.MayHold[k]
			if !ok {
				continue
			}
			if setRanges {
				p.Public.Ranges[k] = w.rng()
			}
			w.printf("  %s = %s\n", k, hclList(privs.List()))
		}
		w.printf("}\n")
	}
	return alignHCL(w.b.String())
}

// alignHCL aligns the = of consecutive attribute lines at the same
// indentation, as hclwrite.Format (and pgward fmt) do; it changes no line
// break.
func alignHCL(s string) string {
	lines := strings.Split(s, "\n")
	attr := func(l string) (indent, name string, ok bool) {
		t := strings.TrimLeft(l, " ")
		i := strings.Index(t, " = ")
		if i < 0 || strings.ContainsAny(t[:i], " {\"") {
			return "", "", false
		}
		return l[:len(l)-len(t)], t[:i], true
	}
	for i := 0; i < len(lines); {
		ind, _, ok := attr(lines[i])
		if !ok {
			i++
			continue
		}
		j, width := i, 0
		for ; j < len(lines); j++ {
			ind2, name, ok2 := attr(lines[j])
			if !ok2 || ind2 != ind {
				break
			}
			width = max(width, len(name))
		}
		for x := i; x < j; x++ {
			_, name, _ := attr(lines[x])
			rest := strings.TrimLeft(lines[x], " ")[len(name)+3:]
			lines[x] = ind + name + strings.Repeat(" ", width-len(name)) + " = " + rest
		}
		i = j
	}
	return strings.Join(lines, "\n")
}
