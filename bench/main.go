// Command bench is `make bench`: it measures pgward on synthetic databases
// of several sizes (internal/testkit/synth) beside the floors, in the same run, and
// prints the medians and the pgward/floor ratios.
//
// For each size it builds the database once (half-converged), then, for
// each run: times `pgward plan` on the half state, `pgward apply` from half
// to converged, the write floor (synth.FloorSQL run by psql -1) from the
// same half state, then on the converged state `pgward plan` (in sync), the
// read floor (bench/readfloor, a bare pgx program) and the same query with
// psql. Every one of these is a separate process timed whole, start and
// connection included; peak RSS comes from its rusage. Between runs the
// half state is restored with synth.Reset, which is not timed; after each
// untimed write the catalogs are vacuumed (see settle).
//
// In the same process it also times introspect.Read and plan.Build alone,
// and counts what the client sends (simple queries, Parse/Execute, Syncs)
// for a plan and for an apply, by watching the protocol messages written to
// the connection.
//
// With -fleet it is `make bench-fleet` instead: many databases on one
// server, beside the read floor over the same databases (fleet.go).
//
// -partitioned makes every size's tables the partitions of one partitioned
// table (synth.Spec.Partitioned), each granted like a table.
//
// Environment: BENCH_SIZES (tables, default "1000 10000 50000"),
// BENCH_RUNS (default 3), BENCH_OUT (a file to write the tables to in
// Markdown), PGWARD_BENCH_DATABASE_URL (a superuser URL of a server to use
// instead of a throwaway one), PGWARD_BENCH_PGBIN (the bin directory of the
// throwaway server); for -fleet, BENCH_FLEET_SIZES (fleets, default
// "1000x20 100x1000": databases × tables) and BENCH_FLEET_CONCURRENCY
// (default "1 4 16").
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/internal/testkit/synth"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// prefix names the benchmark's roles and databases.
const prefix = "pgward_bench"

type config struct {
	pgward, readfloor, psql string
	rusage                  string
	sizes                   []int
	runs                    int
	tablesPerSchema         int
	partitioned             bool
	out                     string
	// The fleet benchmark (fleet.go).
	fleet       bool
	shapes      []shape
	concurrency []int
	sampleEvery time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.pgward, "pgward", "bin/pgward", "the pgward binary")
	flag.StringVar(&c.readfloor, "readfloor", "bin/readfloor", "the read floor binary (bench/readfloor)")
	flag.StringVar(&c.rusage, "rusage", "bin/rusage", "the process timer (bench/rusage)")
	flag.StringVar(&c.psql, "psql", "", "psql (default: psql on PATH, else /usr/bin/psql)")
	flag.IntVar(&c.tablesPerSchema, "tables-per-schema", synth.DefaultTablesPerSchema, "tables per schema")
	flag.BoolVar(&c.partitioned, "partitioned", false, "make the tables the partitions of one partitioned table (synth.Spec.Partitioned)")
	flag.StringVar(&c.out, "out", os.Getenv("BENCH_OUT"), "also write the results as Markdown to this file (default $BENCH_OUT)")
	flag.BoolVar(&c.fleet, "fleet", false, "the fleet benchmark: BENCH_FLEET_SIZES fleets at BENCH_FLEET_CONCURRENCY (see fleet.go)")
	flag.DurationVar(&c.sampleEvery, "sample-every", 5*time.Millisecond, "fleet: how often to count the connections in pg_stat_activity")
	flag.Parse()
	var err error
	if c.shapes, err = parseShapes(envOr("BENCH_FLEET_SIZES", "1000x20 100x1000")); err != nil {
		fatal(fmt.Errorf("BENCH_FLEET_SIZES: %w", err))
	}
	if c.concurrency, err = intList(envOr("BENCH_FLEET_CONCURRENCY", "1 4 16")); err != nil {
		fatal(fmt.Errorf("BENCH_FLEET_CONCURRENCY: %w", err))
	}
	if c.sizes, err = intList(envOr("BENCH_SIZES", "1000 10000 50000")); err != nil {
		fatal(fmt.Errorf("BENCH_SIZES: %w", err))
	}
	if c.runs, err = strconv.Atoi(envOr("BENCH_RUNS", "3")); err != nil || c.runs < 1 {
		fatal(fmt.Errorf("BENCH_RUNS %q: want a positive integer", os.Getenv("BENCH_RUNS")))
	}
	if c.psql == "" {
		if c.psql, err = exec.LookPath("psql"); err != nil {
			c.psql = "/usr/bin/psql"
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if c.fleet {
		err = runFleet(ctx, c)
	} else {
		err = run(ctx, c)
	}
	stop()
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	os.Exit(1)
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive integers", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("no sizes")
	}
	return out, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// bench is what every measurement shares: the server, a superuser
// connection to its default database, the owner role's password and a
// scratch directory.
type bench struct {
	env      environment
	srv      *pgtest.Server
	admin    *pgx.Conn
	password string
	dir      string
}

// setup checks the binaries, starts the server (or connects to
// PGWARD_BENCH_DATABASE_URL) and creates the synthetic roles. cleanup
// undoes what it made.
func setup(ctx context.Context, c config) (b *bench, cleanup func(), err error) {
	for _, bin := range []string{c.pgward, c.readfloor, c.rusage, c.psql} {
		if _, err := os.Stat(bin); err != nil {
			return nil, nil, fmt.Errorf("%s: %w (make bench builds bin/pgward, bin/readfloor and bin/rusage)", bin, err)
		}
	}
	b = &bench{env: machine()}
	logf("machine: %s", b.env.describe())
	var closers []func()
	cleanup = func() {
		for _, f := range slices.Backward(closers) {
			f()
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	b.srv, err = pgtest.Start(ctx, pgtest.Options{
		URL:    os.Getenv("PGWARD_BENCH_DATABASE_URL"),
		BinDir: os.Getenv("PGWARD_BENCH_PGBIN"),
		Logf:   logf,
	})
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() { b.srv.Stop() })
	b.env.server = plan.VersionString(b.srv.Version())

	if b.admin, err = b.srv.SuperuserConn(ctx, ""); err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() { b.admin.Close(context.WithoutCancel(ctx)) })
	spec0 := synth.Spec{Tables: 1, Prefix: prefix}
	rolesSQL, err := synth.RolesSQL(spec0)
	if err != nil {
		return nil, nil, err
	}
	b.password = "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	owner := spec0.Roles().Owner
	if _, err := b.admin.Exec(ctx, rolesSQL); err != nil {
		return nil, nil, fmt.Errorf("create the roles: %w", err)
	}
	if _, err := b.admin.Exec(ctx, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{owner}.Sanitize(), b.password)); err != nil {
		return nil, nil, fmt.Errorf("set the owner's password: %w", err)
	}

	if b.dir, err = os.MkdirTemp("", "pgward-bench-"); err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() { os.RemoveAll(b.dir) })
	return b, cleanup, nil
}

func run(ctx context.Context, c config) error {
	b, cleanup, err := setup(ctx, c)
	if err != nil {
		return err
	}
	defer cleanup()
	env, srv, admin, password, dir := b.env, b.srv, b.admin, b.password, b.dir

	var results []*result
	for _, n := range c.sizes {
		spec := synth.Spec{Tables: n, TablesPerSchema: c.tablesPerSchema, Prefix: prefix, Partitioned: c.partitioned}
		r, err := measure(ctx, c, srv, admin, spec, password, dir)
		if err != nil {
			return fmt.Errorf("%d tables: %w", n, err)
		}
		results = append(results, r)
		printResults(os.Stdout, env, c, results[len(results)-1:])
	}
	env.loadEnd = loadavg()
	fmt.Println()
	printResults(os.Stdout, env, c, results)
	if c.out != "" {
		f, err := os.Create(c.out)
		if err != nil {
			return err
		}
		writeMarkdown(f, env, c, results)
		if err := f.Close(); err != nil {
			return err
		}
	}
	// Queries per plan must not depend on the number of objects.
	for _, r := range results[1:] {
		if r.planCounts != results[0].planCounts {
			return fmt.Errorf("a plan sent %+v at %d tables but %+v at %d tables: the number of queries grows with size",
				results[0].planCounts, results[0].spec.Tables, r.planCounts, r.spec.Tables)
		}
	}
	fmt.Printf("\nQueries per plan: %d statements in %d round trips at every size.\n", results[0].planCounts.statements(), results[0].planCounts.roundTrips())
	for _, r := range results {
		apply, floor := median(rss(r.applyRuns)), median(rss(r.readFloor))
		if overRSS(apply, floor) != "" {
			fmt.Printf("Over target: at %d tables apply peaked at %s, %s the read floor's %s (target ≤ %.1f×).\n", r.spec.Tables, mib(apply), ratio(apply, floor), mib(floor), maxApplyRSSRatio)
		}
	}
	return nil
}

// proc is one timed process: wall-clock time and peak RSS.
type proc struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

// counts are the protocol messages a client sent.
type counts struct {
	simple, parse, execute, sync int
}

// statements is the SQL statements sent: simple queries and Executes.
func (c counts) statements() int { return c.simple + c.execute }

// roundTrips is the number of times the client waited for the server:
// each simple query and each Sync ends with ReadyForQuery.
func (c counts) roundTrips() int { return c.simple + c.sync }

// result is what one size measured.
type result struct {
	spec                   synth.Spec
	objects                int
	create, reset          time.Duration
	introspect             []time.Duration
	buildSync, buildHalf   []time.Duration
	planSync, planHalf     []proc
	applyRuns              []proc
	readFloor, psqlRead    []proc
	writeFloor             []proc
	applyInProcess         []time.Duration
	applyExecute           []time.Duration // estimated: see applyInProcess
	planCounts, applyCount counts
	planStatements         int // statements of the half → converged plan
	floorStatements        int
}

func measure(ctx context.Context, c config, srv *pgtest.Server, admin *pgx.Conn, spec synth.Spec, password, dir string) (*result, error) {
	r := &result{spec: spec, objects: spec.Objects()}
	db := fmt.Sprintf("%s_%d", prefix, spec.Tables)
	roles := spec.Roles()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()); err != nil {
		return nil, err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", pgx.Identifier{db}.Sanitize(), pgx.Identifier{roles.Owner}.Sanitize())); err != nil {
		return nil, err
	}
	defer func() {
		if _, err := admin.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()); err != nil {
			logf("drop database %s: %v", db, err)
		}
	}()
	conn, err := srv.SuperuserConn(ctx, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	logf("%d tables: creating %d schemas, %d tables, %d views, %d sequences, %d functions",
		spec.Tables, spec.Schemas(), spec.Tables, spec.Extras(), spec.Extras(), spec.Extras())
	start := time.Now()
	if err := synth.Create(ctx, conn, spec); err != nil {
		return nil, err
	}
	r.create = time.Since(start)
	start = time.Now()
	if err := synth.Reset(ctx, conn, spec, synth.Half); err != nil {
		return nil, err
	}
	r.reset = time.Since(start)
	// Every untimed write below (a reset, the floor script) rewrites the
	// pg_class row of most objects. The catalogs are vacuumed and analyzed
	// after it, untimed, as autovacuum leaves a live database: otherwise
	// the next timed step pays for the dead rows, hint bits and page
	// pruning of the write before it, or shares the processors with an
	// autovacuum that started meanwhile, and the ratios depend on which
	// step comes first.
	//
	// A VACUUM marks a page all-visible only when every row on it is
	// visible to every transaction; one that runs beside another
	// transaction (an autovacuum worker's ANALYZE, say) leaves recent
	// pages unmarked, and every later scan then checks their rows one by
	// one (a pg_attribute scan at 10,000 tables took 35 ms instead of
	// 11). settle repeats the VACUUM until the catalogs' pages are
	// nearly all marked, as they are in a database that autovacuum has
	// been looking after.
	var superuser bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").Scan(&superuser); err != nil {
		return nil, err
	}
	catalogs := []string{"pg_catalog.pg_class", "pg_catalog.pg_attribute", "pg_catalog.pg_type", "pg_catalog.pg_proc", "pg_catalog.pg_namespace",
		"pg_catalog.pg_depend", "pg_catalog.pg_default_acl", "pg_catalog.pg_auth_members", "pg_catalog.pg_shdepend"}
	settle := func() error {
		for attempt := 1; ; attempt++ {
			if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+strings.Join(catalogs, ", ")); err != nil {
				return fmt.Errorf("vacuum the catalogs: %w", err)
			}
			var unmarked []string
			err := conn.QueryRow(ctx, `SELECT COALESCE(array_agg(relname::text ORDER BY relname), '{}') FROM pg_catalog.pg_class
				WHERE oid = ANY ($1::text[]::regclass[]) AND relpages > 20 AND relallvisible < 0.95 * relpages`, catalogs).Scan(&unmarked)
			if err != nil {
				return fmt.Errorf("read the catalogs' visibility: %w", err)
			}
			if len(unmarked) == 0 || !superuser {
				return nil // a VACUUM that is not a superuser's skips the catalogs: repeating it changes nothing
			}
			if attempt == 10 {
				logf("%d tables: %s still have pages not marked all-visible after %d vacuums; timing anyway", spec.Tables, strings.Join(unmarked, ", "), attempt)
				return nil
			}
			time.Sleep(time.Second)
		}
	}
	if err := settle(); err != nil {
		return nil, err
	}
	logf("%d tables: created in %s, half state in %s", spec.Tables, round(r.create), round(r.reset))
	resetHalf := func() error {
		if err := synth.Reset(ctx, conn, spec, synth.Half); err != nil {
			return err
		}
		return settle()
	}

	policyPath := filepath.Join(dir, fmt.Sprintf("policy-%d.hcl", spec.Tables))
	src, err := synth.PolicyHCL(spec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(policyPath, []byte(src), 0o644); err != nil {
		return nil, err
	}
	pol, err := synth.Policy(spec)
	if err != nil {
		return nil, err
	}
	floorPath := filepath.Join(dir, fmt.Sprintf("floor-%d.sql", spec.Tables))
	floor, err := synth.FloorSQL(spec, db)
	if err != nil {
		return nil, err
	}
	r.floorStatements = strings.Count(floor, ";\n")
	if err := os.WriteFile(floorPath, []byte(floor), 0o644); err != nil {
		return nil, err
	}
	ownerURL, err := withPassword(srv.URL(db, roles.Owner), password)
	if err != nil {
		return nil, err
	}
	cfg, err := connstr.ParseConfig(ownerURL)
	if err != nil {
		return nil, err
	}

	pgward := func(want int, args ...string) (proc, error) {
		return c.timeProcess(ctx, want, c.pgward, append(args, "--policy", policyPath, "--database-url", ownerURL, "--no-color")...)
	}
	for i := 1; i <= c.runs; i++ {
		logf("%d tables: run %d of %d", spec.Tables, i, c.runs)
		if i > 1 {
			if err := resetHalf(); err != nil {
				return nil, err
			}
		}
		p, err := pgward(2, "plan")
		if err != nil {
			return nil, fmt.Errorf("pgward plan (half): %w", err)
		}
		r.planHalf = append(r.planHalf, p)
		m, err := planInProcess(ctx, cfg, pol)
		if err != nil {
			return nil, err
		}
		r.buildHalf = append(r.buildHalf, m.build)
		r.planStatements = len(m.plan.Statements)

		p, err = pgward(0, "apply", "--auto-approve", "--max-revokes=-1")
		if err != nil {
			return nil, fmt.Errorf("pgward apply: %w", err)
		}
		r.applyRuns = append(r.applyRuns, p)

		// Once more in process, to count what apply sends and to time the
		// execution of its statements.
		if err := resetHalf(); err != nil {
			return nil, err
		}
		a, err := applyInProcess(ctx, cfg, pol)
		if err != nil {
			return nil, err
		}
		r.applyInProcess = append(r.applyInProcess, a.total)
		r.applyExecute = append(r.applyExecute, a.execute)
		r.applyCount = a.counts

		if err := resetHalf(); err != nil {
			return nil, err
		}
		p, err = c.timeProcess(ctx, 0, c.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", floorPath, "-d", ownerURL)
		if err != nil {
			return nil, fmt.Errorf("write floor (psql): %w", err)
		}
		r.writeFloor = append(r.writeFloor, p)

		if err := settle(); err != nil {
			return nil, err
		}
		// Converged by the floor script: pgward must agree (exit 0).
		p, err = pgward(0, "plan")
		if err != nil {
			return nil, fmt.Errorf("pgward plan after the write floor (in sync): %w", err)
		}
		r.planSync = append(r.planSync, p)
		p, err = c.timeProcess(ctx, 0, c.readfloor, "-database-url", ownerURL)
		if err != nil {
			return nil, fmt.Errorf("read floor: %w", err)
		}
		r.readFloor = append(r.readFloor, p)
		p, err = c.timeProcess(ctx, 0, c.psql, "-X", "-q", "-A", "-t", "-o", os.DevNull, "-c", synth.ReadFloorQuery, "-d", ownerURL)
		if err != nil {
			return nil, fmt.Errorf("read floor (psql): %w", err)
		}
		r.psqlRead = append(r.psqlRead, p)
		m, err = planInProcess(ctx, cfg, pol)
		if err != nil {
			return nil, err
		}
		if !m.plan.Empty() {
			return nil, fmt.Errorf("in-process plan after the write floor: %d changes, want none", len(m.plan.Changes))
		}
		r.introspect = append(r.introspect, m.introspect)
		r.buildSync = append(r.buildSync, m.build)
		r.planCounts = m.counts
	}
	logf("%d tables: plan in sync %s (read floor %s), apply %s (write floor %s)", spec.Tables,
		round(median(walls(r.planSync))), round(median(walls(r.readFloor))), round(median(walls(r.applyRuns))), round(median(walls(r.writeFloor))))
	return r, nil
}

func withPassword(raw, password string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String(), nil
}

// timeProcess runs a command with its standard output discarded and
// returns its wall-clock time and peak RSS; an exit status other than want
// is an error carrying the end of its standard error.
//
// The command runs under bench/rusage, which times it and reads its
// rusage, rather than as a child of this process: Linux carries a
// process's peak RSS across exec and Go starts children with vfork, so a
// direct child would report at least this process's own peak.
func (c config) timeProcess(ctx context.Context, want int, name string, args ...string) (proc, error) {
	cmd := exec.CommandContext(ctx, c.rusage, append([]string{name}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout bytes.Buffer
	var stderr tailBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return proc{}, fmt.Errorf("%s: %w: %s", filepath.Base(name), err, stderr.String())
	}
	var wall, rssKB int64
	var got int
	if _, err := fmt.Sscan(stdout.String(), &wall, &rssKB, &got); err != nil {
		return proc{}, fmt.Errorf("%s: read the rusage helper's report %q: %w", filepath.Base(name), stdout.String(), err)
	}
	if got != want {
		return proc{}, fmt.Errorf("%s exited %d, want %d: %s", filepath.Base(name), got, want, stderr.String())
	}
	return proc{wall: time.Duration(wall), maxRSS: rssKB * 1024}, nil
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }

// inProcess is one in-process plan: the time of introspect.Read and of
// plan.Build, the plan, and what the client sent.
type inProcess struct {
	introspect, build time.Duration
	plan              *plan.Plan
	counts            counts
}

// planInProcess does what `pgward plan` does, in this process: connect,
// read the catalog in a read-only repeatable-read transaction, build.
func planInProcess(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy) (inProcess, error) {
	w := &wire{}
	cfg = w.watch(cfg)
	var m inProcess
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return m, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return m, err
	}
	start := time.Now()
	cat, err := introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas})
	if err != nil {
		return m, err
	}
	m.introspect = time.Since(start)
	if err := tx.Rollback(ctx); err != nil {
		return m, err
	}
	start = time.Now()
	p, diags := plan.Build(pol, cat, plan.Options{})
	m.build = time.Since(start)
	if diags.HasErrors() {
		return m, fmt.Errorf("plan: %s", policy.FormatDiagnostics(diags))
	}
	m.plan, m.counts = p, w.counts()
	return m, nil
}

// applied is one in-process apply: its whole time, the time of executing
// the plan's statements, and what the client sent.
type applied struct {
	total, execute time.Duration
	counts         counts
}

// applyInProcess does what `pgward apply --auto-approve` does, in this
// process: a plan, then apply.Run with it approved. The execution time is
// read on the wire: see wire.batchSpan.
func applyInProcess(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy) (applied, error) {
	w := &wire{}
	cfg = w.watch(cfg)
	start := time.Now()
	m, err := planInProcess(ctx, cfg, pol)
	if err != nil {
		return applied{}, err
	}
	if _, err := apply.Run(ctx, cfg, pol, apply.Options{Scope: introspect.Scope{Schemas: pol.Schemas}, Approved: m.plan, MaxRevokes: -1}); err != nil {
		return applied{}, err
	}
	return applied{total: time.Since(start), execute: w.batchSpan(), counts: w.counts()}, nil
}

// wire counts the frontend protocol messages written on the connections
// of a config: it wraps each connection once TLS (if any) is set up, so it
// sees the plain protocol, and parses the message framing (the startup
// message has no type byte; every later one has a type byte and a length).
type wire struct {
	mu     sync.Mutex
	n      counts
	writes []write
}

// write is one write on a connection: when it began and how many Execute
// messages it carried.
type write struct {
	at       time.Time
	executes int
}

// batchSpan is the time from the first write that carries several
// Execute messages (a pipelined batch) to the first write after the last
// such write: the client writes nothing more until it has read the whole
// batch's results, so this is the time of executing the batches, as the
// client sees it. Zero when no write carried several Executes.
func (w *wire) batchSpan() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	first, last := -1, -1
	for i, wr := range w.writes {
		if wr.executes > 1 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || last+1 >= len(w.writes) {
		return 0
	}
	return w.writes[last+1].at.Sub(w.writes[first].at)
}

func (w *wire) watch(cfg *pgx.ConnConfig) *pgx.ConnConfig {
	cfg = cfg.Copy()
	prev := cfg.AfterNetConnect
	cfg.AfterNetConnect = func(ctx context.Context, pc *pgconn.Config, c net.Conn) (net.Conn, error) {
		if prev != nil {
			var err error
			if c, err = prev(ctx, pc, c); err != nil {
				return nil, err
			}
		}
		return &countingConn{Conn: c, w: w}, nil
	}
	return cfg
}

func (w *wire) counts() counts {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// message counts one message; it reports whether it was an Execute.
func (w *wire) message(typ byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch typ {
	case 'Q':
		w.n.simple++
	case 'P':
		w.n.parse++
	case 'E':
		w.n.execute++
		return true
	case 'S':
		w.n.sync++
	}
	return false
}

func (w *wire) wrote(at time.Time, executes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, write{at, executes})
}

// countingConn parses the frontend messages written through it.
type countingConn struct {
	net.Conn
	w       *wire
	started bool   // the startup message is behind us
	header  []byte // the header read so far
	skip    int    // bytes of the current message's body still to come
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.w.wrote(time.Now(), c.feed(p))
	return c.Conn.Write(p)
}

// feed parses the framing of p and returns the number of Execute messages
// that begin in it.
func (c *countingConn) feed(p []byte) (executes int) {
	for len(p) > 0 {
		if c.skip > 0 {
			n := min(c.skip, len(p))
			c.skip -= n
			p = p[n:]
			continue
		}
		need := 5
		if !c.started {
			need = 4
		}
		take := min(need-len(c.header), len(p))
		c.header = append(c.header, p[:take]...)
		p = p[take:]
		if len(c.header) < need {
			return executes
		}
		if !c.started {
			c.started = true
			c.skip = int(binary.BigEndian.Uint32(c.header)) - 4
		} else {
			if c.w.message(c.header[0]) {
				executes++
			}
			c.skip = int(binary.BigEndian.Uint32(c.header[1:])) - 4
		}
		c.header = c.header[:0]
	}
	return executes
}

// environment describes the machine and server of a run.
type environment struct {
	cpus               int
	cpuModel           string
	loadStart, loadEnd string
	server             string
	goVersion          string
	memory             string
}

func machine() environment {
	e := environment{cpus: runtime.NumCPU(), goVersion: runtime.Version(), loadStart: loadavg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				e.cpuModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if line, _, ok := strings.Cut(string(b), "\n"); ok {
			e.memory = strings.Join(strings.Fields(strings.TrimPrefix(line, "MemTotal:")), " ")
		}
	}
	return e
}

func (e environment) describe() string {
	return fmt.Sprintf("%d CPUs (%s), %s memory, load average %s, %s", e.cpus, e.cpuModel, e.memory, e.loadStart, e.goVersion)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func walls(ps []proc) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = p.wall
	}
	return out
}

func rss(ps []proc) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.maxRSS
	}
	return out
}

func median[T time.Duration | int64](ds []T) T {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// maxApplyRSSRatio is the target of apply's peak RSS against the read
// floor program's (issue 15): the bench flags a size over it, in the
// tables and in a line at the end, without failing, since the figure
// moves with the machine's load and the Go collector's timing more than
// the query count it fails on does.
const maxApplyRSSRatio = 1.5

// overRSS marks a ratio of apply's peak RSS over maxApplyRSSRatio.
func overRSS(apply, floor int64) string {
	if floor > 0 && float64(apply) > maxApplyRSSRatio*float64(floor) {
		return " (over)"
	}
	return ""
}

func ratio[T time.Duration | int64](a, b T) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

// row is one size's line of the tables.
type row struct {
	tables, objects                                       string
	introspect, buildSync, buildHalf                      string
	planSync, readFloor, psqlRead, planRatio              string
	planHalf, apply, writeFloor, applyRatio               string
	rssPlan, rssApply, rssFloor, rssRatio                 string
	rssApplyRatio                                         string
	planStatements, planRoundTrips                        string
	applyStatements, applyRoundTrips, planned, floorStmts string
	applyInProcess, create, reset                         string
	execute                                               string
}

func rowOf(r *result) row {
	planSync, readFloor := median(walls(r.planSync)), median(walls(r.readFloor))
	applyT, writeFloor := median(walls(r.applyRuns)), median(walls(r.writeFloor))
	rssPlan, rssFloor := median(rss(r.planSync)), median(rss(r.readFloor))
	return row{
		tables:          strconv.Itoa(r.spec.Tables),
		objects:         strconv.Itoa(r.objects),
		introspect:      secs(median(r.introspect)),
		buildSync:       secs(median(r.buildSync)),
		buildHalf:       secs(median(r.buildHalf)),
		planSync:        secs(planSync),
		readFloor:       secs(readFloor),
		psqlRead:        secs(median(walls(r.psqlRead))),
		planRatio:       ratio(planSync, readFloor),
		planHalf:        secs(median(walls(r.planHalf))),
		apply:           secs(applyT),
		writeFloor:      secs(writeFloor),
		applyRatio:      ratio(applyT, writeFloor),
		rssPlan:         mib(rssPlan),
		rssApply:        mib(median(rss(r.applyRuns))),
		rssFloor:        mib(rssFloor),
		rssRatio:        ratio(rssPlan, rssFloor),
		rssApplyRatio:   ratio(median(rss(r.applyRuns)), rssFloor) + overRSS(median(rss(r.applyRuns)), rssFloor),
		planStatements:  strconv.Itoa(r.planCounts.statements()),
		planRoundTrips:  strconv.Itoa(r.planCounts.roundTrips()),
		applyStatements: strconv.Itoa(r.applyCount.statements()),
		applyRoundTrips: strconv.Itoa(r.applyCount.roundTrips()),
		planned:         strconv.Itoa(r.planStatements),
		floorStmts:      strconv.Itoa(r.floorStatements),
		applyInProcess:  secs(median(r.applyInProcess)),
		execute:         secs(median(r.applyExecute)),
		create:          secs(r.create),
		reset:           secs(r.reset),
	}
}

func printResults(w io.Writer, env environment, c config, results []*result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "tables\tintrospect\tbuild (in sync)\tplan in sync\tread floor (pgx)\tread floor (psql)\tratio\tplan half\tapply\twrite floor\tratio\tRSS plan\tRSS read floor\tratio\t\n")
	for _, r := range results {
		x := rowOf(r)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", x.tables, x.introspect, x.buildSync, x.planSync, x.readFloor, x.psqlRead, x.planRatio,
			x.planHalf, x.apply, x.writeFloor, x.applyRatio, x.rssPlan, x.rssFloor, x.rssRatio)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "tables\tobjects\tbuild (half)\tplan: statements sent\tround trips\tapply: planned statements\tstatements sent\tround trips\texecuting\twrite floor statements\tRSS apply\tRSS read floor\tratio\t\n")
	for _, r := range results {
		x := rowOf(r)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", x.tables, x.objects, x.buildHalf, x.planStatements, x.planRoundTrips, x.planned, x.applyStatements, x.applyRoundTrips, x.execute, x.floorStmts, x.rssApply, x.rssFloor, x.rssApplyRatio)
	}
	tw.Flush()
}

func writeMarkdown(w io.Writer, env environment, c config, results []*result) {
	layout := ""
	if c.partitioned {
		layout = ", the tables being the partitions of one partitioned table"
	}
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %s memory; PostgreSQL %s; %s; load average %s at the start, %s at the end; medians of %d runs, %d tables per schema%s.\n\n",
		env.cpus, env.cpuModel, env.memory, env.server, env.goVersion, env.loadStart, env.loadEnd, c.runs, c.tablesPerSchema, layout)
	fmt.Fprintln(w, "| tables | objects | introspect | build (in sync) | **plan in sync** | read floor (pgx) | read floor (psql) | **ratio** (≤ 1.3) | plan half | **apply** | write floor | **ratio** (≤ 1.3) | RSS plan | RSS read floor | **ratio** (≤ 1.5) |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		x := rowOf(r)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", x.tables, x.objects, x.introspect, x.buildSync, x.planSync, x.readFloor, x.psqlRead, x.planRatio,
			x.planHalf, x.apply, x.writeFloor, x.applyRatio, x.rssPlan, x.rssFloor, x.rssRatio)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| tables | build (half) | plan: statements sent | plan: round trips | apply: planned statements | apply: statements sent | apply: round trips | write floor statements | apply in process | of which executing | RSS apply | RSS read floor | **ratio** (≤ 1.5) | synth: create | synth: half state |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		x := rowOf(r)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", x.tables, x.buildHalf, x.planStatements, x.planRoundTrips, x.planned, x.applyStatements, x.applyRoundTrips, x.floorStmts, x.applyInProcess, x.execute, x.rssApply, x.rssFloor, x.rssApplyRatio, x.create, x.reset)
	}
}
