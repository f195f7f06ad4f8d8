package policy

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// FormatDiagnostics renders diagnostics one per line, without source
// snippets:
//
//	policy.hcl:12:20: error: Unknown privilege; "SELCT" is not a PostgreSQL privilege. Did you mean "SELECT"?
//
// A diagnostic without a Subject (an undeclared -var, an unreadable path)
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
		b.WriteString(oneLine(d.Summary))
		if d.Detail != "" {
			b.WriteString("; ")
			b.WriteString(oneLine(d.Detail))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// pos is the "file:line:col" form of a range's start, for details that
// point at a second place (the first declaration of a duplicate).
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// suggest returns the candidate closest to given (case-insensitively), or ""
// when none is close enough to be a likely typo. Earlier candidates win
// ties, so callers list the most likely ones first.
func suggest(given string, candidates []string) string {
	// Long inputs are not typos of short keywords, and the distance is
	// quadratic: do not let hostile input make it expensive.
	if given == "" || len(given) > 128 {
		return ""
	}
	g := strings.ToLower(given)
	best, bestDist := "", 3 // a distance below 3 is a likely typo (hcl's threshold)
	for _, c := range candidates {
		if c == given {
			continue
		}
		d := levenshtein(g, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean is suggest as a sentence to append to a Detail, or "".
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
