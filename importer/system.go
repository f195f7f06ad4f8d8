package importer

import (
	"slices"

	"github.com/pgward/pgward/internal/acl"
)

// systemSchemaRules is what the role holds on the system schemas' own ACL
// (pg_catalog, information_schema; never their contents): one rule naming
// the schemas per distinct set of privileges. Each schema a rule names
// joins the policy's scope.system_schemas, so that pgward manages it; the
// others stay out of the policy. An owner's privileges are never managed.
func (b *builder) systemSchemaRules(role string) []rule {
	var (
		order  []acl.Privileges
		byHeld = map[acl.Privileges][]string{}
	)
	for _, o := range b.cat.SystemSchemas {
		if o.Owner == role {
			continue
		}
		var held acl.Privileges
		for _, it := range o.ACL {
			if string(it.Grantee) == role {
				held = held.Union(it.Privs)
			}
		}
		if held.IsZero() {
			continue
		}
		if _, seen := byHeld[held]; !seen {
			order = append(order, held)
		}
		byHeld[held] = append(byHeld[held], o.Name)
		if !slices.Contains(b.im.Policy.SystemSchemas, o.Name) {
			b.im.Policy.SystemSchemas = append(b.im.Policy.SystemSchemas, o.Name)
			slices.Sort(b.im.Policy.SystemSchemas)
		}
	}
	var rules []rule
	for i, held := range order {
		r := rule{names: byHeld[held], v: held}
		if i == 0 {
			r.comment = "The own privileges of system schemas (scope.system_schemas), never their contents."
		}
		rules = append(rules, r)
	}
	return rules
}
