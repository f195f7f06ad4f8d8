package plan

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// stateLinesFmt is StateLines as first written, with fmt. StateLines now
// appends with strconv for speed; saved plans hold fingerprints of this
// text, so the two must agree byte for byte.
func stateLinesFmt(c *catalog.Catalog) []string {
	itemsKey := func(items []acl.Item) string {
		s := make([]string, len(items))
		for i, it := range items {
			s[i] = fmt.Sprintf("%q=%s/%q", string(it.Grantee), it.Privs, it.Grantor)
		}
		sort.Strings(s)
		return fmt.Sprint(s)
	}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("database %q on %d as %q", c.Database, c.ServerVersion, c.CurrentUser)
	for _, name := range sortedKeys(c.Roles) {
		r := c.Roles[name]
		add("role %q superuser=%t login=%t inherit=%t createdb=%t createrole=%t replication=%t bypassrls=%t connection_limit=%d valid_until=%s",
			r.Name, r.Superuser, r.Login, r.Inherit, r.CreateDB, r.CreateRole, r.Replication, r.BypassRLS, r.ConnectionLimit, formatValidUntil(r.ValidUntil))
	}
	for _, m := range c.Memberships {
		add("membership %q in %q granted by %q admin=%t inherit=%t set=%t", m.Member, m.Role, m.Grantor, m.Admin, m.Inherit, m.Set)
	}
	for _, o := range c.Objects {
		add("%s %q owner %q acl %s", o.Kind, o.String(), o.Owner, itemsKey(o.ACL))
	}
	for _, d := range c.DefaultPrivileges {
		add("default privileges for %q in %q on %ss %s", d.ForRole, d.Schema, d.Kind, itemsKey(d.ACL))
	}
	sort.Strings(lines)
	return lines
}

func TestStateLines_sameTextAsFmt(t *testing.T) {
	// Names that quoting treats specially: quotes, backslashes, spaces
	// (which sort before the closing quote), non-ASCII, control bytes and
	// invalid UTF-8.
	names := []string{"a", "a b", `a"b`, `a\b`, "é", "a\tb", "\x00", "\xff", "b", ""}
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &catalog.Catalog{Database: `d"b`, ServerVersion: 170004, CurrentUser: "o w", Roles: map[string]*catalog.Role{}}
	for i, n := range names {
		r := &catalog.Role{Name: n, Login: i%2 == 0, Inherit: i%3 == 0, ConnectionLimit: i - 1}
		if i%4 == 0 {
			r.ValidUntil = &expiry
		}
		c.Roles[n] = r
		c.Memberships = append(c.Memberships, catalog.Membership{Role: n, Member: names[(i+1)%len(names)], Grantor: names[(i+2)%len(names)], Admin: i%2 == 1, Set: true})
		var items []acl.Item
		for j := 0; j < i%4; j++ {
			g := names[(i+j)%len(names)]
			items = append(items, acl.Item{Grantee: acl.Grantee(g), Grantor: names[j], Privs: acl.Privileges{Privs: acl.Select | acl.Update, GrantOption: acl.Priv(j%2) * acl.Select}})
		}
		for _, k := range []acl.Kind{acl.KindTable, acl.KindFunction, acl.KindColumn, acl.KindSchema} {
			c.Objects = append(c.Objects, &catalog.Object{Object: acl.Object{Kind: k, Schema: n, Name: names[(i+3)%len(names)], Args: n, Column: n}, Owner: n, ACL: items})
		}
		c.DefaultPrivileges = append(c.DefaultPrivileges, &catalog.DefaultACL{ForRole: n, Schema: n, Kind: acl.KindSequence, ACL: items})
	}
	got, want := StateLines(c), stateLinesFmt(c)
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}
