package textout

import "strings"

// Plural is one when n is 1, else many: "1 role", "2 roles".
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// OneLine is s on one line, for messages that end up on one line of a
// log or a terminal: its lines joined with single spaces. A string of one
// line is returned as it is.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
