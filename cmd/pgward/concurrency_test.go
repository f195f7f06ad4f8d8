package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// The concurrency guarantees of docs/safety.md, section 2, through the
// command line.

// envConcurrentRounds is how many times TestApply_eightProcessesAtOnce
// starts its 8 processes (default 1; make stress raises it).
const envConcurrentRounds = "PGWARD_CONCURRENT_ROUNDS"

// buildPgward builds the command into a temporary directory and returns
// the binary's path.
func buildPgward(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build pgward: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "pgward")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// conflictWords are what no user should ever read from pgward: the
// conflicts that the advisory lock and the whole-run retry exist to hide.
var conflictWords = regexp.MustCompile(`(?i)tuple concurrently updated|deadlock|duplicate key|could not serialize`)

// TestApply_eightProcessesAtOnce starts 8 `pgward apply --auto-approve`
// processes at the same moment on one database, after a migration: all
// exit 0, at least one applies the plan, the others wait for the advisory
// lock and then find the database already converged, no conflict reaches
// any output, and the database ends in the policy's state.
func TestApply_eightProcessesAtOnce(t *testing.T) {
	rounds := 1
	if v := os.Getenv(envConcurrentRounds); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive integer", envConcurrentRounds, v)
		}
		rounds = n
	}
	db, pg := tuistDB(t, true)
	bin := buildPgward(t)
	env := append(os.Environ(), "DATABASE_URL="+pg.url, "NO_COLOR=1")
	complete := regexp.MustCompile(`Apply complete: (\d+) granted, (\d+) revoked`)

	for round := range rounds {
		// What a migration leaves: new tables, and a stray grant.
		db.ExecAs(t, "tuist_app", fmt.Sprintf("CREATE TABLE round_%d_a (id int); CREATE TABLE round_%d_b (id int); CREATE SEQUENCE round_%d_seq", round, round, round))
		db.Exec(t, "GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO tuist_web")
		if round > 0 {
			db.Exec(t, "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM tuist_processor")
		}

		type result struct {
			code           int
			stdout, stderr string
		}
		results := make([]result, 8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, "apply", "--auto-approve", "--policy", pg.policy)
				cmd.Env = env
				var out, errOut bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errOut
				<-start
				err := cmd.Run()
				code := 0
				if err != nil {
					code = -1
					if ee, ok := err.(*exec.ExitError); ok {
						code = ee.ExitCode()
					}
				}
				results[i] = result{code, out.String(), errOut.String()}
			}()
		}
		close(start)
		wg.Wait()

		applied := 0
		for i, r := range results {
			if r.code != 0 {
				t.Errorf("round %d, process %d: exit %d\nstdout:\n%s\nstderr:\n%s", round, i, r.code, r.stdout, r.stderr)
			}
			if m := conflictWords.FindString(r.stdout + r.stderr); m != "" {
				t.Errorf("round %d, process %d shows %q:\n%s%s", round, i, m, r.stdout, r.stderr)
			}
			if m := complete.FindStringSubmatch(r.stdout); m != nil && (m[1] != "0" || m[2] != "0") {
				applied++
			}
		}
		if applied == 0 {
			t.Errorf("round %d: no process applied anything", round)
		}
		pg.expect(0, "plan", "--policy", pg.policy)
	}
	checkAccess(t, db, expectedAccess("public"))
}

// startMigration begins, as role, a transaction that runs sql and stays
// open, as a migration between its statements; application_name is app. It
// returns the connection (its backend pid names it); the transaction is
// rolled back when the test ends unless the test commits it.
func startMigration(t *testing.T, db *pgtest.DB, role, app, sql string) (*pgx.Conn, pgx.Tx) {
	t.Helper()
	conn, tx := db.BeginAs(t, role, app)
	if _, err := tx.Exec(context.Background(), sql); err != nil {
		t.Fatalf("migration %q: %v", sql, err)
	}
	return conn, tx
}

// TestApply_lockConflictNamesTheMigration: an apply that meets a
// migration's uncommitted ALTER TABLE on a table it grants on exits 1
// after --lock-timeout with one line that names the migration's backend,
// its application_name and its query, and changes nothing; after the
// migration commits, the apply converges.
func TestApply_lockConflictNamesTheMigration(t *testing.T) {
	db, pg := tuistDB(t, true)
	before := aclSnapshot(t, db)
	conn, tx := startMigration(t, db, "tuist_app", "ecto_migrate", "ALTER TABLE accounts ADD COLUMN plan text")
	pid := strconv.Itoa(int(conn.PgConn().PID()))

	start := time.Now()
	_, stderr := pg.expect(1, "apply", "--auto-approve", "--policy", pg.policy, "--lock-timeout", "1s")
	if took := time.Since(start); took < time.Second {
		t.Errorf("apply failed after %s, before --lock-timeout", took)
	}
	oneLineError(t, stderr, "lock timeout")
	for _, want := range []string{"blocked by backend " + pid, `application_name "ecto_migrate"`, `user "tuist_app"`, `query "ALTER TABLE accounts ADD COLUMN plan text"`, "nothing was changed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if after := aclSnapshot(t, db); after != before {
		t.Errorf("the failed apply changed privileges:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	checkAccess(t, db, expectedAccess("public"))
}

// lockProbe is a pgx tracer for plan's connection: after each query of the
// plan's read-only transaction, while that transaction is still open, a
// migration takes ACCESS EXCLUSIVE on every table of the schema and alters
// one, with a short lock_timeout. Any lock the plan held on a table would
// make it fail.
type lockProbe struct {
	db     *pgtest.DB
	owner  string
	tables string // "a, b, ..."

	mu     sync.Mutex
	probes int
	errs   []string
}

func (p *lockProbe) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (p *lockProbe) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	tag := data.CommandTag.String()
	if data.Err != nil || tag == "ROLLBACK" || tag == "COMMIT" {
		return // the transaction is over
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probes++
	admin, err := p.db.Server.SuperuserConn(context.Background(), p.db.Name)
	if err != nil {
		p.errs = append(p.errs, err.Error())
		return
	}
	defer admin.Close(context.Background())
	var held []string
	rows, err := admin.Query(context.Background(), `
SELECT l.relation::regclass::text || ' ' || l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = $1 AND l.locktype = 'relation' AND c.relnamespace <> 'pg_catalog'::regnamespace`, int(conn.PgConn().PID()))
	if err == nil {
		held, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || len(held) > 0 {
		p.errs = append(p.errs, fmt.Sprintf("after %q the plan holds locks on %v (%v)", tag, held, err))
	}
	migration := fmt.Sprintf("SET lock_timeout = '500ms'; BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE; ALTER TABLE accounts ADD COLUMN probe_%d int; COMMIT",
		p.tables, p.probes)
	if err := p.db.TryExecAs(p.owner, migration); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("after %q a migration waited for the plan: %v", tag, err))
	}
}

// TestPlan_neverBlocksAMigration: plan reads the catalog in a READ ONLY,
// REPEATABLE READ transaction that takes no lock a migration waits for.
// After every query of that transaction, while it is open, a migration
// takes ACCESS EXCLUSIVE on every table of the schema and alters one, with
// lock_timeout 500ms, and must succeed; the plan takes no lock on any table
// (pg_locks). The other way round, a plan started while a migration holds
// ACCESS EXCLUSIVE on a table finishes without waiting for it.
func TestPlan_neverBlocksAMigration(t *testing.T) {
	db, pg := tuistDB(t, true)
	ctx := context.Background()
	var tables string
	if err := db.Conn(t).QueryRow(ctx, "SELECT string_agg(quote_ident(relname), ', ') FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	pol, diags := policy.LoadPath(pg.policy, policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	cfg, err := connstr.ParseConfig(pg.url)
	if err != nil {
		t.Fatal(err)
	}
	probe := &lockProbe{db: db, owner: "tuist_app", tables: tables}
	cfg.Tracer = probe
	p, _, err := pipeline.ReadPlan(ctx, cfg, pol, plan.Options{Partial: true}) // plan's defaults
	if err != nil {
		t.Fatal(err)
	}
	if p.Empty() {
		t.Fatal("the plan is empty: the test database is not what the test expects")
	}
	if probe.probes < 3 {
		t.Errorf("only %d probes: the tracer did not see the plan's queries", probe.probes)
	}
	for _, e := range probe.errs {
		t.Error(e)
	}

	// A migration holds ACCESS EXCLUSIVE on a table: plan does not wait.
	startMigration(t, db, "tuist_app", "migration", "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE; ALTER TABLE accounts ADD COLUMN held int")
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCtx(ctx, map[string]string{"DATABASE_URL": pg.url}, "plan", "--policy", pg.policy)
		done <- code
	}()
	select {
	case code := <-done:
		if code != 2 {
			t.Errorf("plan beside a migration: exit %d, want 2", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("plan waited for the migration's lock")
	}
}
