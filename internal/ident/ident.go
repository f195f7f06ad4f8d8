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

// SearchPath is the search_path under which pgward reads and writes. Names
// PostgreSQL formats for pgward (function signatures above all:
// pg_get_function_identity_arguments qualifies exactly the types that
// search_path does not make visible) then depend on nothing the connection
// says: not a URL's options, not ALTER ROLE or ALTER DATABASE … SET
// search_path. Built-in types stay unqualified ("integer"), every other
// type is schema-qualified ("app.money"), and pg_temp comes last so that a
// temporary object can never stand in for a built-in one.
const SearchPath = "pg_catalog, pg_temp"

// StripSchemas removes the schema qualification from every name in a list
// of types as PostgreSQL formats it ("app.d, \"My Schema\".\"D\"[]" becomes
// "d, \"D\"[]"), leaving quoting, spacing, array brackets and argument
// names as they were. A policy that names an argument type without its
// schema is matched against a signature passed through it.
func StripSchemas(types string) string {
	if strings.IndexByte(types, '.') < 0 {
		return types
	}
	var b strings.Builder
	b.Grow(len(types))
	for i := 0; i < len(types); {
		c := types[i]
		if c != '"' && !isIdentStart(c) {
			b.WriteByte(c)
			i++
			continue
		}
		end := identEnd(types, i)
		// A qualifier starts a name: dropping one never joins what is left
		// to the name before it.
		if end < len(types) && types[end] == '.' && startsName(b.String()) {
			i = end + 1
			continue
		}
		b.WriteString(types[i:end])
		i = end
	}
	return b.String()
}

// identEnd returns the end of the identifier starting at types[i]: a quoted
// one (with doubled quotes inside; an unterminated one runs to the end) or
// a bare one.
func identEnd(types string, i int) int {
	if types[i] == '"' {
		for j := i + 1; j < len(types); j++ {
			if types[j] != '"' {
				continue
			}
			if j+1 < len(types) && types[j+1] == '"' {
				j++
				continue
			}
			return j + 1
		}
		return len(types)
	}
	j := i + 1
	for j < len(types) && (isIdentStart(types[j]) || types[j] >= '0' && types[j] <= '9' || types[j] == '$') {
		j++
	}
	return j
}

// startsName reports whether a name written after out would start a new
// one rather than continue the last.
func startsName(out string) bool {
	if out == "" {
		return true
	}
	c := out[len(out)-1]
	return c != '"' && c != '.' && c != '$' && !isIdentStart(c) && !(c >= '0' && c <= '9')
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}
