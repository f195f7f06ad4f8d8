package explain

import (
	"sort"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/didyoumean"
	"github.com/pgward/pgward/policy"
)

// KnownRole reports whether explain can say anything about role: it
// exists in the catalog or the policy declares it ("" is PUBLIC, always
// known).
func KnownRole(p *policy.Policy, c *catalog.Catalog, role string) bool {
	if role == "" || c.Role(role) != nil {
		return true
	}
	for _, r := range p.Roles {
		if r.Name == role {
			return true
		}
	}
	return false
}

// SuggestRole is the role of the catalog or the policy closest to role,
// or "" when none is close enough to be a likely typo.
func SuggestRole(p *policy.Policy, c *catalog.Catalog, role string) string {
	var names []string
	for n := range c.Roles {
		names = append(names, n)
	}
	for _, r := range p.Roles {
		if c.Role(r.Name) == nil {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return didyoumean.Suggest(role, names)
}

// SuggestObject is the name, written as [LookupObjects] takes it, of the
// object of kind (any, when acl.KindInvalid) closest to name, or "" when
// none is close enough to be a likely typo.
func SuggestObject(c *catalog.Catalog, name string, kind acl.Kind) string {
	seen := map[string]bool{}
	var names []string
	for _, o := range c.Objects {
		if kind != acl.KindInvalid && o.Kind != kind {
			continue
		}
		n := o.Name
		switch {
		case o.Kind == acl.KindColumn:
			n = o.String()
		case o.Kind.InSchema():
			n = o.Schema + "." + o.Name
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return didyoumean.Suggest(name, names)
}
