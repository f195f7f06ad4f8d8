package policy

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/didyoumean"
	"github.com/pgward/pgward/internal/textout"
)

// FormatDiagnostics renders diagnostics one per line, without source
// snippets:
//
//	policy.hcl:12:20: error: Unknown privilege; "SELCT" is not a PostgreSQL privilege. Did you mean "SELECT"?
//
// A diagnostic without a Subject (an undeclared --var, an unreadable path)
// has no position prefix. Warnings say "warning". Line breaks inside a
// Summary or Detail are folded into spaces so that each diagnostic stays on
// one line. The result ends with a newline unless diags is empty.
func FormatDiagnostics(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		if d == nil {
			continue
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		if d.Severity == hcl.DiagWarning {
			b.WriteString("warning: ")
		} else {
			b.WriteString("error: ")
		}
		b.WriteString(textout.OneLine(d.Summary))
		if d.Detail != "" {
			b.WriteString("; ")
			b.WriteString(textout.OneLine(d.Detail))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// pos is the "file:line:col" form of a range's start, for details that
// point at a second place (the first declaration of a duplicate).
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// suggest is didyoumean.Suggest.
func suggest(given string, candidates []string) string { return didyoumean.Suggest(given, candidates) }

// didYouMean is suggest as a sentence to append to a Detail, or "".
func didYouMean(given string, candidates []string) string {
	return didyoumean.Sentence(given, candidates)
}
