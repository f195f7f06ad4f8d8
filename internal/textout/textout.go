package textout

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/pgward/pgward/internal/acl"
)

// ANSI codes for [Writer.Paint].
const (
	Reset  = "\x1b[0m"
	Green  = "\x1b[32m"
	Red    = "\x1b[31m"
	Yellow = "\x1b[33m"
	Bold   = "\x1b[1m"
)

// Writer buffers: a plan of tens of thousands of changes is as many
// printf calls, and each unbuffered one was a write system call. It keeps
// the first error; [Writer.Flush] returns it.
type Writer struct {
	w     *bufio.Writer
	color bool
	err   error
}

// NewWriter writes to w, with ANSI colours when color is set.
func NewWriter(w io.Writer, color bool) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), color: color}
}

// WriteStrings writes each string in turn.
func (t *Writer) WriteStrings(ss ...string) {
	for _, s := range ss {
		if t.err != nil {
			return
		}
		_, t.err = t.w.WriteString(s)
	}
}

// Padding is the spaces that bring s to width runes, as fmt's %-*s pads.
func Padding(s string, width int) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

// Flush writes what is buffered and returns the first error.
func (t *Writer) Flush() error {
	if t.err == nil {
		t.err = t.w.Flush()
	}
	return t.err
}

// Printf formats as fmt.Fprintf does.
func (t *Writer) Printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// Paint wraps s in the ANSI code when colours are on.
func (t *Writer) Paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + Reset
}

// ObjectLabel is the kind and name of an object for people: "view
// public.v", "procedure public.p(integer)", "column public.t.email",
// "foreign data wrapper fdw".
func ObjectLabel(o acl.Object) string {
	k := strings.ReplaceAll(o.Kind.String(), "_", " ")
	switch {
	case o.Kind == acl.KindFunction && o.Subkind == 'p':
		k = "procedure"
	case o.Kind == acl.KindTable:
		k = RelkindName(o.Subkind)
	}
	return k + " " + o.String()
}

// RelkindName names a table-kind relation by its pg_class.relkind: "view",
// "materialized view", "partitioned table", "foreign table" or "table".
func RelkindName(k byte) string {
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

// Write writes p to the buffer, so that one renderer can write into
// another's output.
func (t *Writer) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.w.Write(p)
	t.err = err
	return n, err
}

// ActionColor is the colour of a change's action symbol: green for a
// grant (+), red for a revoke (-), yellow for the rest (~).
func ActionColor(symbol rune) string {
	switch symbol {
	case '+':
		return Green
	case '-':
		return Red
	}
	return Yellow
}
