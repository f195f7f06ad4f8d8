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
func Fingerprint(c *catalog.Catalog) string { return hashLines(StateLines(c)) }

// StateLines is the catalog state as sorted, readable lines, one per role,
// membership, object and default ACL: what Fingerprint hashes, and what a
// saved plan keeps so that apply can say what changed.
func StateLines(c *catalog.Catalog) []string {
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

func hashLines(lines []string) string {
	var h hash.Hash = sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StateDiff lists how a catalog state changed between two StateLines
// results: "- line" for what is gone, "+ line" for what is new.
func StateDiff(before, after []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || (i < len(before) && before[i] < after[j]):
			out = append(out, "- "+before[i])
			i++
		case i == len(before) || after[j] < before[i]:
			out = append(out, "+ "+after[j])
			j++
		default:
			i++
			j++
		}
	}
	return out
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
