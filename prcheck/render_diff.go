package prcheck

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/pgward/pgward/internal/textout"
)

// diffContext is how many unchanged lines TextDiff keeps around a change.
const diffContext = 2

// TextDiff is a line diff of the text bodies of the two reports (the
// object blocks of [WriteText]): "+ " for lines only head has, "- " for
// lines only base has, "  " for context, "@@" between distant hunks. It is
// "" when the bodies are equal.
func (d *Diff) TextDiff() (string, error) {
	var a, b bytes.Buffer
	if err := writeBody(&a, d.Base); err != nil {
		return "", err
	}
	if err := writeBody(&b, d.Head); err != nil {
		return "", err
	}
	return lineDiff(a.String(), b.String()), nil
}

// lineDiff diffs two texts line by line with diffmatchpatch.
func lineDiff(a, b string) string {
	if a == b {
		return ""
	}
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	type line struct {
		op   diffmatchpatch.Operation
		text string
	}
	var all []line
	for _, df := range diffs {
		text := strings.TrimSuffix(df.Text, "\n")
		for _, l := range strings.Split(text, "\n") {
			all = append(all, line{df.Type, l})
		}
	}
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.op == diffmatchpatch.DiffEqual {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(all)-1, i+diffContext); j++ {
			keep[j] = true
		}
	}
	var out strings.Builder
	gap := false
	for i, l := range all {
		if !keep[i] {
			gap = true
			continue
		}
		if gap && out.Len() > 0 {
			out.WriteString("@@\n")
		}
		gap = false
		switch l.op {
		case diffmatchpatch.DiffInsert:
			out.WriteString("+ ")
		case diffmatchpatch.DiffDelete:
			out.WriteString("- ")
		default:
			out.WriteString("  ")
		}
		out.WriteString(l.text)
		out.WriteString("\n")
	}
	return out.String()
}

func (d *Diff) counts() string {
	return fmt.Sprintf("%d new %s, %d removed, %d changed; %d unclassified",
		len(d.Added), textout.Plural(len(d.Added), "object", "objects"), len(d.Removed), len(d.Changed), len(d.Unclassified))
}

// WriteDiffText writes the diff for people: unclassified objects, new
// objects with what each role can do, removed objects, changed access, a
// summary line, then the line diff of the two reports.
func WriteDiffText(w io.Writer, d *Diff, s Sources) error {
	ew := &errWriter{w: w}
	ew.printf("Access changes from %s to %s with %s\n", orDash(s.Base), orDash(s.Head), orDash(s.Policy))
	if !d.AccessChanged() {
		ew.printf("\nNo access changes.\n")
		return ew.err
	}
	if len(d.Unclassified) > 0 {
		ew.printf("\n")
		writeUnclassifiedText(ew, d.Unclassified)
	}
	writeDisagreementsText(ew, append(append([]Disagreement(nil), d.Base.Disagreements...), d.Head.Disagreements...))
	width := 0
	for _, role := range d.Roles {
		width = max(width, len(role))
	}
	ew.printf("\n")
	for _, o := range d.Added {
		ew.printf("+ ")
		writeObjectText(ew, o, "", width)
	}
	for _, o := range d.Removed {
		ew.printf("- %s\n", objectLabel(o.Object))
	}
	for _, c := range d.Changed {
		ew.printf("~ %s", objectLabel(c.Object))
		if c.Owner != c.OwnerBefore {
			ew.printf(" (owner %s → %s)", c.OwnerBefore, c.Owner)
		}
		ew.printf("\n")
		for _, rc := range c.Roles {
			ew.printf("    %-*s  %s → %s\n", width, rc.Role, rc.Before.cell(), rc.After.cell())
		}
	}
	ew.printf("\n%s.\n", capitalize(d.counts()))
	td, err := d.TextDiff()
	if err != nil {
		return err
	}
	if td != "" {
		ew.printf("\nAccess report diff (base → head):\n%s", td)
	}
	return ew.err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// WriteDiffMarkdown writes the diff for a pull-request comment: a
// summary, the unclassified objects, a table of the new objects, the
// removed objects, the changed access, and the line diff folded away.
func WriteDiffMarkdown(w io.Writer, d *Diff, s Sources) error {
	ew := &errWriter{w: w}
	ew.printf("### pgward: access changes\n\n")
	ew.printf("From %s to %s with %s: ", code(orDash(s.Base)), code(orDash(s.Head)), code(orDash(s.Policy)))
	if !d.AccessChanged() {
		ew.printf("no access changes.\n")
		return ew.err
	}
	ew.printf("%s.\n\n", d.counts())
	if len(d.Unclassified) > 0 {
		writeUnclassifiedMarkdown(ew, d.Unclassified)
	}
	writeDisagreementsMarkdown(ew, append(append([]Disagreement(nil), d.Base.Disagreements...), d.Head.Disagreements...))
	if len(d.Added) > 0 {
		ew.printf("#### New objects\n\n")
		writeMatrix(ew, d.Roles, d.Added)
		ew.printf("\n")
	}
	if len(d.Removed) > 0 {
		ew.printf("#### Removed objects\n\n")
		for _, o := range d.Removed {
			ew.printf("- %s\n", mdLabel(o))
		}
		ew.printf("\n")
	}
	if len(d.Changed) > 0 {
		ew.printf("#### Changed access\n\n| object | role | before | after |\n|---|---|---|---|\n")
		for _, c := range d.Changed {
			for _, rc := range c.Roles {
				ew.printf("| %s | %s | %s | %s |\n", mdLabel(Object{Object: c.Object}), mdEscape(rc.Role), mdEscape(rc.Before.cell()), mdEscape(rc.After.cell()))
			}
			if c.Owner != c.OwnerBefore {
				ew.printf("| %s | (owner) | %s | %s |\n", mdLabel(Object{Object: c.Object}), mdEscape(c.OwnerBefore), mdEscape(c.Owner))
			}
		}
		ew.printf("\n")
	}
	td, err := d.TextDiff()
	if err != nil {
		return err
	}
	if td != "" {
		ew.printf("<details><summary>Access report diff</summary>\n\n```diff\n%s```\n\n</details>\n", td)
	}
	return ew.err
}

func mdLabel(o Object) string {
	if o.Kind.String() == "database" {
		return "database"
	}
	return o.Kind.String() + " " + code(o.String())
}

type jsonDiff struct {
	FormatVersion string             `json:"format_version"`
	Base          string             `json:"base,omitempty"`
	Head          string             `json:"head,omitempty"`
	Policy        string             `json:"policy,omitempty"`
	ServerVersion int                `json:"server_version"`
	AccessChanged bool               `json:"access_changed"`
	Roles         []string           `json:"roles"`
	Added         []jsonObject       `json:"added"`
	Removed       []jsonObject       `json:"removed"`
	Changed       []jsonChange       `json:"changed"`
	Unclassified  []jsonUnclassified `json:"unclassified"`
	Disagreements []jsonDisagreement `json:"disagreements"`
	ReportDiff    string             `json:"report_diff"`
}

type jsonChange struct {
	jsonObject
	OwnerBefore string           `json:"owner_before"`
	Roles       []jsonRoleChange `json:"roles"`
}

type jsonRoleChange struct {
	Role   string     `json:"role"`
	Before jsonAccess `json:"before"`
	After  jsonAccess `json:"after"`
}

// WriteDiffJSON writes the diff as a versioned JSON document
// (docs/pr-check.md).
func WriteDiffJSON(w io.Writer, d *Diff, s Sources) error {
	td, err := d.TextDiff()
	if err != nil {
		return err
	}
	j := jsonDiff{FormatVersion: FormatVersion, Base: s.Base, Head: s.Head, Policy: s.Policy, ServerVersion: d.Head.ServerVersion,
		AccessChanged: d.AccessChanged(), Roles: nonNil(d.Roles), Added: []jsonObject{}, Removed: []jsonObject{}, Changed: []jsonChange{},
		Unclassified: toJSONUnclassified(d.Unclassified), Disagreements: []jsonDisagreement{}, ReportDiff: td}
	for _, o := range d.Added {
		j.Added = append(j.Added, toJSONObject(o))
	}
	for _, o := range d.Removed {
		j.Removed = append(j.Removed, toJSONObject(o))
	}
	for _, c := range d.Changed {
		jc := jsonChange{jsonObject: toJSONObject(Object{Object: c.Object, Owner: c.Owner}), OwnerBefore: c.OwnerBefore, Roles: []jsonRoleChange{}}
		jc.Access = nil
		for _, rc := range c.Roles {
			jc.Roles = append(jc.Roles, jsonRoleChange{Role: rc.Role, Before: toJSONAccess(rc.Before), After: toJSONAccess(rc.After)})
		}
		j.Changed = append(j.Changed, jc)
	}
	for _, r := range []*Report{d.Base, d.Head} {
		for _, dg := range r.Disagreements {
			j.Disagreements = append(j.Disagreements, jsonDisagreement{Role: dg.Role, Kind: dg.Object.Kind.String(), Object: dg.Object.String(), PostgreSQL: privList(dg.PostgreSQL), Model: privList(dg.Model), SetRole: dg.SetRole})
		}
	}
	return writeIndented(w, j)
}

func toJSONAccess(a Access) jsonAccess {
	j := jsonAccess{Role: a.Role, Privileges: privList(a.Privs), Owner: a.Owner, Rules: nonNil(a.Rules), Unclassified: a.Unclassified}
	if a.SetRole != 0 {
		j.SetRole = privList(a.SetRole)
	}
	return j
}
