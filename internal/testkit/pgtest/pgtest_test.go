package pgtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestShared_version(t *testing.T) {
	s := pgtest.Shared(t)
	if v := s.Version(); v < 130000 {
		t.Errorf("Version() = %d, want >= 130000", v)
	}
	if s2 := pgtest.Shared(t); s2 != s {
		t.Error("Shared returned a second server")
	}
	u := s.URL("somedb", "alice")
	if !strings.HasPrefix(u, "postgres://alice@") || !strings.Contains(u, "/somedb?sslmode=") {
		t.Errorf("URL(somedb, alice) = %q", u)
	}
}

func TestNewDB(t *testing.T) {
	var name string
	var server *pgtest.Server
	t.Run("use", func(t *testing.T) {
		d := pgtest.NewDB(t)
		name, server = d.Name, d.Server
		if !strings.HasPrefix(d.Name, "pgward_test_") {
			t.Errorf("Name = %q", d.Name)
		}

		alice := d.RoleName("alice")
		if alice == "alice" || !strings.HasPrefix(alice, "alice_") {
			t.Errorf("RoleName(alice) = %q", alice)
		}
		if d.RoleName("alice") != alice {
			t.Error("RoleName is not stable within a DB")
		}
		d.CreateRole(t, alice, "LOGIN")
		d.CreateRole(t, d.RoleName("readers"), "NOLOGIN")
		d.Exec(t, "CREATE SCHEMA app; CREATE TABLE app.t (id int); GRANT USAGE ON SCHEMA app TO "+alice)
		d.Exec(t, "GRANT "+d.RoleName("readers")+" TO "+alice)
		d.Exec(t, "INSERT INTO app.t VALUES ($1)", 1)

		// alice may use the schema but not read the table.
		d.ExecAs(t, alice, "CREATE TEMP TABLE x (a int)")
		err := d.TryExecAs(alice, "SELECT * FROM app.t")
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("SELECT without privilege: got %v, want SQLSTATE 42501", err)
		}
		d.Exec(t, "GRANT SELECT ON app.t TO "+alice)
		d.ExecAs(t, alice, "SELECT * FROM app.t")
		// An object owned by a test role is dropped by the cleanup too.
		d.Exec(t, "GRANT CREATE ON SCHEMA app TO "+alice)
		d.ExecAs(t, alice, "CREATE TABLE app.owned_by_alice (a int)")

		// Sessions still open at cleanup must not block it.
		conn := d.Conn(t)
		if _, err := conn.Exec(context.Background(), "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	})
	if server == nil {
		t.Skip("no database was created")
	}

	ctx := context.Background()
	conn, err := server.SuperuserConn(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dbs, roles int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&dbs); err != nil {
		t.Fatal(err)
	}
	suffix := strings.TrimPrefix(name, "pgward_test_")
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\\_' || $1", suffix).Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if dbs != 0 || roles != 0 {
		t.Errorf("after cleanup: %d databases named %s and %d roles with suffix %s remain", dbs, name, roles, suffix)
	}
}

func TestNewDB_parallelDatabasesAreSeparate(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := pgtest.NewDB(t)
			role := d.RoleName("owner")
			d.CreateRole(t, role, "LOGIN CREATEDB")
			d.Exec(t, "CREATE TABLE t (id int); ALTER TABLE t OWNER TO "+role)
			d.ExecAs(t, role, "INSERT INTO t VALUES (1)")
		})
	}
}

func TestStart_explicitURL(t *testing.T) {
	s := pgtest.Shared(t)
	ctx := context.Background()
	s2, err := pgtest.Start(ctx, pgtest.Options{URL: s.URL("", "")})
	if err != nil {
		t.Fatal(err)
	}
	if s2.Version() != s.Version() {
		t.Errorf("Version() = %d, want %d", s2.Version(), s.Version())
	}
	if err := s2.Stop(); err != nil {
		t.Errorf("Stop of an explicit server: %v", err)
	}
	// The shared server still answers.
	conn, err := s.SuperuserConn(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
}

func TestStart_badBinDir(t *testing.T) {
	_, err := pgtest.Start(context.Background(), pgtest.Options{BinDir: t.TempDir()})
	if err == nil || errors.Is(err, pgtest.ErrNoServer) {
		t.Errorf("Start with an empty BinDir: got %v, want an error other than ErrNoServer", err)
	}
}
