package prcheck

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		want  []string // statements
		lines []int
	}{
		{"plain", "CREATE TABLE a (id int);\n\nCREATE TABLE b (id int);\n", []string{"CREATE TABLE a (id int)", "CREATE TABLE b (id int)"}, []int{1, 3}},
		{"semicolons in strings, identifiers and comments",
			"-- a; comment\nINSERT INTO \"x;y\" VALUES ('a;''b', E'c\\';d');\n/* block; /* nested; */ */ SELECT 1;",
			[]string{"INSERT INTO \"x;y\" VALUES ('a;''b', E'c\\';d')", "SELECT 1"}, []int{2, 3}},
		{"dollar quotes",
			"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nCREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN RETURN 1; END;\n$body$;\nSELECT $1;",
			[]string{"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$", "CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN RETURN 1; END;\n$body$", "SELECT $1"}, []int{1, 2, 5}},
		{"psql meta-commands of pg_dump",
			"\\restrict abc123\nSET statement_timeout = 0;\n\\unrestrict abc123\n",
			[]string{"SET statement_timeout = 0"}, []int{2}},
		{"no trailing semicolon", "SELECT 1", []string{"SELECT 1"}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			var sqls []string
			var lines []int
			for _, s := range got {
				sqls = append(sqls, s.SQL)
				lines = append(lines, s.Line)
			}
			if !slices.Equal(sqls, tt.want) || !slices.Equal(lines, tt.lines) {
				t.Errorf("Split:\n got %q at %v\nwant %q at %v", sqls, lines, tt.want, tt.lines)
			}
		})
	}
}

func TestSplit_errors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unterminated string", "SELECT 'abc;\n", "line 1: unterminated string literal"},
		{"unterminated dollar quote", "\nSELECT $x$ abc;", "line 2: unterminated dollar-quoted string $x$"},
		{"unterminated comment", "/* abc", "unterminated /* comment"},
		{"table data", "COPY public.t (a) FROM stdin;\n1\n\\.\n", "line 1: COPY … FROM stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Split(tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Split error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestClassifyAndRoleNames(t *testing.T) {
	tests := []struct {
		sql   string
		step  step
		role  string   // for stepSwitch
		roles []string // RoleNames
	}{
		{"CREATE TABLE t (id int)", stepRun, "", nil},
		{"CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public", stepSuperuser, "", nil},
		{"COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL'", stepSuperuser, "", nil},
		{"ALTER TABLE public.t OWNER TO app", stepRun, "", []string{"app"}},
		{"ALTER TABLE public.t OWNER TO \"Other Role\"", stepSuperuser, "", []string{"Other Role"}},
		{"GRANT SELECT, INSERT ON TABLE public.t TO web, GROUP readers, PUBLIC", stepRun, "", []string{"web", "readers"}},
		{"GRANT EXECUTE ON FUNCTION public.f(\"to\" integer) TO web WITH GRANT OPTION", stepRun, "", []string{"web"}},
		{"REVOKE ALL ON TABLE public.t FROM jobs CASCADE", stepRun, "", []string{"jobs"}},
		{"ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA public GRANT SELECT ON TABLES TO web", stepRun, "", []string{"app", "web"}},
		{"GRANT pg_read_all_data TO ops", stepRun, "", []string{"ops"}},
		{"SET ROLE migrator", stepSwitch, "migrator", []string{"migrator"}},
		{"SET SESSION AUTHORIZATION 'x'", stepRun, "", nil},
		{"SET SESSION AUTHORIZATION DEFAULT", stepReset, "", nil},
		{"RESET ROLE", stepReset, "", nil},
		{"CREATE SCHEMA billing AUTHORIZATION billing_owner", stepSuperuser, "", []string{"billing_owner"}},
		{"CREATE POLICY p ON t TO web USING (true)", stepRun, "", []string{"web"}},
		{"SELECT pg_catalog.set_config('search_path', '', false)", stepRun, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			sts, err := Split(tt.sql)
			if err != nil || len(sts) != 1 {
				t.Fatalf("Split: %v, %d statements", err, len(sts))
			}
			st, role := classify(sts[0], "app")
			if st != tt.step || role != tt.role {
				t.Errorf("classify = %d %q, want %d %q", st, role, tt.step, tt.role)
			}
			if got := sts[0].RoleNames(); !slices.Equal(got, tt.roles) {
				t.Errorf("RoleNames = %q, want %q", got, tt.roles)
			}
		})
	}
}
