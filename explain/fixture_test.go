package explain_test

import (
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/policy"
)

// The fixture of plan's tests (plan/build_test.go), for the explanations
// that Build's changes are part of.

// loadPolicy decodes an HCL snippet as policy.hcl.
func loadPolicy(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("policy: %s", policy.FormatDiagnostics(diags))
	}
	return p
}

// fixture is a small database: owner alice (connecting), grantees bob and
// carol, superuser postgres, schema app with a few objects.
type fixture struct {
	version int
	me      string
	objects []*catalog.Object
	members []catalog.Membership
	defs    []*catalog.DefaultACL
	extra   []*catalog.Role
	// schemaItems are added to schema app's ACL.
	schemaItems []acl.Item
}

func role(name string, oid uint32) *catalog.Role {
	return &catalog.Role{Name: name, OID: oid, Inherit: true, Login: true, ConnectionLimit: -1}
}

func (f fixture) catalog() *catalog.Catalog {
	if f.version == 0 {
		f.version = 160004
	}
	if f.me == "" {
		f.me = "alice"
	}
	su := role("postgres", 10)
	su.Superuser = true
	roles := map[string]*catalog.Role{
		"postgres": su, "alice": role("alice", 16384), "bob": role("bob", 16385), "carol": role("carol", 16386),
		"pg_database_owner": role("pg_database_owner", 6171), "pg_read_all_data": role("pg_read_all_data", 6181),
	}
	if f.version < 140000 {
		delete(roles, "pg_read_all_data")
		delete(roles, "pg_database_owner")
	}
	for _, r := range f.extra {
		roles[r.Name] = r
	}
	objs := append([]*catalog.Object{
		obj(acl.KindDatabase, "", "appdb", "alice", item("", "alice", acl.Connect|acl.Temporary, 0), item("alice", "alice", acl.Valid(acl.KindDatabase, 0), 0)),
		obj(acl.KindSchema, "", "app", "alice", append([]acl.Item{item("alice", "alice", acl.Usage|acl.Create, 0)}, f.schemaItems...)...),
	}, f.objects...)
	return &catalog.Catalog{
		ServerVersion: f.version, Database: "appdb", CurrentUser: f.me, Roles: roles,
		Memberships: f.members, Objects: objs, DefaultPrivileges: f.defs, Schemas: []string{"app"},
	}
}

func obj(k acl.Kind, schema, name, owner string, items ...acl.Item) *catalog.Object {
	o := &catalog.Object{Object: acl.Object{Kind: k, Schema: schema, Name: name}, Owner: owner, ACL: items}
	if k == acl.KindTable {
		o.Subkind = 'r'
	}
	return o
}

func table(name string, items ...acl.Item) *catalog.Object {
	all := append([]acl.Item{item("alice", "alice", acl.Valid(acl.KindTable, 160000), 0)}, items...)
	return obj(acl.KindTable, "app", name, "alice", all...)
}

func item(grantee, grantor string, privs, grantable acl.Priv) acl.Item {
	return acl.Item{Grantee: acl.Grantee(grantee), Grantor: grantor, Privs: acl.Privileges{Privs: privs, GrantOption: grantable}}
}
