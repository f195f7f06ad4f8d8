package plan

import (
	"cmp"
	"slices"

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
