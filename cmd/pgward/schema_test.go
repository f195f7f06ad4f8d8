package main

import (
	"encoding/json"
	"flag"
	goldenfile "github.com/pgward/pgward/internal/testkit/golden"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestSchema and TestDiff")

const tuistSchema = "../../examples/tuist/schema.sql"

// sandboxCLI returns a cli and the flags that build schemas on the test
// binary's shared server, and the example policy for its version.
func sandboxCLI(t *testing.T) (cli, []string, *pgtest.Server) {
	t.Helper()
	srv := pgtest.Shared(t)
	pg := cli{t: t, policy: examplePolicy(srv.Version())}
	return pg, []string{"--sandbox-url", srv.URL("", "")}, srv
}

// reportJSON is the part of the JSON access report the tests read.
type reportJSON struct {
	FormatVersion string `json:"format_version"`
	Roles         []string
	Objects       []struct {
		Kind, Schema, Name string
		Access             []struct {
			Role         string
			Privileges   []string
			Owner        bool
			Unclassified bool
		}
	}
	Unclassified []struct {
		Kind, Object string
		Roles        []string
	}
	Disagreements []json.RawMessage
}

func (r *reportJSON) access(t *testing.T, kind, name, role string) (privs []string, unclassified bool) {
	t.Helper()
	for _, o := range r.Objects {
		if o.Kind != kind || o.Schema+"."+o.Name != name {
			continue
		}
		for _, a := range o.Access {
			if a.Role == role {
				return a.Privileges, a.Unclassified
			}
		}
	}
	t.Fatalf("the report has no %s %s for %s", kind, name, role)
	return nil, false
}

// TestSchema_tuistReport builds the Tuist example in a sandbox and checks
// facts of the four-role table in the report, which PostgreSQL's own
// has_*_privilege answered (and pgward's model agreed with).
func TestSchema_tuistReport(t *testing.T) {
	pg, sandbox, _ := sandboxCLI(t)
	args := append([]string{"plan", "--schema", tuistSchema, "--policy", pg.policy, "--format", "json"}, sandbox...)
	stdout, _ := pg.expect(0, args...)
	var r reportJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	if r.FormatVersion != "1" || len(r.Disagreements) != 0 {
		t.Errorf("format_version %q, disagreements %s", r.FormatVersion, r.Disagreements)
	}
	dml := []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
	tests := []struct {
		kind, object, role string
		want               []string
		unclassified       bool
	}{
		{"table", "public.accounts", "tuist_web", dml, false},
		{"table", "public.accounts", "tuist_ops_ro", []string{"SELECT"}, false},
		{"table", "public.accounts", "tuist_processor", []string{"SELECT"}, false},
		{"table", "public.schema_migrations", "tuist_web", []string{"SELECT"}, false},
		{"table", "public.oban_jobs", "tuist_processor", dml, false},
		{"table", "public.users", "tuist_processor", []string{}, true},
		{"table", "public.users", "tuist_ops_ro", []string{"SELECT"}, false},
		{"sequence", "public.oban_jobs_id_seq", "tuist_processor", []string{"SELECT", "USAGE"}, false},
		{"function", "public.oban_jobs_notify", "tuist_web", []string{"EXECUTE"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.role+" on "+tt.object, func(t *testing.T) {
			got, unclassified := r.access(t, tt.kind, tt.object, tt.role)
			if !slices.Equal(got, tt.want) || unclassified != tt.unclassified {
				t.Errorf("%s can use %v (unclassified %t), want %v (unclassified %t)", tt.role, got, unclassified, tt.want, tt.unclassified)
			}
		})
	}
}

// TestSchema_markdownGolden compares the Markdown report of the Tuist
// example with a golden file (-update rewrites it). The owner of schema
// public differs before PostgreSQL 15, so the file is for 15+.
func TestSchema_markdownGolden(t *testing.T) {
	pg, sandbox, srv := sandboxCLI(t)
	if srv.Version() < 150000 {
		t.Skipf("the golden report is for PostgreSQL 15+ (schema public belongs to pg_database_owner); this is %d", srv.Version())
	}
	args := append([]string{"plan", "--schema", tuistSchema, "--policy", pg.policy, "--format", "markdown"}, sandbox...)
	stdout, _ := pg.expect(0, args...)
	golden(t, filepath.Join("testdata", "schema", "tuist.md"), stdout)
}

// golden compares got with the file, or rewrites it under -update; a
// mismatch shows a line diff.
func golden(t *testing.T, path, got string) {
	t.Helper()
	goldenfile.Check(t, path, []byte(got), *update, "update")
}

// TestSchema_errors: each failure before or while building says what went
// wrong and exits 1.
func TestSchema_errors(t *testing.T) {
	pg, sandbox, _ := sandboxCLI(t)
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"missing file", []string{"--schema", "testdata/schema/nope.sql", "--policy", pg.policy},
			[]string{"read schema dump", "testdata/schema/nope.sql", "no such file"}},
		{"SQL error with its line", []string{"--schema", "testdata/schema/syntax-error.sql", "--policy", pg.policy},
			[]string{"testdata/schema/syntax-error.sql:6:", "syntax error at or near \"email\"", "run as tuist_app"}},
		{"format", []string{"--schema", tuistSchema, "--policy", pg.policy, "--format", "sql"},
			[]string{"text, json or markdown"}},
		{"an object of another role", []string{"--schema", "testdata/schema/superuser-owned.sql", "--policy", pg.policy},
			[]string{"superuser-owned.sql:9:", "must be owner of table audit_log", "line 7 gives audit_log to postgres", "ALTER … OWNER TO tuist_app", "pg_dump --no-owner", "--owner"}},
		{"owner unknown", []string{"--schema", tuistSchema, "--policy", "testdata/schema/no-owner.hcl"},
			[]string{"cannot tell which role owns the schema", "--owner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := pg.expect(1, append(append([]string{"plan"}, tt.args...), sandbox...)...)
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestSchema_noPostgreSQL: with no server to be had (no local binaries
// searched, Docker unreachable), the message says what to install.
func TestSchema_noPostgreSQL(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/pgward-test/docker.sock")
	pg := cli{t: t, policy: examplePolicy(170000)}
	_, stderr := pg.expect(1, "plan", "--schema", tuistSchema, "--policy", pg.policy, "--pg-image", "postgres:17-alpine")
	for _, w := range []string{"no PostgreSQL server available", "docker", "apt-get install postgresql", "--pg-bin", "--sandbox-url"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

// TestSchema_setRoleReach: a NOINHERIT member holds nothing of the role it
// belongs to, but a session of it reaches that role's grants by SET ROLE.
// The report says so ("+SELECT after SET ROLE", JSON set_role), as
// PostgreSQL answers it, and the deny that forbids it is reported broken.
func TestSchema_setRoleReach(t *testing.T) {
	pg, sandbox, _ := sandboxCLI(t)
	dir := t.TempDir()
	schema := filepath.Join(dir, "schema.sql")
	pol := filepath.Join(dir, "policy.hcl")
	if err := os.WriteFile(schema, []byte("CREATE TABLE items (id int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pol, []byte(`role "sr_owner" {
  if_missing = "create"
}
role "sr_reader" {
  if_missing = "create"
  grant "schema" {
    names      = ["public"]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = "public"
    privileges = ["SELECT"]
  }
  default_privileges "table" {
    for_role   = "sr_owner"
    schema     = "public"
    privileges = ["SELECT"]
  }
}
role "sr_ops" {
  if_missing = "create"
  inherit    = false
  member_of "sr_reader" {}
  deny {
    kinds      = ["table"]
    privileges = ["SELECT"]
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _ := pg.expect(2, append([]string{"plan", "--schema", schema, "--policy", pol, "--format", "json"}, sandbox...)...)
	var r struct {
		Objects []struct {
			Kind, Schema, Name string
			Access             []struct {
				Role       string
				Privileges []string
				SetRole    []string `json:"set_role"`
			}
		}
		Disagreements []json.RawMessage
		Violations    []struct{ Role, Path string }
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	if len(r.Disagreements) != 0 {
		t.Errorf("pgward's model and PostgreSQL disagree: %s", r.Disagreements)
	}
	if len(r.Violations) != 1 || r.Violations[0].Path != "sr_ops → SET ROLE sr_reader" {
		t.Errorf("violations %+v, want the deny of sr_ops broken via SET ROLE sr_reader", r.Violations)
	}
	found := false
	for _, o := range r.Objects {
		if o.Kind != "table" || o.Name != "items" {
			continue
		}
		for _, a := range o.Access {
			if a.Role == "sr_ops" {
				found = true
				if len(a.Privileges) != 0 || !slices.Equal(a.SetRole, []string{"SELECT"}) {
					t.Errorf("sr_ops on items: privileges %v, set_role %v; want none, and SELECT after SET ROLE", a.Privileges, a.SetRole)
				}
			}
		}
	}
	if !found {
		t.Fatalf("the report has no row for sr_ops on items:\n%s", stdout)
	}
	text, _ := pg.expect(2, append([]string{"plan", "--schema", schema, "--policy", pol}, sandbox...)...)
	for _, want := range []string{"nothing (+SELECT after SET ROLE)", "deny broken: sr_ops: SELECT on table public.items via sr_ops → SET ROLE sr_reader"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text report does not say %q:\n%s", want, text)
		}
	}
}

// TestSchema_sandboxCache: plan --schema on local binaries with
// --sandbox-cache runs initdb and stores the template the first time, and
// copies it the second time, with the same report.
func TestSchema_sandboxCache(t *testing.T) {
	srv := pgtest.Shared(t)
	if !srv.Local() && !pgtest.InCI() {
		t.Skip("the test server is not a local cluster: no local binaries to start a sandbox with")
	}
	pg := cli{t: t, policy: examplePolicy(srv.Version())}
	args := []string{"plan", "--schema", tuistSchema, "--policy", pg.policy, "--format", "json", "--sandbox-verbose", "--sandbox-cache", t.TempDir()}
	if bin := os.Getenv(pgtest.EnvBinDir); bin != "" {
		args = append(args, "--pg-bin", bin)
	}
	cold, coldLog := pg.expect(0, args...)
	warm, warmLog := pg.expect(0, args...)
	for _, tc := range []struct {
		run, log, want, unwanted string
	}{
		{"first", coldLog, "template cached in", "copied from the cached template"},
		{"second", warmLog, "copied from the cached template", "pgserver: initdb"},
	} {
		if !strings.Contains(tc.log, tc.want) || strings.Contains(tc.log, tc.unwanted) {
			t.Errorf("%s run: want %q and not %q in stderr:\n%s", tc.run, tc.want, tc.unwanted, tc.log)
		}
	}
	sandboxDB := regexp.MustCompile(`pgward_sandbox_[0-9a-f]+`)
	if a, b := sandboxDB.ReplaceAllString(cold, "DB"), sandboxDB.ReplaceAllString(warm, "DB"); a != b {
		t.Errorf("the report differs with the cached template:\n%s\nwant:\n%s", b, a)
	}
}

// TestSandboxFlags_cacheDir: --sandbox-cache, else $PGWARD_SANDBOX_CACHE,
// else the user's cache directory; "off" in either keeps no cache.
func TestSandboxFlags_cacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/home/ci/.cache")
	for _, tc := range []struct {
		flag, env, want string
	}{
		{"", "", "/home/ci/.cache/pgward/sandbox"},
		{"", "/ci/cache", "/ci/cache"},
		{"/mine", "/ci/cache", "/mine"},
		{"", "off", ""},
		{"off", "/ci/cache", ""},
		{"/mine", "off", "/mine"},
	} {
		e := env{getenv: func(k string) string {
			if k == "PGWARD_SANDBOX_CACHE" {
				return tc.env
			}
			return ""
		}}
		s := sandboxFlags{cache: tc.flag}
		if got := s.cacheDir(e, slog.New(slog.DiscardHandler)); got != tc.want {
			t.Errorf("--sandbox-cache %q, PGWARD_SANDBOX_CACHE %q: %q, want %q", tc.flag, tc.env, got, tc.want)
		}
	}
}
