package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/pgserver"
)

// Environment variables read by [Shared].
const (
	// EnvURL names an existing server and superuser to test against.
	EnvURL = "PGWARD_TEST_DATABASE_URL"
	// EnvBinDir names the PostgreSQL bin directory to create a cluster with.
	EnvBinDir = "PGWARD_TEST_PGBIN"
	// EnvImage names the container image for the Docker fallback.
	EnvImage = "PGWARD_TEST_IMAGE"
)

// shared is the one server of a test binary. It is package-level state
// because a test binary is one process with one server, whatever packages
// and tests use it; [Main] stops it when the tests are done.
var shared struct {
	once          sync.Once
	srv           *Server
	err           error
	mainInstalled atomic.Bool
}

// Main runs the tests, stops the shared server and exits with the tests'
// code. A package whose tests use [Shared] or [NewDB] must call it from
// TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// An interrupt (SIGINT, SIGTERM) also stops the server before exiting.
func Main(m *testing.M) {
	shared.mainInstalled.Store(true)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sig; ok {
			stopShared()
			os.Exit(130)
		}
	}()
	code := m.Run()
	signal.Stop(sig)
	close(sig)
	if err := stopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stop shared server: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func stopShared() error {
	if shared.srv == nil {
		return nil
	}
	return shared.srv.Stop()
}

// Shared returns the test binary's server, starting it on first use: the
// server named by $PGWARD_TEST_DATABASE_URL if set, else [Start] with
// BinDir $PGWARD_TEST_PGBIN and Image $PGWARD_TEST_IMAGE.
//
// It skips the test under -short. When no server can be had ([ErrNoServer])
// it skips the test, unless $CI is set to a true value: then it fails, so CI
// never passes by skipping. Any other start error fails the test. The
// package must install [Main] in TestMain; Shared fails the test otherwise,
// because the server would outlive the test binary.
func Shared(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("pgtest: skipping test that needs PostgreSQL in -short mode")
	}
	if !shared.mainInstalled.Load() {
		t.Fatal("pgtest: Shared needs TestMain to call pgtest.Main (func TestMain(m *testing.M) { pgtest.Main(m) }), which stops the server")
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		url := os.Getenv(EnvURL)
		if url == "" {
			url = os.Getenv("PGWARD_TEST_DATABASE") // the name STYLE.md uses
		}
		shared.srv, shared.err = Start(ctx, Options{
			URL:    url,
			BinDir: os.Getenv(EnvBinDir),
			Image:  os.Getenv(EnvImage),
		})
	})
	if shared.err != nil {
		if errors.Is(shared.err, ErrNoServer) && !InCI() {
			t.Skipf("pgtest: %v; set %s to a superuser URL, or %s to a PostgreSQL bin directory, or install PostgreSQL", shared.err, EnvURL, EnvBinDir)
		}
		t.Fatalf("pgtest: %v", shared.err)
	}
	return shared.srv
}

// InCI reports whether $CI says the tests run in CI: any non-empty value
// other than one strconv.ParseBool reads as false.
func InCI() bool {
	v := strings.TrimSpace(os.Getenv("CI"))
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// DB is a database of its own for one test, on a shared cluster.
type DB struct {
	Server *Server
	Name   string // pgward_test_<random>
	URL    string // superuser URL to the database

	suffix string // unique per DB, appended by RoleName

	mu    sync.Mutex
	roles []string          // dropped in cleanup, in creation order
	pw    map[string]string // passwords CreateRole gave LOGIN roles
}

// NewDB creates a database with a unique name on the [Shared] server and
// drops it, with the roles of [DB.CreateRole], in t.Cleanup.
func NewDB(t testing.TB) *DB {
	t.Helper()
	return NewDBOn(t, Shared(t))
}

// NewDBOn creates a database with a unique name on s and drops it, with
// the roles of [DB.CreateRole], in t.Cleanup.
func NewDBOn(t testing.TB, s *Server) *DB {
	t.Helper()
	suffix := pgserver.RandomHex(4)
	d := &DB{Server: s, Name: "pgward_test_" + suffix, suffix: suffix, pw: map[string]string{}}
	d.URL = s.URL(d.Name, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := s.SuperuserConn(ctx, "")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+quoteIdent(d.Name)); err != nil {
		t.Fatalf("pgtest: create database %s: %v", d.Name, err)
	}
	t.Cleanup(func() {
		if err := d.drop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return d
}

// RoleName returns base + "_" + a suffix unique to d. Roles are
// cluster-wide, so tests sharing a cluster (in parallel, or from other test
// binaries on a shared server) must not use bare names. The same base gives
// the same name within one DB. Keep base short: PostgreSQL truncates names
// to 63 bytes.
func (d *DB) RoleName(base string) string { return base + "_" + d.suffix }

// CreateRole runs CREATE ROLE name options (such as "LOGIN NOINHERIT") as
// the superuser and drops the role in the cleanup of [NewDB]: DROP OWNED in
// the database, then DROP ROLE. A LOGIN role given no PASSWORD gets a random
// one, which [DB.ExecAs] uses, so that it can log in also on servers that do
// not trust local connections.
func (d *DB) CreateRole(t testing.TB, name, options string) {
	t.Helper()
	password := ""
	if hasWord(options, "LOGIN") && !hasWord(options, "PASSWORD") {
		password = pgserver.RandomHex(12)
		options += " PASSWORD '" + password + "'"
	}
	d.Exec(t, "CREATE ROLE "+quoteIdent(name)+" "+options)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roles = append(d.roles, name)
	if password != "" {
		d.pw[name] = password
	}
}

// DropRoleOnCleanup has the cleanup of [NewDB] drop a role that the test
// created some other way, such as by applying a plan. The role need not
// exist by then.
func (d *DB) DropRoleOnCleanup(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roles = append(d.roles, name)
}

// RoleURL returns a URL to the database for role, with the password
// [DB.CreateRole] gave it, if any.
func (d *DB) RoleURL(role string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Server.URLWithPassword(d.Name, role, d.pw[role])
}

// Conn returns a superuser connection to the database, closed in t.Cleanup.
func (d *DB) Conn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := d.Server.SuperuserConn(context.Background(), d.Name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Begin connects with cfg and begins a transaction. Both end with the
// test: the transaction is rolled back unless the test commits it.
func Begin(t testing.TB, cfg *pgx.ConnConfig) (*pgx.Conn, pgx.Tx) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("pgtest: begin: %v", err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return conn, tx
}

// BeginAs is Begin in the database as role ("" for the superuser), with
// application_name app: a session that holds locks while a test runs,
// such as a migration between its statements.
func (d *DB) BeginAs(t testing.TB, role, app string) (*pgx.Conn, pgx.Tx) {
	t.Helper()
	url := d.URL
	if role != "" {
		url = d.RoleURL(role)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.RuntimeParams["application_name"] = app
	return Begin(t, cfg)
}

// Exec runs sql with args as the superuser in the database and fails the
// test on error. Without args, sql may hold several statements.
func (d *DB) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := d.Server.SuperuserConn(ctx, d.Name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("pgtest: exec in %s as superuser: %v\n%s", d.Name, err, sql)
	}
}

// ExecAs connects to the database as the LOGIN role and runs sql, failing
// the test on error.
func (d *DB) ExecAs(t testing.TB, role, sql string) {
	t.Helper()
	if err := d.TryExecAs(role, sql); err != nil {
		t.Fatalf("pgtest: %v\n%s", err, sql)
	}
}

// TryExecAs is [DB.ExecAs] returning the error, for tests that expect one
// (errors.As to *pgconn.PgError gives the SQLSTATE, such as 42501 for
// insufficient privilege).
func (d *DB) TryExecAs(role, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.RoleURL(role))
	if err != nil {
		return fmt.Errorf("connect to %s as %s: %w", d.Name, role, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("exec in %s as %s: %w", d.Name, role, err)
	}
	return nil
}

// drop drops what NewDB and CreateRole made: the database, then what the
// roles own or were granted on shared objects, then the roles.
func (d *DB) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d.mu.Lock()
	roles := append([]string(nil), d.roles...)
	d.mu.Unlock()

	var errs []error
	admin, err := d.Server.SuperuserConn(ctx, "")
	if err != nil {
		return err
	}
	defer admin.Close(ctx)

	// Other sessions could hold locks that DROP OWNED waits for.
	terminate := "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
	if _, err := admin.Exec(ctx, terminate, d.Name); err != nil {
		errs = append(errs, fmt.Errorf("terminate sessions of %s: %w", d.Name, err))
	}

	var existing []string
	if len(roles) > 0 {
		rows, err := admin.Query(ctx, "SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", roles)
		var found []string
		if err == nil {
			found, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("list roles of %s: %w", d.Name, err))
		}
		seen := map[string]bool{}
		for _, r := range roles { // keep creation order, once each
			if slices.Contains(found, r) && !seen[r] {
				seen[r] = true
				existing = append(existing, r)
			}
		}
	}
	// The database first: dropping it removes everything in it at once,
	// where DROP OWNED BY would lock every relation of a large database
	// (and run out of lock table).
	dropDB := "DROP DATABASE IF EXISTS " + quoteIdent(d.Name)
	if d.Server.Version() >= 130000 {
		dropDB += " WITH (FORCE)"
	} else if _, err := admin.Exec(ctx, terminate, d.Name); err != nil {
		errs = append(errs, fmt.Errorf("terminate sessions of %s: %w", d.Name, err))
	}
	if _, err := admin.Exec(ctx, dropDB); err != nil {
		errs = append(errs, fmt.Errorf("drop database %s: %w", d.Name, err))
	}
	// Then what the roles hold on shared objects (databases, tablespaces,
	// parameters) and in the maintenance database. One role at a time:
	// DROP OWNED BY a, b fails with "could not find tuple for default ACL"
	// when one pg_default_acl row names several of them.
	for _, r := range existing {
		if _, err := admin.Exec(ctx, "DROP OWNED BY "+quoteIdent(r)+" CASCADE"); err != nil {
			errs = append(errs, fmt.Errorf("drop owned by %s: %w", r, err))
		}
	}

	// Reverse order: a role created later may depend on an earlier one.
	for i := len(existing) - 1; i >= 0; i-- {
		if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+quoteIdent(existing[i])); err != nil {
			errs = append(errs, fmt.Errorf("drop role %s: %w", existing[i], err))
		}
	}
	return errors.Join(errs...)
}

// hasWord reports whether options holds word as a keyword, ignoring case
// (NOLOGIN is not LOGIN).
func hasWord(options, word string) bool {
	fields := strings.FieldsFunc(options, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_')
	})
	for _, f := range fields {
		if strings.EqualFold(f, word) {
			return true
		}
	}
	return false
}

func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// PasswordRole creates the role [PasswordRoleName] with the given password
// and returns its name and a URL to d that carries the password. Only a
// cluster the harness started authenticates that role by password; on any
// other server the test is skipped, since trust or another method would let
// a wrong password in.
func PasswordRole(t testing.TB, d *DB, password string) (string, string) {
	t.Helper()
	if !d.Server.Local() {
		t.Skip("pgtest: password checks need a cluster started by the harness (it requires a password for " + PasswordRoleName + ")")
	}
	d.CreateRole(t, PasswordRoleName, "LOGIN PASSWORD "+quoteLiteral(password))
	u := &url.URL{Scheme: "postgres", User: url.UserPassword(PasswordRoleName, password), Host: d.Server.Addr(), Path: "/" + d.Name, RawQuery: "sslmode=disable"}
	return PasswordRoleName, u.String()
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
