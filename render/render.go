package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/plan"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// Color adds ANSI colours. The caller decides: a terminal, and no
	// NO_COLOR in the environment.
	Color bool
	// Audit words the output as a drift report instead of a plan.
	Audit bool
}

// WriteText writes the plan for people, in the manner of terraform plan:
// one block per object, + for grants, - for revokes, ~ for alterations, and
// a summary line.
func WriteText(w io.Writer, p *plan.Plan, o TextOptions) error {
	tw := textout.NewWriter(w, o.Color)
	subject := "Plan"
	if o.Audit {
		subject = "Drift"
	}
	tw.Printf("%s for database %s on PostgreSQL %s, connected as %s\n\n", subject, p.Database, plan.VersionString(p.ServerVersion), p.ConnectingRole)

	// Group by object, in the order objects first appear; statements keep
	// their own execution order.
	var headers []string
	byHeader := map[string][]*plan.Change{}
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
		tw.Printf("  %s\n", tw.Paint(textout.Bold, "# "+h))
		for _, c := range byHeader[h] {
			line := "  " + tw.Paint(textout.ActionColor(rune(c.Action)), string(rune(c.Action))) + " " + c.Line()
			reason, ok := reasons[c.Reason.Rule]
			if !ok {
				reason = c.Reason.String()
				if c.Reason.Rule != nil {
					reasons[c.Reason.Rule] = reason
				}
			}
			tw.WriteStrings(line, textout.Padding(line, 64), "  ", reason, "\n")
			if c.Blocked != "" {
				tw.Printf("      %s %s\n", tw.Paint(textout.Red, "cannot be executed:"), c.Blocked)
			}
		}
		tw.Printf("\n")
	}
	if len(p.Drift) > 0 {
		tw.Printf("  %s\n", tw.Paint(textout.Bold, "# external roles (reported, never changed by pgward)"))
		for _, d := range p.Drift {
			tw.Printf("  %s %s: %s: want %s, have %s  (%s)\n", tw.Paint(textout.Yellow, "!"), d.Role, d.What, d.Want, d.Have, d.Reason)
		}
		tw.Printf("\n")
	}
	for _, r := range p.Skipped {
		tw.Printf("  %s role %s does not exist yet: skipped (if_missing = \"skip\")\n", tw.Paint(textout.Yellow, "!"), r)
	}
	if len(p.Skipped) > 0 {
		tw.Printf("\n")
	}
	if n := len(p.Kept); n > 0 {
		tw.Printf("  %s %d %s beyond the policy left alone (additive): run without additive to revoke %s\n\n",
			tw.Paint(textout.Yellow, "!"), n, textout.Plural(n, "privilege", "privileges"), textout.Plural(n, "it", "them"))
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
		broken = fmt.Sprintf(" %d %s broken.", len(violations), textout.Plural(len(violations), "invariant", "invariants"))
	}
	switch {
	case len(p.Changes) == 0 && o.Audit && len(p.Drift) == 0 && broken == "" && len(p.Findings) == 0:
		tw.Printf("No drift. The database matches the policy.\n")
	case len(p.Changes) == 0 && !o.Audit && broken == "":
		tw.Printf("No changes. The database matches the policy.\n")
	default:
		blocked := ""
		if s.Blocked > 0 {
			blocked = fmt.Sprintf(" %d cannot be executed by %s (listed above).", s.Blocked, p.ConnectingRole)
		}
		tw.Printf("%s: %d to grant, %d to revoke, %d to alter.%s%s%s\n", subject, s.Grant, s.Revoke, s.Alter, blocked, broken, findingsSummary(p.Findings))
	}
	return tw.Flush()
}

func changeHeader(c *plan.Change) string {
	switch c.Target {
	case plan.TargetObject:
		return textout.ObjectLabel(c.Object)
	case plan.TargetDefault:
		return c.Default.String()
	case plan.TargetMembership, plan.TargetRole, plan.TargetSetting:
		return "role " + string(c.Grantee)
	}
	return ""
}

// WriteSQL writes the statements apply would execute, one per line, with
// SET ROLE around those that run as another grantor. It is for review: apply
// also wraps them in one transaction with a lock and timeouts.
func WriteSQL(w io.Writer, p *plan.Plan) error {
	tw := textout.NewWriter(w, false)
	tw.Printf("-- pgward plan for database %s (PostgreSQL %s), as %s\n", p.Database, plan.VersionString(p.ServerVersion), p.ConnectingRole)
	switch {
	case len(p.Changes) == 0:
		tw.Printf("-- no changes\n")
	case len(p.Statements) == 0:
		tw.Printf("-- nothing %s can execute\n", p.ConnectingRole)
	}
	for _, s := range p.Statements {
		if s.AsRole != "" {
			tw.Printf("SET ROLE %s;\n", ident.Quote(s.AsRole))
		}
		tw.Printf("%s;\n", s.SQL)
		if s.AsRole != "" {
			tw.Printf("RESET ROLE;\n")
		}
	}
	if blocked := p.Blocked(); len(blocked) > 0 {
		tw.Printf("-- not executable by %s, so left out (%d):\n", p.ConnectingRole, len(blocked))
		for _, c := range blocked {
			tw.Printf("--   %s: %s\n", c.SQL(p.ServerVersion), strings.ReplaceAll(c.Blocked, "\n", " "))
		}
	}
	return tw.Flush()
}

// JSONFormatVersion is the version of the JSON plan format (docs/json.md).
// A version is stable: fields are only added; a change that would break a
// consumer bumps the version. Version "2" added errors and warnings, and
// the failure document ([WriteJSONFailure]), which holds no plan.
const JSONFormatVersion = "2"

// JSONOptions tune WriteJSON.
type JSONOptions struct {
	// Warnings are the run's diagnostics, written as "warnings" (errors
	// among them are ignored: a plan with errors is not written, see
	// [WriteJSONFailure]).
	Warnings hcl.Diagnostics
}

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
	// Errors is always empty in a plan: a run with errors writes the
	// failure document instead. Warnings are the run's warnings.
	Errors   []jsonDiagnostic `json:"errors"`
	Warnings []jsonDiagnostic `json:"warnings"`
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

// jsonSetting is a role's parameter value: before and after are null where
// the role has no value (before) or loses it (after, a reset).
type jsonSetting struct {
	Database string   `json:"database,omitempty"`
	Name     string   `json:"name"`
	Before   *string  `json:"before"`
	After    *string  `json:"after"`
	Values   []string `json:"values,omitempty"`
}

type jsonChange struct {
	Action          string          `json:"action"`
	Target          string          `json:"target"`
	Object          *jsonObject     `json:"object,omitempty"`
	Default         *jsonDefault    `json:"default_privileges,omitempty"`
	Membership      *jsonMembership `json:"membership,omitempty"`
	Attributes      []jsonAttribute `json:"attributes,omitempty"`
	Setting         *jsonSetting    `json:"setting,omitempty"`
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

// WriteJSON writes the plan as JSON (format_version [JSONFormatVersion],
// docs/json.md), with the warnings of o.
func WriteJSON(w io.Writer, p *plan.Plan, o JSONOptions) error {
	jp := jsonPlan{
		FormatVersion: JSONFormatVersion, Database: p.Database, ServerVersion: p.ServerVersion,
		ConnectingRole: p.ConnectingRole, Fingerprint: p.Fingerprint(),
		Changes: []jsonChange{}, Statements: []jsonStatement{}, Drift: []jsonDrift{}, Skipped: []string{},
	}
	s := p.Summary()
	jp.Summary = jsonSummary{Grant: s.Grant, Revoke: s.Revoke, Alter: s.Alter, Blocked: s.Blocked, Kept: len(p.Kept)}
	index := map[*plan.Change]int{}
	for i, c := range p.Changes {
		index[c] = i
		jc := jsonChange{Action: c.Action.String(), Grantee: c.Grantee.String(), Privileges: c.Privs.Privs.List(),
			GrantOption: c.Privs.GrantOption != 0, GrantOptionOnly: c.GrantOptionOnly, Cascade: c.Cascade,
			Grantor: c.Grantor, Authority: c.Authority.String(),
			Blocked: c.Blocked, Reason: reasonJSON(c.Reason)}
		switch c.Target {
		case plan.TargetObject:
			jc.Target = "object"
			jc.Object = &jsonObject{Kind: c.Object.Kind.String(), Schema: c.Object.Schema, Name: c.Object.Name, Arguments: c.Object.Args, Column: c.Object.Column, Owner: c.Owner}
			if c.Object.Subkind != 0 {
				jc.Object.Subkind = string(rune(c.Object.Subkind))
			}
		case plan.TargetDefault:
			jc.Target = "default_privileges"
			jc.Default = &jsonDefault{ForRole: c.Default.ForRole, Schema: c.Default.Schema, Kind: c.Default.Kind.String()}
		case plan.TargetMembership:
			jc.Target = "membership"
			m := c.Membership
			jc.Membership = &jsonMembership{Role: m.Role, Grantor: m.Grantor, Admin: m.Admin, Inherit: m.Inherit, Set: m.Set}
		case plan.TargetRole:
			jc.Target = "role"
			for _, a := range c.Attributes {
				jc.Attributes = append(jc.Attributes, jsonAttribute{Name: a.Name, Before: a.Before, After: a.After})
			}
		case plan.TargetSetting:
			jc.Target = "setting"
			st := c.Setting
			js := &jsonSetting{Database: st.Database, Name: st.Name, Values: st.Values}
			if st.WasSet {
				js.Before = &st.Before
			}
			if !st.Reset() {
				js.After = &st.After
			}
			jc.Setting = js
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
	jp.Errors = []jsonDiagnostic{}
	_, jp.Warnings = diagnosticsJSON(o.Warnings)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jp)
}

func violationsJSON(vs []access.Violation) []jsonViolation {
	out := []jsonViolation{}
	for _, v := range vs {
		rule := v.Rule
		out = append(out, jsonViolation{Role: v.Role, Object: v.Object, Privileges: v.Privilege, Path: v.Path, Reason: reasonJSON(plan.Reason{Rule: &rule})})
	}
	return out
}

func reasonJSON(r plan.Reason) jsonReason {
	if r.Rule != nil {
		return jsonReason{File: r.Rule.Filename, Line: r.Rule.Start.Line, Text: r.Text}
	}
	return jsonReason{Text: r.Text}
}

// writeViolations writes the invariants the plan leaves broken (or, for an
// audit, that are broken now), one line each, with the rule that states
// them.
func writeViolations(tw *textout.Writer, vs []access.Violation) {
	if len(vs) == 0 {
		return
	}
	tw.Printf("  %s\n", tw.Paint(textout.Bold, "# invariants broken"))
	for _, v := range vs {
		rule := ""
		if v.Rule.Filename != "" {
			rule = fmt.Sprintf(" (%s:%d)", v.Rule.Filename, v.Rule.Start.Line)
		}
		tw.Printf("  %s %s: %s on %s via %s%s\n", tw.Paint(textout.Red, "✗"), v.Role, v.Privilege, v.Object, v.Path, rule)
	}
	tw.Printf("\n")
}
