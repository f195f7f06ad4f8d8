package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// threeDBs is three databases of one server for fleet tests, each with a
// schema app and a table app.t owned by the role own, and the roles of the
// fleet policy: app (managed, to be granted SELECT on app.t and membership
// in grp) and grp. In the third database app.t belongs to other, so own
// cannot grant on it: with --require-all that database fails.
type threeDBs struct {
	dbs           [3]*pgtest.DB
	own, app, grp string
	policy        string
	urls          [3]string // own's URLs, with its password
	pwOwn         string
}

func newFleet(t *testing.T) *threeDBs {
	t.Helper()
	f := &threeDBs{}
	// The database made first holds the roles: its cleanup, which runs
	// last, drops them once the other databases are gone.
	d0 := pgtest.NewDB(t)
	f.dbs = [3]*pgtest.DB{d0, pgtest.NewDBOn(t, d0.Server), pgtest.NewDBOn(t, d0.Server)}
	// In name order (the names are random): the first is the cluster
	// owner of a fleet of them, whatever their order.
	slices.SortFunc(f.dbs[:], func(a, b *pgtest.DB) int { return strings.Compare(a.Name, b.Name) })
	f.own, f.app, f.grp = d0.RoleName("fl_own"), d0.RoleName("fl_app"), d0.RoleName("fl_grp")
	other := d0.RoleName("fl_other")
	d0.CreateRole(t, f.own, "LOGIN")
	d0.CreateRole(t, f.app, "NOLOGIN")
	d0.CreateRole(t, f.grp, "NOLOGIN")
	d0.CreateRole(t, other, "NOLOGIN")
	// own may grant membership in grp (ADMIN OPTION), so the membership is
	// something the owning run can do and the others would be able to do too.
	d0.Exec(t, fmt.Sprintf("GRANT %q TO %q WITH ADMIN OPTION", f.grp, f.own))
	for i, db := range f.dbs {
		db.Exec(t, fmt.Sprintf("CREATE SCHEMA app AUTHORIZATION %[1]q; CREATE TABLE app.t (id int); ALTER TABLE app.t OWNER TO %[1]q", f.own))
		if i == 2 {
			db.Exec(t, fmt.Sprintf("ALTER TABLE app.t OWNER TO %q", other))
		}
		f.urls[i] = strings.Replace(d0.RoleURL(f.own), "/"+d0.Name+"?", "/"+db.Name+"?", 1)
	}
	f.pwOwn = passwordOf(t, f.urls[0])
	f.policy = writePolicy(t, fmt.Sprintf(`scope {
  schemas = ["app"]
}

role %[1]q {
  member_of %[2]q {}

  grant "schema" {
    names      = ["app"]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = "app"
    privileges = ["SELECT"]
  }
}
`, f.app, f.grp))
	return f
}

// passwordOf returns the password of a URL, failing the test if it has none:
// the tests check it never shows.
func passwordOf(t *testing.T, url string) string {
	t.Helper()
	m := regexp.MustCompile(`^postgres://[^:@/]+:([^@]+)@`).FindStringSubmatch(url)
	if m == nil {
		t.Fatalf("URL without a password; the test needs one to check it is never printed")
	}
	return m[1]
}

// query answers a boolean query as the superuser in db.
func queryBool(t *testing.T, db *pgtest.DB, sql string) bool {
	t.Helper()
	var b bool
	if err := db.Conn(t).QueryRow(context.Background(), sql).Scan(&b); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return b
}

func (f *threeDBs) canSelect(t *testing.T, i int) bool {
	return queryBool(t, f.dbs[i], fmt.Sprintf("SELECT has_table_privilege(%s, 'app.t', 'SELECT')", quoteLit(f.app)))
}

func (f *threeDBs) isMember(t *testing.T) bool {
	return queryBool(t, f.dbs[0], fmt.Sprintf("SELECT pg_has_role(%s, %s, 'MEMBER')", quoteLit(f.app), quoteLit(f.grp)))
}

func quoteLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// summaryRow finds the row of the summary table for a database.
func summaryRow(t *testing.T, stdout, label string) string {
	t.Helper()
	_, table, ok := strings.Cut(stdout, "DATABASE  ")
	if !ok {
		t.Fatalf("no summary table:\n%s", stdout)
	}
	for line := range strings.Lines(table) {
		if strings.HasPrefix(line, label+" ") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("the summary has no row for %s:\n%s", label, table)
	return ""
}

// TestFleet_oneFailsOthersConverge is the done-when of fleets: an apply
// over three databases where one fails (with --require-all, a table owned by
// a role the connecting role cannot act as) and the other two converge.
// The failing database is the cluster owner, so the membership the policy
// declares (cluster-wide) must not be granted by the two that converge;
// a second run, owned by the first database, grants it, once.
func TestFleet_oneFailsOthersConverge(t *testing.T) {
	f := newFleet(t)
	c := cli{t: t, url: "postgres://nobody@127.0.0.1:1/unused?connect_timeout=1"} // DATABASE_URL is not read in a fleet
	args := []string{"apply", "--auto-approve", "--require-all", "--policy", f.policy, "--verbose",
		"--database-url", f.urls[0], "--database-url", f.urls[1], "--database-url", f.urls[2]}

	stdout, stderr := c.expect(1, append(args, "--cluster-owner", f.dbs[2].Name)...)
	if strings.Contains(stdout+stderr, f.pwOwn) {
		t.Fatalf("the password was printed:\n%s\n%s", stdout, stderr)
	}
	for i := range 2 {
		if !f.canSelect(t, i) {
			t.Errorf("database %d did not converge: %s has no SELECT on app.t\n%s\n%s", i+1, f.app, stdout, stderr)
		}
		if row := summaryRow(t, stdout, f.dbs[i].Name); !strings.Contains(row, " applied ") {
			t.Errorf("summary row of database %d: %q", i+1, row)
		}
	}
	if f.canSelect(t, 2) {
		t.Error("the failing database was changed")
	}
	if row := summaryRow(t, stdout, f.dbs[2].Name+" *"); !strings.Contains(row, " error ") {
		t.Errorf("summary row of the failing cluster owner: %q", row)
	}
	if !strings.Contains(stdout, "Fleet apply over 3 databases: 2 applied, 1 failed.") {
		t.Errorf("summary line:\n%s", stdout)
	}
	if !strings.Contains(stderr, "error: database "+f.dbs[2].Name+": ") || !strings.Contains(stderr, "Change cannot be executed by "+f.own) {
		t.Errorf("stderr does not say why the third database failed:\n%s", stderr)
	}
	// The cluster owner failed and rolled back; the others left the
	// membership to it.
	if f.isMember(t) {
		t.Errorf("%s became a member of %s although its cluster owner failed:\n%s\n%s", f.app, f.grp, stdout, stderr)
	}
	for i := range 2 {
		if s := sectionOf(stdout, f.dbs[i].Name); s == "" || strings.Contains(s, f.grp) {
			t.Errorf("database %d, not the cluster owner, planned the membership (or has no section):\n%s", i+1, stdout)
		}
	}

	// Again, owned by the first database by name (the default): it grants the
	// membership, the second has nothing left to do, the third still fails.
	stdout, stderr = c.expect(1, args...)
	if !f.isMember(t) {
		t.Errorf("the cluster owner did not grant the membership:\n%s\n%s", stdout, stderr)
	}
	grant := regexp.MustCompile(`(?m)^(\S+): .*executed.*GRANT .*` + regexp.QuoteMeta(f.grp) + `.* TO `)
	got := grant.FindAllStringSubmatch(stderr, -1)
	if len(got) != 1 || got[0][1] != f.dbs[0].Name {
		t.Errorf("the membership was granted %d times (want once, by %s):\n%s", len(got), f.dbs[0].Name, stderr)
	}
	if row := summaryRow(t, stdout, f.dbs[0].Name+" *"); !strings.Contains(row, " applied ") {
		t.Errorf("summary row of the cluster owner: %q", row)
	}
	if row := summaryRow(t, stdout, f.dbs[1].Name); !strings.Contains(row, " in sync ") {
		t.Errorf("summary row of the second database: %q", row)
	}
	if strings.Contains(stdout+stderr, f.pwOwn) {
		t.Fatalf("the password was printed:\n%s\n%s", stdout, stderr)
	}
}

// sectionOf returns the part of a fleet's text output for one database.
func sectionOf(stdout, label string) string {
	_, rest, ok := strings.Cut(stdout, "=== "+label+" ===\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n=== "); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.Index(rest, "\nFleet "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// TestFleet_planClusterWideOnce: in a fleet plan, the membership (a
// cluster-wide change) is planned by the cluster owner only, and the exit
// status is the worst of the databases' (2: changes pending; 1 once a
// database fails).
func TestFleet_planClusterWideOnce(t *testing.T) {
	f := newFleet(t)
	c := cli{t: t}
	targets := filepath.Join(t.TempDir(), "targets")
	content := "# the fleet\n" + f.urls[0] + "\n\n  " + f.urls[1] + "\n"
	if err := os.WriteFile(targets, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := c.expect(2, "plan", "--policy", f.policy, "--targets", targets, "--concurrency", "1")
	owner, other := sectionOf(stdout, f.dbs[0].Name), sectionOf(stdout, f.dbs[1].Name)
	if !strings.Contains(owner, "membership") || !strings.Contains(owner, f.grp) {
		t.Errorf("the cluster owner's plan lacks the membership:\n%s", owner)
	}
	if strings.Contains(other, f.grp) {
		t.Errorf("the second database planned the membership too:\n%s", other)
	}
	if !strings.Contains(other, "grant SELECT") {
		t.Errorf("the second database's plan lacks its own grant:\n%s", other)
	}
	if strings.Contains(stdout+stderr, f.pwOwn) {
		t.Fatalf("the password was printed:\n%s\n%s", stdout, stderr)
	}

	// An unreachable database makes the fleet fail (1), the others are
	// still planned and listed.
	bad := "postgres://" + f.own + ":s3cr%40t-fleet@127.0.0.1:1/gone?connect_timeout=2"
	stdout, stderr = c.expect(1, "plan", "--policy", f.policy, "--targets", targets, "--database-url", bad, "--format", "json")
	for _, secret := range []string{"s3cr@t-fleet", "s3cr%40t-fleet", f.pwOwn} {
		if strings.Contains(stdout+stderr, secret) {
			t.Fatalf("a password was printed:\n%s\n%s", stdout, stderr)
		}
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		ExitCode      int    `json:"exit_code"`
		Databases     []struct {
			Target       string          `json:"target"`
			ClusterOwner bool            `json:"cluster_owner"`
			Result       string          `json:"result"`
			Error        string          `json:"error"`
			Plan         json.RawMessage `json:"plan"`
		} `json:"databases"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("fleet JSON: %v\n%s", err, stdout)
	}
	if doc.ExitCode != 1 || len(doc.Databases) != 3 {
		t.Fatalf("fleet JSON: exit_code %d, %d databases:\n%s", doc.ExitCode, len(doc.Databases), stdout)
	}
	// --database-url comes first, then the targets file; the unreachable
	// server is a server of its own, so it is its own cluster owner.
	gone := doc.Databases[0]
	if gone.Target != "gone" || gone.Result != "error" || !strings.Contains(gone.Error, "connect to 127.0.0.1:1/gone as user "+f.own) || len(gone.Plan) != 0 {
		t.Errorf("the unreachable database: %+v", gone)
	}
	for i, d := range doc.Databases[1:] {
		if d.Target != f.dbs[i].Name || d.Result != "changes" || len(d.Plan) == 0 || d.ClusterOwner != (i == 0) {
			t.Errorf("database %d: %+v", i+1, d)
		}
	}
}

// TestFleet_allDatabases: --all-databases lists the server's databases
// (the shared test server holds other tests' too, hence the filters), and
// --exclude-database wins over --include-database.
func TestFleet_allDatabases(t *testing.T) {
	f := newFleet(t)
	c := cli{t: t, url: f.urls[0]} // the server comes from DATABASE_URL
	// A pattern: the third name with its last character as ?.
	third := f.dbs[2].Name[:len(f.dbs[2].Name)-1] + "?"
	stdout, _ := c.expect(2, "plan", "--policy", f.policy, "--all-databases",
		"--include-database", f.dbs[0].Name+","+f.dbs[1].Name+","+f.dbs[2].Name,
		"--exclude-database", third)
	for _, db := range f.dbs[:2] {
		summaryRow(t, stdout, db.Name)
	}
	if strings.Contains(stdout, f.dbs[2].Name) {
		t.Errorf("the excluded database was planned:\n%s", stdout)
	}
	if !strings.Contains(stdout, "Fleet plan over ") {
		t.Errorf("no fleet summary:\n%s", stdout)
	}
	// The databases are sorted by name; the first one owns the cluster.
	first := min(f.dbs[0].Name, f.dbs[1].Name)
	summaryRow(t, stdout, first+" *")

	_, stderr := c.expect(1, "plan", "--policy", f.policy, "--exclude-database", "x")
	if !strings.Contains(stderr, "--include-database and --exclude-database filter --all-databases") {
		t.Errorf("a filter without --all-databases:\n%s", stderr)
	}
}

// TestFleet_passwordNeverPrinted: a fleet whose targets carry passwords, one
// of them wrong, prints neither.
func TestFleet_passwordNeverPrinted(t *testing.T) {
	db := pgtest.NewDB(t)
	other := pgtest.NewDBOn(t, db.Server)
	const right = "fleet-right-pw"
	_, url := pgtest.PasswordRole(t, db, right)
	wrong := strings.Replace(strings.Replace(url, right, "fleet-wr0ng-pw", 1), "/"+db.Name+"?", "/"+other.Name+"?", 1)
	policyPath := writePolicy(t, "role \"nobody_here\" {\n  if_missing = \"skip\"\n}\n")
	targets := filepath.Join(t.TempDir(), "targets")
	if err := os.WriteFile(targets, []byte(url+"\n"+wrong+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cli{t: t}
	stdout, stderr := c.expect(1, "audit", "--policy", policyPath, "--targets", targets)
	if !strings.Contains(stderr, "password authentication failed") {
		t.Errorf("the wrong password is not reported:\n%s", stderr)
	}
	for _, secret := range []string{right, "fleet-wr0ng-pw"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Fatalf("a password was printed:\n%s\n%s", stdout, stderr)
		}
	}

	// The same in the Prometheus format: one exposition, each family once,
	// a series per database.
	stdout, _ = c.expect(1, "audit", "--policy", policyPath, "--targets", targets, "--format", "prometheus")
	for _, want := range []string{
		`pgward_audit_success{database="` + db.Name + `"} 1`,
		`pgward_audit_success{database="` + other.Name + `"} 0`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("metrics lack %s:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "# TYPE pgward_audit_success gauge"); n != 1 {
		t.Errorf("the success family appears %d times:\n%s", n, stdout)
	}

	// A line the parser rejects is named by file and line, never quoted.
	if err := os.WriteFile(targets, []byte("# ok\npostgres://u:s3cr%zzt@[::1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr = c.expect(1, "audit", "--policy", policyPath, "--targets", targets)
	if !strings.Contains(stderr, targets+":2: ") || strings.Contains(stderr, "s3cr") {
		t.Errorf("a bad targets line:\n%s", stderr)
	}
}
