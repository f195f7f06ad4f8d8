package apply

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/policy"
)

// The fault-injection suite (docs/safety.md, section 1): an apply is
// interrupted at a random point, by a fault of one of these kinds, and
// afterwards the privilege state must be exactly the state before or the
// desired one, the error must say what happened, and the next run must
// converge.
type faultKind int

const (
	// faultTerminate: pg_terminate_backend of the apply's backend, from a
	// second connection.
	faultTerminate faultKind = iota
	// faultCancelQuery: pg_cancel_backend of the apply's backend (what a
	// statement_timeout or an operator's cancel does).
	faultCancelQuery
	// faultCancelContext: the caller cancels the context of Run (Ctrl-C,
	// SIGTERM of the CLI).
	faultCancelContext
	// faultCrash: SIGKILL of the apply's backend, which makes the
	// postmaster end every session and run crash recovery: the server
	// stops and starts again with only what was committed. Only on a
	// private server.
	faultCrash
	// faultStop: a clean server stop (pg_ctl stop -m fast, which rolls
	// back open transactions and ends every session), then a start. Only
	// on a private local server.
	faultStop
)

func (k faultKind) String() string {
	return [...]string{"terminate", "cancel-query", "cancel-context", "crash", "stop"}[k]
}

// Budgets: small by default (CI), large under make stress.
const (
	envFaults      = "PGWARD_FAULTS"       // faults of kinds terminate, cancel-query, cancel-context
	envCrashFaults = "PGWARD_CRASH_FAULTS" // server crashes
	envStopFaults  = "PGWARD_STOP_FAULTS"  // clean server stops and starts
	envFaultSeed   = "PGWARD_FAULT_SEED"   // the first seed, to reproduce a failure
)

// envInt reads a positive integer budget from the environment.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

// testSeed is $PGWARD_FAULT_SEED, else a random seed, logged so that a
// failure can be replayed.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv(envFaultSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want an unsigned integer", envFaultSeed, v)
		}
		return s
	}
	s := rand.Uint64()
	t.Logf("seed %d (%s=%d to replay)", s, envFaultSeed, s)
	return s
}

// faultDB is a database whose privileges an apply changes in every way it
// can: grants and revokes on tables, columns, sequences, functions, the
// schema and the database, default privileges, a membership granted and one
// revoked, and role attributes. reset brings the database back to the state
// before (a run of the policy then changes all of that again).
type faultDB struct {
	server *pgtest.Server
	name   string
	cfg    *pgx.ConnConfig // the apply's connection: the superuser
	pol    *policy.Policy
	roles  []string
	reset  string
	conn   *pgx.Conn // see admin
}

func newFaultDB(t *testing.T, db *pgtest.DB) *faultDB {
	t.Helper()
	owner, reader, writer, group := db.RoleName("fowner"), db.RoleName("freader"), db.RoleName("fwriter"), db.RoleName("fgroup")
	db.CreateRole(t, owner, "NOLOGIN")
	db.CreateRole(t, reader, "LOGIN")
	db.CreateRole(t, writer, "NOLOGIN")
	db.CreateRole(t, group, "NOLOGIN")
	var ddl strings.Builder
	fmt.Fprintf(&ddl, "CREATE SCHEMA s AUTHORIZATION %q;\nSET ROLE %q;\n", owner, owner)
	for i := range 12 {
		fmt.Fprintf(&ddl, "CREATE TABLE s.t%d (id serial PRIMARY KEY, v text);\n", i)
	}
	ddl.WriteString("CREATE VIEW s.v AS SELECT id FROM s.t0;\n")
	ddl.WriteString("CREATE FUNCTION s.f(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a';\n")
	ddl.WriteString("CREATE FUNCTION s.g() RETURNS text LANGUAGE sql AS 'SELECT 1::text';\n")
	ddl.WriteString("RESET ROLE;\n")
	db.Exec(t, ddl.String())

	pol := loadHCL(t, fmt.Sprintf(`scope { schemas = ["s"] }
role %[1]q {
  login            = false
  connection_limit = 5
  member_of %[3]q {}
  grant "database" { privileges = ["CONNECT"] }
  grant "schema" {
    names      = ["s"]
    privileges = ["USAGE"]
  }
  grant "table" {
    schema     = "s"
    privileges = ["SELECT"]
  }
  grant "table" {
    schema     = "s"
    names      = ["t1"]
    columns    = ["v"]
    privileges = ["UPDATE"]
  }
  grant "sequence" {
    schema     = "s"
    privileges = ["USAGE", "SELECT"]
  }
  grant "function" {
    schema     = "s"
    privileges = ["EXECUTE"]
  }
  default_privileges "table" {
    for_role   = %[4]q
    schema     = "s"
    privileges = ["SELECT"]
  }
}
role %[2]q {
  grant "table" {
    schema     = "s"
    names      = ["t1*", "t2", "t3"]
    privileges = ["INSERT", "UPDATE", "DELETE"]
  }
  default_privileges "sequence" {
    for_role   = %[4]q
    schema     = "s"
    privileges = ["USAGE"]
  }
}
`, reader, writer, group, owner))

	reset := fmt.Sprintf(`
REVOKE ALL ON ALL TABLES IN SCHEMA s FROM %[1]q, %[2]q;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA s FROM %[1]q, %[2]q;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA s FROM %[1]q, %[2]q;
REVOKE ALL ON SCHEMA s FROM %[1]q, %[2]q;
REVOKE ALL ON DATABASE %[5]q FROM %[1]q, %[2]q;
ALTER DEFAULT PRIVILEGES FOR ROLE %[4]q IN SCHEMA s REVOKE ALL ON TABLES FROM %[1]q, %[2]q;
ALTER DEFAULT PRIVILEGES FOR ROLE %[4]q IN SCHEMA s REVOKE ALL ON SEQUENCES FROM %[1]q, %[2]q;
REVOKE %[3]q FROM %[1]q;
GRANT %[3]q TO %[2]q;
ALTER ROLE %[1]q LOGIN CONNECTION LIMIT -1;
GRANT INSERT, TRUNCATE ON s.t2, s.t3, s.t4 TO %[1]q;
GRANT SELECT, UPDATE (id) ON s.t5 TO %[2]q;
GRANT UPDATE ON SEQUENCE s.t6_id_seq TO %[1]q;
GRANT CREATE ON SCHEMA s TO %[2]q;
GRANT TEMPORARY ON DATABASE %[5]q TO %[1]q;
ALTER DEFAULT PRIVILEGES FOR ROLE %[4]q IN SCHEMA s GRANT DELETE ON TABLES TO %[2]q;
`, reader, writer, group, owner, db.Name)

	cfg, err := connstr.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &faultDB{server: db.Server, name: db.Name, cfg: cfg, pol: pol, roles: []string{owner, reader, writer, group}, reset: reset}
	t.Cleanup(func() {
		if f.conn != nil {
			f.conn.Close(context.Background())
		}
	})
	return f
}

// admin runs f on the superuser connection of the suite, connecting first
// if there is none or the last one broke (a crash ends it), and retrying
// while the server recovers from a crash. Only one goroutine uses it at a
// time: the test's, or the fault injector's while the test waits in Run.
func (f *faultDB) admin(ctx context.Context, do func(*pgx.Conn) error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if f.conn == nil || f.conn.IsClosed() {
			conn, err := f.server.SuperuserConn(ctx, f.name)
			if err != nil {
				if time.Now().After(deadline) || ctx.Err() != nil {
					return err
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			f.conn = conn
		}
		err := do(f.conn)
		if err == nil || !f.conn.IsClosed() && !pgconn.SafeToRetry(err) || time.Now().After(deadline) {
			return err
		}
		f.conn.Close(context.Background())
		f.conn = nil
	}
}

func (f *faultDB) exec(ctx context.Context, sql string, args ...any) error {
	return f.admin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	})
}

func (f *faultDB) state(ctx context.Context) (string, error) {
	var s string
	err := f.admin(ctx, func(conn *pgx.Conn) (err error) {
		s, err = privilegeState(ctx, conn, f.roles)
		return err
	})
	return s, err
}

// waitGone waits until backend pid has ended: its transaction is over, and
// no late COMMIT can change the state after it was read.
func (f *faultDB) waitGone(ctx context.Context, pid uint32) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := f.admin(ctx, func(conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", int(pid)).Scan(&n)
		})
		if err == nil && n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("backend %d still runs 30s after the fault (last error: %v)", pid, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// inject applies a fault to backend pid.
func (f *faultDB) inject(ctx context.Context, kind faultKind, pid uint32, cancel context.CancelFunc) error {
	switch kind {
	case faultCancelContext:
		cancel()
		return nil
	case faultCancelQuery:
		return f.exec(ctx, "SELECT pg_cancel_backend($1)", int(pid))
	case faultTerminate:
		if err := f.exec(ctx, "SELECT pg_terminate_backend($1)", int(pid)); err != nil {
			return err
		}
		return f.waitGone(ctx, pid)
	case faultCrash:
		// COPY TO PROGRAM runs a shell as the server's user, which may
		// signal its own processes. A connection of its own: the suite's
		// admin connection may have been broken by the previous crash
		// without pgx knowing yet ("conn closed" on its next use).
		conn, err := f.server.SuperuserConn(ctx, f.name)
		if err != nil {
			return err
		}
		// The program reads its input first: a kill that exits before
		// COPY has written would fail COPY with "Broken pipe".
		if _, err := conn.Exec(ctx, fmt.Sprintf("COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; kill -9 %d'", pid)); err != nil {
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe) && pe.Code == "38000":
				// kill failed: the apply's backend had already ended.
				conn.Close(context.Background())
				return nil
			case errors.As(err, &pe) && pe.Code != "57P01" && pe.Code != "57P02", !errors.As(err, &pe) && !lostConnection(err.Error()) && !conn.IsClosed():
				conn.Close(context.Background())
				return err
			}
			// The crash ended this session too, before COPY could answer.
		}
		// The postmaster now ends every session, this one too, then
		// recovers. Wait for this session to end, so that nothing reads
		// the state before the crash: connections then fail until the
		// recovery is over, and admin retries them.
		// A session that still answers after a few seconds means that no
		// crash happened: kill found no such process (the apply had ended
		// and its pid was taken by another process of the machine), which
		// counts as a fault that did not fire, not as a failure.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
				break
			}
			if time.Now().After(deadline) {
				conn.Close(context.Background())
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		conn.Close(context.Background())
		if f.conn != nil {
			f.conn.Close(context.Background()) // the crash ended it
			f.conn = nil
		}
		return nil
	case faultStop:
		if err := f.server.Restart(ctx, "fast"); err != nil {
			return err
		}
		if f.conn != nil {
			f.conn.Close(context.Background()) // the stop ended it
			f.conn = nil
		}
		return nil
	}
	return fmt.Errorf("unknown fault %d", kind)
}

// run applies the policy through cfg.
func (f *faultDB) run(ctx context.Context, cfg *pgx.ConnConfig) error {
	_, err := Run(ctx, cfg, f.pol, Options{Scope: introspect.Scope{Schemas: f.pol.Schemas}})
	return err
}

// calibration is what an uninterrupted apply looks like: the server
// messages after the connection is ready and how long it takes.
type calibration struct {
	messages int
	took     time.Duration
	desired  string
}

func (f *faultDB) calibrate(t *testing.T) calibration {
	t.Helper()
	ctx := context.Background()
	if err := f.exec(ctx, f.reset); err != nil {
		t.Fatalf("reset: %v", err)
	}
	before, err := f.state(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var w wire
	ready, n := false, 0
	w.onMessage = func(_ int, typ byte) {
		if ready {
			n++
		}
		if typ == 'Z' {
			ready = true
		}
	}
	cfg := f.cfg.Copy()
	w.install(cfg)
	start := time.Now()
	if err := f.run(ctx, cfg); err != nil {
		t.Fatalf("uninterrupted apply: %v", err)
	}
	took := time.Since(start)
	desired, err := f.state(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if desired == before {
		t.Fatal("the apply changed nothing: the fault suite would test nothing")
	}
	if err := f.run(ctx, f.cfg); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if again, _ := f.state(ctx); again != desired {
		t.Fatalf("a second apply changed the state:\n%s", stateDiff(desired, again))
	}
	return calibration{messages: n, took: took, desired: desired}
}

// faultResult is what one injected fault led to.
type faultResult struct {
	fired   bool // the fault was injected before the run returned
	failed  bool // the run returned an error
	desired bool // the state afterwards is the desired one (else: the one before)
}

// faultAt runs one apply with one fault, at server message k after the
// connection is ready (k > 0) or after delay (k == 0), and checks the state
// afterwards, the error and the next run.
func (f *faultDB) faultAt(cal calibration, kind faultKind, k int, delay time.Duration) (faultResult, error) {
	ctx := context.Background()
	var res faultResult
	if err := f.exec(ctx, f.reset); err != nil {
		return res, fmt.Errorf("reset: %w", err)
	}
	before, err := f.state(ctx)
	if err != nil {
		return res, err
	}
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var (
		w        wire
		mu       sync.Mutex
		injected bool
		injErr   error
		injDone  = make(chan struct{})
	)
	fire := func(pid uint32) {
		mu.Lock()
		defer mu.Unlock()
		if injected || pid == 0 {
			return
		}
		injected = true
		injErr = f.inject(ctx, kind, pid, cancel)
	}
	if k > 0 {
		close(injDone)
		ready, n := false, 0
		w.onMessage = func(_ int, typ byte) {
			if ready {
				if n++; n == k {
					fire(w.backendPID())
				}
			}
			if typ == 'Z' {
				ready = true
			}
		}
	} else {
		go func() {
			defer close(injDone)
			select {
			case <-time.After(delay):
				fire(w.backendPID())
			case <-runCtx.Done():
			}
		}()
	}
	cfg := f.cfg.Copy()
	w.install(cfg)
	runErr := f.run(runCtx, cfg)
	mu.Lock()
	res.fired = injected
	mu.Unlock()
	if k == 0 {
		cancel() // stops the timer if it has not fired
	}
	<-injDone
	if injErr != nil {
		return res, fmt.Errorf("inject %s: %w", kind, injErr)
	}
	if pid := w.backendPID(); pid != 0 {
		if err := f.waitGone(ctx, pid); err != nil {
			return res, err
		}
	}
	after, err := f.state(ctx)
	if err != nil {
		return res, err
	}
	res.failed = runErr != nil
	switch {
	case after == cal.desired:
		res.desired = true
	case after == before:
		if runErr == nil {
			return res, errors.New("the run succeeded but the state is the one before")
		}
	default:
		return res, fmt.Errorf("the state after the fault (error: %v) is neither the one before nor the desired one; against the one before:\n%s\nagainst the desired one:\n%s",
			runErr, stateDiff(before, after), stateDiff(cal.desired, after))
	}
	if runErr == nil {
		return res, nil // the desired state, checked above: nothing left for a next run
	}
	if why := unclear(runErr, kind); why != "" {
		return res, fmt.Errorf("unclear error after a %s fault: %s: %v", kind, why, runErr)
	}
	if err := f.run(ctx, f.cfg); err != nil {
		return res, fmt.Errorf("the run after the fault: %w", err)
	}
	if again, err := f.state(ctx); err != nil || again != cal.desired {
		return res, fmt.Errorf("the run after the fault did not converge (%v):\n%s", err, stateDiff(cal.desired, again))
	}
	return res, nil
}

// steps are the prefixes of Run's errors: each names the step that failed.
var steps = []string{"begin: ", "SET LOCAL ", "wait for the pgward advisory lock", "read ", "execute ", "verify: ", "commit: "}

// unclear says why err is not a clear report of a fault of kind, or "".
// Clear: it names the step of the run that failed, it is one line with the
// cause PostgreSQL or pgx gave, and for a cancelled context it is
// context.Canceled.
func unclear(err error, kind faultKind) string {
	msg := err.Error()
	step := false
	for _, s := range steps {
		step = step || strings.HasPrefix(msg, s)
	}
	if !step {
		return "it does not name the step that failed"
	}
	if strings.Contains(msg, "\n") {
		return "it is not one line"
	}
	var pe *pgconn.PgError
	switch kind {
	case faultCancelContext:
		if !errors.Is(err, context.Canceled) {
			return "it is not context.Canceled"
		}
	case faultCancelQuery:
		if !errors.As(err, &pe) || pe.Code != "57014" {
			return "it is not PostgreSQL's query_canceled (57014)"
		}
	case faultTerminate:
		if errors.As(err, &pe) && pe.Code != "57P01" {
			return "it is a PostgreSQL error other than admin_shutdown (57P01)"
		}
		if !errors.As(err, &pe) && !lostConnection(msg) {
			return "it does not say that the connection was lost"
		}
	case faultStop:
		if errors.As(err, &pe) && pe.Code != "57P01" {
			return "it is a PostgreSQL error other than admin_shutdown (57P01)"
		}
		if !errors.As(err, &pe) && !lostConnection(msg) {
			return "it does not say that the connection was lost"
		}
	case faultCrash:
		if errors.As(err, &pe) && pe.Code != "57P02" && pe.Code != "57P01" {
			return "it is a PostgreSQL error other than crash_shutdown (57P02)"
		}
		if !errors.As(err, &pe) && !lostConnection(msg) {
			return "it does not say that the connection was lost"
		}
	}
	return ""
}

// lostConnection reports whether msg says the connection broke.
func lostConnection(msg string) bool {
	for _, s := range []string{"conn closed", "unexpected EOF", "connection reset", "broken pipe", "EOF", "failed to receive message", "closed network connection"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// runFaults injects n faults of the given kinds, each at a random point.
func runFaults(t *testing.T, f *faultDB, kinds []faultKind, n int, seed uint64) {
	cal := f.calibrate(t)
	t.Logf("an uninterrupted apply: %d server messages after the connection is ready, %s", cal.messages, cal.took.Round(time.Millisecond))
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	counts := map[string]int{}
	for i := range n {
		kind := kinds[rng.IntN(len(kinds))]
		// Half at an exact point of the exchange (every message, from the
		// first query to COMMIT's reply), half after a random time, which
		// also lands while the server executes a statement.
		k, delay := 0, time.Duration(0)
		if rng.IntN(2) == 0 {
			k = 1 + rng.IntN(cal.messages)
		} else {
			delay = time.Duration(rng.Int64N(int64(cal.took) + 1))
		}
		res, err := f.faultAt(cal, kind, k, delay)
		if err != nil {
			t.Fatalf("fault %d of %d (%s at message %d / after %s; seed %d): %v", i+1, n, kind, k, delay, seed, err)
		}
		switch {
		case !res.fired:
			counts["run ended before the fault"]++
		case !res.failed:
			counts[kind.String()+": run succeeded anyway"]++
		case res.desired:
			counts[kind.String()+": failed, state desired (committed)"]++
		default:
			counts[kind.String()+": failed, state before"]++
		}
	}
	t.Logf("%d faults: %v", n, counts)
	interrupted := 0
	for _, kind := range kinds {
		interrupted += counts[kind.String()+": failed, state before"]
	}
	if n >= 10 && interrupted < n/4 {
		t.Errorf("only %d of %d faults interrupted a run: the injection misses the apply", interrupted, n)
	}
}

// TestFault_killAndCancel interrupts applies on the shared server with
// pg_terminate_backend and pg_cancel_backend from a second connection and
// with a cancelled context: $PGWARD_FAULTS faults (default 50).
func TestFault_killAndCancel(t *testing.T) {
	n := envInt(t, envFaults, 50)
	if n == 0 {
		t.Skip(envFaults + "=0")
	}
	db := pgtest.NewDB(t)
	f := newFaultDB(t, db)
	runFaults(t, f, []faultKind{faultTerminate, faultCancelQuery, faultCancelContext}, n, testSeed(t))
}

// TestFault_serverCrash kills the apply's backend with SIGKILL, which
// makes PostgreSQL stop every session and recover from its WAL, at random
// points: $PGWARD_CRASH_FAULTS times (default 3). It needs a server of its
// own, since a crash ends every session of the cluster.
func TestFault_serverCrash(t *testing.T) {
	n := envInt(t, envCrashFaults, 3)
	if n == 0 {
		t.Skip(envCrashFaults + "=0")
	}
	runFaults(t, privateFaultDB(t), []faultKind{faultCrash}, n, testSeed(t))
}

// TestFault_serverStop stops the server cleanly (pg_ctl stop -m fast) and
// starts it again at random points of an apply: $PGWARD_STOP_FAULTS times
// (default 3), on a server of its own.
func TestFault_serverStop(t *testing.T) {
	n := envInt(t, envStopFaults, 3)
	if n == 0 {
		t.Skip(envStopFaults + "=0")
	}
	runFaults(t, privateFaultDB(t), []faultKind{faultStop}, n, testSeed(t))
}

// privateFaultDB starts a server for one test, for the faults that end
// every session of a cluster.
func privateFaultDB(t *testing.T) *faultDB {
	t.Helper()
	if testing.Short() {
		t.Skip("pgtest: skipping test that needs PostgreSQL in -short mode")
	}
	// Not cancelled before the test ends: the server's processes may be
	// tied to it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	srv, err := pgtest.Start(ctx, pgtest.Options{BinDir: os.Getenv(pgtest.EnvBinDir), Image: os.Getenv(pgtest.EnvImage), Logf: t.Logf})
	if err != nil {
		if errors.Is(err, pgtest.ErrNoServer) && !pgtest.InCI() {
			t.Skipf("no private server for this fault: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	db := pgtest.NewDBOn(t, srv)
	// The harness runs its clusters with synchronous_commit off, which
	// lets a crash lose transactions that had committed, the reset of the
	// state before among them. Commits must be durable here.
	db.Exec(t, fmt.Sprintf("ALTER DATABASE %q SET synchronous_commit = on", db.Name))
	return newFaultDB(t, db)
}
