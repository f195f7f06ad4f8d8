package acl

import (
	"errors"
	"fmt"
	"strings"
)

// ParseItem parses one aclitem in PostgreSQL's text form,
// grantee=privileges/grantor ("alice=arw*/owner", "=U/owner" for PUBLIC),
// into the grantee and grantor names as the server printed them ("" for
// PUBLIC) and the privileges, '*' marking a grant option. A name that is
// not plain (letters, digits, underscores) comes double-quoted, with '"'
// doubled inside; a role that no longer exists prints as its OID.
//
// Reading ACLs as text and parsing them here is what lets introspection
// read one row per object instead of one per privilege (aclexplode).
func ParseItem(s string) (grantee, grantor string, p Privileges, err error) {
	grantee, rest, err := parseName(s)
	if err != nil {
		return "", "", Privileges{}, fmt.Errorf("aclitem %q: grantee: %w", s, err)
	}
	if !strings.HasPrefix(rest, "=") {
		return "", "", Privileges{}, fmt.Errorf("aclitem %q: want '=' after the grantee", s)
	}
	rest = rest[1:]
	for len(rest) > 0 && rest[0] != '/' {
		priv, ok := privByLetter(rest[0])
		if !ok {
			return "", "", Privileges{}, fmt.Errorf("aclitem %q: unknown privilege letter %q", s, rest[0])
		}
		p.Privs |= priv
		rest = rest[1:]
		if strings.HasPrefix(rest, "*") {
			p.GrantOption |= priv
			rest = rest[1:]
		}
	}
	if !strings.HasPrefix(rest, "/") {
		return "", "", Privileges{}, fmt.Errorf("aclitem %q: want '/' before the grantor", s)
	}
	grantor, rest, err = parseName(rest[1:])
	if err != nil {
		return "", "", Privileges{}, fmt.Errorf("aclitem %q: grantor: %w", s, err)
	}
	if rest != "" || grantor == "" {
		return "", "", Privileges{}, fmt.Errorf("aclitem %q: want one grantor name after '/'", s)
	}
	return grantee, grantor, p, nil
}

// parseName reads a role name at the start of s, quoted or not, and returns
// the rest.
func parseName(s string) (name, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		i := strings.IndexAny(s, "=/")
		if i < 0 {
			i = len(s)
		}
		return s[:i], s[i:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", errors.New("unterminated quoted name")
}

func privByLetter(c byte) (Priv, bool) {
	for _, e := range privOrder {
		if e.letter == c {
			return e.p, true
		}
	}
	return 0, false
}
