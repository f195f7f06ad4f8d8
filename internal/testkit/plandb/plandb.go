package plandb

import (
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// LoadPolicy decodes an HCL snippet as policy.hcl.
func LoadPolicy(t testing.TB, src string) *policy.Policy {
	t.Helper()
	p, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("policy: %s", policy.FormatDiagnostics(diags))
	}
	return p
}

// Fixture is a small database: owner alice (connecting), grantees bob and
// carol, superuser postgres, schema app with a few objects.
type Fixture struct {
	Version int
	Me      string
	Objects []*catalog.Object
	Members []catalog.Membership
	Defs    []*catalog.DefaultACL
	Extra   []*catalog.Role
	// SchemaItems are added to schema app's ACL.
	SchemaItems []acl.Item
}

// Role is a login role that inherits, with no connection limit.
func Role(name string, oid uint32) *catalog.Role {
	return &catalog.Role{Name: name, OID: oid, Inherit: true, Login: true, ConnectionLimit: -1}
}

// Catalog is the fixture as a catalog: PostgreSQL 16.4 and alice
// connecting unless Version and Me say otherwise, database appdb and
// schema app (both alice's), then Objects.
func (f Fixture) Catalog() *catalog.Catalog {
	if f.Version == 0 {
		f.Version = 160004
	}
	if f.Me == "" {
		f.Me = "alice"
	}
	su := Role("postgres", 10)
	su.Superuser = true
	roles := map[string]*catalog.Role{
		"postgres": su, "alice": Role("alice", 16384), "bob": Role("bob", 16385), "carol": Role("carol", 16386),
		"pg_database_owner": Role("pg_database_owner", 6171), "pg_read_all_data": Role("pg_read_all_data", 6181),
	}
	if f.Version < 140000 {
		delete(roles, "pg_read_all_data")
		delete(roles, "pg_database_owner")
	}
	for _, r := range f.Extra {
		roles[r.Name] = r
	}
	objs := append([]*catalog.Object{
		Obj(acl.KindDatabase, "", "appdb", "alice", Item("", "alice", acl.Connect|acl.Temporary, 0), Item("alice", "alice", acl.Valid(acl.KindDatabase, 0), 0)),
		Obj(acl.KindSchema, "", "app", "alice", append([]acl.Item{Item("alice", "alice", acl.Usage|acl.Create, 0)}, f.SchemaItems...)...),
	}, f.Objects...)
	return &catalog.Catalog{
		ServerVersion: f.Version, Database: "appdb", CurrentUser: f.Me, Roles: roles,
		Memberships: f.Members, Objects: objs, DefaultPrivileges: f.Defs, Schemas: []string{"app"},
	}
}

// Obj is an object of kind k (a table is an ordinary one, relkind r).
func Obj(k acl.Kind, schema, name, owner string, items ...acl.Item) *catalog.Object {
	o := &catalog.Object{Object: acl.Object{Kind: k, Schema: schema, Name: name}, Owner: owner, ACL: items}
	if k == acl.KindTable {
		o.Subkind = 'r'
	}
	return o
}

// Table is a table of app owned by alice, with her privileges written out
// and items after them.
func Table(name string, items ...acl.Item) *catalog.Object {
	all := append([]acl.Item{Item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0)}, items...)
	return Obj(acl.KindTable, "app", name, "alice", all...)
}

// Column is the column name of table app.table with these items (a column
// that carries column privileges), owned as the table is.
func Column(table, name string, items ...acl.Item) *catalog.Object {
	return &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: "app", Name: table, Column: name, Subkind: 'r'}, Owner: "alice", ACL: items}
}

// Fn is a function of app owned by alice, with PostgreSQL's default ACL
// written out.
func Fn(name, args, argTypes string) *catalog.Object {
	return &catalog.Object{Object: acl.Object{Kind: acl.KindFunction, Schema: "app", Name: name, Args: args, Subkind: 'f'}, ArgTypes: argTypes, Owner: "alice",
		ACL: []acl.Item{Item("", "alice", acl.Execute, 0), Item("alice", "alice", acl.Execute, 0)}}
}

// Item is an ACL item: grantee ("" for PUBLIC) holds privs from grantor,
// grantable of them with grant option.
func Item(grantee, grantor string, privs, grantable acl.Priv) acl.Item {
	return acl.Item{Grantee: acl.Grantee(grantee), Grantor: grantor, Privs: acl.Privileges{Privs: privs, GrantOption: grantable}}
}

// OwnersCatalog is the database of the audit tests: alice is the owner
// role, bob, carol and dave other roles, postgres the superuser, schemas
// app and other, and each object is owned by whom the test says (see
// [Owned]).
func OwnersCatalog(objects ...*catalog.Object) *catalog.Catalog {
	roles := map[string]*catalog.Role{}
	for i, n := range []string{"alice", "bob", "carol", "dave"} {
		roles[n] = &catalog.Role{Name: n, OID: uint32(16384 + i), Login: true, Inherit: true, ConnectionLimit: -1}
	}
	roles["postgres"] = &catalog.Role{Name: "postgres", OID: 10, Superuser: true}
	roles["pg_database_owner"] = &catalog.Role{Name: "pg_database_owner", OID: 6171}
	return &catalog.Catalog{ServerVersion: 160004, Database: "app", CurrentUser: "alice", Roles: roles, Objects: objects, Schemas: []string{"app", "other"}}
}

// Owned is an object of kind k and subkind sub owned by owner, with no ACL.
func Owned(k acl.Kind, sub byte, schema, name, args, owner string) *catalog.Object {
	return &catalog.Object{Object: acl.Object{Kind: k, Subkind: sub, Schema: schema, Name: name, Args: args}, Owner: owner}
}
