package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// Defaults for Options fields left zero.
const (
	DefaultLockTimeout      = 5 * time.Second
	DefaultStatementTimeout = 60 * time.Second
	DefaultRetries          = 3
	// DefaultMaxRevokes is the revoke limit when Options.MaxRevokes is zero.
	DefaultMaxRevokes = 100
)

// lockKey is the pg_advisory_xact_lock key every pgward run takes in a
// database: the first 8 bytes of "pgward\x00\x01" read as an int64.
const lockKey int64 = 0x7067776172640001

// Sentinel errors; match them with errors.Is.
var (
	// ErrStalePlan: the database changed between the approved plan and
	// the run; nothing was executed.
	ErrStalePlan = errors.New("the database changed since the plan was approved; run plan again")
	// ErrPlanInvalid: the plan built under the lock has errors (a blocked
	// change, a missing role); nothing was executed.
	ErrPlanInvalid = errors.New("the plan cannot be applied")
	// ErrNotConverged: after executing, the database still differs from the
	// policy; everything was rolled back.
	ErrNotConverged = errors.New("the database does not match the policy after applying; rolled back")
	// ErrTooManyRevokes: the approved plan revokes more than
	// Options.MaxRevokes allows; nothing was executed. The error is a
	// *TooManyRevokesError with the counts.
	ErrTooManyRevokes = errors.New("the plan revokes more than the revoke limit allows")
	// ErrOtherDatabase: the approved plan was made on another database
	// (a saved plan applied through another connection); nothing was
	// executed.
	ErrOtherDatabase = errors.New("the approved plan is for another database")
	// ErrAlreadyApplied: a saved plan (Options.Saved) that had statements
	// finds the database matching the policy: it was applied already, by
	// this plan or by another run; nothing was executed.
	ErrAlreadyApplied = errors.New("the saved plan was already applied: the database now matches the policy (this plan ran, or another run made the same changes); nothing was changed. Run pgward plan for a new plan")
)

// Options tune Run. The zero value means the documented defaults.
type Options struct {
	Scope            introspect.Scope
	Plan             plan.Options
	LockTimeout      time.Duration // default DefaultLockTimeout
	StatementTimeout time.Duration // default DefaultStatementTimeout
	// Approved, when set, is the plan the user saw and accepted: Run
	// refuses with ErrStalePlan if the plan it builds under the lock has a
	// different fingerprint or different statements, unless that plan is
	// empty (another run made the database match the policy meanwhile):
	// then Run executes nothing and succeeds.
	Approved *plan.Plan
	// Saved says that Approved is a saved plan (pgward plan --out), which
	// is applied at most once, to the very state it was computed from: any
	// difference is refused, even when the plan built under the lock is
	// empty. When Approved had statements and the database now matches the
	// policy, Run refuses with ErrAlreadyApplied; otherwise with a
	// *StaleError. A saved plan without statements changes nothing, so
	// applying it again succeeds as long as the state is the same.
	Saved bool
	// Retries bounds whole-run retries after "tuple concurrently updated";
	// default DefaultRetries, negative for none.
	Retries int
	Logger  *slog.Logger
	// MaxRevokes refuses, with a *TooManyRevokesError and before
	// connecting, an Approved plan that revokes more than this many
	// privileges and memberships (plan.Summary().Revoke): a plan that
	// suddenly takes much away more often comes from a mistake (a wrong
	// --var, a policy file left out) than from intent. Zero means
	// DefaultMaxRevokes, a negative value no limit. Run executes only a
	// plan identical to Approved, so the limit holds for what runs; without
	// Approved there is no plan to check before the run, and MaxRevokes is
	// not applied, unless Review is set (below).
	MaxRevokes int
	// Review, when set, is called with the plan Run built under its lock
	// and the plan's diagnostics (warnings), before anything executes (with
	// Approved, once that plan is found to be the approved one): the
	// approval step, moved under the lock. Then MaxRevokes is checked on
	// that plan. An error from Review ends the attempt, rolled back, and
	// Run returns it. pgward apply --auto-approve shows the plan this way
	// instead of reading the catalog once more beforehand, and apply FILE
	// shows what it executes. Review may be called once per attempt (see
	// Retries).
	Review func(*plan.Plan, hcl.Diagnostics) error
	// Progress, when set, is called after each statement of the plan has
	// executed, with how many have and how many the plan has: for a
	// progress line. It must return quickly; Run prints nothing itself.
	// A retried attempt starts again from 1.
	Progress func(done, total int)
}

// TooManyRevokesError is ErrTooManyRevokes with the counts.
type TooManyRevokesError struct {
	Revokes int // revokes in the plan
	Max     int // the limit
}

func (e *TooManyRevokesError) Error() string {
	return fmt.Sprintf("the plan revokes %d privileges or memberships, more than the limit of %d (--max-revokes); nothing was changed. Review the plan, then raise --max-revokes to at least %d (-1: no limit)",
		e.Revokes, e.Max, e.Revokes)
}

func (e *TooManyRevokesError) Unwrap() error { return ErrTooManyRevokes }

// checkRevokes applies Options.MaxRevokes to the approved plan.
func checkRevokes(approved *plan.Plan, limit int) error {
	if limit == 0 {
		limit = DefaultMaxRevokes
	}
	if approved == nil || limit < 0 {
		return nil
	}
	if n := approved.Summary().Revoke; n > limit {
		return &TooManyRevokesError{Revokes: n, Max: limit}
	}
	return nil
}

// Result reports what a successful run did.
type Result struct {
	Plan     *plan.Plan // the plan executed
	Attempts int
}

// StatementError is a statement that failed; the whole run was rolled back.
type StatementError struct {
	Statement plan.Statement
	Err       error
	// Blockers, when the statement failed with lock_timeout (SQLSTATE
	// 55P03), are the backends that held the lock it waited for, such as a
	// migration with an uncommitted ALTER TABLE.
	Blockers []Blocker
}

func (e *StatementError) Error() string {
	why := ""
	if len(e.Statement.Changes) > 0 && e.Statement.Changes[0].Reason.String() != "" {
		why = " (" + e.Statement.Changes[0].Reason.String() + ")"
	}
	if isLockTimeout(e.Err) {
		return fmt.Sprintf("execute %s%s: %v; %s; nothing was changed", e.Statement.SQL, why, e.Err, describeBlockers(e.Blockers))
	}
	return fmt.Sprintf("execute %s%s: %v; nothing was changed", e.Statement.SQL, why, e.Err)
}

func (e *StatementError) Unwrap() error { return e.Err }

// StaleError is ErrStalePlan with what changed in the catalog since the
// approved plan was computed, in words (plan.DescribeStateDiff: "table
// public.accounts: tuist_web gained TRUNCATE (granted by tuist_app):
// SELECT → SELECT, TRUNCATE").
type StaleError struct {
	Changes []string
	// NothingLeft: the plan built now has no statement (only changes the
	// connecting role cannot make), so the approved plan may have been
	// applied already.
	NothingLeft bool
}

func (e *StaleError) Error() string {
	if len(e.Changes) == 0 {
		return ErrStalePlan.Error() + " (the statements differ)" + e.nothingLeft()
	}
	const show = 10
	more := ""
	lines := e.Changes
	if len(lines) > show {
		more = fmt.Sprintf("; and %d more", len(lines)-show)
		lines = lines[:show]
	}
	return fmt.Sprintf("%s; what changed: %s%s%s", ErrStalePlan, strings.Join(lines, "; "), more, e.nothingLeft())
}

func (e *StaleError) nothingLeft() string {
	if !e.NothingLeft {
		return ""
	}
	return "; nothing is left that the connecting role could execute: if the changes above are the plan's own, it was applied already"
}

func (e *StaleError) Unwrap() error { return ErrStalePlan }

// PlanError carries the diagnostics of a plan that cannot be applied.
type PlanError struct {
	Plan  *plan.Plan
	Diags hcl.Diagnostics
}

func (e *PlanError) Error() string {
	var msgs []string
	for _, d := range e.Diags {
		if d.Severity == hcl.DiagError {
			msgs = append(msgs, d.Summary+": "+d.Detail)
		}
	}
	return strings.Join(msgs, "; ")
}

func (e *PlanError) Unwrap() error { return ErrPlanInvalid }

// Retryable reports whether err is a conflict with a concurrent catalog
// update, after which the whole run may be retried: "tuple concurrently
// updated" (SQLSTATE XX000, matched by message), a unique violation on
// pg_default_acl or pg_auth_members from a concurrent first grant, a
// serialization failure or a deadlock.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01":
		return true
	case "XX000":
		return strings.Contains(pe.Message, "tuple concurrently updated")
	case "23505":
		return strings.Contains(pe.ConstraintName, "pg_default_acl") || strings.Contains(pe.ConstraintName, "pg_auth_members")
	}
	return false
}

// nothingHappened lists the SQLSTATEs of warnings that mean a GRANT or
// REVOKE reported success and did nothing.
var nothingHappened = map[string]string{
	"01007": "no privileges were granted",
	"01006": "no privileges could be revoked",
	"0LP01": "privilege not valid for this object",
}

// Run converges the database to the policy in one transaction. cfg is
// copied; its OnNotice is wrapped so that warnings which mean "nothing
// happened" fail the run.
//
// An Approved plan with more revokes than Options.MaxRevokes is refused
// first, with a *TooManyRevokesError (wrapping ErrTooManyRevokes).
//
// Errors: *PlanError (wrapping ErrPlanInvalid), *StaleError (wrapping
// ErrStalePlan), ErrAlreadyApplied (Options.Saved),
// *StatementError, ErrNotConverged, or connection and catalog errors.
func Run(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy, o Options) (*Result, error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.StatementTimeout == 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := checkRevokes(o.Approved, o.MaxRevokes); err != nil {
		return nil, err // before connecting: nothing ran
	}
	notices := &noticeLog{}
	wcfg := watchCfg(cfg)
	cfg = cfg.Copy()
	prev := cfg.OnNotice
	cfg.OnNotice = func(c *pgconn.PgConn, n *pgconn.Notice) {
		notices.add(n)
		if prev != nil {
			prev(c, n)
		}
	}
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	for attempt := 1; ; attempt++ {
		p, err := runOnce(ctx, conn, wcfg, pol, o, notices)
		if err == nil {
			return &Result{Plan: p, Attempts: attempt}, nil
		}
		if !Retryable(err) || attempt > o.Retries {
			return nil, err
		}
		// The approved plan may no longer match after a concurrent change;
		// runOnce refuses then, which is the safe answer.
		backoff := time.Duration(attempt*attempt) * 100 * time.Millisecond
		o.Logger.Warn("concurrent catalog update; retrying the whole run", "attempt", attempt, "backoff", backoff, "error", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// runOnce is one attempt of Run. wcfg connects the blocker watch: on a
// lock timeout the error names the backends that held the lock.
func runOnce(ctx context.Context, conn *pgx.Conn, wcfg *pgx.ConnConfig, pol *policy.Policy, o Options, notices *noticeLog) (*plan.Plan, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Rollback after Commit is a no-op; on every error path it undoes all.
	defer tx.Rollback(context.WithoutCancel(ctx))

	setup := []string{
		"SET LOCAL lock_timeout = " + ident.Literal(fmt.Sprintf("%dms", o.LockTimeout.Milliseconds())),
		"SET LOCAL statement_timeout = " + ident.Literal(fmt.Sprintf("%dms", o.StatementTimeout.Milliseconds())),
	}
	for _, s := range setup {
		if _, err := tx.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	pid := conn.PgConn().PID()
	window := o.LockTimeout + o.LockTimeout/2
	w := watchBlockers(ctx, wcfg, pid, o.LockTimeout/3)
	_, err = tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey)
	if blockers := w.stop(window); err != nil {
		if isLockTimeout(err) && len(blockers) > 0 {
			return nil, fmt.Errorf("wait for the pgward advisory lock (another run holds it; %s): %w", describeBlockers(blockers), err)
		}
		return nil, fmt.Errorf("wait for the pgward advisory lock (another run holds it): %w", err)
	}

	// Each phase is logged with its duration (--verbose): where a run's
	// time goes is the first question about a slow one.
	start := time.Now()
	cat, err := introspect.Read(ctx, tx, o.Scope)
	if err != nil {
		return nil, err
	}
	o.Logger.Info("read the catalog", "objects", len(cat.Objects), "duration", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	p, diags := plan.Build(pol, cat, o.Plan)
	o.Logger.Info("planned", "changes", len(p.Changes), "statements", len(p.Statements), "duration", time.Since(start).Round(time.Millisecond))
	if diags.HasErrors() {
		return nil, &PlanError{Plan: p, Diags: diags}
	}
	if o.Approved != nil && o.Approved.Database != "" && o.Approved.Database != p.Database {
		// Checked first: another database in the same state would take
		// the plan as its own, or call it applied though it never ran there.
		return nil, fmt.Errorf("%w: the plan is for database %q, this connection is to %q; nothing was changed", ErrOtherDatabase, o.Approved.Database, p.Database)
	}
	if o.Approved != nil && !samePlan(o.Approved, p) {
		switch {
		case o.Saved && p.Empty() && len(o.Approved.Statements) > 0:
			return nil, ErrAlreadyApplied
		case o.Saved || !p.Empty():
			return nil, &StaleError{
				Changes:     plan.DescribeStateDiff(o.Approved.State(), p.State()),
				NothingLeft: len(p.Statements) == 0 && len(o.Approved.Statements) > 0,
			}
		}
		// Another run made the database match the policy since the plan
		// was approved (concurrent applies after one migration): nothing is
		// left to execute, so nothing unapproved can run.
		o.Logger.Info("the database already matches the policy; nothing to execute")
	}
	if o.Review != nil {
		if err := o.Review(p, diags); err != nil {
			return nil, err
		}
		if err := checkRevokes(p, o.MaxRevokes); err != nil {
			return nil, err
		}
	}
	if len(p.Statements) == 0 {
		// Nothing to execute, so nothing to verify: what the plan left
		// out (changes without statements) is what verification accepts.
		return p, nil
	}
	w = watchBlockers(ctx, wcfg, pid, o.LockTimeout/3)
	start = time.Now()
	err = execStatements(ctx, tx, p.Statements, notices, o.Logger, defaultBatchLimits, o.Progress)
	if blockers := w.stop(window); err != nil {
		var se *StatementError
		if isLockTimeout(err) && errors.As(err, &se) {
			se.Blockers = blockers
		}
		return nil, err
	}

	o.Logger.Info("executed the plan", "statements", len(p.Statements), "duration", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	after, err := introspect.Read(ctx, tx, o.Scope)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	check, _ := plan.Build(pol, after, o.Plan)
	o.Logger.Info("verified", "duration", time.Since(start).Round(time.Millisecond))
	// What is left must be only what the plan left out (Partial: changes
	// the connecting role lacks the authority for), which has no statement.
	if len(check.Statements) > 0 {
		var left []string
		for _, st := range check.Statements {
			left = append(left, st.SQL)
		}
		return nil, fmt.Errorf("%w: still to do: %s", ErrNotConverged, strings.Join(left, "; "))
	}
	start = time.Now()
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	o.Logger.Info("committed", "duration", time.Since(start).Round(time.Millisecond))
	return p, nil
}

// batchLimits bound one pipelined batch: at most queries statements
// (SET ROLE and RESET ROLE included) and about bytes of SQL. Each batch is
// one round trip; the limits only bound the memory of the encoded batch.
type batchLimits struct {
	queries int
	bytes   int
}

var defaultBatchLimits = batchLimits{queries: 1000, bytes: 4 << 20}

// query is one SQL text of a batch and the plan statement it belongs to:
// the statement itself, or the SET ROLE / RESET ROLE around it.
type query struct {
	sql  string
	stmt int  // index in the plan's statements
	main bool // the statement itself, not SET ROLE / RESET ROLE
}

// execStatements executes the statements in order, pipelined: they are sent
// in batches (extended protocol, one Sync per batch, so one round trip per
// batch), and their results are read one by one. PostgreSQL runs a batch's
// statements in order and stops at the first error until the Sync; the
// transaction then is aborted and Run rolls it back.
//
// Attribution stays per statement: a statement's notices come before its
// CommandComplete and pgconn hands each message to OnNotice as it reads it,
// so the notices read while reading a statement's result are that
// statement's. A "nothing happened" warning, or an error, fails the run with
// a *StatementError naming the statement whose result was being read (for
// SET ROLE and RESET ROLE, the statement they wrap).
//
// The batches go through the connection's PgConn, so the connection's
// DefaultQueryExecMode (and its statement cache) is not involved: each
// statement is parsed once, unnamed, and never prepared for reuse.
//
// progress, when not nil, is called after each statement with how many
// have executed.
func execStatements(ctx context.Context, tx pgx.Tx, stmts []plan.Statement, notices *noticeLog, logger *slog.Logger, limits batchLimits, progress func(done, total int)) error {
	var queries []query
	for i, st := range stmts {
		if st.AsRole != "" {
			queries = append(queries, query{sql: "SET ROLE " + ident.Quote(st.AsRole), stmt: i})
		}
		queries = append(queries, query{sql: st.SQL, stmt: i, main: true})
		if st.AsRole != "" {
			queries = append(queries, query{sql: "RESET ROLE", stmt: i})
		}
	}
	pg := tx.Conn().PgConn()
	for start := 0; start < len(queries); {
		end, size := start, 0
		for end < len(queries) && (end == start || (end-start < limits.queries && size+len(queries[end].sql) <= limits.bytes)) {
			size += len(queries[end].sql)
			end++
		}
		if err := execBatch(ctx, pg, queries[start:end], stmts, notices, logger, progress); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// execBatch sends one batch and reads its results in order.
func execBatch(ctx context.Context, pg *pgconn.PgConn, queries []query, stmts []plan.Statement, notices *noticeLog, logger *slog.Logger, progress func(done, total int)) error {
	b := &pgconn.Batch{}
	for _, q := range queries {
		b.ExecParams(q.sql, nil, nil, nil, nil)
	}
	notices.reset()
	mrr := pg.ExecBatch(ctx, b)
	for _, q := range queries {
		st := stmts[q.stmt]
		fail := func(err error) error {
			_ = mrr.Close() // drain to the end of the batch; the first error is err
			return &StatementError{Statement: st, Err: err}
		}
		if !mrr.NextResult() {
			err := mrr.Close()
			if err == nil {
				err = errors.New("the server returned no result for the statement")
			}
			return &StatementError{Statement: st, Err: err}
		}
		if _, err := mrr.ResultReader().Close(); err != nil {
			return fail(err)
		}
		if n := notices.nothingHappened(); n != nil {
			return fail(fmt.Errorf("PostgreSQL warned %q (SQLSTATE %s): the statement reported success but changed nothing", n.Message, n.Code))
		}
		notices.reset()
		if q.main {
			logger.Info("executed", "sql", st.SQL, "as_role", st.AsRole)
			if progress != nil {
				progress(q.stmt+1, len(stmts))
			}
		}
	}
	if err := mrr.Close(); err != nil {
		return fmt.Errorf("execute a batch of %d statements: %w", len(queries), err)
	}
	return nil
}

// execStatement executes one statement, as execStatements does.
func execStatement(ctx context.Context, tx pgx.Tx, st plan.Statement, notices *noticeLog) error {
	return execStatements(ctx, tx, []plan.Statement{st}, notices, slog.New(slog.DiscardHandler), defaultBatchLimits, nil)
}

// samePlan compares what two plans would execute and the state they were
// computed from.
func samePlan(a, b *plan.Plan) bool {
	if len(a.Statements) != len(b.Statements) {
		return false
	}
	for i := range a.Statements {
		if a.Statements[i].SQL != b.Statements[i].SQL || a.Statements[i].AsRole != b.Statements[i].AsRole {
			return false
		}
	}
	// Last: the fingerprint sums up the whole catalog.
	return a.Fingerprint() == b.Fingerprint()
}

// noticeLog collects the notices of the statement being executed. pgx
// calls OnNotice from the goroutine reading the connection, hence the mutex.
type noticeLog struct {
	mu      sync.Mutex
	notices []*pgconn.Notice
}

func (l *noticeLog) add(n *pgconn.Notice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notices = append(l.notices, n)
}

func (l *noticeLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notices = nil
}

func (l *noticeLog) nothingHappened() *pgconn.Notice {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.notices {
		if _, ok := nothingHappened[n.Code]; ok {
			return n
		}
	}
	return nil
}
