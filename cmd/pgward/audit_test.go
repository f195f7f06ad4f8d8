package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/internal/testkit/promcheck"
)

// openSession connects to the database as role with application_name app
// and keeps the session open until the test ends: a psql left open, or a
// migration runner.
func openSession(t *testing.T, db *pgtest.DB, role, app string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(db.RoleURL(role))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
}

// waitSessions waits until role's sessions in the database are exactly
// want (application_name → count): a session whose client has closed may
// linger in pg_stat_activity for a moment.
func waitSessions(t *testing.T, db *pgtest.DB, role string, want map[string]int) {
	t.Helper()
	conn := db.Conn(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]int{}
		rows, err := conn.Query(t.Context(), `SELECT coalesce(application_name, ''), count(*)::int FROM pg_stat_activity
WHERE datname = current_database() AND usename = $1 GROUP BY 1`, role)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var app string
			var n int
			if err := rows.Scan(&app, &n); err != nil {
				t.Fatal(err)
			}
			got[app] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions of %s: %v, want %v", role, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAudit_foreignOwnerAndOwnerSession is the scheduled audit of issue 5:
// a table that a migration created as another role than the owner (so the
// default privileges did not fire), and an owner session from an
// application that is not a migration, are both reported, in text, JSON
// and Prometheus format, and make audit exit 2. The audit runs as a
// monitoring role with no privileges: it sees the owner's sessions all the
// same.
func TestAudit_foreignOwnerAndOwnerSession(t *testing.T) {
	db := pgtest.NewDB(t)
	owner, mig, web, mon := db.RoleName("app"), db.RoleName("mig"), db.RoleName("web"), db.RoleName("mon")
	for _, r := range []string{owner, mig, web, mon} {
		db.CreateRole(t, r, "LOGIN")
	}
	db.Exec(t, fmt.Sprintf("CREATE SCHEMA app AUTHORIZATION %q; GRANT USAGE, CREATE ON SCHEMA app TO %q", owner, mig))
	db.ExecAs(t, owner, "CREATE TABLE app.good (id int)")
	policyPath := writePolicy(t, fmt.Sprintf(`scope {
  schemas = ["app"]
}

role %[1]q {
  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }
  default_privileges "table" {
    for_role   = %[2]q
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`, web, owner))
	asOwner := cli{t: t, url: db.RoleURL(owner)}
	asMon := cli{t: t, url: db.RoleURL(mon)}
	asOwner.expect(0, "apply", "--auto-approve", "--policy", policyPath)
	asMon.expect(0, "audit", "--policy", policyPath)

	// A migration runs as mig instead of the owner: the new table gets
	// nothing from the default privileges, and belongs to mig.
	db.ExecAs(t, mig, "CREATE TABLE app.rogue (id int)")
	stdout, _ := asMon.expect(2, "audit", "--policy", policyPath)
	for _, want := range []string{
		"# objects not owned by the declared owner (default privileges did not fire)",
		fmt.Sprintf("table app.rogue is owned by %s, not %s", mig, owner),
		fmt.Sprintf(`fix: ALTER TABLE "app"."rogue" OWNER TO "%s"`, owner),
		"+ grant SELECT to " + web,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("audit lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "good") {
		t.Errorf("audit reports the table the owner created:\n%s", stdout)
	}
	if strings.Contains(stdout, "# owner sessions") {
		t.Errorf("sessions checked without --owner-applications:\n%s", stdout)
	}

	// The owner is connected by hand (psql), and by the migration runner.
	openSession(t, db, owner, "psql by hand")
	openSession(t, db, owner, "migrate")
	waitSessions(t, db, owner, map[string]int{"psql by hand": 1, "migrate": 1})
	apps := "--owner-applications=migrate,pgward"
	stdout, _ = asMon.expect(2, "audit", "--policy", policyPath, apps)
	if want := fmt.Sprintf(`owner role %s has 1 session open from application_name "psql by hand"; expected only "migrate", "pgward"`, owner); !strings.Contains(stdout, want) {
		t.Errorf("audit lacks %q:\n%s", want, stdout)
	}
	if strings.Contains(stdout, `application_name "migrate"`) {
		t.Errorf("the migration runner's session is reported:\n%s", stdout)
	}

	stdout, _ = asMon.expect(2, "audit", "--policy", policyPath, apps, "--format", "json")
	var doc struct {
		Findings []struct {
			Kind            string  `json:"kind"`
			Role            string  `json:"role"`
			WantOwner       string  `json:"want_owner"`
			Fix             string  `json:"fix"`
			ApplicationName *string `json:"application_name"`
			Sessions        int     `json:"sessions"`
			Object          *struct {
				Kind, Schema, Name, Owner string
			} `json:"object"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	var got []string
	for _, f := range doc.Findings {
		switch f.Kind {
		case "owner":
			got = append(got, fmt.Sprintf("owner %s %s.%s %s→%s %s", f.Object.Kind, f.Object.Schema, f.Object.Name, f.Role, f.WantOwner, f.Fix))
		case "session":
			got = append(got, fmt.Sprintf("session %s %q %d", f.Role, *f.ApplicationName, f.Sessions))
		}
	}
	want := []string{
		fmt.Sprintf(`owner table app.rogue %s→%s ALTER TABLE "app"."rogue" OWNER TO "%s"`, mig, owner, owner),
		fmt.Sprintf(`session %s "psql by hand" 1`, owner),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("JSON findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Prometheus, written atomically to a textfile collector directory.
	dir := t.TempDir()
	out := filepath.Join(dir, "pgward.prom")
	stdout, _ = asMon.expect(2, "audit", "--policy", policyPath, apps, "--format", "prometheus", "--output", out)
	if stdout != "" {
		t.Errorf("--output also wrote to stdout:\n%s", stdout)
	}
	prom, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf(`pgward_audit_findings{database=%q,kind="owner",role=%q} 1`, db.Name, mig),
		fmt.Sprintf(`pgward_audit_findings{database=%q,kind="session",role=%q} 1`, db.Name, owner),
		fmt.Sprintf(`pgward_audit_findings{database=%q,kind="drift",role=%q} 1`, db.Name, web),
		fmt.Sprintf(`pgward_audit_findings{database=%q,kind="violation",role=%q} 0`, db.Name, web),
		fmt.Sprintf(`pgward_audit_success{database=%q} 1`, db.Name),
		"# TYPE pgward_audit_timestamp_seconds gauge",
	} {
		if !strings.Contains(string(prom), want) {
			t.Errorf("prometheus output lacks %q:\n%s", want, prom)
		}
	}
	promcheck.Exposition(t, string(prom))
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the metrics file: %v, %v; want mode 0644", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only pgward.prom (no temporary file left)", len(entries))
	}

	// The operator applies the fix the audit gave, the owner grants, and
	// the hand-opened session is gone: in sync again.
	db.Exec(t, fmt.Sprintf(`ALTER TABLE "app"."rogue" OWNER TO %q`, owner))
	asOwner.expect(0, "apply", "--auto-approve", "--policy", policyPath)
	db.Exec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'psql by hand'")
	waitSessions(t, db, owner, map[string]int{"migrate": 1})
	stdout, _ = asMon.expect(0, "audit", "--policy", policyPath, apps)
	if !strings.Contains(stdout, "No drift.") {
		t.Errorf("audit after the fix:\n%s", stdout)
	}
}

// TestAudit_prometheusOnFailure: when the audit cannot run, the metrics
// still say so (pgward_audit_success 0), the exit status is 1, and no
// password appears.
func TestAudit_prometheusOnFailure(t *testing.T) {
	dir := t.TempDir()
	policyPath := writePolicy(t, "role \"web\" {\n  external = true\n}\n")
	c := cli{t: t, url: "postgres://auditor:s3cret-pw@127.0.0.1:1/shop?connect_timeout=5"}
	out := filepath.Join(dir, "pgward.prom")
	code, stdout, stderr := c.run("audit", "--policy", policyPath, "--format", "prometheus", "--output", out)
	if code != exitError {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	prom, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(prom), `pgward_audit_success{database="shop"} 0`) || strings.Contains(string(prom), "pgward_audit_findings") {
		t.Errorf("metrics of a failed audit:\n%s", prom)
	}
	for _, s := range []string{stdout, stderr, string(prom)} {
		if strings.Contains(s, "s3cret-pw") {
			t.Errorf("the password is printed:\n%s", s)
		}
	}
}

func TestAudit_badFormat(t *testing.T) {
	c := cli{t: t, url: "postgres://nobody@127.0.0.1:1/x"}
	_, stderr := c.expect(1, "audit", "--format", "yaml")
	if !strings.Contains(stderr, `--format "yaml": want text, json, sql, markdown or prometheus`) {
		t.Errorf("stderr: %s", stderr)
	}
}
