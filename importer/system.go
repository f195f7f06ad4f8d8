package importer

import (
	"fmt"
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

// rowTypeNotes notes the privileges set on the row types of relations in
// scope that a policy cannot reproduce: held by an imported role, or
// PUBLIC's USAGE revoked. pgward does not manage row types.
func (b *builder) rowTypeNotes() {
	for _, o := range b.cat.RowTypes {
		public := false
		for _, it := range o.ACL {
			g := string(it.Grantee)
			switch {
			case it.Grantee.IsPublic():
				public = public || it.Privs.Privs.Has(acl.Usage)
			case g != o.Owner && b.selected[g]:
				obj := o.Object
				b.note(Note{Reason: ReasonRowType, Role: g, Object: &obj,
					Text: fmt.Sprintf("%s holds %s on the row type of %s; pgward does not manage the row types of tables and views, so the policy leaves it out.", g, it.Privs.Privs, o)})
			}
		}
		if !public {
			obj := o.Object
			b.note(Note{Reason: ReasonRowType, Object: &obj,
				Text: fmt.Sprintf("PUBLIC's USAGE on the row type of %s is revoked; pgward does not manage the row types of tables and views, so the policy leaves it out.", o)})
		}
	}
}
