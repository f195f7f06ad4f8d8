package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// setup makes an owner role that owns schema s with tables a and b, and a
// grantee role; it returns the owner's config and a policy giving the
// grantee SELECT on every table of s.
func setup(t *testing.T) (*pgtest.DB, *pgx.ConnConfig, *policy.Policy, string) {
	t.Helper()
	db := pgtest.NewDB(t)
	owner, reader := db.RoleName("owner"), db.RoleName("reader")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, reader, "LOGIN")
	db.Exec(t, fmt.Sprintf("CREATE SCHEMA s AUTHORIZATION %q", owner))
	db.ExecAs(t, owner, "CREATE TABLE s.a (id int); CREATE TABLE s.b (id int)")
	src := fmt.Sprintf(`scope { schemas = ["s"] }
role %q {
  grant "table" {
    schema     = "s"
    privileges = ["SELECT"]
  }
}
`, reader)
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	cfg, err := connstr.ParseConfig(db.RoleURL(owner))
	if err != nil {
		t.Fatal(err)
	}
	return db, cfg, pol, reader
}

func canSelect(t *testing.T, db *pgtest.DB, role, table string) bool {
	t.Helper()
	return hasTablePrivilege(t, db, role, table, "SELECT")
}

// hasTablePrivilege is has_table_privilege(role, table, privilege).
func hasTablePrivilege(t *testing.T, db *pgtest.DB, role, table, privilege string) bool {
	t.Helper()
	conn, err := db.Server.SuperuserConn(context.Background(), db.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(context.Background(), "SELECT has_table_privilege($1, $2, $3)", role, table, privilege).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestRun_convergesAndVerifies(t *testing.T) {
	db, cfg, pol, reader := setup(t)
	res, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Plan.Changes); got != 2 {
		t.Errorf("changes: got %d, want 2 (SELECT on s.a and s.b)", got)
	}
	if len(res.Plan.Statements) != 1 {
		t.Errorf("statements: got %d, want one batched GRANT", len(res.Plan.Statements))
	}
	if !canSelect(t, db, reader, "s.a") || !canSelect(t, db, reader, "s.b") {
		t.Error("reader cannot SELECT after apply")
	}
	if p := planThrough(t, cfg, pol); !p.Empty() {
		t.Errorf("second plan not empty: %d changes", len(p.Changes))
	}
}

func TestRun_refusesAStalePlan(t *testing.T) {
	db, cfg, pol, reader := setup(t)
	approved := planThrough(t, cfg, pol)
	db.ExecAs(t, cfg.User, "CREATE TABLE s.c (id int)") // a migration ran since
	_, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, Approved: approved})
	if !errors.Is(err, ErrStalePlan) {
		t.Fatalf("got %v, want ErrStalePlan", err)
	}
	if !strings.Contains(err.Error(), "table s.c was created") {
		t.Errorf("the error does not say what changed: %v", err)
	}
	if canSelect(t, db, reader, "s.a") {
		t.Error("a refused run granted something")
	}
}

// TestRun_refusesAStalePlanWithNothingLeftToRun: the approved plan had
// statements; the plan under the lock has none, only changes the
// connecting role may no longer make (the tables changed owner). That is a
// changed database, not a converged one: refused, not reported as done.
func TestRun_refusesAStalePlanWithNothingLeftToRun(t *testing.T) {
	db, cfg, pol, reader := setup(t)
	approved := planThrough(t, cfg, pol)
	if len(approved.Statements) == 0 {
		t.Fatal("the approved plan has nothing to run")
	}
	other := db.RoleName("other")
	db.CreateRole(t, other, "NOLOGIN")
	db.Exec(t, fmt.Sprintf("ALTER TABLE s.a OWNER TO %q; ALTER TABLE s.b OWNER TO %q", other, other))
	_, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, Approved: approved, Plan: plan.Options{Partial: true}})
	if !errors.Is(err, ErrStalePlan) {
		t.Fatalf("got %v, want ErrStalePlan", err)
	}
	if canSelect(t, db, reader, "s.a") {
		t.Error("a refused run granted something")
	}
}

func TestRun_waitsForTheAdvisoryLockAndTimesOut(t *testing.T) {
	db, cfg, pol, reader := setup(t)
	ctx := context.Background()
	holder, err := db.Server.SuperuserConn(ctx, db.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, LockTimeout: 200 * time.Millisecond, Retries: -1})
	if err == nil || !strings.Contains(err.Error(), "advisory lock") {
		t.Fatalf("got %v, want a lock timeout on the advisory lock", err)
	}
	if canSelect(t, db, reader, "s.a") {
		t.Error("a run that could not lock granted something")
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}}); err != nil {
		t.Fatalf("after the lock is released: %v", err)
	}
}

func TestRun_concurrentRunsQueue(t *testing.T) {
	db, cfg, pol, reader := setup(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	if !canSelect(t, db, reader, "s.b") {
		t.Error("reader cannot SELECT after concurrent applies")
	}
}

// A statement that PostgreSQL answers with a "nothing happened" warning
// fails the run: GRANT INSERT on a sequence through ON TABLE only warns.
func TestExecStatement_warningIsAnError(t *testing.T) {
	db, cfg, _, reader := setup(t)
	ctx := context.Background()
	db.ExecAs(t, cfg.User, "CREATE SEQUENCE s.seq")
	notices := &noticeLog{}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices.add(n) }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	st := plan.Statement{SQL: fmt.Sprintf(`GRANT INSERT ON TABLE s.seq TO %q`, reader)}
	err = execStatement(ctx, tx, st, notices)
	var se *StatementError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "0LP01") {
		t.Fatalf("got %v, want a StatementError for SQLSTATE 0LP01", err)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "XX000", Message: "tuple concurrently updated"}, true},
		{fmt.Errorf("execute: %w", &pgconn.PgError{Code: "XX000", Message: "tuple concurrently updated"}), true},
		{&pgconn.PgError{Code: "XX000", Message: "cache lookup failed"}, false},
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "23505", ConstraintName: "pg_default_acl_role_nsp_obj_index"}, true},
		{&pgconn.PgError{Code: "23505", ConstraintName: "users_pkey"}, false},
		{&pgconn.PgError{Code: "42501"}, false},
		{errors.New("plain"), false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %t, want %t", tt.err, got, tt.want)
		}
	}
}

// TestRun_review: without an approved plan, Review sees the plan built
// under the lock before anything executes; its error, or a plan over
// MaxRevokes, ends the run with nothing changed.
func TestRun_review(t *testing.T) {
	ctx := context.Background()
	db, cfg, pol, reader := setup(t)
	db.Exec(t, fmt.Sprintf("GRANT INSERT ON s.a, s.b TO %q", reader))
	hasInsert := func() bool { return hasTablePrivilege(t, db, reader, "s.a", "INSERT") }
	opts := Options{Scope: introspect.Scope{Schemas: pol.Schemas}}

	refused := errors.New("not approved")
	var seen *plan.Plan
	opts.Review = func(p *plan.Plan, _ hcl.Diagnostics) error { seen = p; return refused }
	if _, err := Run(ctx, cfg, pol, opts); !errors.Is(err, refused) {
		t.Fatalf("Review refused: got %v", err)
	}
	if seen == nil || seen.Summary().Grant != 2 || seen.Summary().Revoke != 2 {
		t.Fatalf("Review saw %+v, want 2 grants and 2 revokes", seen)
	}
	if !hasInsert() || canSelect(t, db, reader, "s.a") {
		t.Fatal("a refused review changed the database")
	}

	opts.Review = func(*plan.Plan, hcl.Diagnostics) error { return nil }
	opts.MaxRevokes = 1
	var tooMany *TooManyRevokesError
	if _, err := Run(ctx, cfg, pol, opts); !errors.As(err, &tooMany) || tooMany.Revokes != 2 {
		t.Fatalf("2 revokes over a limit of 1: got %v", err)
	}
	if !hasInsert() {
		t.Fatal("a plan over the revoke limit ran")
	}

	calls := 0
	opts.MaxRevokes = 2
	opts.Review = func(p *plan.Plan, _ hcl.Diagnostics) error { calls++; seen = p; return nil }
	res, err := Run(ctx, cfg, pol, opts)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || res.Plan != seen {
		t.Errorf("Review called %d times; executed plan is the reviewed one: %t", calls, res.Plan == seen)
	}
	if hasInsert() || !canSelect(t, db, reader, "s.a") {
		t.Error("the reviewed plan did not run")
	}
}

// TestRun_approvedPlanThroughAnotherSearchPath: a plan saved through a
// connection whose search_path makes an application schema visible, applied
// through one where it is not, runs the GRANT it holds. Before signatures
// were pinned to ident.SearchPath, the two connections named the function
// Fn("D") and Fn("My Schema"."D").
func TestRun_approvedPlanThroughAnotherSearchPath(t *testing.T) {
	db := pgtest.NewDB(t)
	owner, runner := db.RoleName("owner"), db.RoleName("runner")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, runner, "LOGIN")
	db.Exec(t, fmt.Sprintf(`CREATE SCHEMA "My Schema" AUTHORIZATION %q`, owner))
	db.ExecAs(t, owner, `CREATE DOMAIN "My Schema"."D" AS integer;
CREATE FUNCTION "My Schema"."Fn"(x "My Schema"."D") RETURNS int LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION "My Schema"."Fn"("My Schema"."D") FROM PUBLIC`)
	src := fmt.Sprintf(`scope { schemas = ["My Schema"] }
role %q {
  grant "function" {
    schema     = "My Schema"
    names      = ["Fn(\"D\")"] # as format_type spells it, without its schema
    privileges = ["EXECUTE"]
  }
}
`, runner)
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	plain, err := connstr.ParseConfig(db.RoleURL(owner))
	if err != nil {
		t.Fatal(err)
	}
	// ALTER DATABASE, not ALTER ROLE: a role's settings are catalog state
	// (they are in the fingerprint), the database's are not.
	db.Exec(t, fmt.Sprintf(`ALTER DATABASE %q SET search_path = "My Schema", public`, db.Name))
	hostile, err := connstr.ParseConfig(db.RoleURL(owner))
	if err != nil {
		t.Fatal(err)
	}

	approved := planThrough(t, hostile, pol)
	db.Exec(t, fmt.Sprintf(`ALTER DATABASE %q RESET search_path`, db.Name))
	if len(approved.Statements) != 1 {
		t.Fatalf("the approved plan has %d statements, want one GRANT", len(approved.Statements))
	}
	if fp := planThrough(t, plain, pol).Fingerprint(); fp != approved.Fingerprint() {
		t.Errorf("the fingerprint depends on the search_path: %s through one connection, %s through another", approved.Fingerprint(), fp)
	}
	res, err := Run(context.Background(), plain, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}, Approved: approved})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Statements) != 1 {
		t.Errorf("apply ran %d statements, want the approved GRANT", len(res.Plan.Statements))
	}
	conn := db.Conn(t)
	var ok bool
	if err := conn.QueryRow(context.Background(), `SELECT has_function_privilege($1, '"My Schema"."Fn"("My Schema"."D")', 'EXECUTE')`, runner).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("the runner cannot execute the function after apply")
	}
}

// planThrough plans the way pgward plan does: a connstr connection, one
// REPEATABLE READ, READ ONLY transaction.
func planThrough(t *testing.T, cfg *pgx.ConnConfig, pol *policy.Policy) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	cat, err := introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas})
	if err != nil {
		t.Fatal(err)
	}
	p, diags := plan.Build(pol, cat, plan.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestRun_refusesAPlanOfAnotherDatabase: a plan approved (or saved) on one
// database is refused on another, even one where it would look applied or
// could run, and nothing changes there.
func TestRun_refusesAPlanOfAnotherDatabase(t *testing.T) {
	_, cfgA, polA, _ := setup(t)
	approved := planThrough(t, cfgA, polA)
	if len(approved.Statements) == 0 {
		t.Fatal("the approved plan has nothing to run")
	}
	dbB, cfgB, polB, readerB := setup(t)
	for _, saved := range []bool{false, true} {
		_, err := Run(context.Background(), cfgB, polB, Options{Scope: introspect.Scope{Schemas: polB.Schemas}, Approved: approved, Saved: saved})
		if !errors.Is(err, ErrOtherDatabase) {
			t.Fatalf("saved %t: got %v, want ErrOtherDatabase", saved, err)
		}
		if !strings.Contains(err.Error(), approved.Database) || !strings.Contains(err.Error(), dbB.Name) {
			t.Errorf("the error does not name both databases: %v", err)
		}
	}
	if canSelect(t, dbB, readerB, "s.a") {
		t.Error("a refused run granted something")
	}
}
