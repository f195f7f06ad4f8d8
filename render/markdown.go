package render

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/plan"
)

// MarkdownOptions tune WriteMarkdown.
type MarkdownOptions struct {
	// Audit words the output as a drift report.
	Audit bool
	// Warnings are the run's diagnostics, listed under "Warnings" after
	// the summary (errors among them are ignored: a plan with errors is not
	// written, see [WriteMarkdownFailure]).
	Warnings hcl.Diagnostics
}

// WriteMarkdown writes the plan for a pull-request comment: the summary
// first, then what needs a reviewer's attention (revokes, PUBLIC, blocked
// changes, broken invariants), then the changes grouped by role, and the SQL
// folded away at the end.
func WriteMarkdown(w io.Writer, p *plan.Plan, o MarkdownOptions) error {
	tw := textout.NewWriter(w, false)
	title := "pgward plan"
	if o.Audit {
		title = "pgward audit"
	}
	tw.Printf("### %s: `%s` (PostgreSQL %s, as `%s`)\n\n", title, p.Database, plan.VersionString(p.ServerVersion), p.ConnectingRole)

	s := p.Summary()
	violations := p.Violations
	if o.Audit {
		violations = p.ViolationsNow
	}
	switch {
	case p.Empty() && len(violations) == 0 && (!o.Audit || len(p.Drift) == 0 && len(p.Findings) == 0):
		tw.Printf("**No changes.** The database matches the policy.\n")
		writeMarkdownWarnings(tw, markdownWarnings(o.Warnings))
		return tw.Flush()
	default:
		tw.Printf("**%d to grant, %d to revoke, %d to alter.**", s.Grant, s.Revoke, s.Alter)
		if s.Blocked > 0 {
			tw.Printf(" **%d cannot be executed by `%s`.**", s.Blocked, p.ConnectingRole)
		}
		if n := len(violations); n > 0 {
			tw.Printf(" **%d %s broken.**", n, textout.Plural(n, "invariant", "invariants"))
		}
		tw.Printf("\n")
	}
	writeMarkdownWarnings(tw, markdownWarnings(o.Warnings))
	tw.Printf("\n")

	var attention []string
	for _, c := range p.Changes {
		switch {
		case c.Blocked != "":
			attention = append(attention, fmt.Sprintf("- :no_entry: cannot be executed: %s %s — %s", changeHeader(c), mdCode(c.Line()), c.Blocked))
		case c.Grantee.IsPublic():
			attention = append(attention, fmt.Sprintf("- :globe_with_meridians: PUBLIC: %s on %s", mdCode(c.Line()), changeHeader(c)))
		case c.Action == plan.Revoke:
			attention = append(attention, fmt.Sprintf("- :wastebasket: %s on %s (%s)", mdCode(c.Line()), changeHeader(c), c.Reason))
		}
	}
	for _, v := range violations {
		attention = append(attention, fmt.Sprintf("- :x: invariant broken: `%s` can use %s on %s via %s (`%s:%d`)", v.Role, v.Privilege, v.Object, v.Path, v.Rule.Filename, v.Rule.Start.Line))
	}
	for _, d := range p.Drift {
		attention = append(attention, fmt.Sprintf("- :warning: external role `%s`: %s: want %s, have %s", d.Role, d.What, d.Want, d.Have))
	}
	attention = append(attention, markdownFindings(p.Findings)...)
	if len(attention) > 0 {
		tw.Printf("#### Needs attention\n\n%s\n\n", strings.Join(attention, "\n"))
	}

	byRole := map[string][]*plan.Change{}
	for _, c := range p.Changes {
		role := c.Grantee.String()
		byRole[role] = append(byRole[role], c)
	}
	roles := make([]string, 0, len(byRole))
	for r := range byRole {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		cs := byRole[r]
		tw.Printf("#### `%s` (%d %s)\n\n| | change | on | why |\n|---|---|---|---|\n", r, len(cs), textout.Plural(len(cs), "change", "changes"))
		for _, c := range cs {
			tw.Printf("| %s | %s | %s | %s |\n", string(rune(c.Action)), mdCell(c.Line()), mdCell(changeHeader(c)), mdCell(c.Reason.String()))
		}
		tw.Printf("\n")
	}
	if len(p.Statements) > 0 {
		tw.Printf("<details><summary>SQL (%d %s)</summary>\n\n```sql\n", len(p.Statements), textout.Plural(len(p.Statements), "statement", "statements"))
		if err := WriteSQL(tw, p); err != nil {
			return err
		}
		tw.Printf("```\n\n</details>\n")
	}
	return tw.Flush()
}

func mdCode(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// mdCell escapes what would end a table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
