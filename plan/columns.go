package plan

import (
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// columnWant is what one grantee should hold on one column.
type columnWant struct {
	obj     *catalog.Object
	grantee acl.Grantee
	want    want
}

// cascadeThroughColumns: PostgreSQL runs a table-level REVOKE on every
// column's ACL too, so it needs CASCADE when a column grant option it takes
// was passed on (found by the oracle test).
func (b *builder) cascadeThroughColumns() {
	for _, c := range b.plan.Changes {
		if c.Target != TargetObject || c.Action != Revoke || c.Object.Kind != acl.KindTable || c.Cascade {
			continue
		}
		for _, col := range b.columnsOf(c.Object) {
			r := &aclRevoker{owner: col.Owner, holds: b.holdsAtRevoke}
			r.revoke(col.ACL, c.Grantee, c.Grantor, c.Privs.Privs, c.GrantOptionOnly)
			if r.cascaded {
				c.Cascade = true
				break
			}
		}
	}
}

// columnsOf returns the catalog's column objects (columns with column
// privileges) of a table.
func (b *builder) columnsOf(table acl.Object) []*catalog.Object {
	if b.columns == nil {
		b.columns = map[string][]*catalog.Object{}
		for _, o := range b.cat.Objects {
			if o.Kind == acl.KindColumn {
				b.columns[o.Table().Key()] = append(b.columns[o.Table().Key()], o)
			}
		}
	}
	return b.columns[table.Key()]
}

// regrantWipedColumns re-grants column privileges that a table-level REVOKE
// of the same privilege wipes (PostgreSQL strips it from every column ACL),
// so that the run converges in one pass: what managed roles should keep,
// and what PUBLIC held on columns where the policy lets it (the column
// ceiling of the public block, or everything when it sets none; found by
// the oracle test).
func (b *builder) regrantWipedColumns(columns map[string][]columnWant) {
	planned := map[string]acl.Priv{} // column key + grantee → privileges already being granted
	var revokes []*Change
	for _, c := range b.plan.Changes {
		switch {
		case c.Target != TargetObject || c.GrantOptionOnly:
		case c.Action == Grant && c.Object.Kind == acl.KindColumn:
			planned[c.Object.Key()+"\x00"+string(c.Grantee)] |= c.Privs.Privs
		case c.Action == Revoke && c.Object.Kind == acl.KindTable:
			revokes = append(revokes, c)
		}
	}
	for _, r := range revokes {
		if r.Grantee.IsPublic() && !b.pol.Public.Exact(acl.KindColumn) {
			b.regrantPublicColumns(r)
			continue
		}
		for _, cw := range columns[r.Object.Key()] {
			if cw.grantee != r.Grantee {
				continue
			}
			again := cw.want.privs & r.Privs.Privs &^ planned[cw.obj.Key()+"\x00"+string(cw.grantee)]
			if again == 0 {
				continue
			}
			c := b.objectChange(Grant, cw.obj, cw.grantee, acl.Privileges{Privs: again, GrantOption: again & cw.want.grantOpt}, cw.obj.Owner,
				Reason{Rule: cw.want.rule, Text: "re-granted: the table-level revoke wipes column grants"})
			b.add(c)
		}
	}
}

// regrantPublicColumns re-grants what a table-level revoke from PUBLIC
// wipes from PUBLIC's column grants, within the column ceiling.
func (b *builder) regrantPublicColumns(r *Change) {
	may, managed := acl.Priv(0), false
	if b.pol.Public != nil {
		may, managed = b.pol.Public.MayHold[acl.KindColumn]
	}
	for _, col := range b.columnsOf(r.Object) {
		for _, it := range col.ACL {
			if !it.Grantee.IsPublic() || it.Grantor != r.Grantor {
				continue
			}
			again := it.Privs.Privs & r.Privs.Privs
			if managed {
				again &= may
			}
			if again != 0 {
				b.add(b.objectChange(Grant, col, acl.Public, acl.Privileges{Privs: again}, it.Grantor,
					Reason{Text: "re-granted: the table-level revoke wipes column grants"}))
			}
		}
	}
}
