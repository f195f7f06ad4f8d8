package prcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/textout"
)

// FormatVersion is the version of the JSON documents WriteJSON and
// WriteDiffJSON write. It changes when a change would break a parser.
const FormatVersion = "1"

// Sources names the inputs of a report for its heading; empty fields are
// left out.
type Sources struct {
	Schema string // plan --schema: the dump
	Base   string // diff: the old dump
	Head   string // diff: the new dump
	Policy string
}

// objectLabel is "table public.accounts", or "database" for the database.
func objectLabel(o acl.Object) string {
	if o.Kind == acl.KindDatabase {
		return "database"
	}
	return o.Kind.String() + " " + o.String()
}

func (a Access) cell() string {
	if a.Owner {
		return "owner"
	}
	c := privsOrNothing(a.Privs)
	if a.Unclassified {
		c += " (unclassified)"
	}
	if a.SetRole != 0 {
		c += " (+" + a.SetRole.String() + " after SET ROLE)"
	}
	return c
}

// errWriter keeps the first write error, so renderers can write freely.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// WriteText writes the report for people: one block per object, one line
// per role with what it can do and the rules that decide it.
func WriteText(w io.Writer, r *Report, s Sources) error {
	ew := &errWriter{w: w}
	ew.printf("Access report: %s with %s, on PostgreSQL %d.%d\n", orDash(s.Schema), orDash(s.Policy), r.ServerVersion/10000, r.ServerVersion%10000)
	ew.printf("Managed roles: %s\n", strings.Join(r.Roles, ", "))
	if u := r.Unclassified(); len(u) > 0 {
		ew.printf("\n")
		writeUnclassifiedText(ew, u)
	}
	writeDisagreementsText(ew, r.Disagreements)
	writeViolationsText(ew, r.Violations)
	ew.printf("\n")
	if ew.err == nil {
		ew.err = writeBody(w, r)
	}
	return ew.err
}

func writeViolationsText(ew *errWriter, vs []access.Violation) {
	for _, v := range vs {
		ew.printf("deny broken: %s: %s on %s via %s (%s)\n", v.Role, v.Privilege, v.Object, v.Path, ruleLine(v))
	}
}

func ruleLine(v access.Violation) string {
	return fmt.Sprintf("%s:%d", v.Rule.Filename, v.Rule.Start.Line)
}

func writeViolationsMarkdown(ew *errWriter, vs []access.Violation) {
	if len(vs) == 0 {
		return
	}
	ew.printf("> [!CAUTION]\n> **%d %s broken**: a role can use what its deny block forbids.\n>\n", len(vs), textout.Plural(len(vs), "deny invariant", "deny invariants"))
	for _, v := range vs {
		ew.printf("> - %s: %s on %s via %s (%s)\n", mdEscape(v.Role), v.Privilege, code(v.Object), mdEscape(v.Path), code(ruleLine(v)))
	}
	ew.printf("\n")
}

// writeBody writes the object blocks of WriteText: what pgward diff
// compares line by line.
func writeBody(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	width := 0
	for _, role := range r.Roles {
		width = max(width, len(role))
	}
	for _, o := range r.Objects {
		writeObjectText(ew, o, "", width)
	}
	return ew.err
}

func writeObjectText(ew *errWriter, o Object, indent string, width int) {
	ew.printf("%s%s", indent, objectLabel(o.Object))
	if o.Owner != "" {
		ew.printf(" (owner %s)", o.Owner)
	}
	ew.printf("\n")
	for _, a := range o.Access {
		line := fmt.Sprintf("%s  %-*s  %s", indent, width, a.Role, a.cell())
		if len(a.Rules) > 0 {
			line = fmt.Sprintf("%-*s  %s", len(indent)+width+36, line, strings.Join(a.Rules, ", "))
		}
		ew.printf("%s\n", strings.TrimRight(line, " "))
	}
}

func writeUnclassifiedText(ew *errWriter, us []Unclassified) {
	for _, u := range us {
		ew.printf("unclassified: %s (%s), for %s: no rule of the role selects it\n", u.Object.String(), u.Object.Kind, strings.Join(u.Roles, ", "))
	}
}

func writeDisagreementsText(ew *errWriter, ds []Disagreement) {
	for _, d := range ds {
		ew.printf("warning: pgward's access model says %s can use %s on %s%s, PostgreSQL says %s; the report shows PostgreSQL's answer (please report this)\n",
			d.Role, privsOrNothing(d.Model), objectLabel(d.Object), setRoleNote(d), privsOrNothing(d.PostgreSQL))
	}
}

// setRoleNote marks a disagreement about what a session reaches.
func setRoleNote(d Disagreement) string {
	if d.SetRole {
		return " (SET ROLE included)"
	}
	return ""
}

func privsOrNothing(p acl.Priv) string {
	if p == 0 {
		return "nothing"
	}
	return p.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteMarkdown writes the report for a pull-request comment: the
// unclassified objects first, then one table with a row per object and a
// column per role.
func WriteMarkdown(w io.Writer, r *Report, s Sources) error {
	ew := &errWriter{w: w}
	ew.printf("### pgward: access report\n\n")
	ew.printf("%s with %s: %d managed %s, %d objects.\n\n", code(orDash(s.Schema)), code(orDash(s.Policy)), len(r.Roles), textout.Plural(len(r.Roles), "role", "roles"), len(r.Objects))
	if u := r.Unclassified(); len(u) > 0 {
		writeUnclassifiedMarkdown(ew, u)
	}
	writeDisagreementsMarkdown(ew, r.Disagreements)
	writeViolationsMarkdown(ew, r.Violations)
	writeMatrix(ew, r.Roles, r.Objects)
	return ew.err
}

func writeUnclassifiedMarkdown(ew *errWriter, us []Unclassified) {
	ew.printf("> [!WARNING]\n> **%d unclassified %s**: no rule of the role selects %s, though the role has rules for that kind in that schema.\n>\n",
		len(us), textout.Plural(len(us), "object", "objects"), textout.Plural(len(us), "it", "them"))
	for _, u := range us {
		ew.printf("> - %s %s: %s\n", u.Object.Kind, code(u.Object.String()), strings.Join(u.Roles, ", "))
	}
	ew.printf("\n")
}

func writeDisagreementsMarkdown(ew *errWriter, ds []Disagreement) {
	if len(ds) == 0 {
		return
	}
	ew.printf("> [!CAUTION]\n> pgward's access model and PostgreSQL disagree; the table shows PostgreSQL's answer:\n>\n")
	for _, d := range ds {
		ew.printf("> - %s on %s%s: model %s, PostgreSQL %s\n", d.Role, objectLabel(d.Object), setRoleNote(d), privsOrNothing(d.Model), privsOrNothing(d.PostgreSQL))
	}
	ew.printf("\n")
}

func writeMatrix(ew *errWriter, roles []string, objs []Object) {
	ew.printf("| object |")
	for _, r := range roles {
		ew.printf(" %s |", mdEscape(r))
	}
	ew.printf("\n|---|")
	for range roles {
		ew.printf("---|")
	}
	ew.printf("\n")
	for _, o := range objs {
		label := "database"
		if o.Kind != acl.KindDatabase {
			label = o.Kind.String() + " " + code(o.String())
		}
		ew.printf("| %s |", label)
		for _, role := range roles {
			a := accessOf(o, role)
			c := a.cell()
			if a.Unclassified {
				c = "⚠️ " + c
			}
			ew.printf(" %s |", mdEscape(c))
		}
		ew.printf("\n")
	}
}

func code(s string) string {
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// JSON documents. They live here, not on the model.
type jsonReport struct {
	FormatVersion string             `json:"format_version"`
	Schema        string             `json:"schema,omitempty"`
	Policy        string             `json:"policy,omitempty"`
	ServerVersion int                `json:"server_version"`
	Roles         []string           `json:"roles"`
	Objects       []jsonObject       `json:"objects"`
	Unclassified  []jsonUnclassified `json:"unclassified"`
	Disagreements []jsonDisagreement `json:"disagreements"`
	Violations    []jsonViolation    `json:"violations,omitempty"`
}

// jsonViolation is a broken deny, as the plan's JSON writes one.
type jsonViolation struct {
	Role       string `json:"role"`
	Privileges string `json:"privileges"`
	Object     string `json:"object"`
	Path       string `json:"path"`
	Rule       string `json:"rule"`
}

type jsonObject struct {
	Kind   string       `json:"kind"`
	Schema string       `json:"schema,omitempty"`
	Name   string       `json:"name,omitempty"`
	Args   *string      `json:"args,omitempty"`
	Column string       `json:"column,omitempty"`
	Owner  string       `json:"owner"`
	Access []jsonAccess `json:"access,omitempty"`
}

type jsonAccess struct {
	Role         string   `json:"role"`
	Privileges   []string `json:"privileges"`
	SetRole      []string `json:"set_role,omitempty"`
	Owner        bool     `json:"owner"`
	Rules        []string `json:"rules"`
	Unclassified bool     `json:"unclassified"`
}

type jsonUnclassified struct {
	Kind   string   `json:"kind"`
	Object string   `json:"object"`
	Roles  []string `json:"roles"`
}

type jsonDisagreement struct {
	Role       string   `json:"role"`
	Kind       string   `json:"kind"`
	Object     string   `json:"object"`
	PostgreSQL []string `json:"postgresql"`
	Model      []string `json:"model"`
	SetRole    bool     `json:"set_role,omitempty"`
}

func toJSONObject(o Object) jsonObject {
	j := jsonObject{Kind: o.Kind.String(), Schema: o.Schema, Name: o.Name, Column: o.Column, Owner: o.Owner, Access: []jsonAccess{}}
	if o.Kind == acl.KindFunction {
		args := o.Args
		j.Args = &args
	}
	for _, a := range o.Access {
		j.Access = append(j.Access, toJSONAccess(a))
	}
	return j
}

func toJSONUnclassified(us []Unclassified) []jsonUnclassified {
	out := []jsonUnclassified{}
	for _, u := range us {
		out = append(out, jsonUnclassified{Kind: u.Object.Kind.String(), Object: u.Object.String(), Roles: u.Roles})
	}
	return out
}

func privList(p acl.Priv) []string { return nonNil(p.List()) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteJSON writes the report as a versioned JSON document (docs/pr-check.md).
func WriteJSON(w io.Writer, r *Report, s Sources) error {
	j := jsonReport{FormatVersion: FormatVersion, Schema: s.Schema, Policy: s.Policy, ServerVersion: r.ServerVersion,
		Roles: nonNil(r.Roles), Objects: []jsonObject{}, Unclassified: toJSONUnclassified(r.Unclassified()), Disagreements: []jsonDisagreement{}}
	for _, v := range r.Violations {
		j.Violations = append(j.Violations, jsonViolation{Role: v.Role, Privileges: v.Privilege, Object: v.Object, Path: v.Path, Rule: ruleLine(v)})
	}
	for _, o := range r.Objects {
		j.Objects = append(j.Objects, toJSONObject(o))
	}
	for _, d := range r.Disagreements {
		j.Disagreements = append(j.Disagreements, jsonDisagreement{Role: d.Role, Kind: d.Object.Kind.String(), Object: d.Object.String(), PostgreSQL: privList(d.PostgreSQL), Model: privList(d.Model), SetRole: d.SetRole})
	}
	return writeIndented(w, j)
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
