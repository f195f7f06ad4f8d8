package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// withSystemSchemas returns c with the system schemas that the policy's
// scope lists (scope { system_schemas }) among its objects, so that their
// own ACL is planned like any schema's: declared roles hold on them what
// rules naming them exactly grant (access.MatchName), PUBLIC is left alone
// (systemSchema). Their contents stay out of scope, and c.Schemas does not
// list them. Without such a list c is returned as it is.
func withSystemSchemas(p *policy.Policy, c *catalog.Catalog) *catalog.Catalog {
	if len(p.SystemSchemas) == 0 || len(c.SystemSchemas) == 0 {
		return c
	}
	out := *c
	out.Objects = slices.Clone(c.Objects)
	for _, o := range c.SystemSchemas {
		if !slices.Contains(p.SystemSchemas, o.Name) {
			continue
		}
		i, found := slices.BinarySearchFunc(out.Objects, o, compareObjects)
		if !found {
			out.Objects = slices.Insert(out.Objects, i, o)
		}
	}
	return &out
}

// compareObjects is the order of catalog.Catalog.Objects: (Kind, Schema,
// Name, Args, Column).
func compareObjects(a, b *catalog.Object) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Schema, b.Schema),
		cmp.Compare(a.Name, b.Name), cmp.Compare(a.Args, b.Args), cmp.Compare(a.Column, b.Column))
}

// systemSchema reports whether obj is a system schema's own ACL.
func systemSchema(obj *catalog.Object) bool {
	return obj.Kind == acl.KindSchema && obj.Subkind == acl.SubkindSystemSchema
}

// warnRowTypes warns about privileges set on the row types of relations
// (Catalog.RowTypes) that concern the policy: held by a declared role, or
// PUBLIC's USAGE revoked. pgward does not manage row types
// (docs/policy.md, "Row types"), so it leaves them as they are, but says
// so rather than ignore them silently.
func (b *builder) warnRowTypes() {
	var found []string
	for _, o := range b.cat.RowTypes {
		var parts []string
		public := false
		for _, it := range o.ACL {
			g := string(it.Grantee)
			switch {
			case it.Grantee.IsPublic():
				public = public || it.Privs.Privs.Has(acl.Usage)
			case g != o.Owner && b.roles[g] != nil:
				parts = append(parts, g+" holds "+it.Privs.Privs.String())
			}
		}
		if !public {
			parts = append(parts, "PUBLIC's USAGE revoked")
		}
		if len(parts) > 0 {
			found = append(found, o.String()+" ("+strings.Join(parts, ", ")+")")
		}
	}
	if len(found) == 0 {
		return
	}
	const show = 5
	more := ""
	if len(found) > show {
		more = fmt.Sprintf(" and %d more", len(found)-show)
		found = found[:show]
	}
	b.warnf(nil, "Privileges on row types are not managed",
		"The row types of %s carry privileges of their own (GRANT ... ON TYPE)%s. pgward does not manage the row types of tables and views: default privileges never apply to them (each starts with USAGE for PUBLIC, whatever ALTER DEFAULT PRIVILEGES says), and their USAGE only lets a role name the type in DDL, never read the table. It leaves these privileges as they are (docs/policy.md, \"Row types\").",
		strings.Join(found, "; "), more)
}
