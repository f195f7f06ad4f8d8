package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
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
	// Built with strconv appends into one scratch buffer rather than
	// fmt: this runs over every object of the catalog on every plan, and
	// fmt's reflection was a third of an in-sync plan's CPU at 50,000
	// tables. The text is exactly what the fmt verbs wrote (%q is
	// strconv.Quote, %t FormatBool, %d FormatInt), so fingerprints of
	// saved plans do not change.
	lines := make([]string, 0, 1+len(c.Roles)+len(c.Memberships)+len(c.Objects)+len(c.DefaultPrivileges))
	var (
		buf   []byte
		items []string
	)
	q := strconv.AppendQuote
	flag := func(name string, v bool) {
		buf = append(buf, ' ')
		buf = append(buf, name...)
		buf = append(buf, '=')
		buf = strconv.AppendBool(buf, v)
	}
	done := func() {
		lines = append(lines, string(buf))
		buf = buf[:0]
	}
	buf = append(buf, "database "...)
	buf = q(buf, c.Database)
	buf = append(buf, " on "...)
	buf = strconv.AppendInt(buf, int64(c.ServerVersion), 10)
	buf = append(buf, " as "...)
	buf = q(buf, c.CurrentUser)
	done()
	for _, name := range sortedKeys(c.Roles) {
		r := c.Roles[name]
		buf = append(buf, "role "...)
		buf = q(buf, r.Name)
		flag("superuser", r.Superuser)
		flag("login", r.Login)
		flag("inherit", r.Inherit)
		flag("createdb", r.CreateDB)
		flag("createrole", r.CreateRole)
		flag("replication", r.Replication)
		flag("bypassrls", r.BypassRLS)
		buf = append(buf, " connection_limit="...)
		buf = strconv.AppendInt(buf, int64(r.ConnectionLimit), 10)
		buf = append(buf, " valid_until="...)
		buf = append(buf, formatValidUntil(r.ValidUntil)...)
		// Only roles with settings say so: the lines of the others, and
		// the fingerprints of saved plans, stay what they were.
		for _, st := range r.Settings {
			buf = append(buf, " setting "...)
			buf = q(buf, st.Database)
			buf = append(buf, ' ')
			buf = q(buf, st.Name)
			buf = append(buf, '=')
			buf = q(buf, st.Value)
		}
		done()
	}
	for _, m := range c.Memberships {
		buf = append(buf, "membership "...)
		buf = q(buf, m.Member)
		buf = append(buf, " in "...)
		buf = q(buf, m.Role)
		buf = append(buf, " granted by "...)
		buf = q(buf, m.Grantor)
		flag("admin", m.Admin)
		flag("inherit", m.Inherit)
		flag("set", m.Set)
		done()
	}
	for _, o := range c.Objects {
		buf = append(buf, o.Kind.String()...)
		buf = append(buf, ' ')
		buf = q(buf, o.String())
		buf = append(buf, " owner "...)
		buf = q(buf, o.Owner)
		buf = append(buf, " acl "...)
		buf, items = appendItemsKey(buf, o.ACL, items)
		done()
	}
	for _, d := range c.DefaultPrivileges {
		buf = append(buf, "default privileges for "...)
		buf = q(buf, d.ForRole)
		buf = append(buf, " in "...)
		buf = q(buf, d.Schema)
		buf = append(buf, " on "...)
		buf = append(buf, d.Kind.String()...)
		buf = append(buf, "s "...)
		buf, items = appendItemsKey(buf, d.ACL, items)
		done()
	}
	slices.Sort(lines)
	return lines
}

// appendItemsKey appends an ACL as StateLines writes it: the items as
// "grantee"=privileges/"grantor", sorted as text, space-separated in
// brackets. scratch is reused between calls.
func appendItemsKey(buf []byte, items []acl.Item, scratch []string) ([]byte, []string) {
	scratch = scratch[:0]
	for _, it := range items {
		var b []byte
		b = strconv.AppendQuote(b, string(it.Grantee))
		b = append(b, '=')
		b = append(b, it.Privs.String()...)
		b = append(b, '/')
		b = strconv.AppendQuote(b, it.Grantor)
		scratch = append(scratch, string(b))
	}
	slices.Sort(scratch)
	buf = append(buf, '[')
	for i, s := range scratch {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, s...)
	}
	return append(buf, ']'), scratch
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
