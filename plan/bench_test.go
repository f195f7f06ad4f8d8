package plan_test

import (
	"fmt"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/synth"
	"github.com/pgward/pgward/plan"
)

// benchCatalog is an in-memory catalog shaped like internal/testkit/synth's
// databases: tables in schemas of 250, every other table without the
// runtime role's grants and every fourth with a stray TRUNCATE, so that a
// plan has grants and revokes to make. No server: the benchmark measures
// plan.Build alone.
func benchCatalog(spec synth.Spec) *catalog.Catalog {
	r := spec.Roles()
	c := &catalog.Catalog{ServerVersion: 170000, Database: "bench", CurrentUser: r.Owner, Roles: map[string]*catalog.Role{}}
	for i, name := range []string{r.Owner, r.Web, r.Worker, r.Ops} {
		c.Roles[name] = &catalog.Role{Name: name, OID: uint32(16384 + i), Inherit: true, Login: i == 0, ConnectionLimit: -1}
	}
	all := acl.Valid(acl.KindTable, c.ServerVersion)
	owner := acl.Item{Grantee: acl.Grantee(r.Owner), Grantor: r.Owner, Privs: acl.Privileges{Privs: all}}
	c.Objects = append(c.Objects, &catalog.Object{Object: acl.Object{Kind: acl.KindDatabase, Name: "bench"}, Owner: r.Owner,
		ACL: []acl.Item{{Grantor: r.Owner, Privs: acl.Privileges{Privs: acl.Connect | acl.Temporary}}}})
	schemas := (spec.Tables + 249) / 250
	for k := range schemas {
		s := synth.SchemaName(k)
		c.Schemas = append(c.Schemas, s)
		c.Objects = append(c.Objects, &catalog.Object{Object: acl.Object{Kind: acl.KindSchema, Name: s}, Owner: r.Owner,
			ACL: []acl.Item{{Grantee: acl.Grantee(r.Owner), Grantor: r.Owner, Privs: acl.Privileges{Privs: acl.Usage | acl.Create}}}})
	}
	for i := range spec.Tables {
		items := []acl.Item{owner}
		if i%2 == 0 {
			items = append(items, acl.Item{Grantee: acl.Grantee(r.Web), Grantor: r.Owner, Privs: acl.Privileges{Privs: acl.Select | acl.Insert | acl.Update | acl.Delete}})
		}
		if i%4 == 1 {
			items = append(items, acl.Item{Grantee: acl.Grantee(r.Web), Grantor: r.Owner, Privs: acl.Privileges{Privs: acl.Truncate}})
		}
		c.Objects = append(c.Objects, &catalog.Object{Object: acl.Object{Kind: acl.KindTable, Schema: synth.SchemaName(i / 250), Name: synth.TableName(i), Subkind: 'r'},
			Owner: r.Owner, ACL: items})
	}
	return c
}

// BenchmarkBuild times plan.Build on the half-converged in-memory catalog,
// with allocation counts: go test ./plan -run XXX -bench Build -benchmem.
func BenchmarkBuild(b *testing.B) {
	for _, tables := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("tables=%d", tables), func(b *testing.B) {
			spec := synth.Spec{Tables: tables}
			pol, err := synth.Policy(spec)
			if err != nil {
				b.Fatal(err)
			}
			cat := benchCatalog(spec)
			var changes int
			b.ReportAllocs()
			for b.Loop() {
				p, diags := plan.Build(pol, cat, plan.Options{})
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				changes = len(p.Changes)
			}
			b.ReportMetric(float64(changes), "changes")
		})
	}
}
