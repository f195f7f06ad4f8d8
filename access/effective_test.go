package access

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/smalldb"
)

func TestEffective(t *testing.T) {
	tableAll16 := acl.Valid(acl.KindTable, 160000)
	tests := []struct {
		name   string
		db     smalldb.DB
		role   string
		object string
		want   acl.Priv
		paths  []string // Path.String() of every path, in order
	}{
		{
			name:   "direct grant",
			db:     smalldb.DB{Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("bob", "alice", acl.Select)}}},
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
			db:     smalldb.DB{Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("", "alice", acl.Select)}}},
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
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("readers", "bob", true)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("readers", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → member of readers → SELECT on app.t"},
		},
		{
			name: "nested memberships, direct and PUBLIC paths first",
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("mid", "bob", true), smalldb.Member("readers", "mid", true)},
				Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("readers", "alice", acl.Select|acl.Insert),
					smalldb.Item("", "alice", acl.References), smalldb.Item("bob", "alice", acl.Select)}},
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
			db: smalldb.DB{
				Version: 150018,
				Members: []catalog.Membership{smalldb.Member("readers", "dave", false)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("readers", "alice", acl.Select)}},
			},
			role:   "dave",
			object: "table t",
		},
		{
			name: "16+ membership WITH INHERIT FALSE gives nothing",
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("readers", "bob", false)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("readers", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
		},
		{
			name: "16+ INHERIT TRUE membership of a NOINHERIT role inherits",
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("readers", "dave", true)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("readers", "alice", acl.Select)}},
			},
			role:   "dave",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"dave → member of readers → SELECT on app.t"},
		},
		{
			name: "before 16 a NOINHERIT role in the middle stops the chain",
			db: smalldb.DB{
				Version:   150018,
				NoInherit: []string{"mid"},
				Members:   []catalog.Membership{smalldb.Member("mid", "bob", true), smalldb.Member("readers", "mid", false)},
				Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("readers", "alice", acl.Select),
					smalldb.Item("mid", "alice", acl.Insert)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Insert,
			paths:  []string{"bob → member of mid → INSERT on app.t"},
		},
		{
			name:   "superuser has everything even with an empty ACL",
			db:     smalldb.DB{Version: 170002, Edit: map[string][]acl.Item{"table t": {}}},
			role:   "postgres",
			object: "table t",
			want:   acl.Valid(acl.KindTable, 170000),
			paths:  []string{"postgres (superuser) → SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN on app.t"},
		},
		{
			name: "superuser status is not inherited, its ACL items are",
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("postgres", "bob", true)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("postgres", "alice", acl.Select)}},
			},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → member of postgres → SELECT on app.t"},
		},
		{
			name:   "owner that revoked its own rights holds nothing",
			db:     smalldb.DB{Edit: map[string][]acl.Item{"table t": {}}},
			role:   "alice",
			object: "table t",
		},
		{
			name: "members of the owner get the owner's item, not ownership",
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("alice", "carol", true)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", acl.Select)}},
			},
			role:   "carol",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"carol → member of alice → SELECT on app.t"},
		},
		{
			name:   "pg_read_all_data: SELECT on tables",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"ops → member of pg_read_all_data → SELECT on app.t"},
		},
		{
			name:   "pg_read_all_data: SELECT on sequences",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "sequence s",
			want:   acl.Select,
			paths:  []string{"ops → member of pg_read_all_data → SELECT on app.s"},
		},
		{
			name:   "pg_read_all_data: USAGE on schemas",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "schema app",
			want:   acl.Usage,
			paths:  []string{"ops → member of pg_read_all_data → USAGE on app"},
		},
		{
			name:   "pg_read_all_data through a nested membership",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("ops", "bob", true), smalldb.Member("pg_read_all_data", "ops", true)}},
			role:   "bob",
			object: "table t",
			want:   acl.Select,
			paths:  []string{"bob → member of ops → member of pg_read_all_data → SELECT on app.t"},
		},
		{
			name:   "pg_read_all_data does not act on 13",
			db:     smalldb.DB{Version: 130023, Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true)}},
			role:   "ops",
			object: "table t",
		},
		{
			name:   "NOINHERIT member of pg_read_all_data reads nothing",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "dave", false)}},
			role:   "dave",
			object: "table t",
		},
		{
			name:   "pg_write_all_data: INSERT, UPDATE, DELETE on tables",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role:   "ops",
			object: "table t",
			want:   acl.Insert | acl.Update | acl.Delete,
			paths:  []string{"ops → member of pg_write_all_data → INSERT, UPDATE, DELETE on app.t"},
		},
		{
			name:   "pg_write_all_data: UPDATE on sequences",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role:   "ops",
			object: "sequence s",
			want:   acl.Update,
		},
		{
			name:   "pg_write_all_data: USAGE on schemas",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role:   "ops",
			object: "schema app",
			want:   acl.Usage,
		},
		{
			name:   "predefined roles give nothing on functions",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true), smalldb.Member("pg_write_all_data", "ops", true)}, Edit: map[string][]acl.Item{"function f": {}}},
			role:   "ops",
			object: "function f",
		},
		{
			name:   "pg_maintain: MAINTAIN on 17",
			db:     smalldb.DB{Version: 170002, Members: []catalog.Membership{smalldb.Member("pg_maintain", "ops", true)}},
			role:   "ops",
			object: "table t",
			want:   acl.Maintain,
			paths:  []string{"ops → member of pg_maintain → MAINTAIN on app.t"},
		},
		{
			name:   "public schema on 13: CREATE through PUBLIC",
			db:     smalldb.DB{Version: 130023},
			role:   "bob",
			object: "schema public",
			want:   acl.Usage | acl.Create,
			paths:  []string{"PUBLIC → USAGE, CREATE on public"},
		},
		{
			name:   "public schema on 14: CREATE through PUBLIC",
			db:     smalldb.DB{Version: 140023},
			role:   "bob",
			object: "schema public",
			want:   acl.Usage | acl.Create,
		},
		{
			name:   "public schema on 15: USAGE only for others",
			db:     smalldb.DB{Version: 150018},
			role:   "bob",
			object: "schema public",
			want:   acl.Usage,
		},
		{
			name:   "public schema on 15: the database owner through pg_database_owner",
			db:     smalldb.DB{Version: 150018},
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
			db:     smalldb.DB{Version: 150018, DBOwner: "dave"},
			role:   "dave",
			object: "schema public",
			want:   acl.Usage,
		},
		{
			name:   "pg_database_owner on 16 is inherited whatever the owner's attribute",
			db:     smalldb.DB{Version: 160004, DBOwner: "dave"},
			role:   "dave",
			object: "schema public",
			want:   acl.Usage | acl.Create,
		},
		{
			name:   "a member of the database owner is in pg_database_owner too",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("alice", "carol", true)}},
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
			db:     smalldb.DB{Edit: map[string][]acl.Item{"column t.c": {smalldb.Item("bob", "alice", acl.Select|acl.Update)}}},
			role:   "bob",
			object: "column t.c",
			want:   acl.Select | acl.Update,
			paths:  []string{"bob → SELECT, UPDATE on column app.t.c"},
		},
		{
			name:   "column grant: has_table_privilege ignores it",
			db:     smalldb.DB{Edit: map[string][]acl.Item{"column t.c": {smalldb.Item("bob", "alice", acl.Select|acl.Update)}}},
			role:   "bob",
			object: "table t",
		},
		{
			name:   "column without column grants: the table-level privileges",
			db:     smalldb.DB{Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll16), smalldb.Item("bob", "alice", acl.Select|acl.Delete)}}},
			role:   "bob",
			object: "column t.other",
			want:   acl.Select,
			paths:  []string{"bob → SELECT on app.t"},
		},
		{
			name:   "column: pg_read_all_data acts through the table",
			db:     smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true)}},
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
			c := tt.db.Catalog()
			got, paths := Effective(c, tt.role, smalldb.Find(t, c, tt.object))
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
			if h := NewEffectiveAccess(c).held(tt.role, smalldb.Find(t, c, tt.object)); h != tt.want {
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
		db                  smalldb.DB
		role, other         string
		wantMember, wantUse bool
	}{
		{"self", smalldb.DB{}, "bob", "bob", true, true},
		{"unrelated", smalldb.DB{}, "bob", "readers", false, false},
		{"INHERIT", smalldb.DB{Members: []catalog.Membership{smalldb.Member("readers", "bob", true)}}, "bob", "readers", true, true},
		{"NOINHERIT: member without the privileges", smalldb.DB{Version: 150018, Members: []catalog.Membership{smalldb.Member("readers", "dave", false)}}, "dave", "readers", true, false},
		{"16+ INHERIT FALSE", smalldb.DB{Members: []catalog.Membership{smalldb.Member("readers", "bob", false)}}, "bob", "readers", true, false},
		{"nested through a NOINHERIT edge", smalldb.DB{Members: []catalog.Membership{smalldb.Member("mid", "bob", false), smalldb.Member("readers", "mid", true)}}, "bob", "readers", true, false},
		{"superuser", smalldb.DB{}, "postgres", "readers", true, true},
		{"database owner in pg_database_owner", smalldb.DB{Version: 140023}, "alice", "pg_database_owner", true, true},
		{"NOINHERIT database owner on 15", smalldb.DB{Version: 150018, DBOwner: "dave"}, "dave", "pg_database_owner", true, false},
		{"no pg_database_owner on 13", smalldb.DB{Version: 130023}, "alice", "pg_database_owner", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEffectiveAccess(tt.db.Catalog())
			if got := e.IsMemberOf(tt.role, tt.other); got != tt.wantMember {
				t.Errorf("IsMemberOf = %t, want %t", got, tt.wantMember)
			}
			if got := e.HasPrivilegesOf(tt.role, tt.other); got != tt.wantUse {
				t.Errorf("HasPrivilegesOf = %t, want %t", got, tt.wantUse)
			}
		})
	}
}
