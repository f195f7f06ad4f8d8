package plan

import (
	"strconv"
	"strings"

	"github.com/pgward/pgward/internal/acl"
)

// DescribeStateDiff says in words how a catalog state changed between two
// [StateLines] results, one sentence per object, role, membership or
// default ACL that differs, and per grantee whose privileges differ:
//
//	table public.accounts: tuist_web gained TRUNCATE (granted by tuist_app): SELECT, INSERT → SELECT, INSERT, TRUNCATE
//	table public.surprise was created (owner tuist_app)
//	role tuist_web: login true → false
//
// A line it cannot read (a state written by another pgward) is given as
// [StateDiff] gives it ("- line", "+ line").
func DescribeStateDiff(before, after []string) []string {
	type pair struct{ before, after *stateLine }
	var (
		order []string
		pairs = map[string]*pair{}
		out   []string
	)
	for _, d := range StateDiff(before, after) {
		l, ok := parseStateLine(d[2:])
		if !ok {
			out = append(out, d)
			continue
		}
		p := pairs[l.key]
		if p == nil {
			p = &pair{}
			pairs[l.key] = p
			order = append(order, l.key)
		}
		if d[0] == '-' {
			p.before = l
		} else {
			p.after = l
		}
	}
	var said []string
	for _, k := range order {
		said = append(said, describePair(pairs[k].before, pairs[k].after)...)
	}
	return append(said, out...)
}

// stateLine is one line of StateLines, read back.
type stateLine struct {
	key   string
	what  string            // "role", "membership", "object", "default", "database"
	name  string            // how the sentence names it: "table public.t", "role bob"
	attrs map[string]string // key=value words; owner; connection
	order []string          // attrs in line order
	acl   map[string]acl.Privileges
	// for memberships
	member, role, grantor string
}

// stateTokens splits a state line into words: quoted strings come back
// unquoted, the bracketed ACL as one token with its brackets.
func stateTokens(s string) ([]string, bool) {
	var toks []string
	for s != "" {
		switch s[0] {
		case ' ':
			s = s[1:]
			continue
		case '"':
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, false
			}
			u, _ := strconv.Unquote(q)
			toks = append(toks, u)
			s = s[len(q):]
			continue
		case '[':
			end := aclEnd(s)
			if end < 0 {
				return nil, false
			}
			toks = append(toks, s[:end+1])
			s = s[end+1:]
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		toks = append(toks, s[:i])
		s = s[i:]
	}
	return toks, true
}

// aclEnd is the index of the ']' that closes the ACL s starts with.
func aclEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case ']':
			return i
		case '"':
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return -1
			}
			i += len(q) - 1
		}
	}
	return -1
}

// parseACL reads "[\"grantee\"=privs/\"grantor\" …]" into privileges by
// grantee and grantor ("grantee\x00grantor").
func parseACL(s string) (map[string]acl.Privileges, bool) {
	out := map[string]acl.Privileges{}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	for s != "" {
		s = strings.TrimLeft(s, " ")
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return nil, false
		}
		grantee, _ := strconv.Unquote(q)
		s = s[len(q):]
		slash := strings.IndexByte(s, '/')
		if !strings.HasPrefix(s, "=") || slash < 0 {
			return nil, false
		}
		_, _, privs, err := acl.ParseItem("x=" + s[1:slash] + "/y")
		if err != nil {
			return nil, false
		}
		s = s[slash+1:]
		q, err = strconv.QuotedPrefix(s)
		if err != nil {
			return nil, false
		}
		grantor, _ := strconv.Unquote(q)
		s = s[len(q):]
		out[grantee+"\x00"+grantor] = privs
	}
	return out, true
}

func parseStateLine(s string) (*stateLine, bool) {
	t, ok := stateTokens(s)
	if !ok || len(t) < 2 {
		return nil, false
	}
	l := &stateLine{attrs: map[string]string{}}
	words := func(ws []string) bool {
		for _, w := range ws {
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				return false
			}
			l.attrs[k] = v
			l.order = append(l.order, k)
		}
		return true
	}
	var err bool
	switch {
	case t[0] == "database" && len(t) == 6 && t[2] == "on" && t[4] == "as":
		l.key, l.what, l.name = "database", "database", "the connection"
		l.attrs["database"], l.attrs["server version"], l.attrs["connected as"] = t[1], t[3], t[5]
		l.order = []string{"database", "server version", "connected as"}
	case t[0] == "role":
		l.key, l.what, l.name = "role\x00"+t[1], "role", "role "+t[1]
		err = !words(t[2:])
	case t[0] == "membership" && len(t) >= 7 && t[2] == "in" && t[4] == "granted" && t[5] == "by":
		l.key, l.what = "membership\x00"+t[1]+"\x00"+t[3]+"\x00"+t[6], "membership"
		l.member, l.role, l.grantor = t[1], t[3], t[6]
		l.name = "membership of " + t[1] + " in " + t[3] + " (granted by " + t[6] + ")"
		err = !words(t[7:])
	case t[0] == "default" && len(t) == 9 && t[1] == "privileges" && t[2] == "for" && t[4] == "in" && t[6] == "on":
		l.key, l.what = "default\x00"+t[3]+"\x00"+t[5]+"\x00"+t[7], "default"
		where := "in schema " + t[5]
		if t[5] == "" {
			where = "in every schema"
		}
		l.name = "default privileges for " + t[7] + " created by " + t[3] + " " + where
		l.acl, ok = parseACL(t[8])
		err = !ok
	case len(t) == 6 && t[2] == "owner" && t[4] == "acl":
		l.key, l.what, l.name = "object\x00"+t[0]+"\x00"+t[1], "object", t[0]+" "+t[1]
		l.attrs["owner"] = t[3]
		l.order = []string{"owner"}
		l.acl, ok = parseACL(t[5])
		err = !ok
	default:
		return nil, false
	}
	if err {
		return nil, false
	}
	return l, true
}

// describePair says how one thing changed; before or after is nil when it
// is new or gone.
func describePair(before, after *stateLine) []string {
	l := after
	if l == nil {
		l = before
	}
	switch {
	case before == nil && l.what == "membership":
		return []string{l.member + " became a member of " + l.role + " (granted by " + l.grantor + ")"}
	case after == nil && l.what == "membership":
		return []string{l.member + " is no longer a member of " + l.role + " (granted by " + l.grantor + ")"}
	case before == nil && l.what == "object":
		return []string{l.name + " was created (owner " + l.attrs["owner"] + ")"}
	case after == nil && l.what == "object":
		return []string{l.name + " was dropped"}
	case before == nil && l.what == "role":
		return []string{l.name + " was created"}
	case after == nil && l.what == "role":
		return []string{l.name + " was dropped"}
	}
	var out, attrs []string
	if before != nil && after != nil {
		for _, k := range after.order {
			if before.attrs[k] != after.attrs[k] {
				attrs = append(attrs, k+" "+before.attrs[k]+" → "+after.attrs[k])
			}
		}
	}
	if len(attrs) > 0 {
		out = append(out, l.name+": "+strings.Join(attrs, ", "))
	}
	var b, a map[string]acl.Privileges
	if before != nil {
		b = before.acl
	}
	if after != nil {
		a = after.acl
	}
	for _, k := range sortedKeys(union(b, a)) {
		was, now := b[k], a[k]
		if was == now {
			continue
		}
		grantee, grantor, _ := strings.Cut(k, "\x00")
		out = append(out, l.name+": "+acl.Grantee(grantee).String()+" "+privChange(was, now)+" (granted by "+grantor+"): "+privWords(was)+" → "+privWords(now))
	}
	return out
}

func union(a, b map[string]acl.Privileges) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// privChange says what a grantee gained and lost: "gained TRUNCATE",
// "lost INSERT and gained the grant option on SELECT".
func privChange(was, now acl.Privileges) string {
	var parts []string
	if p := now.Privs &^ was.Privs; p != 0 {
		parts = append(parts, "gained "+p.String())
	}
	if p := was.Privs &^ now.Privs; p != 0 {
		parts = append(parts, "lost "+p.String())
	}
	if p := now.GrantOption &^ was.GrantOption &^ (now.Privs &^ was.Privs); p != 0 {
		parts = append(parts, "gained the grant option on "+p.String())
	}
	if p := was.GrantOption &^ now.GrantOption & now.Privs; p != 0 {
		parts = append(parts, "lost the grant option on "+p.String())
	}
	return strings.Join(parts, " and ")
}

// privWords lists privileges as SQL keywords, "WITH GRANT OPTION" after
// the grantable ones, or "nothing".
func privWords(p acl.Privileges) string {
	if p.Privs == 0 {
		return "nothing"
	}
	var out []string
	p.Privs.Each(func(q acl.Priv) {
		s := q.String()
		if p.GrantOption&q != 0 {
			s += " WITH GRANT OPTION"
		}
		out = append(out, s)
	})
	return strings.Join(out, ", ")
}
