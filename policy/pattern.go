package policy

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// IsGlob reports whether the pattern holds a wildcard (* or ?). Exact names
// rank above globs when rules overlap (see [Grant]).
func (p Pattern) IsGlob() bool { return strings.ContainsAny(p.Text, "*?") }

// HasSignature reports whether a function pattern names argument types:
// "lookup(integer, text)". Without a signature a function pattern matches
// every overload of the names it matches.
func (p Pattern) HasSignature() bool {
	return strings.HasSuffix(p.Text, ")") && strings.Contains(p.Text, "(")
}

// Match reports whether s matches the pattern: * matches any run of
// characters (also none), ? exactly one character, everything else itself,
// case-sensitively, as PostgreSQL compares names. For a function pattern
// with a signature, s is "name(type, type)" with the types spelled as
// PostgreSQL's format_type prints them and joined by ", "; without one, s is
// the bare name.
func (p Pattern) Match(s string) bool { return globMatch(p.Text, s) }

// globMatch is a linear-time wildcard match (the classic two-pointer
// algorithm with one backtrack point), over runes.
func globMatch(pattern, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			pc, pw := utf8.DecodeRuneInString(pattern[pi:])
			_, sw := utf8.DecodeRuneInString(s[si:])
			switch {
			case pc == '*':
				starP, starS = pi, si
				pi += pw
				continue
			case pc == '?' || pattern[pi:pi+pw] == s[si:si+sw]:
				pi += pw
				si += sw
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last * swallow one more character and retry.
		_, sw := utf8.DecodeRuneInString(s[starS:])
		starS += sw
		si = starS
		pi = starP + 1
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// typeAliases maps the short type names people write to the names
// PostgreSQL's format_type prints, which is what plan compares with.
var typeAliases = map[string]string{
	"int":         "integer",
	"int4":        "integer",
	"int8":        "bigint",
	"int2":        "smallint",
	"bool":        "boolean",
	"varchar":     "character varying",
	"char":        "character",
	"bpchar":      "character",
	"varbit":      "bit varying",
	"timestamptz": "timestamp with time zone",
	"timestamp":   "timestamp without time zone",
	"timetz":      "time with time zone",
	"time":        "time without time zone",
	"float8":      "double precision",
	"float":       "double precision",
	"float4":      "real",
	"decimal":     "numeric",
}

// normalizeSignature turns "lookup( int ,text )" into
// "lookup(integer, text)": the name is trimmed, each argument type has its
// whitespace collapsed and a known alias replaced; the spelling of other
// types is kept as written.
func normalizeSignature(s string) (string, error) {
	t := strings.TrimSpace(s)
	open := strings.IndexByte(t, '(')
	if !strings.HasSuffix(t, ")") {
		return "", errors.New(`a signature ends with ")", as in "lookup(integer, text)"`)
	}
	if open < 0 {
		return "", errors.New(`a signature opens with "(" after the name, as in "lookup(integer, text)"`)
	}
	name := strings.TrimSpace(t[:open])
	if name == "" {
		return "", errors.New(`the function name is missing before "("`)
	}
	inner := t[open+1 : len(t)-1]
	if strings.ContainsAny(inner, "()") {
		return "", errors.New(`argument types take no modifiers in a signature: write "numeric", not "numeric(10,2)"`)
	}
	if strings.TrimSpace(inner) == "" {
		return name + "()", nil
	}
	args := strings.Split(inner, ",")
	for i, a := range args {
		a = strings.Join(strings.Fields(a), " ")
		if a == "" {
			return "", errors.New("an argument type is empty")
		}
		args[i] = normalizeType(a)
	}
	return name + "(" + strings.Join(args, ", ") + ")", nil
}

func normalizeType(t string) string {
	base, arrays := t, ""
	for strings.HasSuffix(base, "[]") {
		base = strings.TrimSpace(strings.TrimSuffix(base, "[]"))
		arrays += "[]"
	}
	if canon, ok := typeAliases[strings.ToLower(base)]; ok {
		base = canon
	}
	return base + arrays
}
