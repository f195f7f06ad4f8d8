package ident

import (
	"fmt"
	"strings"
)

// MaxLen is PostgreSQL's NAMEDATALEN-1: longer names are truncated by the
// server, so pgward rejects them.
const MaxLen = 63

// Quote returns name as a double-quoted SQL identifier, with embedded double
// quotes doubled. Quoting always is the only form that survives case, spaces,
// keywords and unicode. It panics on NUL, which no catalog name can hold;
// callers validate user input with Check first.
func Quote(name string) string {
	if strings.IndexByte(name, 0) >= 0 {
		panic(fmt.Sprintf("ident: NUL byte in identifier %q", name))
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteQualified quotes a schema-qualified name.
func QuoteQualified(schema, name string) string {
	if schema == "" {
		return Quote(name)
	}
	return Quote(schema) + "." + Quote(name)
}

// Literal returns s as a standard-conforming SQL string literal.
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Check reports why name cannot be an identifier, or nil.
func Check(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty name")
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("name %q contains a NUL byte", name)
	case len(name) > MaxLen:
		return fmt.Errorf("name %q is %d bytes long; PostgreSQL truncates names to %d bytes", name, len(name), MaxLen)
	}
	return nil
}
