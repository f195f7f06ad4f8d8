package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/internal/testkit/synth"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
)

// ownerTx connects as the owner of setup with the notice log installed and
// begins a transaction, rolled back in t.Cleanup.
func ownerTx(t *testing.T, cfg *pgx.ConnConfig) (pgx.Tx, *noticeLog) {
	t.Helper()
	notices := &noticeLog{}
	cfg = cfg.Copy()
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices.add(n) }
	_, tx := pgtest.Begin(t, cfg)
	return tx, notices
}

// Many statements, several batches (small limits), SET ROLE around some of
// them: every statement runs, in order, and the role is reset after each.
func TestExecStatements_manyStatementsInBatches(t *testing.T) {
	db, cfg, _, reader := setup(t)
	ctx := context.Background()
	const n = 300
	var ddl strings.Builder
	for i := range n {
		fmt.Fprintf(&ddl, "CREATE TABLE s.t%d (id int);\n", i)
	}
	db.ExecAs(t, cfg.User, ddl.String())

	tx, notices := ownerTx(t, cfg)
	var stmts []plan.Statement
	for i := range n {
		st := plan.Statement{SQL: fmt.Sprintf("GRANT SELECT ON TABLE s.t%d TO %q", i, reader)}
		if i%7 == 0 {
			st.AsRole = cfg.User // SET ROLE to oneself is allowed and shows in current_user
		}
		stmts = append(stmts, st)
	}
	// The last statement reads current_user: RESET ROLE ran after each SET ROLE.
	stmts = append(stmts, plan.Statement{SQL: `DO $$ BEGIN IF current_user <> session_user THEN RAISE 'role not reset: %', current_user; END IF; END $$`})
	// Progress counts the statements across the batches, each once, in
	// order (not the SET ROLE and RESET ROLE around some).
	var progress []int
	report := func(done, total int) {
		if total != len(stmts) {
			t.Errorf("progress: total %d, want %d", total, len(stmts))
		}
		progress = append(progress, done)
	}
	if err := execStatements(ctx, tx, stmts, notices, slog.New(slog.DiscardHandler), batchLimits{queries: 25, bytes: 2048}, report); err != nil {
		t.Fatal(err)
	}
	if len(progress) != len(stmts) || progress[0] != 1 || !slices.IsSorted(progress) || progress[len(progress)-1] != len(stmts) {
		t.Errorf("progress reported %d times, from %v to %v; want 1 to %d, once each", len(progress), progress[:1], progress[len(progress)-1:], len(stmts))
	}
	var granted int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's' AND c.relname LIKE 't%' AND has_table_privilege($1, c.oid, 'SELECT')", reader).Scan(&granted); err != nil {
		t.Fatal(err)
	}
	if granted != n {
		t.Errorf("granted on %d tables, want %d", granted, n)
	}
}

// Within one batch, a warning and an error are each attributed to their
// own statement, not to the batch or to a neighbour.
func TestExecStatements_attributionWithinABatch(t *testing.T) {
	db, cfg, _, reader := setup(t)
	db.ExecAs(t, cfg.User, "CREATE SEQUENCE s.seq")
	ctx := context.Background()
	ok := plan.Statement{SQL: fmt.Sprintf("GRANT SELECT ON TABLE s.a TO %q", reader)}
	warns := plan.Statement{SQL: fmt.Sprintf("GRANT INSERT ON TABLE s.seq TO %q", reader)}
	fails := plan.Statement{SQL: fmt.Sprintf("GRANT SELECT ON TABLE s.missing TO %q", reader)}
	ok2 := plan.Statement{SQL: fmt.Sprintf("GRANT SELECT ON TABLE s.b TO %q", reader)}

	t.Run("warning", func(t *testing.T) {
		tx, notices := ownerTx(t, cfg)
		err := execStatements(ctx, tx, []plan.Statement{ok, ok2, warns, ok}, notices, slog.New(slog.DiscardHandler), defaultBatchLimits, nil)
		var se *StatementError
		if !errors.As(err, &se) || se.Statement.SQL != warns.SQL || !strings.Contains(err.Error(), "0LP01") {
			t.Fatalf("got %v, want a StatementError for %q with SQLSTATE 0LP01", err, warns.SQL)
		}
	})
	t.Run("error", func(t *testing.T) {
		tx, notices := ownerTx(t, cfg)
		err := execStatements(ctx, tx, []plan.Statement{ok, fails, ok2}, notices, slog.New(slog.DiscardHandler), defaultBatchLimits, nil)
		var se *StatementError
		var pe *pgconn.PgError
		if !errors.As(err, &se) || se.Statement.SQL != fails.SQL || !errors.As(err, &pe) || pe.Code != "42P01" {
			t.Fatalf("got %v, want a StatementError for %q with SQLSTATE 42P01", err, fails.SQL)
		}
	})
	t.Run("error in SET ROLE", func(t *testing.T) {
		tx, notices := ownerTx(t, cfg)
		bad := plan.Statement{SQL: ok2.SQL, AsRole: "pgward_no_such_role"}
		err := execStatements(ctx, tx, []plan.Statement{ok, bad, ok}, notices, slog.New(slog.DiscardHandler), defaultBatchLimits, nil)
		var se *StatementError
		if !errors.As(err, &se) || se.Statement.AsRole != bad.AsRole {
			t.Fatalf("got %v, want a StatementError for the statement run as %s", err, bad.AsRole)
		}
	})
}

// Run on a half-converged synthetic database: a real plan of grants and
// revokes, pipelined, verified and committed; the next plan is empty.
func TestRun_synthHalfToConverged(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	spec := synth.Spec{Tables: 400, TablesPerSchema: 50, Prefix: db.RoleName("ap")}
	roles := spec.Roles()
	db.CreateRole(t, roles.Owner, "LOGIN")
	for _, r := range []string{roles.Web, roles.Worker, roles.Ops} {
		db.CreateRole(t, r, "NOLOGIN")
	}
	if err := synth.Build(ctx, db.Conn(t), spec); err != nil {
		t.Fatal(err)
	}
	pol, err := synth.Policy(spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := connstr.ParseConfig(db.RoleURL(roles.Owner))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Plan.Summary(); s.Grant < 100 || s.Revoke < 50 {
		t.Errorf("applied %+v, want hundreds of grants and revokes", s)
	}
	if p := planThrough(t, cfg, pol); !p.Empty() {
		t.Errorf("plan after apply: %d changes, want none", len(p.Changes))
	}
}
