package plan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// Color adds ANSI colours. The caller decides: a terminal, and no
	// NO_COLOR in the environment.
	Color bool
	// Audit words the output as a drift report instead of a plan.
	Audit bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiGreen  = "\x1b[32m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
)

// WriteText writes the plan for people, in the manner of terraform plan:
// one block per object, + for grants, - for revokes, ~ for alterations, and
// a summary line.
func WriteText(w io.Writer, p *Plan, o TextOptions) error {
	tw := newTextWriter(w, o.Color)
	subject := "Plan"
	if o.Audit {
		subject = "Drift"
	}
	tw.printf("%s for database %s on PostgreSQL %s, connected as %s\n\n", subject, p.Database, VersionString(p.ServerVersion), p.ConnectingRole)

	// Group by object, in the order objects first appear; statements keep
	// their own execution order.
	var headers []string
	byHeader := map[string][]*Change{}
	for _, c := range p.Changes {
		h := changeHeader(c)
		if _, ok := byHeader[h]; !ok {
			headers = append(headers, h)
		}
		byHeader[h] = append(byHeader[h], c)
	}
	// A plan of a large database has a line per change: written without
	// fmt, with each rule's "file:line" formatted once.
	reasons := map[*hcl.Range]string{}
	for _, h := range headers {
		tw.printf("  %s\n", tw.paint(ansiBold, "# "+h))
		for _, c := range byHeader[h] {
			line := "  " + tw.paint(actionColor(c.Action), string(rune(c.Action))) + " " + changeLine(c)
			reason, ok := reasons[c.Reason.Rule]
			if !ok {
				reason = c.Reason.String()
				if c.Reason.Rule != nil {
					reasons[c.Reason.Rule] = reason
				}
			}
			tw.writeStrings(line, padding(line, 64), "  ", reason, "\n")
			if c.Blocked != "" {
				tw.printf("      %s %s\n", tw.paint(ansiRed, "cannot be executed:"), c.Blocked)
			}
		}
		tw.printf("\n")
	}
	if len(p.Drift) > 0 {
		tw.printf("  %s\n", tw.paint(ansiBold, "# external roles (reported, never changed by pgward)"))
		for _, d := range p.Drift {
			tw.printf("  %s %s: %s: want %s, have %s  (%s)\n", tw.paint(ansiYellow, "!"), d.Role, d.What, d.Want, d.Have, d.Reason)
		}
		tw.printf("\n")
	}
	for _, r := range p.Skipped {
		tw.printf("  %s role %s does not exist yet: skipped (if_missing = \"skip\")\n", tw.paint(ansiYellow, "!"), r)
	}
	if len(p.Skipped) > 0 {
		tw.printf("\n")
	}
	if n := len(p.Kept); n > 0 {
		tw.printf("  %s %d %s beyond the policy left alone (additive): run without additive to revoke %s\n\n",
			tw.paint(ansiYellow, "!"), n, pluralWord(n, "privilege", "privileges"), pluralWord(n, "it", "them"))
	}
	violations := p.Violations
	if o.Audit {
		violations = p.ViolationsNow
	}
	writeViolations(tw, violations)
	writeFindings(tw, p.Findings)
	s := p.Summary()
	broken := ""
	if len(violations) > 0 {
		broken = fmt.Sprintf(" %d %s broken.", len(violations), pluralWord(len(violations), "invariant", "invariants"))
	}
	switch {
	case len(p.Changes) == 0 && o.Audit && len(p.Drift) == 0 && broken == "" && len(p.Findings) == 0:
		tw.printf("No drift. The database matches the policy.\n")
	case len(p.Changes) == 0 && !o.Audit && broken == "":
		tw.printf("No changes. The database matches the policy.\n")
	default:
		blocked := ""
		if s.Blocked > 0 {
			blocked = fmt.Sprintf(" %d cannot be executed by %s (listed above).", s.Blocked, p.ConnectingRole)
		}
		tw.printf("%s: %d to grant, %d to revoke, %d to alter.%s%s%s\n", subject, s.Grant, s.Revoke, s.Alter, blocked, broken, findingsSummary(p.Findings))
	}
	return tw.flush()
}

// textWriter buffers: a plan of tens of thousands of changes is as many
// printf calls, and each unbuffered one was a write system call.
type textWriter struct {
	w     *bufio.Writer
	color bool
	err   error
}

func newTextWriter(w io.Writer, color bool) *textWriter {
	return &textWriter{w: bufio.NewWriterSize(w, 64<<10), color: color}
}

// writeStrings writes each string in turn.
func (t *textWriter) writeStrings(ss ...string) {
	for _, s := range ss {
		if t.err != nil {
			return
		}
		_, t.err = t.w.WriteString(s)
	}
}

// padding is the spaces that bring s to width runes, as fmt's %-*s pads.
func padding(s string, width int) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

// flush writes what is buffered and returns the first error.
func (t *textWriter) flush() error {
	if t.err == nil {
		t.err = t.w.Flush()
	}
	return t.err
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

func actionColor(a Action) string {
	switch a {
	case Grant:
		return ansiGreen
	case Revoke:
		return ansiRed
	}
	return ansiYellow
}

func changeHeader(c *Change) string {
	switch c.Target {
	case TargetObject:
		k := strings.ReplaceAll(c.Object.Kind.String(), "_", " ")
		switch {
		case c.Object.Kind == acl.KindFunction && c.Object.Subkind == 'p':
			k = "procedure"
		case c.Object.Kind == acl.KindTable:
			k = relkindName(c.Object.Subkind)
		}
		return k + " " + c.Object.String()
	case TargetDefault:
		return c.Default.String()
	case TargetMembership, TargetRole:
		return "role " + string(c.Grantee)
	}
	return ""
}

func relkindName(k byte) string {
	switch k {
	case 'v':
		return "view"
	case 'm':
		return "materialized view"
	case 'p':
		return "partitioned table"
	case 'f':
		return "foreign table"
	}
	return "table"
}

func changeLine(c *Change) string {
	switch c.Target {
	case TargetObject, TargetDefault:
		privs := c.Privs.Privs.String()
		if c.GrantOptionOnly {
			privs = "GRANT OPTION FOR " + privs
		}
		s := c.Action.String() + " " + privs + " " + toFrom(c.Action) + " " + c.Grantee.String()
		if c.Action == Grant && c.Privs.GrantOption != 0 {
			s += " WITH GRANT OPTION"
		}
		if c.AsRole != "" {
			s += " (granted by " + c.AsRole + ")"
		}
		if c.Cascade {
			s += ", CASCADE to the grants " + string(c.Grantee) + " made"
		}
		return s
	case TargetMembership:
		m := c.Membership
		switch c.Action {
		case Grant:
			return "member of " + m.Role + membershipOptions(m)
		case Alter:
			return "member of " + m.Role + ":" + membershipOptions(m)
		default:
			return "member of " + m.Role + " (granted by " + m.Grantor + ")"
		}
	case TargetRole:
		if c.Action == Grant {
			parts := []string{"create role"}
			for _, a := range c.Attributes {
				parts = append(parts, a.SQL)
			}
			return strings.Join(parts, " ")
		}
		parts := make([]string, len(c.Attributes))
		for i, a := range c.Attributes {
			parts[i] = fmt.Sprintf("%s: %s → %s", a.Name, a.Before, a.After)
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

func membershipOptions(m *MembershipChange) string {
	var opts []string
	for _, o := range []struct {
		name string
		v    *bool
	}{{"admin", m.Admin}, {"inherit", m.Inherit}, {"set", m.Set}} {
		if o.v != nil {
			opts = append(opts, fmt.Sprintf("%s = %t", o.name, *o.v))
		}
	}
	if len(opts) == 0 {
		return ""
	}
	return " (" + strings.Join(opts, ", ") + ")"
}

// WriteSQL writes the statements apply would execute, one per line, with
// SET ROLE around those that run as another grantor. It is for review: apply
// also wraps them in one transaction with a lock and timeouts.
func WriteSQL(w io.Writer, p *Plan) error {
	tw := newTextWriter(w, false)
	tw.printf("-- pgward plan for database %s (PostgreSQL %s), as %s\n", p.Database, VersionString(p.ServerVersion), p.ConnectingRole)
	switch {
	case len(p.Changes) == 0:
		tw.printf("-- no changes\n")
	case len(p.Statements) == 0:
		tw.printf("-- nothing %s can execute\n", p.ConnectingRole)
	}
	for _, s := range p.Statements {
		if s.AsRole != "" {
			tw.printf("SET ROLE %s;\n", ident.Quote(s.AsRole))
		}
		tw.printf("%s;\n", s.SQL)
		if s.AsRole != "" {
			tw.printf("RESET ROLE;\n")
		}
	}
	if blocked := p.Blocked(); len(blocked) > 0 {
		tw.printf("-- not executable by %s, so left out (%d):\n", p.ConnectingRole, len(blocked))
		for _, c := range blocked {
			tw.printf("--   %s: %s\n", renderOne(c, p.ServerVersion), strings.ReplaceAll(c.Blocked, "\n", " "))
		}
	}
	return tw.flush()
}

// JSONFormatVersion is the version of the JSON plan format (docs/json.md).
// Version "1" is stable: fields are only added; a change that would break a
// consumer bumps the version.
const JSONFormatVersion = "1"

type jsonPlan struct {
	FormatVersion  string          `json:"format_version"`
	Database       string          `json:"database"`
	ServerVersion  int             `json:"server_version_num"`
	ConnectingRole string          `json:"connecting_role"`
	Fingerprint    string          `json:"fingerprint"`
	Summary        jsonSummary     `json:"summary"`
	Changes        []jsonChange    `json:"changes"`
	Statements     []jsonStatement `json:"statements"`
	Drift          []jsonDrift     `json:"drift"`
	Skipped        []string        `json:"skipped_roles"`
	// Violations are the deny invariants broken after the plan;
	// ViolationsNow those broken before it (what audit reports).
	Violations    []jsonViolation `json:"violations"`
	ViolationsNow []jsonViolation `json:"violations_now"`
	// Findings are audit findings (docs/audit.md); absent from a plan.
	Findings *[]jsonFinding `json:"findings,omitempty"`
}

type jsonViolation struct {
	Role       string     `json:"role"`
	Object     string     `json:"object"`
	Privileges string     `json:"privileges"`
	Path       string     `json:"path"`
	Reason     jsonReason `json:"reason"`
}

type jsonSummary struct {
	Grant   int `json:"grant"`
	Revoke  int `json:"revoke"`
	Alter   int `json:"alter"`
	Blocked int `json:"blocked"`
	// Kept counts revokes an additive policy does not make.
	Kept int `json:"kept_additive"`
}

type jsonObject struct {
	Kind      string `json:"kind"`
	Subkind   string `json:"subkind,omitempty"`
	Schema    string `json:"schema,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments,omitempty"`
	Column    string `json:"column,omitempty"`
	Owner     string `json:"owner"`
}

type jsonDefault struct {
	ForRole string `json:"for_role"`
	Schema  string `json:"schema,omitempty"`
	Kind    string `json:"kind"`
}

type jsonMembership struct {
	Role    string `json:"role"`
	Grantor string `json:"grantor,omitempty"`
	Admin   *bool  `json:"admin,omitempty"`
	Inherit *bool  `json:"inherit,omitempty"`
	Set     *bool  `json:"set,omitempty"`
}

type jsonAttribute struct {
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
}

type jsonChange struct {
	Action          string          `json:"action"`
	Target          string          `json:"target"`
	Object          *jsonObject     `json:"object,omitempty"`
	Default         *jsonDefault    `json:"default_privileges,omitempty"`
	Membership      *jsonMembership `json:"membership,omitempty"`
	Attributes      []jsonAttribute `json:"attributes,omitempty"`
	Grantee         string          `json:"grantee"`
	Privileges      []string        `json:"privileges,omitempty"`
	GrantOption     bool            `json:"grant_option"`
	GrantOptionOnly bool            `json:"grant_option_only"`
	Cascade         bool            `json:"cascade"`
	Grantor         string          `json:"grantor,omitempty"`
	Authority       string          `json:"authority"`
	Blocked         string          `json:"blocked,omitempty"`
	Reason          jsonReason      `json:"reason"`
}

type jsonReason struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Text string `json:"text,omitempty"`
}

type jsonStatement struct {
	SQL     string `json:"sql"`
	AsRole  string `json:"as_role,omitempty"`
	Changes []int  `json:"changes"`
}

type jsonDrift struct {
	Role string     `json:"role"`
	What string     `json:"what"`
	Want string     `json:"want"`
	Have string     `json:"have"`
	Rule jsonReason `json:"reason"`
}

// WriteJSON writes the plan as JSON (format_version "0", docs/json.md).
func WriteJSON(w io.Writer, p *Plan) error {
	jp := jsonPlan{
		FormatVersion: JSONFormatVersion, Database: p.Database, ServerVersion: p.ServerVersion,
		ConnectingRole: p.ConnectingRole, Fingerprint: p.Fingerprint(),
		Changes: []jsonChange{}, Statements: []jsonStatement{}, Drift: []jsonDrift{}, Skipped: []string{},
	}
	s := p.Summary()
	jp.Summary = jsonSummary{Grant: s.Grant, Revoke: s.Revoke, Alter: s.Alter, Blocked: s.Blocked, Kept: len(p.Kept)}
	index := map[*Change]int{}
	for i, c := range p.Changes {
		index[c] = i
		jc := jsonChange{Action: c.Action.String(), Grantee: c.Grantee.String(), Privileges: c.Privs.Privs.List(),
			GrantOption: c.Privs.GrantOption != 0, GrantOptionOnly: c.GrantOptionOnly, Cascade: c.Cascade,
			Grantor: c.Grantor, Authority: c.Authority.String(),
			Blocked: c.Blocked, Reason: reasonJSON(c.Reason)}
		switch c.Target {
		case TargetObject:
			jc.Target = "object"
			jc.Object = &jsonObject{Kind: c.Object.Kind.String(), Schema: c.Object.Schema, Name: c.Object.Name, Arguments: c.Object.Args, Column: c.Object.Column, Owner: c.Owner}
			if c.Object.Subkind != 0 {
				jc.Object.Subkind = string(rune(c.Object.Subkind))
			}
		case TargetDefault:
			jc.Target = "default_privileges"
			jc.Default = &jsonDefault{ForRole: c.Default.ForRole, Schema: c.Default.Schema, Kind: c.Default.Kind.String()}
		case TargetMembership:
			jc.Target = "membership"
			m := c.Membership
			jc.Membership = &jsonMembership{Role: m.Role, Grantor: m.Grantor, Admin: m.Admin, Inherit: m.Inherit, Set: m.Set}
		case TargetRole:
			jc.Target = "role"
			for _, a := range c.Attributes {
				jc.Attributes = append(jc.Attributes, jsonAttribute{Name: a.Name, Before: a.Before, After: a.After})
			}
		}
		jp.Changes = append(jp.Changes, jc)
	}
	for _, st := range p.Statements {
		js := jsonStatement{SQL: st.SQL, AsRole: st.AsRole, Changes: []int{}}
		for _, c := range st.Changes {
			js.Changes = append(js.Changes, index[c])
		}
		jp.Statements = append(jp.Statements, js)
	}
	for _, d := range p.Drift {
		jp.Drift = append(jp.Drift, jsonDrift{Role: d.Role, What: d.What, Want: d.Want, Have: d.Have, Rule: reasonJSON(d.Reason)})
	}
	jp.Skipped = append(jp.Skipped, p.Skipped...)
	jp.Violations, jp.ViolationsNow = violationsJSON(p.Violations), violationsJSON(p.ViolationsNow)
	jp.Findings = findingsJSON(p.Findings)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jp)
}

func violationsJSON(vs []Violation) []jsonViolation {
	out := []jsonViolation{}
	for _, v := range vs {
		rule := v.Rule
		out = append(out, jsonViolation{Role: v.Role, Object: v.Object, Privileges: v.Privilege, Path: v.Path, Reason: reasonJSON(Reason{Rule: &rule})})
	}
	return out
}

func reasonJSON(r Reason) jsonReason {
	if r.Rule != nil {
		return jsonReason{File: r.Rule.Filename, Line: r.Rule.Start.Line, Text: r.Text}
	}
	return jsonReason{Text: r.Text}
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
