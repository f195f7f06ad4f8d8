package prcheck

import (
	"slices"
	"strings"
)

// step is what loading does with one statement of a dump.
type step uint8

const (
	// The zero value is invalid.
	_ step = iota
	// stepRun runs the statement as the current role (the owner role,
	// unless the dump switched).
	stepRun
	// stepSuperuser runs the statement as the superuser: what no owner
	// role may do (CREATE EXTENSION, COMMENT ON EXTENSION, CREATE EVENT
	// TRIGGER, CREATE LANGUAGE, CREATE FOREIGN DATA WRAPPER, roles), and
	// what hands an object to another role (OWNER TO, CREATE SCHEMA …
	// AUTHORIZATION).
	stepSuperuser
	// stepSwitch makes the role the dump names current (SET ROLE, SET
	// SESSION AUTHORIZATION).
	stepSwitch
	// stepReset makes the owner role current again (RESET ROLE, SET ROLE
	// NONE, RESET SESSION AUTHORIZATION, SET SESSION AUTHORIZATION
	// DEFAULT).
	stepReset
)

// notRoles are the words that stand where a role name may, without being
// one.
var notRoles = []string{"public", "current_user", "session_user", "current_role", "group", "none", "default"}

// classify says what loading does with st; for stepSwitch, the role too.
func classify(st Statement, owner string) (step, string) {
	switch {
	case st.is("set", "role"), st.is("set", "session", "role"), st.is("set", "local", "role"),
		st.is("set", "session", "authorization"), st.is("set", "local", "session", "authorization"):
		i := slices.IndexFunc(st.tokens, func(t token) bool { return t.text == "role" || t.text == "authorization" }) + 1
		switch r := st.after(i); r {
		case "":
			return stepRun, "" // a name in a string literal: run it as written
		case "none", "default":
			return stepReset, ""
		default:
			return stepSwitch, r
		}
	case st.is("reset", "role"), st.is("reset", "session", "authorization"):
		return stepReset, ""
	case st.is("create", "extension"), st.is("alter", "extension"), st.is("drop", "extension"),
		st.is("comment", "on", "extension"),
		st.is("create", "event", "trigger"), st.is("alter", "event", "trigger"), st.is("comment", "on", "event", "trigger"),
		st.is("create", "language"), st.is("create", "trusted"), st.is("create", "procedural"),
		st.is("create", "or", "replace", "language"), st.is("create", "or", "replace", "trusted"), st.is("create", "or", "replace", "procedural"),
		st.is("create", "foreign", "data", "wrapper"), st.is("alter", "foreign", "data", "wrapper"),
		st.is("create", "role"), st.is("create", "user"), st.is("create", "group"),
		st.is("alter", "role"), st.is("alter", "user"), st.is("alter", "group"):
		return stepSuperuser, ""
	}
	for _, r := range st.namesAfter([]string{"owner", "to"}, 1) {
		if r != owner {
			return stepSuperuser, ""
		}
	}
	if st.is("create", "schema") {
		for _, r := range st.namesAfter([]string{"authorization"}, 1) {
			if r != owner {
				return stepSuperuser, ""
			}
		}
	}
	return stepRun, ""
}

// after returns the role name at token i, or "".
func (s Statement) after(i int) string {
	if i <= 0 || i >= len(s.tokens) || !s.tokens[i].word {
		return ""
	}
	return s.tokens[i].text
}

// RoleNames returns the roles the statement names: the new owner of
// OWNER TO, the grantees of GRANT … TO and REVOKE … FROM, the roles of ALTER
// DEFAULT PRIVILEGES FOR ROLE, of CREATE POLICY … TO, of CREATE SCHEMA …
// AUTHORIZATION, and the role of SET ROLE and SET SESSION AUTHORIZATION. It
// reads conservatively: only role names in those places, never PUBLIC,
// CURRENT_USER and the like, and no predefined pg_* role.
func (s Statement) RoleNames() []string {
	var names []string
	names = append(names, s.namesAfter([]string{"owner", "to"}, 1)...)
	switch {
	case s.is("grant"):
		names = append(names, s.namesAfter([]string{"to"}, -1)...)
	case s.is("revoke"):
		names = append(names, s.namesAfter([]string{"from"}, -1)...)
	case s.is("alter", "default", "privileges"):
		names = append(names, s.namesAfter([]string{"for", "role"}, -1)...)
		names = append(names, s.namesAfter([]string{"for", "user"}, -1)...)
		names = append(names, s.namesAfter([]string{"to"}, -1)...)
		names = append(names, s.namesAfter([]string{"from"}, -1)...)
	case s.is("create", "policy"), s.is("alter", "policy"):
		names = append(names, s.namesAfter([]string{"to"}, -1)...)
	case s.is("create", "schema"):
		names = append(names, s.namesAfter([]string{"authorization"}, 1)...)
	}
	if st, r := classify(s, ""); st == stepSwitch {
		names = append(names, r)
	}
	var out []string
	for _, n := range names {
		if n == "" || slices.Contains(notRoles, n) || strings.HasPrefix(n, "pg_") || slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// namesAfter returns the comma-separated names that follow the words kw at
// parenthesis depth 0 (at most max of them; -1: any number).
func (s Statement) namesAfter(kw []string, max int) []string {
	depth := 0
	for i := 0; i < len(s.tokens); i++ {
		t := s.tokens[i]
		switch t.text {
		case "(":
			depth++
			continue
		case ")":
			depth--
			continue
		}
		if depth != 0 || !s.wordsAt(i, kw) {
			continue
		}
		var names []string
		j := i + len(kw)
		for j < len(s.tokens) {
			if s.tokens[j].word && !s.tokens[j].quoted && s.tokens[j].text == "group" {
				j++ // GRANT … TO GROUP name
				continue
			}
			if !s.tokens[j].word || s.tokens[j].text == "'" {
				break
			}
			names = append(names, s.tokens[j].text)
			if max > 0 && len(names) == max {
				break
			}
			if j+1 < len(s.tokens) && s.tokens[j+1].text == "," {
				j += 2
				continue
			}
			break
		}
		return names
	}
	return nil
}

// wordsAt reports whether the bare words kw start at token i.
func (s Statement) wordsAt(i int, kw []string) bool {
	if i+len(kw) > len(s.tokens) {
		return false
	}
	for k, w := range kw {
		t := s.tokens[i+k]
		if !t.word || t.quoted || t.text != w {
			return false
		}
	}
	return true
}
