package smalldb

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// DB is a small database for effective-access tests: alice owns the
// database appdb and schema app (table t, sequence s, function f(), type
// ty); postgres is the bootstrap superuser; bob, carol, mid, readers, ops
// are plain INHERIT roles, dave is NOINHERIT. The predefined roles exist
// from the version that has them, and the public schema looks the way
// initdb leaves it on that version.
type DB struct {
	Version int
	Members []catalog.Membership
	// Edit changes objects before the test, by "kind name" ("table t");
	// "table u" adds a second table app.u.
	Edit map[string][]acl.Item
	// DBOwner replaces alice as the database owner.
	DBOwner string
	// NoInherit lists roles made NOINHERIT besides dave.
	NoInherit []string
	// Me is the connecting role; alice when empty.
	Me string
}

// Item is an ACL item without grant options.
func Item(grantee, grantor string, privs acl.Priv) acl.Item {
	return acl.Item{Grantee: acl.Grantee(grantee), Grantor: grantor, Privs: acl.Privileges{Privs: privs}}
}

// Member is a membership row as introspect reads it: before 16 Inherit is
// the member's INHERIT attribute, which the caller passes.
func Member(role, member string, inherit bool) catalog.Membership {
	return catalog.Membership{Role: role, Member: member, Grantor: "postgres", Inherit: inherit, Set: true}
}

// Catalog builds the database.
func (d DB) Catalog() *catalog.Catalog {
	v := d.Version
	if v == 0 {
		v = 160004
	}
	owner := d.DBOwner
	if owner == "" {
		owner = "alice"
	}
	roles := map[string]*catalog.Role{}
	add := func(name string, oid uint32, since int) {
		if v >= since {
			roles[name] = &catalog.Role{Name: name, OID: oid, Inherit: true, ConnectionLimit: -1}
		}
	}
	add("postgres", 10, 0)
	roles["postgres"].Superuser = true
	for i, n := range []string{"alice", "bob", "carol", "dave", "mid", "readers", "ops"} {
		add(n, uint32(16384+i), 0)
	}
	roles["dave"].Inherit = false
	for _, n := range d.NoInherit {
		roles[n].Inherit = false
	}
	add("pg_database_owner", 6171, 140000)
	add("pg_read_all_data", 6181, 140000)
	add("pg_write_all_data", 6182, 140000)
	add("pg_maintain", 6337, 170000)

	tableAll := acl.Valid(acl.KindTable, v)
	o := func(k acl.Kind, schema, name, own string, items ...acl.Item) *catalog.Object {
		ob := &catalog.Object{Object: acl.Object{Kind: k, Schema: schema, Name: name}, Owner: own, ACL: items}
		if k == acl.KindTable {
			ob.Subkind = 'r'
		}
		if rep, ok := d.Edit[k.String()+" "+name]; ok {
			ob.ACL = rep
		}
		return ob
	}
	public := o(acl.KindSchema, "", "public", "postgres", Item("postgres", "postgres", acl.Usage|acl.Create), Item("", "postgres", acl.Usage|acl.Create))
	if v >= 150000 {
		public = o(acl.KindSchema, "", "public", "pg_database_owner",
			Item("pg_database_owner", "pg_database_owner", acl.Usage|acl.Create), Item("", "pg_database_owner", acl.Usage))
	}
	f := o(acl.KindFunction, "app", "f", "alice", Item("", "alice", acl.Execute), Item("alice", "alice", acl.Execute))
	objs := []*catalog.Object{
		o(acl.KindDatabase, "", "appdb", owner, Item("", owner, acl.Connect|acl.Temporary), Item(owner, owner, acl.Create|acl.Connect|acl.Temporary)),
		o(acl.KindSchema, "", "app", "alice", Item("alice", "alice", acl.Usage|acl.Create)),
		public,
		o(acl.KindTable, "app", "t", "alice", Item("alice", "alice", tableAll)),
		o(acl.KindSequence, "app", "s", "alice", Item("alice", "alice", acl.Usage|acl.Select|acl.Update)),
		f,
		o(acl.KindType, "app", "ty", "alice", Item("", "alice", acl.Usage), Item("alice", "alice", acl.Usage)),
	}
	if _, ok := d.Edit["table u"]; ok {
		objs = append(objs, o(acl.KindTable, "app", "u", "alice"))
	}
	if items, ok := d.Edit["column t.c"]; ok {
		objs = append(objs, &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: "app", Name: "t", Column: "c", Subkind: 'r'}, Owner: "alice", ACL: items})
	}
	me := d.Me
	if me == "" {
		me = "alice"
	}
	return &catalog.Catalog{ServerVersion: v, Database: "appdb", CurrentUser: me, Roles: roles,
		Memberships: d.Members, Objects: objs, Schemas: []string{"app", "public"}}
}

// Find returns the object "kind name" of the catalog, or a column object
// without column privileges for "column t.<name>".
func Find(t *testing.T, c *catalog.Catalog, what string) *catalog.Object {
	t.Helper()
	kind, name, _ := strings.Cut(what, " ")
	for _, o := range c.Objects {
		n := o.Name
		if o.Kind == acl.KindColumn {
			n += "." + o.Column
		}
		if o.Kind.String() == kind && n == name {
			return o
		}
	}
	if kind == "column" {
		tbl, col, _ := strings.Cut(name, ".")
		return &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: "app", Name: tbl, Column: col}}
	}
	t.Fatalf("no %s in the test catalog", what)
	return nil
}
