package render

import (
	"fmt"
	"strings"

	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/plan"
)

// writeFindings writes the audit findings of the text report: objects owned
// by another role, then owner sessions.
func writeFindings(tw *textout.Writer, fs []plan.Finding) {
	for _, k := range []plan.FindingKind{plan.FindingOwner, plan.FindingSession} {
		header := "# objects not owned by the declared owner (default privileges did not fire)"
		if k == plan.FindingSession {
			header = "# owner sessions outside a migration"
		}
		printed := false
		for _, f := range fs {
			if f.Kind != k {
				continue
			}
			if !printed {
				tw.Printf("  %s\n", tw.Paint(textout.Bold, header))
				printed = true
			}
			where := ""
			if r := f.Reason.String(); r != "" {
				where = "  (" + r + ")"
			}
			tw.Printf("  %s %s%s\n      fix: %s\n", tw.Paint(textout.Yellow, "!"), f.Message, where, f.Fix)
		}
		if printed {
			tw.Printf("\n")
		}
	}
}

// findingsSummary is the text report's summary of the findings: "" when
// there are none, else " 2 objects owned by another role, 1 owner session."
func findingsSummary(fs []plan.Finding) string {
	var objects, sessions int
	for _, f := range fs {
		switch f.Kind {
		case plan.FindingOwner:
			objects++
		case plan.FindingSession:
			sessions += f.Sessions
		}
	}
	var parts []string
	if objects > 0 {
		parts = append(parts, fmt.Sprintf("%d %s owned by another role", objects, textout.Plural(objects, "object", "objects")))
	}
	if sessions > 0 {
		parts = append(parts, fmt.Sprintf("%d owner %s", sessions, textout.Plural(sessions, "session", "sessions")))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, ", ") + "."
}

// markdownFindings are the "Needs attention" lines of the findings.
func markdownFindings(fs []plan.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("- :warning: %s; fix: %s", f.Message, mdCode(f.Fix)))
	}
	return out
}

type jsonFinding struct {
	Kind            string      `json:"kind"`
	Role            string      `json:"role"`
	Message         string      `json:"message"`
	Object          *jsonObject `json:"object,omitempty"`
	WantOwner       string      `json:"want_owner,omitempty"`
	ApplicationName *string     `json:"application_name,omitempty"`
	Sessions        int         `json:"sessions,omitempty"`
	Fix             string      `json:"fix"`
	Reason          jsonReason  `json:"reason"`
}

// findingsJSON is the findings array of the JSON report; nil (the key left
// out) for a plan, which has no findings, rather than an audit's empty list.
func findingsJSON(fs []plan.Finding) *[]jsonFinding {
	if fs == nil {
		return nil
	}
	out := []jsonFinding{}
	for _, f := range fs {
		jf := jsonFinding{Kind: string(f.Kind), Role: f.Role, Message: f.Message, Fix: f.Fix, Reason: reasonJSON(f.Reason)}
		switch f.Kind {
		case plan.FindingOwner:
			o := f.Object
			jf.Object = &jsonObject{Kind: o.Kind.String(), Schema: o.Schema, Name: o.Name, Arguments: o.Args, Owner: f.Role}
			if o.Subkind != 0 {
				jf.Object.Subkind = string(rune(o.Subkind))
			}
			jf.WantOwner = f.WantOwner
		case plan.FindingSession:
			app := f.ApplicationName
			jf.ApplicationName = &app
			jf.Sessions = f.Sessions
		}
		out = append(out, jf)
	}
	return &out
}
