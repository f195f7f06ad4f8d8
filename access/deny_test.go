package access

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/smalldb"
	"github.com/pgward/pgward/policy"
)

const writes = acl.Insert | acl.Update | acl.Delete | acl.Truncate

// violations renders violations as the text plan prints them, without the
// marker.
func violations(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s: %s on %s via %s (%s:%d)", v.Role, v.Privilege, v.Object, v.Path, v.Rule.Filename, v.Rule.Start.Line))
	}
	return out
}

func TestCheckDeny(t *testing.T) {
	tableAll := acl.Valid(acl.KindTable, 160000)
	tests := []struct {
		name string
		db   smalldb.DB
		role string
		deny []*policy.Deny
		want []string
	}{
		{
			name: "kept: nothing to write with",
			db:   smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_read_all_data", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{smalldb.DenyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
		},
		{
			// dave is NOINHERIT: has_table_privilege says no, but a session of
			// dave can SET ROLE readers and write. A deny means never.
			name: "broken by SET ROLE: a NOINHERIT member",
			db: smalldb.DB{Version: 150004,
				Members: []catalog.Membership{smalldb.Member("readers", "dave", false)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll), smalldb.Item("readers", "alice", acl.Insert)}}},
			role: "dave",
			deny: []*policy.Deny{smalldb.DenyAt(7, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
			want: []string{"dave: INSERT on table app.t via dave → SET ROLE readers (policy.hcl:7)"},
		},
		{
			name: "broken by SET ROLE on 16: WITH INHERIT FALSE, SET TRUE, through a chain",
			db: smalldb.DB{
				Members: []catalog.Membership{
					{Role: "mid", Member: "bob", Grantor: "postgres", Inherit: false, Set: true},
					{Role: "readers", Member: "mid", Grantor: "postgres", Inherit: false, Set: true},
				},
				Edit: map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll), smalldb.Item("readers", "alice", acl.Insert)}}},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(7, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
			want: []string{"bob: INSERT on table app.t via bob → SET ROLE readers (through mid) (policy.hcl:7)"},
		},
		{
			name: "kept on 16: WITH INHERIT FALSE, SET FALSE",
			db: smalldb.DB{
				Members: []catalog.Membership{{Role: "readers", Member: "bob", Grantor: "postgres", Inherit: false, Set: false}},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll), smalldb.Item("readers", "alice", acl.Insert)}}},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(7, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
		},
		{
			name: "broken by SET ROLE to a superuser whose privileges the role inherits",
			db:   smalldb.DB{Members: []catalog.Membership{smalldb.Member("postgres", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{smalldb.DenyAt(9, policy.Deny{Kinds: []acl.Kind{acl.KindSequence}, Privileges: acl.Update})},
			want: []string{"ops: UPDATE on sequence app.s via ops → SET ROLE postgres (superuser) (policy.hcl:9)"},
		},
		{
			name: "broken through pg_write_all_data",
			db:   smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{smalldb.DenyAt(12, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
			want: []string{"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:12)"},
		},
		{
			name: "every kind when kinds are omitted; one line per route",
			db: smalldb.DB{
				Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true), smalldb.Member("readers", "ops", true)},
				Edit:    map[string][]acl.Item{"table t": {smalldb.Item("alice", "alice", tableAll), smalldb.Item("ops", "alice", acl.Truncate), smalldb.Item("readers", "alice", acl.Insert)}},
			},
			role: "ops",
			deny: []*policy.Deny{smalldb.DenyAt(3, policy.Deny{Privileges: writes})},
			want: []string{
				"ops: TRUNCATE on table app.t via ops (policy.hcl:3)",
				"ops: INSERT on table app.t via ops → member of readers (policy.hcl:3)",
				"ops: INSERT, UPDATE, DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:3)",
				"ops: UPDATE on sequence app.s via ops → member of pg_write_all_data (policy.hcl:3)",
			},
		},
		{
			name: "never CREATE anywhere: public schema on 14 through PUBLIC",
			db:   smalldb.DB{Version: 140023},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(5, policy.Deny{Privileges: acl.Create})},
			want: []string{"bob: CREATE on schema public via PUBLIC (policy.hcl:5)"},
		},
		{
			name: "never CREATE anywhere: kept on 15",
			db:   smalldb.DB{Version: 150018},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(5, policy.Deny{Privileges: acl.Create})},
		},
		{
			name: "the database owner creates in public on 15 and in its database",
			db:   smalldb.DB{Version: 150018},
			role: "alice",
			deny: []*policy.Deny{smalldb.DenyAt(5, policy.Deny{Privileges: acl.Create})},
			want: []string{
				"alice: CREATE on database appdb via alice (policy.hcl:5)",
				"alice: CREATE on schema app via alice (policy.hcl:5)",
				"alice: CREATE on schema public via alice → member of pg_database_owner (as owner of the database) (policy.hcl:5)",
			},
		},
		{
			name: "schema restricts: a schema matches itself, the database does not match",
			db:   smalldb.DB{Version: 150018},
			role: "alice",
			deny: []*policy.Deny{smalldb.DenyAt(5, policy.Deny{Schema: "public", Privileges: acl.Create})},
			want: []string{"alice: CREATE on schema public via alice → member of pg_database_owner (as owner of the database) (policy.hcl:5)"},
		},
		{
			name: "names and schema filter like grant rules",
			db:   smalldb.DB{Members: []catalog.Membership{smalldb.Member("pg_write_all_data", "ops", true)}},
			role: "ops",
			deny: []*policy.Deny{
				smalldb.DenyAt(7, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Schema: "other", Privileges: writes}),
				smalldb.DenyAt(8, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Names: smalldb.Patterns("x*"), Privileges: writes}),
				smalldb.DenyAt(9, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Schema: "app", Names: smalldb.Patterns("?"), Privileges: acl.Delete}),
			},
			want: []string{"ops: DELETE on table app.t via ops → member of pg_write_all_data (policy.hcl:9)"},
		},
		{
			name: "ALL means every privilege of the kind",
			db:   smalldb.DB{Members: []catalog.Membership{smalldb.Member("readers", "bob", true)}},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(4, policy.Deny{Kinds: []acl.Kind{acl.KindFunction}, All: true})},
			want: []string{"bob: EXECUTE on function app.f() via PUBLIC (policy.hcl:4)"},
		},
		{
			name: "a deny on tables covers column grants",
			db:   smalldb.DB{Edit: map[string][]acl.Item{"column t.c": {smalldb.Item("bob", "alice", acl.Insert|acl.Select)}}},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(6, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: writes})},
			want: []string{"bob: INSERT on column app.t.c via bob (policy.hcl:6)"},
		},
		{
			name: "a column grant is not reported twice next to the table-level one",
			db: smalldb.DB{Edit: map[string][]acl.Item{
				"table t":    {smalldb.Item("alice", "alice", tableAll), smalldb.Item("bob", "alice", acl.Insert)},
				"column t.c": {smalldb.Item("bob", "alice", acl.Insert)},
			}},
			role: "bob",
			deny: []*policy.Deny{smalldb.DenyAt(6, policy.Deny{Kinds: []acl.Kind{acl.KindTable}, Privileges: acl.Insert})},
			want: []string{
				"bob: INSERT on table app.t via bob (policy.hcl:6)",
				"bob: INSERT on column app.t.c via bob (policy.hcl:6)",
			},
		},
		{
			name: "superuser breaks every deny",
			role: "postgres",
			deny: []*policy.Deny{smalldb.DenyAt(2, policy.Deny{Kinds: []acl.Kind{acl.KindSequence}, Privileges: acl.Usage})},
			want: []string{"postgres: USAGE on sequence app.s via postgres (superuser) (policy.hcl:2)"},
		},
		{
			name: "a role the database lacks is skipped",
			role: "ghost",
			deny: []*policy.Deny{smalldb.DenyAt(2, policy.Deny{Privileges: acl.Execute})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &policy.Policy{Roles: []*policy.Role{{Name: tt.role, Deny: tt.deny}}}
			got := violations(CheckDeny(p, tt.db.Catalog()))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
