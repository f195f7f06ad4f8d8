package apply

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

// migration is a session that holds an uncommitted transaction, as a
// migration tool does between its statements.
type migration struct {
	conn *pgx.Conn
	tx   pgx.Tx
	pid  uint32
}

// startMigration connects to db as role ("" for the superuser) with
// application_name app, begins a transaction and runs sql in it, without
// committing. The transaction is rolled back in t.Cleanup unless committed.
func startMigration(t *testing.T, db *pgtest.DB, role, app, sql string) *migration {
	t.Helper()
	conn, tx := db.BeginAs(t, role, app)
	if _, err := tx.Exec(context.Background(), sql); err != nil {
		t.Fatalf("migration %s: %v", sql, err)
	}
	return &migration{conn: conn, tx: tx, pid: conn.PgConn().PID()}
}

func (m *migration) commit(t *testing.T) {
	t.Helper()
	if err := m.tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func stateOf(t *testing.T, db *pgtest.DB, roles ...string) string {
	t.Helper()
	s, err := privilegeState(context.Background(), db.Conn(t), roles)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An apply that meets a migration's lock fails after lock_timeout with an
// error that names the blocking backend and what it runs, and changes
// nothing; once the migration commits, the next apply converges. On 13–17 a
// GRANT waits behind an uncommitted ALTER TABLE of the same table (for its
// transaction, as it updates the same pg_class row) but not behind a bare
// LOCK TABLE; on 18 it also takes a lock on the table and waits for both.
func TestRun_lockTimeoutNamesTheBlockingBackend(t *testing.T) {
	tests := []struct {
		name      string
		asOwner   bool // the migration runs as the owner, which pgward connects as, so its query is visible
		sql       string
		shown     string // the query as the error shows it: string literals masked
		waitsFrom int    // server_version_num from which GRANT waits for it
	}{
		{"uncommitted ALTER TABLE by the owner", true, "ALTER TABLE s.a ADD COLUMN added int", "ALTER TABLE s.a ADD COLUMN added int", 0},
		{"uncommitted ALTER TABLE by another role", false, "ALTER TABLE s.b ADD COLUMN added int", "", 0},
		{"a secret in the blocker's query", true, "ALTER TABLE s.a ADD COLUMN token text DEFAULT 's3cret-t0ken'", "ALTER TABLE s.a ADD COLUMN token text DEFAULT '***'", 0},
		{"LOCK TABLE ACCESS EXCLUSIVE", true, "LOCK TABLE s.a IN ACCESS EXCLUSIVE MODE", "LOCK TABLE s.a IN ACCESS EXCLUSIVE MODE", 180000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, cfg, pol, reader := setup(t)
			ctx := context.Background()
			role := ""
			if tt.asOwner {
				role = cfg.User
			}
			app := "migrate-" + strconv.Itoa(time.Now().Nanosecond())
			m := startMigration(t, db, role, app, tt.sql)
			before := stateOf(t, db, cfg.User, reader)

			start := time.Now()
			_, err := Run(ctx, cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, LockTimeout: 1500 * time.Millisecond})
			took := time.Since(start)
			if db.Server.Version() < tt.waitsFrom {
				if err != nil {
					t.Fatalf("on %d a GRANT does not wait for %q, yet the apply failed: %v", db.Server.Version(), tt.sql, err)
				}
				return
			}
			var se *StatementError
			var pe *pgconn.PgError
			if !errors.As(err, &se) || !errors.As(err, &pe) || pe.Code != "55P03" {
				t.Fatalf("got %v, want a StatementError for lock_timeout (55P03)", err)
			}
			if took < 1500*time.Millisecond {
				t.Errorf("failed after %s, before lock_timeout", took)
			}
			if len(se.Blockers) != 1 || se.Blockers[0].PID != int(m.pid) {
				t.Fatalf("blockers %+v, want backend %d", se.Blockers, m.pid)
			}
			msg := err.Error()
			want := []string{"blocked by backend " + strconv.Itoa(int(m.pid)), `application_name "` + app + `"`, "nothing was changed"}
			if tt.asOwner {
				want = append(want, "idle in transaction", `query "`+tt.shown+`"`)
			} else {
				// PostgreSQL shows another role's state and query only to
				// members of pg_read_all_stats.
				want = append(want, `query "<insufficient privilege>"`)
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("the error shows a literal of the blocker's query:\n%s", msg)
			}
			if after := stateOf(t, db, cfg.User, reader); after != before {
				t.Errorf("the failed apply changed the state:\n%s", stateDiff(before, after))
			}
			m.commit(t)
			if _, err := Run(ctx, cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}}); err != nil {
				t.Fatalf("after the migration committed: %v", err)
			}
			if !canSelect(t, db, reader, "s.a") || !canSelect(t, db, reader, "s.b") {
				t.Error("the apply after the migration did not grant")
			}
		})
	}
}

// The advisory lock held by another session: the error names it too.
func TestRun_advisoryLockTimeoutNamesTheHolder(t *testing.T) {
	db, cfg, pol, _ := setup(t)
	m := startMigration(t, db, "", "other-pgward", fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockKey))
	_, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, LockTimeout: 900 * time.Millisecond, Retries: -1})
	if err == nil || !strings.Contains(err.Error(), "advisory lock") || !strings.Contains(err.Error(), "blocked by backend "+strconv.Itoa(int(m.pid))) ||
		!strings.Contains(err.Error(), `application_name "other-pgward"`) {
		t.Fatalf("got %v, want the advisory lock timeout naming backend %d", err, m.pid)
	}
}

// A GRANT that waits for another session's uncommitted GRANT on the same
// table fails with "tuple concurrently updated" when that session commits.
// Run retries the whole run and succeeds: the conflict never reaches the
// caller. With retries off the same scenario returns the conflict, which
// proves that the test provokes it.
func TestRun_retriesTupleConcurrentlyUpdated(t *testing.T) {
	tests := []struct {
		name         string
		retries      int
		wantAttempts int // 0: want the conflict as the error
	}{
		{"retries on", 0, 2},
		{"retries off", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, cfg, pol, reader := setup(t)
			other := db.RoleName("other")
			db.CreateRole(t, other, "NOLOGIN")
			m := startMigration(t, db, cfg.User, "concurrent-grant", fmt.Sprintf("GRANT SELECT ON s.a TO %q", other))
			type result struct {
				res *Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, LockTimeout: 30 * time.Second, Retries: tt.retries})
				done <- result{res, err}
			}()
			waitForLockWait(t, db, cfg.User)
			m.commit(t)
			var r result
			select {
			case r = <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("the apply did not return")
			}
			if tt.wantAttempts == 0 {
				if !Retryable(r.err) || !strings.Contains(fmt.Sprint(r.err), "tuple concurrently updated") {
					t.Fatalf("got %v, want tuple concurrently updated", r.err)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("the conflict reached the caller: %v", r.err)
			}
			if r.res.Attempts != tt.wantAttempts {
				t.Errorf("attempts %d, want %d", r.res.Attempts, tt.wantAttempts)
			}
			if !canSelect(t, db, reader, "s.a") {
				t.Error("reader cannot SELECT after the retried apply")
			}
		})
	}
}

// waitForLockWait waits until a session of role waits for a lock that is
// not pgward's advisory lock.
func waitForLockWait(t *testing.T, db *pgtest.DB, role string) {
	t.Helper()
	conn := db.Conn(t)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := conn.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = $1 AND wait_event_type = 'Lock' AND wait_event <> 'advisory'", role).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no session of " + role + " waits for a lock")
}
