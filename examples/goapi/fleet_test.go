package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestAuditFleet runs the example's auditFleet against two databases of a
// real PostgreSQL, both migrated, only the first converged by run: the
// second drifts, and a third that cannot be reached fails without stopping
// the others; once run has converged the second too, the fleet is in sync.
func TestAuditFleet(t *testing.T) {
	db1 := pgtest.NewDB(t) // holds the roles: its cleanup runs last
	db2 := pgtest.NewDBOn(t, db1.Server)
	owner, web := db1.RoleName("shop_owner"), db1.RoleName("shop_web")
	db1.CreateRole(t, owner, "LOGIN")
	db1.CreateRole(t, web, "LOGIN")
	url1 := db1.RoleURL(owner)
	url2 := strings.Replace(url1, "/"+db1.Name+"?", "/"+db2.Name+"?", 1)
	for _, db := range []*pgtest.DB{db1, db2} {
		db.Exec(t, fmt.Sprintf("ALTER DATABASE %q OWNER TO %q", db.Name, owner))
	}
	policyPath := writeExamplePolicy(t, owner, web)
	deploy := func(url string) {
		t.Helper()
		if err := run(t.Context(), config{DatabaseURL: url, MigrationsDir: "migrations", PolicyPath: policyPath, Out: &bytes.Buffer{}}); err != nil {
			t.Fatalf("run: %v", err)
		}
	}
	deploy(url1)
	cfg2, err := pgx.ParseConfig(url2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(t.Context(), cfg2, "migrations"); err != nil {
		t.Fatal(err)
	}
	pol, err := loadPolicy(policyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	gone := "postgres://" + owner + "@127.0.0.1:1/gone?connect_timeout=2"

	var out, log bytes.Buffer
	status, err := auditFleet(t.Context(), []string{url1, url2, gone}, pol, &out, &log)
	if err != nil {
		t.Fatal(err)
	}
	if status != fleet.StatusFailed {
		t.Errorf("status %v, want failed", status)
	}
	for _, want := range []string{
		"=== " + db1.Name + " ===", "=== " + db2.Name + " ===", "=== gone ===",
		"Fleet audit over 3 databases: 1 in sync, 1 with drift, 1 failed.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(log.String(), "error: database gone: ") {
		t.Errorf("the unreachable database is not reported:\n%s", log.String())
	}

	deploy(url2)
	out.Reset()
	log.Reset()
	status, err = auditFleet(t.Context(), []string{url1, url2}, pol, &out, &log)
	if err != nil || status != fleet.StatusOK || status.ExitCode() != 0 {
		t.Errorf("after converging both: status %v, %v\n%s\n%s", status, err, out.String(), log.String())
	}
	if !strings.Contains(out.String(), "Fleet audit over 2 databases: 2 in sync.") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// writeExamplePolicy writes the example's policy with its role names
// replaced by owner and web, and returns its path.
func writeExamplePolicy(t *testing.T, owner, web string) string {
	t.Helper()
	src, err := os.ReadFile("policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	pol := strings.NewReplacer(`"shop_owner"`, fmt.Sprintf("%q", owner), `"shop_web"`, fmt.Sprintf("%q", web)).Replace(string(src))
	if !strings.Contains(pol, owner) || !strings.Contains(pol, web) {
		t.Fatalf("the role names were not replaced:\n%s", pol)
	}
	path := filepath.Join(t.TempDir(), "policy.hcl")
	if err := os.WriteFile(path, []byte(pol), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
