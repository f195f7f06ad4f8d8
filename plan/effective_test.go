package plan

import (
	"cmp"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// effDB is a small database for effective-access tests: alice owns the
// database appdb and schema app (table t, sequence s, function f(), type
// ty); postgres is the bootstrap superuser; bob, carol, mid, readers, ops
// are plain INHERIT roles, dave is NOINHERIT. The predefined roles exist
// from the version that has them, and the public schema looks the way
// initdb leaves it on that version.
type effDB struct {
	version int
	members []catalog.Membership
	// edit changes objects before the test, by "kind name" ("table t");
	// "table u" adds a second table app.u.
	edit map[string][]acl.Item
	// dbOwner replaces alice as the database owner.
	dbOwner string
	// noinherit lists roles made NOINHERIT besides dave.
	noinherit []string
	// me is the connecting role; alice when empty.
	me string
}

func eItem(grantee, grantor string, privs acl.Priv) acl.Item {
	return acl.Item{Grantee: acl.Grantee(grantee), Grantor: grantor, Privs: acl.Privileges{Privs: privs}}
}

// eMember is a membership row as introspect reads it: before 16 Inherit is
// the member's INHERIT attribute, which the caller passes.
func eMember(role, member string, inherit bool) catalog.Membership {
	return catalog.Membership{Role: role, Member: member, Grantor: "postgres", Inherit: inherit, Set: true}
}

func (d effDB) catalog() *catalog.Catalog {
	v := d.version
	if v == 0 {
		v = 160004
	}
	owner := d.dbOwner
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
	for _, n := range d.noinherit {
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
		if rep, ok := d.edit[k.String()+" "+name]; ok {
			ob.ACL = rep
		}
		return ob
	}
	public := o(acl.KindSchema, "", "public", "postgres", eItem("postgres", "postgres", acl.Usage|acl.Create), eItem("", "postgres", acl.Usage|acl.Create))
	if v >= 150000 {
		public = o(acl.KindSchema, "", "public", "pg_database_owner",
			eItem("pg_database_owner", "pg_database_owner", acl.Usage|acl.Create), eItem("", "pg_database_owner", acl.Usage))
	}
	f := o(acl.KindFunction, "app", "f", "alice", eItem("", "alice", acl.Execute), eItem("alice", "alice", acl.Execute))
	objs := []*catalog.Object{
		o(acl.KindDatabase, "", "appdb", owner, eItem("", owner, acl.Connect|acl.Temporary), eItem(owner, owner, acl.Create|acl.Connect|acl.Temporary)),
		o(acl.KindSchema, "", "app", "alice", eItem("alice", "alice", acl.Usage|acl.Create)),
		public,
		o(acl.KindTable, "app", "t", "alice", eItem("alice", "alice", tableAll)),
		o(acl.KindSequence, "app", "s", "alice", eItem("alice", "alice", acl.Usage|acl.Select|acl.Update)),
		f,
		o(acl.KindType, "app", "ty", "alice", eItem("", "alice", acl.Usage), eItem("alice", "alice", acl.Usage)),
	}
	if _, ok := d.edit["table u"]; ok {
		objs = append(objs, o(acl.KindTable, "app", "u", "alice"))
	}
	if items, ok := d.edit["column t.c"]; ok {
		objs = append(objs, &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: "app", Name: "t", Column: "c", Subkind: 'r'}, Owner: "alice", ACL: items})
	}
	me := d.me
	if me == "" {
		me = "alice"
	}
	return &catalog.Catalog{ServerVersion: v, Database: "appdb", CurrentUser: me, Roles: roles,
		Memberships: d.members, Objects: objs, Schemas: []string{"app", "public"}}
}

// find returns the object "kind name" of the catalog, or a column object
// without column privileges for "column t.<name>".
func find(t *testing.T, c *catalog.Catalog, what string) *catalog.Object {
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

func TestEffective(t *testing.T) {
	tableAll16 := acl.Valid(acl.KindTable, 160000)
	tests := []struct {
		name   string
		db     effDB
		role   string
		object string
		want   acl.Priv
		paths  []string // Path.String() of every path, in order
	}{
		{
			name:   "direct grant",
			db:     effDB{edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("bob", "alice", acl.Select)}}},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → SELECT on app.t"},
		},
		{
			name:   "nothing granted",
			role:   "bob",
			object: "table t",
		},
		{
			name:   "PUBLIC keeps EXECUTE on functions",
			role:   "bob",
			object: "function f",
			want:   acl.Execute,
			paths:  []string{"PUBLIC → EXECUTE on app.f()"},
		},
		{
			name:   "PUBLIC itself holds only PUBLIC items",
			db:     effDB{edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("", "alice", acl.Select)}}},
			role:   "",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"PUBLIC → SELECT on app.t"},
		},
		{
			name:   "PUBLIC CONNECT and TEMPORARY on the database",
			role:   "bob",
			object: "database appdb",
			want:   acl.Connect | acl.Temporary,
			paths:  []string{"PUBLIC → CONNECT, TEMPORARY on appdb"},
		},
		{
			name: "membership with INHERIT",
			db: effDB{
				members: []catalog.Membership{eMember("readers", "bob", true)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("readers", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → member of readers → SELECT on app.t"},
		},
		{
			name: "nested memberships, direct and PUBLIC paths first",
			db: effDB{
				members: []catalog.Membership{eMember("mid", "bob", true), eMember("readers", "mid", true)},
				edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("readers", "alice", acl.Select|acl.Insert),
					eItem("", "alice", acl.References), eItem("bob", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Select | acl.Insert | acl.References,
			paths: []string{
				"bob → SELECT on app.t",
				"PUBLIC → REFERENCES on app.t",
				"bob → member of mid → member of readers → SELECT, INSERT on app.t",
			},
		},
		{
			name: "NOINHERIT member (before 16) has nothing of the role",
			db: effDB{
				version: 150018,
				members: []catalog.Membership{eMember("readers", "dave", false)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("readers", "alice", acl.Select)}},
			},
			role:   "dave",
			object: "table t",
		},
		{
			name: "16+ membership WITH INHERIT FALSE gives nothing",
			db: effDB{
				members: []catalog.Membership{eMember("readers", "bob", false)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("readers", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
		},
		{
			name: "16+ INHERIT TRUE membership of a NOINHERIT role inherits",
			db: effDB{
				members: []catalog.Membership{eMember("readers", "dave", true)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("readers", "alice", acl.Select)}},
			},
			role:   "dave",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"dave → member of readers → SELECT on app.t"},
		},
		{
			name: "before 16 a NOINHERIT role in the middle stops the chain",
			db: effDB{
				version:   150018,
				noinherit: []string{"mid"},
				members:   []catalog.Membership{eMember("mid", "bob", true), eMember("readers", "mid", false)},
				edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("readers", "alice", acl.Select),
					eItem("mid", "alice", acl.Insert)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Insert,
			paths:  []string{"bob → member of mid → INSERT on app.t"},
		},
		{
			name:   "superuser has everything even with an empty ACL",
			db:     effDB{version: 170002, edit: map[string][]acl.Item{"table t": {}}},
			role:   "postgres",
			object: "table t",
			want:   acl.Valid(acl.KindTable, 170000),
			paths:  []string{"postgres (superuser) → SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN on app.t"},
		},
		{
			name: "superuser status is not inherited, its ACL items are",
			db: effDB{
				members: []catalog.Membership{eMember("postgres", "bob", true)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("postgres", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → member of postgres → SELECT on app.t"},
		},
		{
			name:   "owner that revoked its own rights holds nothing",
			db:     effDB{edit: map[string][]acl.Item{"table t": {}}},
			role:   "alice",
			object: "table t",
		},
		{
			name: "members of the owner get the owner's item, not ownership",
			db: effDB{
				members: []catalog.Membership{eMember("alice", "carol", true)},
				edit:    map[string][]acl.Item{"table t": {eItem("alice", "alice", acl.Select)}},
			},
			role:   "carol",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"carol → member of alice → SELECT on app.t"},
		},
		{
			name:   "pg_read_all_data: SELECT on tables",
			db:     effDB{members: []catalog.Membership{eMember("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"ops → member of pg_read_all_data → SELECT on app.t"},
		},
		{
			name:   "pg_read_all_data: SELECT on sequences",
			db:     effDB{members: []catalog.Membership{eMember("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "sequence s",
			want:   acl.Select,
			paths:  []string{"ops → member of pg_read_all_data → SELECT on app.s"},
		},
		{
			name:   "pg_read_all_data: USAGE on schemas",
			db:     effDB{members: []catalog.Membership{eMember("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "schema app",
			want:   acl.Usage,
			paths:  []string{"ops → member of pg_read_all_data → USAGE on app"},
		},
		{
			name:   "pg_read_all_data through a nested membership",
			db:     effDB{members: []catalog.Membership{eMember("ops", "bob", true), eMember("pg_read_all_data", "ops", true)}},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → member of ops → member of pg_read_all_data → SELECT on app.t"},
		},
		{
			name:   "pg_read_all_data does not act on 13",
			db:     effDB{version: 130023, members: []catalog.Membership{eMember("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "table t",
		},
		{
			name:   "NOINHERIT member of pg_read_all_data reads nothing",
			db:     effDB{members: []catalog.Membership{eMember("pg_read_all_data", "dave", false)}},
			role:   "dave",
			object: "table t",
		},
		{
			name:   "pg_write_all_data: INSERT, UPDATE, DELETE on tables",
			db:     effDB{members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}},
			role:   "ops",
			object: "table t",
			want:   acl.Insert | acl.Update | acl.Delete,
			paths:  []string{"ops → member of pg_write_all_data → INSERT, UPDATE, DELETE on app.t"},
		},
		{
			name:   "pg_write_all_data: UPDATE on sequences",
			db:     effDB{members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}},
			role:   "ops",
			object: "sequence s",
			want:   acl.Update,
		},
		{
			name:   "pg_write_all_data: USAGE on schemas",
			db:     effDB{members: []catalog.Membership{eMember("pg_write_all_data", "ops", true)}},
			role:   "ops",
			object: "schema app",
			want:   acl.Usage,
		},
		{
			name:   "predefined roles give nothing on functions",
			db:     effDB{members: []catalog.Membership{eMember("pg_read_all_data", "ops", true), eMember("pg_write_all_data", "ops", true)}, edit: map[string][]acl.Item{"function f": {}}},
			role:   "ops",
			object: "function f",
		},
		{
			name:   "pg_maintain: MAINTAIN on 17",
			db:     effDB{version: 170002, members: []catalog.Membership{eMember("pg_maintain", "ops", true)}},
			role:   "ops",
			object: "table t",
			want:   acl.Maintain,
			paths:  []string{"ops → member of pg_maintain → MAINTAIN on app.t"},
		},
		{
			name:   "public schema on 13: CREATE through PUBLIC",
			db:     effDB{version: 130023},
			role:   "bob",
			object: "schema public",
			want:   acl.Usage | acl.Create,
			paths:  []string{"PUBLIC → USAGE, CREATE on public"},
		},
		{
			name:   "public schema on 14: CREATE through PUBLIC",
			db:     effDB{version: 140023},
			role:   "bob",
			object: "schema public",
			want:   acl.Usage | acl.Create,
		},
		{
			name:   "public schema on 15: USAGE only for others",
			db:     effDB{version: 150018},
			role:   "bob",
			object: "schema public",
			want:   acl.Usage,
		},
		{
			name:   "public schema on 15: the database owner through pg_database_owner",
			db:     effDB{version: 150018},
			role:   "alice",
			object: "schema public",
			want:   acl.Usage | acl.Create,
			paths: []string{
				"PUBLIC → USAGE on public",
				"alice → member of pg_database_owner (as owner of the database) → USAGE, CREATE on public",
			},
		},
		{
			name:   "pg_database_owner before 16 follows the owner's NOINHERIT",
			db:     effDB{version: 150018, dbOwner: "dave"},
			role:   "dave",
			object: "schema public",
			want:   acl.Usage,
		},
		{
			name:   "pg_database_owner on 16 is inherited whatever the owner's attribute",
			db:     effDB{version: 160004, dbOwner: "dave"},
			role:   "dave",
			object: "schema public",
			want:   acl.Usage | acl.Create,
		},
		{
			name:   "a member of the database owner is in pg_database_owner too",
			db:     effDB{members: []catalog.Membership{eMember("alice", "carol", true)}},
			role:   "carol",
			object: "schema public",
			want:   acl.Usage | acl.Create,
			paths: []string{
				"PUBLIC → USAGE on public",
				"carol → member of alice → member of pg_database_owner (as owner of the database) → USAGE, CREATE on public",
			},
		},
		{
			name:   "column grant: has_column_privilege",
			db:     effDB{edit: map[string][]acl.Item{"column t.c": {eItem("bob", "alice", acl.Select|acl.Update)}}},
			role:   "bob",
			object: "column t.c",
			want:   acl.Select | acl.Update,
			paths:  []string{"bob → SELECT, UPDATE on column app.t.c"},
		},
		{
			name:   "column grant: has_table_privilege ignores it",
			db:     effDB{edit: map[string][]acl.Item{"column t.c": {eItem("bob", "alice", acl.Select|acl.Update)}}},
			role:   "bob",
			object: "table t",
		},
		{
			name:   "column without column grants: the table-level privileges",
			db:     effDB{edit: map[string][]acl.Item{"table t": {eItem("alice", "alice", tableAll16), eItem("bob", "alice", acl.Select|acl.Delete)}}},
			role:   "bob",
			object: "column t.other",
			want:   acl.Select,
			paths:  []string{"bob → SELECT on app.t"},
		},
		{
			name:   "column: pg_read_all_data acts through the table",
			db:     effDB{members: []catalog.Membership{eMember("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "column t.other",
			want:   acl.Select,
			paths:  []string{"ops → member of pg_read_all_data → SELECT on app.t"},
		},
		{
			name:   "column: superuser",
			role:   "postgres",
			object: "column t.other",
			want:   acl.Valid(acl.KindColumn, 160000),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.db.catalog()
			got, paths := Effective(c, tt.role, find(t, c, tt.object))
			if got != tt.want {
				t.Errorf("privileges = %s, want %s", got, tt.want)
			}
			var union acl.Priv
			var gotPaths []string
			for _, p := range paths {
				union |= p.Privs
				gotPaths = append(gotPaths, p.String())
			}
			if union != got {
				t.Errorf("paths give %s, result is %s", union, got)
			}
			// held, checkDeny's shortcut, answers the same without paths.
			if h := NewEffectiveAccess(c).held(tt.role, find(t, c, tt.object)); h != tt.want {
				t.Errorf("held = %s, want %s", h, tt.want)
			}
			if tt.paths != nil && strings.Join(gotPaths, "\n") != strings.Join(tt.paths, "\n") {
				t.Errorf("paths:\n  %s\nwant:\n  %s", strings.Join(gotPaths, "\n  "), strings.Join(tt.paths, "\n  "))
			}
		})
	}
}

func TestEffectiveAccess_roles(t *testing.T) {
	tests := []struct {
		name                string
		db                  effDB
		role, other         string
		wantMember, wantUse bool
	}{
		{"self", effDB{}, "bob", "bob", true, true},
		{"unrelated", effDB{}, "bob", "readers", false, false},
		{"INHERIT", effDB{members: []catalog.Membership{eMember("readers", "bob", true)}}, "bob", "readers", true, true},
		{"NOINHERIT: member without the privileges", effDB{version: 150018, members: []catalog.Membership{eMember("readers", "dave", false)}}, "dave", "readers", true, false},
		{"16+ INHERIT FALSE", effDB{members: []catalog.Membership{eMember("readers", "bob", false)}}, "bob", "readers", true, false},
		{"nested through a NOINHERIT edge", effDB{members: []catalog.Membership{eMember("mid", "bob", false), eMember("readers", "mid", true)}}, "bob", "readers", true, false},
		{"superuser", effDB{}, "postgres", "readers", true, true},
		{"database owner in pg_database_owner", effDB{version: 140023}, "alice", "pg_database_owner", true, true},
		{"NOINHERIT database owner on 15", effDB{version: 150018, dbOwner: "dave"}, "dave", "pg_database_owner", true, false},
		{"no pg_database_owner on 13", effDB{version: 130023}, "alice", "pg_database_owner", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEffectiveAccess(tt.db.catalog())
			if got := e.IsMemberOf(tt.role, tt.other); got != tt.wantMember {
				t.Errorf("IsMemberOf = %t, want %t", got, tt.wantMember)
			}
			if got := e.HasPrivilegesOf(tt.role, tt.other); got != tt.wantUse {
				t.Errorf("HasPrivilegesOf = %t, want %t", got, tt.wantUse)
			}
		})
	}
}

// TestCompareChanges_sortKeyOrder: changes on objects compare field by
// field in the order their sortKey texts would, prefixes and all.
func TestCompareChanges_sortKeyOrder(t *testing.T) {
	var changes []*Change
	for _, k := range []acl.Kind{acl.KindSchema, acl.KindTable, acl.KindColumn, acl.KindFunction} {
		for _, schema := range []string{"", "a", "ab", "a b", "B"} {
			for _, name := range []string{"t", "t1", "T", "t 1"} {
				for _, args := range []string{"", "integer", "integer, text"} {
					for _, col := range []string{"", "c", "c2"} {
						for _, g := range []acl.Grantee{"", "web", "ops"} {
							changes = append(changes, &Change{Target: TargetObject, Action: Grant, Grantee: g,
								Object: acl.Object{Kind: k, Schema: schema, Name: name, Args: args, Column: col}})
						}
					}
				}
			}
		}
	}
	for i, a := range changes {
		for _, b := range changes[i:] {
			want := cmp.Or(cmp.Compare(sortKey(a), sortKey(b)), cmp.Compare(a.Grantee, b.Grantee))
			if got := compareChanges(a, b); got != want || compareChanges(b, a) != -want {
				t.Fatalf("compareChanges(%v %q, %v %q) = %d, sortKey order %d", a.Object, a.Grantee, b.Object, b.Grantee, got, want)
			}
		}
	}
}
