package synth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/internal/testkit/synth"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSpec_counts(t *testing.T) {
	s := synth.Spec{Tables: 1001, TablesPerSchema: 100}
	if got := s.Schemas(); got != 11 {
		t.Errorf("schemas: got %d, want 11", got)
	}
	if got := s.Extras(); got != 100 {
		t.Errorf("extras: got %d, want 100", got)
	}
	if got := s.Objects(); got != 11+1001+300 {
		t.Errorf("objects: got %d, want %d", got, 11+1001+300)
	}
	if got := (synth.Spec{Tables: 10}).Roles().Worker; got != "synth_worker" {
		t.Errorf("default worker role: got %q", got)
	}
	if synth.TableName(5) != "q_000005" || synth.TableName(6) != "t_000006" || synth.SchemaName(3) != "s0003" {
		t.Errorf("names: %s %s %s", synth.TableName(5), synth.TableName(6), synth.SchemaName(3))
	}
}

func TestSpec_invalid(t *testing.T) {
	for _, s := range []synth.Spec{
		{},
		{Tables: synth.MaxTables + 1},
		{Tables: 10, Prefix: "Bad-Prefix"},
		{Tables: 100000, TablesPerSchema: 1},
	} {
		if _, err := synth.PolicyHCL(s); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

// The floor script is one statement per privilege set, grantee and object
// kind: its size does not grow with the number of objects.
func TestFloorSQL_statementsDoNotGrowWithSize(t *testing.T) {
	count := func(n int) int {
		src, err := synth.FloorSQL(synth.Spec{Tables: n, TablesPerSchema: 100}, "db")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(src, ";\n")
	}
	small, large := count(1000), count(20000)
	if small != large {
		t.Errorf("floor statements: %d for 1,000 tables, %d for 20,000", small, large)
	}
	if small < 10 || small > 40 {
		t.Errorf("floor statements: %d, want between 10 and 40", small)
	}
}

func TestPolicy_loads(t *testing.T) {
	pol, err := synth.Policy(synth.Spec{Tables: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.Roles) != 4 {
		t.Errorf("roles: got %d, want 4", len(pol.Roles))
	}
}

// The states against pgward itself, in both layouts (plain tables, and
// the same tables as the partitions of one more): the half state needs
// grants and revokes, the floor script and Reset(Converged) both give an
// empty plan, and Reset(Half) gives back the same plan.
func TestBuild_statesAgainstPlan(t *testing.T) {
	for _, tt := range []struct {
		name        string
		partitioned bool
		parents     int // partitioned tables created
	}{
		{"tables", false, 0},
		{"partitions", true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) { checkStates(t, tt.partitioned, tt.parents) })
	}
}

func checkStates(t *testing.T, partitioned bool, wantParents int) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	spec := synth.Spec{Tables: 240, TablesPerSchema: 60, Prefix: db.RoleName("sy"), Partitioned: partitioned}
	roles := spec.Roles()
	db.CreateRole(t, roles.Owner, "LOGIN")
	for _, r := range []string{roles.Web, roles.Worker, roles.Ops} {
		db.CreateRole(t, r, "NOLOGIN")
	}
	admin := db.Conn(t)
	if err := synth.Build(ctx, admin, spec); err != nil {
		t.Fatal(err)
	}
	var tables, partitions, parents, views, seqs, funcs int
	err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE c.relkind = 'r'), count(*) FILTER (WHERE c.relkind = 'r' AND c.relispartition),
		count(*) FILTER (WHERE c.relkind = 'p'), count(*) FILTER (WHERE c.relkind = 'v'),
		count(*) FILTER (WHERE c.relkind = 'S'), (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname LIKE 's0%')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 's0%'`).Scan(&tables, &partitions, &parents, &views, &seqs, &funcs)
	if err != nil {
		t.Fatal(err)
	}
	wantPartitions := 0
	if partitioned {
		wantPartitions = 240
	}
	if tables != 240 || partitions != wantPartitions || parents != wantParents || views != 24 || seqs != 24 || funcs != 24 {
		t.Fatalf("created %d tables (%d partitions, %d partitioned tables), %d views, %d sequences, %d functions; want 240 (%d, %d), 24, 24, 24",
			tables, partitions, parents, views, seqs, funcs, wantPartitions, wantParents)
	}
	if got, want := spec.Objects(), 4+240+wantParents+3*24; got != want {
		t.Errorf("Objects() = %d, want %d", got, want)
	}

	pol, err := synth.Policy(spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := connstr.ParseConfig(db.RoleURL(roles.Owner))
	if err != nil {
		t.Fatal(err)
	}
	half := buildPlan(t, cfg, pol)
	s := half.Summary()
	if s.Grant == 0 || s.Revoke == 0 {
		t.Fatalf("half state: %d grants and %d revokes planned, want both", s.Grant, s.Revoke)
	}
	if len(half.ViolationsNow) == 0 || len(half.Violations) != 0 {
		t.Errorf("half state: %d violations now and %d after the plan, want some now and none after", len(half.ViolationsNow), len(half.Violations))
	}

	floor, err := synth.FloorSQL(spec, db.Name)
	if err != nil {
		t.Fatal(err)
	}
	execInTx(t, cfg, floor)
	if p := buildPlan(t, cfg, pol); !p.Empty() {
		t.Fatalf("after the floor script: %d changes, want none; first: %s", len(p.Changes), p.Statements[0].SQL)
	}

	if err := synth.Reset(ctx, admin, spec, synth.Half); err != nil {
		t.Fatal(err)
	}
	again := buildPlan(t, cfg, pol)
	if again.Fingerprint() != half.Fingerprint() || len(again.Statements) != len(half.Statements) {
		t.Errorf("Reset(Half) differs from Build: %d statements, want %d", len(again.Statements), len(half.Statements))
	}

	if err := synth.Reset(ctx, admin, spec, synth.Converged); err != nil {
		t.Fatal(err)
	}
	if p := buildPlan(t, cfg, pol); !p.Empty() {
		t.Fatalf("after Reset(Converged): %d changes, want none; first: %s", len(p.Changes), p.Statements[0].SQL)
	}
	if err := synth.Reset(ctx, admin, spec, synth.Bare); err != nil {
		t.Fatal(err)
	}
	if p := buildPlan(t, cfg, pol); p.Summary().Revoke != 0 || p.Summary().Grant == 0 {
		t.Errorf("after Reset(Bare): %+v, want grants only", p.Summary())
	}
}

// buildPlan plans as pgward plan does (pipeline.ReadPlan: one READ ONLY,
// REPEATABLE READ transaction, the search_path pinned).
func buildPlan(t *testing.T, cfg *pgx.ConnConfig, pol *policy.Policy) *plan.Plan {
	t.Helper()
	p, diags, err := pipeline.ReadPlan(context.Background(), cfg, pol, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func execInTx(t *testing.T, cfg *pgx.ConnConfig, sql string) {
	t.Helper()
	ctx := context.Background()
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
	if _, err := tx.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
