package plan_test

import (
	"slices"
	"testing"

	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/plandb"
	"github.com/pgward/pgward/plan"
)

// TestSettingMatches compares declared values with the text PostgreSQL
// stores (as read on 13 and 18 by apply's TestRun_roleSettings).
func TestSettingMatches(t *testing.T) {
	tests := []struct {
		name, param, value string
		list               []string
		stored             string
		want               bool
	}{
		{"same text", "statement_timeout", "5s", nil, "5s", true},
		{"units are not normalised", "statement_timeout", "5s", nil, "5000ms", false},
		{"number as text", "lock_timeout", "5000", nil, "5000", true},
		{"quoted list", "search_path", "", []string{"$user", "public", "My Schema", "user"}, `"$user", public, "My Schema", "user"`, true},
		{"list order matters", "search_path", "", []string{"public", "$user"}, `"$user", public`, false},
		{"scalar of a quoted list", "search_path", "app", nil, "app", true},
		{"scalar with quotes stored", "search_path", "$user", nil, `"$user"`, true},
		{"one string with a comma is one element", "search_path", "$user, public", nil, `"$user, public"`, true},
		{"one string is not the list", "search_path", "$user, public", nil, `"$user", public`, false},
		{"unquoted list", "datestyle", "", []string{"iso", "mdy"}, "iso, mdy", true},
		{"scalar of an unquoted list", "datestyle", "iso, mdy", nil, "iso, mdy", true},
		{"embedded quote", "search_path", "", []string{`a"b`, "c"}, `"a""b", c`, true},
		{"element with a comma", "search_path", "", []string{"a,b"}, `"a,b"`, true},
		{"empty string", "application_name", "", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan.SettingMatches(tt.param, tt.value, tt.list, tt.stored); got != tt.want {
				t.Errorf("SettingMatches(%q, %q, %q, %q) = %v, want %v", tt.param, tt.value, tt.list, tt.stored, got, tt.want)
			}
		})
	}
}

func TestSplitSettingList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`"$user", public`, []string{"$user", "public"}, true},
		{`a`, []string{"a"}, true},
		{`""`, []string{""}, true},
		{`"a""b" ,  c `, []string{`a"b`, "c"}, true},
		{`"unterminated`, nil, false},
		{`"a" b`, nil, false},
		{`a"b`, nil, false},
	}
	for _, tt := range tests {
		got, ok := plan.SplitSettingList(tt.in)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("SplitSettingList(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestBuild_roleSettings plans settings against a catalog: what is set,
// changed and reset, the SQL, the lines, and what additive roles keep.
func TestBuild_roleSettings(t *testing.T) {
	withSettings := func(settings ...catalog.Setting) *catalog.Catalog {
		c := plandb.Fixture{Me: "postgres"}.Catalog()
		c.Roles["bob"].Settings = settings
		return c
	}
	tests := []struct {
		name   string
		policy string
		cat    *catalog.Catalog
		lines  []string
		sql    []string
		kept   int
	}{{
		name:   "set, change, reset, other database left alone",
		policy: `role "bob" { settings = { statement_timeout = "5s", search_path = ["$user", "app"] } }`,
		cat: withSettings(catalog.Setting{Name: "lock_timeout", Value: "1s"}, catalog.Setting{Name: "statement_timeout", Value: "1s"},
			catalog.Setting{Database: "other", Name: "work_mem", Value: "1MB"}),
		lines: []string{"setting lock_timeout: 1s → (not set)", "setting search_path: (not set) → $user, app", "setting statement_timeout: 1s → 5s"},
		sql: []string{`ALTER ROLE "bob" RESET "lock_timeout"`, `ALTER ROLE "bob" SET "search_path" TO '$user', 'app'`,
			`ALTER ROLE "bob" SET "statement_timeout" TO '5s'`},
	}, {
		name:   "in sync",
		policy: `role "bob" { settings = { search_path = ["$user", "app"] } }`,
		cat:    withSettings(catalog.Setting{Name: "search_path", Value: `"$user", app`}),
	}, {
		name:   "no settings attribute: nothing managed",
		policy: `role "bob" {}`,
		cat:    withSettings(catalog.Setting{Name: "lock_timeout", Value: "1s"}),
	}, {
		name:   "one database",
		policy: `role "bob" { database_settings = { "it's" = { "myapp.x" = "a'b" } } }`,
		cat:    withSettings(catalog.Setting{Name: "lock_timeout", Value: "1s"}, catalog.Setting{Database: "it's", Name: "work_mem", Value: "1MB"}),
		lines:  []string{"setting myapp.x in database it's: (not set) → a'b", "setting work_mem in database it's: 1MB → (not set)"},
		sql:    []string{`ALTER ROLE "bob" IN DATABASE "it's" SET "myapp"."x" TO 'a''b'`, `ALTER ROLE "bob" IN DATABASE "it's" RESET "work_mem"`},
	}, {
		name:   "additive keeps what it would reset",
		policy: "role \"bob\" {\n  additive = true\n  settings = { statement_timeout = \"5s\" }\n}",
		cat:    withSettings(catalog.Setting{Name: "lock_timeout", Value: "1s"}),
		lines:  []string{"setting statement_timeout: (not set) → 5s"},
		sql:    []string{`ALTER ROLE "bob" SET "statement_timeout" TO '5s'`},
		kept:   1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := plandb.LoadPolicy(t, tt.policy)
			p, diags := plan.Build(pol, tt.cat, plan.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var lines, sql []string
			for _, c := range p.Changes {
				if c.Target != plan.TargetSetting || c.Action != plan.Alter || !c.ClusterWide() {
					t.Errorf("change %q: target %v, action %v", c.Line(), c.Target, c.Action)
				}
				lines = append(lines, c.Line())
			}
			for _, s := range p.Statements {
				sql = append(sql, s.SQL)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("lines:\n got %q\nwant %q", lines, tt.lines)
			}
			if !slices.Equal(sql, tt.sql) {
				t.Errorf("sql:\n got %q\nwant %q", sql, tt.sql)
			}
			if len(p.Kept) != tt.kept {
				t.Errorf("kept %d, want %d", len(p.Kept), tt.kept)
			}
		})
	}
}
