package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"time"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// Fingerprint identifies a catalog state: two catalogs with the same roles,
// memberships, objects, owners, ACLs and default privileges have the same
// fingerprint, whatever order they were read in. apply compares it to
// refuse a plan computed from a state that has changed since.
func Fingerprint(c *catalog.Catalog) string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("db %q v%d as %q", c.Database, c.ServerVersion, c.CurrentUser)
	for _, name := range sortedKeys(c.Roles) {
		r := c.Roles[name]
		add("role %q %t%t%t%t%t%t%t %d %s", r.Name, r.Superuser, r.Login, r.Inherit, r.CreateDB, r.CreateRole, r.Replication, r.BypassRLS, r.ConnectionLimit, formatValidUntil(r.ValidUntil))
	}
	for _, m := range c.Memberships {
		add("member %q %q %q %t%t%t", m.Role, m.Member, m.Grantor, m.Admin, m.Inherit, m.Set)
	}
	for _, o := range c.Objects {
		add("object %q %q %s", o.Key(), o.Owner, itemsKey(o.ACL))
	}
	for _, d := range c.DefaultPrivileges {
		add("default %q %q %d %s", d.ForRole, d.Schema, d.Kind, itemsKey(d.ACL))
	}
	sort.Strings(lines)
	var h hash.Hash = sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func itemsKey(items []acl.Item) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = fmt.Sprintf("%q=%s/%q", string(it.Grantee), it.Privs, it.Grantor)
	}
	sort.Strings(s)
	return fmt.Sprint(s)
}

// parseValidUntil accepts RFC 3339 timestamps, dates, and "infinity"
// (returned as nil: no expiry, the way the catalog reads it).
func parseValidUntil(s string) (*time.Time, bool) {
	if s == "infinity" {
		return nil, true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, true
		}
	}
	return nil, false
}

func sameValidUntil(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func formatValidUntil(t *time.Time) string {
	if t == nil {
		return "infinity"
	}
	return t.UTC().Format(time.RFC3339)
}
