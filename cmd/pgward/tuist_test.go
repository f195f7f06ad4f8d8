package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// examplePolicy is the Tuist policy for a server version: PostgreSQL 13 has
// no pg_read_all_data and uses the documented fallback.
func examplePolicy(version int) string {
	if version < 140000 {
		return "../../examples/tuist/pg13/policy.hcl"
	}
	return "../../examples/tuist/policy.hcl"
}

// cli runs pgward in-process, as a user would from a shell with
// DATABASE_URL set, and returns the exit status and the output.
type cli struct {
	t      *testing.T
	url    string
	env    map[string]string
	policy string // the example policy for the server's version
	tty    bool   // stdin, stdout and stderr are terminals
}

func (c cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	vars := map[string]string{"DATABASE_URL": c.url}
	for k, v := range c.env {
		vars[k] = v
	}
	code = run(context.Background(), args, env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return vars[k] },
		isTTY:  func(any) bool { return c.tty },
	})
	return code, out.String(), errOut.String()
}

// expect runs pgward and fails the test unless it exits with want.
func (c cli) expect(want int, args ...string) (stdout, stderr string) {
	c.t.Helper()
	code, stdout, stderr := c.run(args...)
	if code != want {
		c.t.Fatalf("pgward %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// tuistDB sets up what the database operator and the first migration
// leave behind: the four roles (tuist_web only when withWeb), database owned
// by tuist_app, the demo schema loaded as tuist_app.
func tuistDB(t *testing.T, withWeb bool) (*pgtest.DB, cli) {
	t.Helper()
	db := pgtest.NewDB(t)
	v := db.Server.Version()
	db.CreateRole(t, "tuist_app", "LOGIN")
	db.CreateRole(t, "tuist_ops_ro", "LOGIN")
	if v >= 140000 {
		db.Exec(t, "GRANT pg_read_all_data TO tuist_ops_ro")
	}
	if withWeb {
		createWeb(t, db)
	}
	db.CreateRole(t, "tuist_processor", "LOGIN")
	db.Exec(t, fmt.Sprintf("ALTER DATABASE %q OWNER TO tuist_app", db.Name))
	schema, err := os.ReadFile(filepath.Join("..", "..", "examples", "tuist", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db.ExecAs(t, "tuist_app", string(schema))
	pg := cli{t: t, url: db.RoleURL("tuist_app"), policy: examplePolicy(v)}
	if v < 150000 {
		// Before 15 the public schema belongs to the bootstrap superuser:
		// the owner role cannot grant on it, and plan says so with the
		// fix (exit 2: changes pending), which the operator then applies.
		_, stderr := pg.expect(2, "plan", "--policy", pg.policy)
		if !strings.Contains(stderr, "ALTER SCHEMA \"public\" OWNER TO tuist_app") {
			t.Fatalf("plan on %d does not point to the fix:\n%s", v, stderr)
		}
		db.Exec(t, "ALTER SCHEMA public OWNER TO tuist_app")
	}
	return db, pg
}

func createWeb(t *testing.T, db *pgtest.DB) {
	db.CreateRole(t, "tuist_web", "LOGIN NOINHERIT")
	db.Exec(t, "GRANT tuist_ops_ro TO tuist_web")
	// The operator sets what the policy checks (settings of an external role).
	db.Exec(t, "ALTER ROLE tuist_web SET statement_timeout = '5s'")
}

// The spec's four-role table, written out object by object: what
// has_*_privilege must answer after apply. PUBLIC's built-in defaults
// (CONNECT and TEMPORARY on the database, EXECUTE on functions) count, since
// PostgreSQL answers through them; PUBLIC's CREATE on the schema must not.
var (
	tableDML   = []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
	tableOther = []string{"TRUNCATE", "REFERENCES", "TRIGGER"}
	allTables  = []string{"schema_migrations", "accounts", "users", "projects", "command_events", "oban_jobs", "oban_peers", "project_handles"}
	allSeqs    = []string{"accounts_id_seq", "users_id_seq", "projects_id_seq", "command_events_id_seq", "oban_jobs_id_seq"}
	allFuncs   = []string{"oban_jobs_notify()", "project_handle(text, text)"}
)

type privCheck struct {
	role, fn, object, priv string
	want                   bool
}

func expectedAccess(schema string) []privCheck {
	var checks []privCheck
	add := func(role, fn, object string, privs []string, want bool) {
		for _, p := range privs {
			checks = append(checks, privCheck{role, fn, object, p, want})
		}
	}
	q := func(name string) string { return schema + "." + name }
	for _, role := range []string{"tuist_web", "tuist_processor", "tuist_ops_ro"} {
		// Every role connects (web and processor by grant, ops_ro through
		// PUBLIC's default) and none creates anything.
		add(role, "database", "", []string{"CONNECT"}, true)
		add(role, "database", "", []string{"CREATE"}, false)
		add(role, "schema", schema, []string{"USAGE"}, true)
		add(role, "schema", schema, []string{"CREATE"}, false)
		for _, f := range allFuncs {
			add(role, "function", q(f), []string{"EXECUTE"}, true)
		}
	}
	for _, tbl := range allTables {
		// tuist_web: DML everywhere but schema_migrations and the view
		// project_handles (a join, which cannot be updated), which it only
		// reads.
		if tbl == "schema_migrations" || tbl == "project_handles" {
			add("tuist_web", "table", q(tbl), []string{"SELECT"}, true)
			add("tuist_web", "table", q(tbl), []string{"INSERT", "UPDATE", "DELETE"}, false)
		} else {
			add("tuist_web", "table", q(tbl), tableDML, true)
		}
		add("tuist_web", "table", q(tbl), tableOther, false)
		// tuist_processor: its job tables, two lookups, nothing else.
		switch tbl {
		case "oban_jobs", "oban_peers", "command_events":
			add("tuist_processor", "table", q(tbl), tableDML, true)
		case "accounts", "projects":
			add("tuist_processor", "table", q(tbl), []string{"SELECT"}, true)
			add("tuist_processor", "table", q(tbl), []string{"INSERT", "UPDATE", "DELETE"}, false)
		default:
			add("tuist_processor", "table", q(tbl), tableDML, false)
		}
		add("tuist_processor", "table", q(tbl), tableOther, false)
		// tuist_ops_ro: reads everything through pg_read_all_data, writes nothing.
		add("tuist_ops_ro", "table", q(tbl), []string{"SELECT"}, true)
		add("tuist_ops_ro", "table", q(tbl), []string{"INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}, false)
	}
	for _, seq := range allSeqs {
		add("tuist_web", "sequence", q(seq), []string{"USAGE", "SELECT"}, true)
		add("tuist_web", "sequence", q(seq), []string{"UPDATE"}, false)
		add("tuist_processor", "sequence", q(seq), []string{"USAGE", "SELECT"}, seq == "oban_jobs_id_seq")
		add("tuist_processor", "sequence", q(seq), []string{"UPDATE"}, false)
		add("tuist_ops_ro", "sequence", q(seq), []string{"SELECT"}, true)
		add("tuist_ops_ro", "sequence", q(seq), []string{"USAGE", "UPDATE"}, false)
	}
	return checks
}

// askPostgres answers each check with PostgreSQL's own has_*_privilege.
func askPostgres(t *testing.T, conn *pgx.Conn, c privCheck) bool {
	t.Helper()
	var sql string
	args := []any{c.role}
	switch c.fn {
	case "database":
		sql = "SELECT has_database_privilege($1, current_database(), $2)"
		args = append(args, c.priv)
	case "schema":
		sql = "SELECT has_schema_privilege($1, $2, $3)"
		args = append(args, c.object, c.priv)
	case "table":
		sql = "SELECT has_table_privilege($1, $2, $3)"
		args = append(args, c.object, c.priv)
	case "sequence":
		sql = "SELECT has_sequence_privilege($1, $2, $3)"
		args = append(args, c.object, c.priv)
	case "function":
		sql = "SELECT has_function_privilege($1, $2, $3)"
		args = append(args, c.object, c.priv)
	}
	var got bool
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&got); err != nil {
		t.Fatalf("%s(%s, %s, %s): %v", c.fn, c.role, c.object, c.priv, err)
	}
	return got
}

func checkAccess(t *testing.T, db *pgtest.DB, checks []privCheck) {
	t.Helper()
	conn, err := db.Server.SuperuserConn(context.Background(), db.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, c := range checks {
		if got := askPostgres(t, conn, c); got != c.want {
			t.Errorf("has_%s_privilege(%s, %s, %s) = %t, want %t", c.fn, c.role, c.object, c.priv, got, c.want)
		}
	}
}

func TestTuist_convergesToTheFourRoleTable(t *testing.T) {
	db, pg := tuistDB(t, true)

	stdout, _ := pg.expect(2, "plan", "--policy", pg.policy)
	for _, want := range []string{"# table public.accounts", "+ grant SELECT, INSERT, UPDATE, DELETE to tuist_web", "Plan: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, stdout)
		}
	}
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	stdout, _ = pg.expect(0, "plan", "--policy", pg.policy)
	if !strings.Contains(stdout, "No changes.") {
		t.Errorf("second plan is not empty:\n%s", stdout)
	}
	checkAccess(t, db, expectedAccess("public"))

	// A migration creates a table as the owner: default privileges cover it.
	db.ExecAs(t, "tuist_app", "CREATE TABLE later (id bigserial PRIMARY KEY, note text)")
	pg.expect(0, "audit", "--policy", pg.policy)
	checkAccess(t, db, []privCheck{
		{"tuist_web", "table", "public.later", "INSERT", true},
		{"tuist_web", "table", "public.later", "TRUNCATE", false},
		{"tuist_web", "sequence", "public.later_id_seq", "USAGE", true},
		{"tuist_processor", "table", "public.later", "SELECT", false},
	})

	// A hand-made grant is drift; apply revokes it.
	db.Exec(t, "GRANT TRUNCATE ON accounts TO tuist_web")
	stdout, _ = pg.expect(2, "audit", "--policy", pg.policy)
	if !strings.Contains(stdout, "- revoke TRUNCATE from tuist_web") {
		t.Errorf("audit does not show the revoke:\n%s", stdout)
	}
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	pg.expect(0, "audit", "--policy", pg.policy)
	checkAccess(t, db, []privCheck{{"tuist_web", "table", "public.accounts", "TRUNCATE", false}})

	// An operator makes tuist_ops_ro able to write through a predefined
	// role: no ACL changes, but the deny invariant breaks, and audit says
	// by which path.
	if db.Server.Version() < 140000 {
		return // no pg_write_all_data before 14
	}
	db.Exec(t, "GRANT pg_write_all_data TO tuist_ops_ro")
	stdout, _ = pg.expect(2, "audit", "--policy", pg.policy)
	for _, want := range []string{"# invariants broken", "tuist_ops_ro: INSERT, UPDATE, DELETE on table public.accounts via tuist_ops_ro → member of pg_write_all_data"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("audit output lacks %q:\n%s", want, stdout)
		}
	}
	db.Exec(t, "REVOKE pg_write_all_data FROM tuist_ops_ro")
	pg.expect(0, "audit", "--policy", pg.policy)
}

func TestTuist_rolloutBeforeTheRuntimeRoleExists(t *testing.T) {
	db, pg := tuistDB(t, false)

	_, stderr := pg.expect(2, "plan", "--policy", pg.policy)
	if !strings.Contains(stderr, `warning: Role "tuist_web" does not exist`) {
		t.Errorf("no warning for the missing role:\n%s", stderr)
	}
	pg.expect(1, "plan", "--strict", "--policy", pg.policy)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	_, stderr = pg.expect(0, "plan", "--policy", pg.policy)
	if !strings.Contains(stderr, "tuist_web") {
		t.Errorf("the skipped role is not mentioned on the second run:\n%s", stderr)
	}

	// The operator creates the role; the next run grants it.
	createWeb(t, db)
	stdout, _ := pg.expect(2, "plan", "--policy", pg.policy)
	if !strings.Contains(stdout, "to tuist_web") {
		t.Errorf("plan does not grant the new role:\n%s", stdout)
	}
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	pg.expect(0, "plan", "--policy", pg.policy)
	checkAccess(t, db, expectedAccess("public"))
}

func TestTuist_schemaIsAVariable(t *testing.T) {
	db, pg := tuistDB(t, true)
	// Move the application into its own schema owned by tuist_app.
	db.ExecAs(t, "tuist_app", `CREATE SCHEMA app;
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r','v','p') LOOP
    EXECUTE format('ALTER %s public.%I SET SCHEMA app', CASE r.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, r.relname);
  END LOOP;
END $$;
ALTER FUNCTION public.oban_jobs_notify() SET SCHEMA app;
ALTER FUNCTION public.project_handle(text, text) SET SCHEMA app;
ALTER TYPE public.oban_job_state SET SCHEMA app;`)
	pg.expect(2, "plan", "--policy", pg.policy, "--var", "schema=app")
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy, "--var", "schema=app")
	pg.env = map[string]string{"PGWARD_VAR_schema": "app"}
	pg.expect(0, "plan", "--policy", pg.policy)
	checkAccess(t, db, expectedAccess("app"))
}

func TestTuist_formats(t *testing.T) {
	_, pg := tuistDB(t, true)
	stdout, _ := pg.expect(2, "plan", "--format", "json", "--policy", pg.policy)
	if !strings.Contains(stdout, `"format_version": "2"`) {
		t.Errorf("json plan lacks format_version:\n%s", stdout)
	}
	stdout, _ = pg.expect(2, "plan", "--format", "sql", "--policy", pg.policy)
	if !strings.Contains(stdout, `GRANT CONNECT ON DATABASE`) {
		t.Errorf("sql plan lacks the CONNECT grant:\n%s", stdout)
	}
	pg.expect(1, "plan", "--format", "yaml", "--policy", pg.policy)
	// apply without a terminal and without --auto-approve refuses.
	_, stderr := pg.expect(1, "apply", "--policy", pg.policy)
	if !strings.Contains(stderr, "--auto-approve") {
		t.Errorf("apply without --auto-approve: %s", stderr)
	}
	pg.expect(2, "plan", "--policy", pg.policy) // still nothing applied
}

func TestTuist_savedPlan(t *testing.T) {
	db, pg := tuistDB(t, true)
	saved := filepath.Join(t.TempDir(), "tuist.plan")
	pg.expect(2, "plan", "--out", saved, "--policy", pg.policy)

	// The database changes before the saved plan is applied: refused, and
	// the error says what changed.
	db.ExecAs(t, "tuist_app", "CREATE TABLE surprise (id int)")
	_, stderr := pg.expect(1, "apply", saved, "--policy", pg.policy)
	if !strings.Contains(stderr, "changed since the plan was approved") || !strings.Contains(stderr, "table public.surprise was created") {
		t.Errorf("stale saved plan: %s", stderr)
	}
	// A different policy (here a variable) is refused too.
	pg.expect(2, "plan", "--out", saved, "--policy", pg.policy)
	_, stderr = pg.expect(1, "apply", saved, "--policy", pg.policy, "--var", "schema=other")
	if !strings.Contains(stderr, "policy (or a variable) changed") {
		t.Errorf("policy change: %s", stderr)
	}
	// Unchanged: applied exactly, without a prompt.
	pg.expect(0, "apply", saved, "--policy", pg.policy)
	pg.expect(0, "plan", "--policy", pg.policy)
}
