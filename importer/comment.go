package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pgward/pgward/plan"
)

// This file holds the comments every writer puts in an import: the header
// and the wrapping of comment text. A writer adds its own comment marker.

// commentWidth is where comment text is wrapped, the marker ("# ") and
// the indentation of a top-level comment excluded.
const commentWidth = 76

// headerLines is the comment at the top of an import, as lines of text
// without the comment marker; "" is an empty comment line. It says where
// and when the policy was imported, then lists the notes.
func headerLines(im *Import) []string {
	s := im.Source
	line := fmt.Sprintf("Imported by pgward import from database %s on PostgreSQL %s", strconv.Quote(s.Database), plan.VersionString(s.ServerVersion))
	if s.ConnectedAs != "" {
		line += ", connected as " + display(s.ConnectedAs)
	}
	if s.Origin != "" {
		line += " to " + s.Origin
	}
	if !s.Time.IsZero() {
		line += ", at " + s.Time.UTC().Format(time.RFC3339)
	}
	lines := wrapText("", "", commentWidth, line+".")
	lines = append(lines, "")
	lines = append(lines, wrapText("", "", commentWidth, "Against the database it was imported from, pgward plan shows no changes"+
		unlessNotes(im)+". Review it, then tighten it.")...)
	if len(im.Notes) == 0 {
		return lines
	}
	lines = append(lines, "")
	lines = append(lines, wrapText("", "", commentWidth, "What this policy leaves out or cannot reproduce:")...)
	for _, n := range im.Notes {
		lines = append(lines, wrapText("- ", "  ", commentWidth, n.Text)...)
	}
	return lines
}

func unlessNotes(im *Import) string {
	for _, n := range im.Notes {
		if n.Reason == ReasonThirdGrantor || n.Reason == ReasonResidual {
			return " but those the notes below announce"
		}
	}
	return ""
}

// wrapText splits text into lines of at most width bytes where the words
// allow, the first line starting with first and the others with rest.
// Characters that would end a comment line or hide text are escaped.
func wrapText(first, rest string, width int, text string) []string {
	var lines []string
	line := first
	empty := true
	for _, w := range strings.Fields(commentSafe(text)) {
		if !empty && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	return append(lines, line)
}

// commentSafe escapes the characters that would end a comment line or
// hide text: names may hold any of them.
func commentSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
