package main

// The fleet benchmark (make bench-fleet, bench -fleet): one server holding
// many synthetic databases, pgward audit and apply --all-databases over
// them at several concurrencies, beside the read floor over the same
// databases at the same concurrency (bench/readfloor -all-databases), in
// the same run.
//
// For each fleet shape (BENCH_FLEET_SIZES, "DATABASESxTABLES", default
// "1000x20 100x1000") it creates one template database with synth.Create
// and clones it, then for each concurrency (BENCH_FLEET_CONCURRENCY,
// default "1 4 16"): resets every database to the half state (untimed),
// times `pgward apply --all-databases --auto-approve` (half → converged),
// reads every database once untimed (so that the timed reads do not pay
// for the pruning of what apply wrote), then times `pgward audit
// --all-databases` (in sync, exit 0) and the read floor. Each timed run
// goes through bench/rusage (wall time, peak RSS) while a sampler counts
// the owner role's connections in pg_stat_activity.
//
// It fails (after printing the table) when a run ever had more than
// concurrency + 1 connections open (the + 1 is the cluster-wide lock
// apply's cluster owner holds), or when the queries an audit sends to one
// database differ between databases, between a fleet of two and the whole
// fleet, or between fleet shapes: counted in process, as make bench counts
// a plan's, with a fleet.AuditJob over the same databases.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/synth"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/policy"
)

// shape is one fleet: how many databases of how many tables.
type shape struct{ databases, tables int }

func (s shape) String() string { return fmt.Sprintf("%d×%d", s.databases, s.tables) }

// parseShapes reads "1000x20 100x1000" (x or ×, commas allowed).
func parseShapes(s string) ([]shape, error) {
	var out []shape
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		d, t, ok := strings.Cut(strings.ReplaceAll(f, "×", "x"), "x")
		nd, err1 := strconv.Atoi(strings.ReplaceAll(d, "_", ""))
		nt, err2 := strconv.Atoi(strings.ReplaceAll(t, "_", ""))
		if !ok || err1 != nil || err2 != nil || nd < 2 || nt < 1 {
			return nil, fmt.Errorf("%q: want DATABASESxTABLES, at least 2 databases of 1 table (1000x20)", f)
		}
		out = append(out, shape{nd, nt})
	}
	if len(out) == 0 {
		return nil, errors.New("no fleet sizes")
	}
	return out, nil
}

// fleetRun is one timed process of a fleet run and the most connections
// its role had open at once.
type fleetRun struct {
	proc
	peak int
}

// fleetRow is one shape at one concurrency.
type fleetRow struct {
	shape               shape
	concurrency         int
	apply, audit, floor fleetRun
}

// queryCounts are what an audit sent to each database of a fleet, counted
// in process: the cluster owner's and the others' (which must all agree).
type queryCounts struct {
	owner, other counts
}

func (q queryCounts) String() string {
	return fmt.Sprintf("cluster owner %d statements in %d round trips, every other database %d in %d",
		q.owner.statements(), q.owner.roundTrips(), q.other.statements(), q.other.roundTrips())
}

func runFleet(ctx context.Context, c config) error {
	b, cleanup, err := setup(ctx, c)
	if err != nil {
		return err
	}
	defer cleanup()
	var (
		rows       []fleetRow
		violations []string
		first      *queryCounts
	)
	for _, sh := range c.shapes {
		rs, q, err := measureFleet(ctx, c, b, sh)
		if err != nil {
			return fmt.Errorf("fleet %s: %w", sh, err)
		}
		rows = append(rows, rs...)
		printFleet(os.Stdout, rs)
		for _, r := range rs {
			for _, x := range []struct {
				what string
				run  fleetRun
			}{{"apply", r.apply}, {"audit", r.audit}, {"read floor", r.floor}} {
				if err := checkConnections(x.run.peak, r.concurrency); err != nil {
					violations = append(violations, fmt.Sprintf("fleet %s, %s: %v", sh, x.what, err))
				}
			}
		}
		logf("fleet %s: audit queries: %s", sh, q)
		if first == nil {
			first = &q
		} else if q != *first {
			violations = append(violations, fmt.Sprintf("audit queries per database: %s at %s but %s at %s", *first, c.shapes[0], q, sh))
		}
	}
	b.env.loadEnd = loadavg()
	fmt.Println()
	fmt.Printf("Machine: %s; PostgreSQL %s; load average %s at the start, %s at the end.\n", b.env.describe(), b.env.server, b.env.loadStart, b.env.loadEnd)
	printFleet(os.Stdout, rows)
	if c.out != "" {
		f, err := os.Create(c.out)
		if err != nil {
			return err
		}
		writeFleetMarkdown(f, b.env, rows)
		if err := f.Close(); err != nil {
			return err
		}
	}
	if len(violations) > 0 {
		return fmt.Errorf("%d broken %s:\n  %s", len(violations), pluralWord(len(violations), "bound", "bounds"), strings.Join(violations, "\n  "))
	}
	fmt.Printf("\nConnections: never more than concurrency + 1. Audit queries per database: %s, in every fleet.\n", first)
	return nil
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkConnections is the connection bound of a fleet run: at most
// concurrency + 1 connections (the databases being worked on, and the
// cluster-wide lock that an apply's cluster owner holds beside its own).
func checkConnections(peak, concurrency int) error {
	if peak > concurrency+1 {
		return fmt.Errorf("%d connections open at once at --concurrency %d, want at most %d", peak, concurrency, concurrency+1)
	}
	return nil
}

// fleetNames are the names of a shape's databases, the pattern that
// selects them (and nothing else) and the template they are cloned from.
func fleetNames(sh shape) (names []string, pattern, template string) {
	base := fmt.Sprintf("%s_f%d_", prefix, sh.tables)
	for i := 1; i <= sh.databases; i++ {
		names = append(names, fmt.Sprintf("%s%05d", base, i))
	}
	return names, base + "*", fmt.Sprintf("%s_template_%d", prefix, sh.tables)
}

func measureFleet(ctx context.Context, c config, b *bench, sh shape) ([]fleetRow, queryCounts, error) {
	var q queryCounts
	spec := synth.Spec{Tables: sh.tables, TablesPerSchema: c.tablesPerSchema, Prefix: prefix}
	owner := spec.Roles().Owner
	names, pattern, template := fleetNames(sh)
	drop := func(ctx context.Context) error {
		// Every database of the pattern: also those a run that was stopped
		// left behind.
		var old []string
		err := b.admin.QueryRow(ctx, `SELECT COALESCE(array_agg(datname::text), '{}') FROM pg_catalog.pg_database WHERE datname LIKE $1 OR datname = $2`,
			strings.TrimSuffix(pattern, "*")+"%", template).Scan(&old)
		if err != nil {
			return err
		}
		for _, db := range old {
			if _, err := b.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()); err != nil {
				return fmt.Errorf("drop database %s: %w", db, err)
			}
		}
		return nil
	}
	if err := drop(ctx); err != nil {
		return nil, q, err
	}
	defer func() {
		if os.Getenv("PGWARD_BENCH_DATABASE_URL") == "" {
			return // the throwaway server goes, with its databases
		}
		start := time.Now()
		if err := drop(context.WithoutCancel(ctx)); err != nil {
			logf("fleet %s: %v", sh, err)
		}
		logf("fleet %s: dropped in %s", sh, round(time.Since(start)))
	}()

	logf("fleet %s: creating the template (%d schemas, %d tables, %d views, %d sequences, %d functions) and %d databases",
		sh, spec.Schemas(), spec.Tables, spec.Extras(), spec.Extras(), spec.Extras(), sh.databases)
	start := time.Now()
	quotedOwner := pgx.Identifier{owner}.Sanitize()
	if _, err := b.admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", pgx.Identifier{template}.Sanitize(), quotedOwner)); err != nil {
		return nil, q, err
	}
	conn, err := b.srv.SuperuserConn(ctx, template)
	if err != nil {
		return nil, q, err
	}
	err = synth.Create(ctx, conn, spec)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, q, err
	}
	// A file copy of the template: one checkpoint and a directory copy per
	// database, much faster than WAL-logging every block (the default
	// from PostgreSQL 15; before it, the only strategy).
	strategy := ""
	if b.srv.Version() >= 150000 {
		strategy = " STRATEGY FILE_COPY"
	}
	for _, db := range names {
		if _, err := b.admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s%s",
			pgx.Identifier{db}.Sanitize(), pgx.Identifier{template}.Sanitize(), quotedOwner, strategy)); err != nil {
			return nil, q, err
		}
	}
	logf("fleet %s: created in %s", sh, round(time.Since(start)))

	policyPath := filepath.Join(b.dir, fmt.Sprintf("fleet-policy-%d.hcl", sh.tables))
	src, err := synth.PolicyHCL(spec)
	if err != nil {
		return nil, q, err
	}
	if err := os.WriteFile(policyPath, []byte(src), 0o644); err != nil {
		return nil, q, err
	}
	// Every run starts from the server's maintenance database and finds the
	// fleet with --all-databases; the pattern leaves the rest out.
	seedURL, err := withPassword(b.srv.URL("postgres", owner), b.password)
	if err != nil {
		return nil, q, err
	}
	sample := func(f func() (proc, error)) (fleetRun, error) {
		s, err := startSampler(ctx, b.srv, owner, c.sampleEvery)
		if err != nil {
			return fleetRun{}, err
		}
		p, err := f()
		peak, serr := s.stop()
		if err == nil {
			err = serr
		}
		return fleetRun{proc: p, peak: peak}, err
	}
	pgward := func(want, concurrency int, args ...string) (fleetRun, error) {
		args = append(args, "--all-databases", "--include-database", pattern, "--concurrency", strconv.Itoa(concurrency),
			"--policy", policyPath, "--database-url", seedURL, "--no-color")
		return sample(func() (proc, error) { return c.timeProcess(ctx, want, c.pgward, args...) })
	}
	floor := func(concurrency int) (fleetRun, error) {
		return sample(func() (proc, error) {
			return c.timeProcess(ctx, 0, c.readfloor, "-all-databases", "-include-database", pattern,
				"-concurrency", strconv.Itoa(concurrency), "-database-url", seedURL)
		})
	}

	var rows []fleetRow
	for _, n := range c.concurrency {
		r := fleetRow{shape: sh, concurrency: n}
		start := time.Now()
		if err := resetFleet(ctx, b, spec, names); err != nil {
			return nil, q, err
		}
		logf("fleet %s, concurrency %d: half state in %s", sh, n, round(time.Since(start)))
		if r.apply, err = pgward(0, n, "apply", "--auto-approve", "--max-revokes=-1"); err != nil {
			return nil, q, fmt.Errorf("pgward apply: %w", err)
		}
		if _, err := floor(max(n, 4)); err != nil { // untimed: the reads after apply's writes
			return nil, q, fmt.Errorf("read floor: %w", err)
		}
		if r.audit, err = pgward(0, n, "audit"); err != nil {
			return nil, q, fmt.Errorf("pgward audit (in sync): %w", err)
		}
		if r.floor, err = floor(n); err != nil {
			return nil, q, fmt.Errorf("read floor: %w", err)
		}
		logf("fleet %s, concurrency %d: apply %s, audit %s, read floor %s", sh, n, round(r.apply.wall), round(r.audit.wall), round(r.floor.wall))
		rows = append(rows, r)
	}

	// The audit's queries per database, in process: over the whole fleet,
	// then over two of its databases.
	pol, err := synth.Policy(spec)
	if err != nil {
		return nil, q, err
	}
	seed, err := connstr.ParseConfig(seedURL)
	if err != nil {
		return nil, q, err
	}
	if q, err = countAudit(ctx, seed, pol, []string{pattern}); err != nil {
		return nil, q, err
	}
	two, err := countAudit(ctx, seed, pol, names[:2])
	if err != nil {
		return nil, q, err
	}
	if two != q {
		return nil, q, fmt.Errorf("audit queries per database: %s over %d databases, but %s over 2: the count depends on the number of databases", q, sh.databases, two)
	}
	return rows, q, nil
}

// resetFleet puts every database into the half state, two at a time.
func resetFleet(ctx context.Context, b *bench, spec synth.Spec, names []string) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan string)
	)
	for range 2 {
		wg.Go(func() {
			for db := range next {
				err := func() error {
					conn, err := b.srv.SuperuserConn(ctx, db)
					if err != nil {
						return err
					}
					defer conn.Close(context.WithoutCancel(ctx))
					return synth.Reset(ctx, conn, spec, synth.Half)
				}()
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("database %s: %w", db, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, db := range names {
		next <- db
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// countAudit runs a fleet audit in process over the databases of seed's
// server that include keeps, counting what it sends to each one, and
// returns the counts of the cluster owner and of the other databases. It
// fails when two of the others differ, or a database is not in sync.
func countAudit(ctx context.Context, seed *pgx.ConnConfig, pol *policy.Policy, include []string) (queryCounts, error) {
	var q queryCounts
	targets, err := fleet.Resolve(ctx, fleet.Spec{Seeds: []*pgx.ConnConfig{seed}, AllDatabases: true, Filter: fleet.Filter{Include: include}})
	if err != nil {
		return q, err
	}
	wires := make(map[*fleet.Target]*wire, len(targets))
	for _, t := range targets {
		w := &wire{}
		t.Config = w.watch(t.Config)
		wires[t] = w
	}
	job := fleet.AuditJob{Policy: pol, Report: fleet.Report{Format: pipeline.Text}}
	results := fleet.Run(ctx, targets, job, fleet.Options{Concurrency: 4, ReleaseOutput: true})
	others := 0
	for _, r := range results {
		if r.Status != fleet.StatusOK {
			return q, fmt.Errorf("in-process audit of %s: %s, want in sync (%v)", r.Target.Label, r.Summary, r.Err)
		}
		n := wires[r.Target].counts()
		switch {
		case r.Target.ClusterOwner:
			q.owner = n
		case others == 0:
			q.other = n
			others++
		case n != q.other:
			return q, fmt.Errorf("in-process audit: %s sent %+v, another database %+v: the queries of a database depend on which it is", r.Target.Label, n, q.other)
		}
	}
	return q, nil
}

// sampler counts a role's connections in pg_stat_activity every interval,
// on a superuser connection of its own, and keeps the largest count.
type sampler struct {
	cancel context.CancelFunc
	done   chan struct{}
	peak   int
	err    error
}

// connCountQuery counts the client connections of a role, the sampler's
// own left out; a backend is listed from its start to its exit.
const connCountQuery = `SELECT count(*) FROM pg_catalog.pg_stat_activity
WHERE usename = $1 AND backend_type = 'client backend' AND pid <> pg_catalog.pg_backend_pid()`

// startSampler starts sampling role's connections on srv.
func startSampler(ctx context.Context, srv interface {
	SuperuserConn(context.Context, string) (*pgx.Conn, error)
}, role string, every time.Duration) (*sampler, error) {
	conn, err := srv.SuperuserConn(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("connection sampler: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel, done: make(chan struct{})}
	// One sample before returning: the count before the run starts.
	if err := s.sample(ctx, conn, role); err != nil {
		cancel()
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	go func() {
		defer close(s.done)
		defer conn.Close(context.WithoutCancel(ctx))
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.sample(ctx, conn, role); err != nil {
					if ctx.Err() == nil {
						s.err = err
					}
					return
				}
			}
		}
	}()
	return s, nil
}

func (s *sampler) sample(ctx context.Context, conn *pgx.Conn, role string) error {
	var n int
	if err := conn.QueryRow(ctx, connCountQuery, role).Scan(&n); err != nil {
		return fmt.Errorf("connection sampler: %w", err)
	}
	s.peak = max(s.peak, n)
	return nil
}

// stop ends the sampling and returns the most connections seen at once.
func (s *sampler) stop() (int, error) {
	s.cancel()
	<-s.done
	return s.peak, s.err
}

func printFleet(w io.Writer, rows []fleetRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "fleet\tconcurrency\tread floor\taudit\tratio\tapply\tratio\tRSS floor\tRSS audit\tRSS apply\tconnections floor\taudit\tapply\tbound\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t\n", r.shape, r.concurrency,
			secs(r.floor.wall), secs(r.audit.wall), ratio(r.audit.wall, r.floor.wall), secs(r.apply.wall), ratio(r.apply.wall, r.floor.wall),
			mib(r.floor.maxRSS), mib(r.audit.maxRSS), mib(r.apply.maxRSS), r.floor.peak, r.audit.peak, r.apply.peak, r.concurrency+1)
	}
	tw.Flush()
}

func writeFleetMarkdown(w io.Writer, env environment, rows []fleetRow) {
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %s memory; PostgreSQL %s; %s; load average %s at the start, %s at the end.\n\n",
		env.cpus, env.cpuModel, env.memory, env.server, env.goVersion, env.loadStart, env.loadEnd)
	fmt.Fprintln(w, "| fleet (databases × tables) | concurrency | read floor | **audit** | **ratio** (≤ 1.3) | apply | apply / read floor | RSS floor | RSS audit | RSS apply | connections: floor | audit | apply | bound |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d |\n", r.shape, r.concurrency,
			secs(r.floor.wall), secs(r.audit.wall), ratio(r.audit.wall, r.floor.wall), secs(r.apply.wall), ratio(r.apply.wall, r.floor.wall),
			mib(r.floor.maxRSS), mib(r.audit.maxRSS), mib(r.apply.maxRSS), r.floor.peak, r.audit.peak, r.apply.peak, r.concurrency+1)
	}
}
