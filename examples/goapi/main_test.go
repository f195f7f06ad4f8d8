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

// TestRun runs the example's own code (run: migrations, then apply.Run)
// against a real PostgreSQL, with the example's migrations and policy (its
// role names made unique to the test database): the runtime role can use
// what the migrations created, a second deploy changes nothing, and a
// later migration's table is covered.
func TestRun(t *testing.T) {
	db := pgtest.NewDB(t)
	owner, web := db.RoleName("shop_owner"), db.RoleName("shop_web")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, web, "LOGIN")
	db.Exec(t, fmt.Sprintf("ALTER DATABASE %q OWNER TO %q", db.Name, owner))

	policyPath := writeExamplePolicy(t, owner, web)
	dir := t.TempDir()
	migrations := filepath.Join(dir, "migrations")
	if err := os.Mkdir(migrations, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"0001_shop.sql", "0002_orders.sql"} {
		copyFile(t, filepath.Join("migrations", f), filepath.Join(migrations, f))
	}

	deploy := func() string {
		t.Helper()
		var out bytes.Buffer
		err := run(t.Context(), config{DatabaseURL: db.RoleURL(owner), MigrationsDir: migrations, PolicyPath: policyPath, Out: &out})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		return out.String()
	}
	tests := []struct {
		name      string
		migration string // added before the deploy
		want      string
		tables    []string
	}{
		{"first deploy", "", "Applied 2 migrations.\nPrivileges: ", []string{"shop.customers", "shop.orders"}},
		{"nothing new", "", "Applied 0 migrations.\nPrivileges: 0 granted, 0 revoked, 0 altered.\n", nil},
		{"a later migration", "CREATE TABLE shop.refunds (id bigserial PRIMARY KEY, order_id bigint NOT NULL)", "Applied 1 migration.\n", []string{"shop.refunds"}},
	}
	conn := db.Conn(t)
	for i, tt := range tests {
		if tt.migration != "" {
			if err := os.WriteFile(filepath.Join(migrations, fmt.Sprintf("%04d_later.sql", i+10)), []byte(tt.migration), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out := deploy()
		if !strings.HasPrefix(out, tt.want) {
			t.Errorf("%s: output %q, want it to start with %q", tt.name, out, tt.want)
		}
		for _, tbl := range tt.tables {
			for _, priv := range []string{"SELECT", "INSERT", "UPDATE", "DELETE"} {
				if !hasTablePrivilege(t, conn, web, tbl, priv) {
					t.Errorf("%s: %s lacks %s on %s", tt.name, web, priv, tbl)
				}
			}
			if hasTablePrivilege(t, conn, web, tbl, "TRUNCATE") {
				t.Errorf("%s: %s holds TRUNCATE on %s", tt.name, web, tbl)
			}
		}
	}
}

func TestRun_badPolicyRunsNoMigration(t *testing.T) {
	db := pgtest.NewDB(t)
	dir := t.TempDir()
	policyPath := filepath.Join(dir, "policy.hcl")
	if err := os.WriteFile(policyPath, []byte("role \"x\" {\n  grant \"table\" {\n    privileges = [\"SELEC\"]\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(t.Context(), config{DatabaseURL: db.URL, MigrationsDir: "migrations", PolicyPath: policyPath, Out: &out})
	if err == nil || !strings.Contains(err.Error(), "SELEC") {
		t.Fatalf("run with a bad policy: %v", err)
	}
	conn := db.Conn(t)
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'").Scan(&n); err != nil || n != 0 {
		t.Errorf("a migration ran despite the bad policy (%d, %v)", n, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hasTablePrivilege(t *testing.T, conn *pgx.Conn, role, table, priv string) bool {
	t.Helper()
	var ok bool
	if err := conn.QueryRow(context.Background(), "SELECT has_table_privilege($1, $2, $3)", role, table, priv).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
