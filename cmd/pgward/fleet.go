package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// A fleet run is plan, apply or audit over several databases
// (docs/fleets.md): --database-url repeated, --targets FILE, or
// --all-databases. Each database gets its own run, as a single-database
// run would do it (one read-only transaction, or one apply transaction),
// independent of the others; a summary table follows, and the exit status
// is the worst of the databases'.
//
// What every database of a server shares (roles, memberships, parameters,
// tablespaces) is changed by one run per server only, its cluster owner;
// the others leave it out of their plans (plan.Options.LeaveOutClusterWide).
// A fleet apply runs each cluster owner first, under a session advisory
// lock in the maintenance database, and the other databases of its server
// after it.

// defaultConcurrency is how many databases a fleet run works on at once.
const defaultConcurrency = 4

// clusterLockKey is the session-level advisory lock the cluster owner of a
// fleet apply holds in the maintenance database: "pgward\x00\x02" read as an
// int64 (apply's lock in each database ends in \x01).
const clusterLockKey int64 = 0x7067776172640002

// fleetFlags are the flags of a fleet run, on plan, apply and audit.
type fleetFlags struct {
	urls          []string // every --database-url, in order
	targetsFile   string
	allDatabases  bool
	include       []string
	exclude       []string
	concurrency   int
	clusterOwner  string
	maintenanceDB string
}

// bindFleet adds the fleet flags to cmd and makes --database-url (bound
// by common.bind) repeatable. With one --database-url, c.databaseURL is set
// exactly as before.
func bindFleet(cmd *cobra.Command, c *common) *fleetFlags {
	fl := &fleetFlags{}
	f := cmd.Flags()
	db := f.Lookup("database-url")
	db.Value = &databaseURLs{c: c, fl: fl}
	db.Usage = "connection string; repeat it to run over several databases (default $DATABASE_URL, else libpq PG* variables and .pgpass)"
	f.StringVar(&fl.targetsFile, "targets", "", "run over the databases in this file: one URL or key=value connection string a line, # comments")
	f.BoolVar(&fl.allDatabases, "all-databases", false, "run over every database of the server that accepts connections (the server of each --database-url or target)")
	f.StringSliceVar(&fl.include, "include-database", nil, "with --all-databases, only the databases whose name matches one of these patterns (*, ?, [a-z]); repeatable")
	f.StringSliceVar(&fl.exclude, "exclude-database", nil, "with --all-databases, leave out the databases whose name matches one of these patterns; repeatable")
	f.IntVar(&fl.concurrency, "concurrency", defaultConcurrency, "fleet run: how many databases to work on at once")
	f.StringVar(&fl.clusterOwner, "cluster-owner", "", "fleet run: the database whose run changes roles, memberships, parameters and tablespaces on its server (default: the server's first database)")
	f.StringVar(&fl.maintenanceDB, "maintenance-db", "postgres", "fleet apply: the database where the cluster-wide advisory lock is taken")
	return fl
}

// databaseURLs is the value of a repeatable --database-url. Its String is
// empty: a connection string may hold a password.
type databaseURLs struct {
	c  *common
	fl *fleetFlags
}

func (v *databaseURLs) String() string { return "" }
func (v *databaseURLs) Type() string   { return "string" }
func (v *databaseURLs) Set(s string) error {
	v.fl.urls = append(v.fl.urls, s)
	v.c.databaseURL = s
	return nil
}

// active reports whether the flags ask for a fleet run.
func (fl *fleetFlags) active() bool {
	return len(fl.urls) > 1 || fl.targetsFile != "" || fl.allDatabases
}

// misused reports whether a fleet-only filter was given without a fleet,
// which runFleet then refuses.
func (fl *fleetFlags) misused() bool { return len(fl.include) > 0 || len(fl.exclude) > 0 }

func (fl *fleetFlags) check() error {
	switch {
	case (len(fl.include) > 0 || len(fl.exclude) > 0) && !fl.allDatabases:
		return errors.New("--include-database and --exclude-database filter --all-databases; give it too")
	case fl.concurrency < 1:
		return fmt.Errorf("--concurrency %d: want 1 or more", fl.concurrency)
	}
	for _, p := range append(append([]string(nil), fl.include...), fl.exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("database name pattern %q: %w", p, err)
		}
	}
	return nil
}

// target is one database of a fleet.
type target struct {
	// label names the database in the output: its name, or
	// host:port/name (and the user) when that is needed to tell two apart.
	// It never holds a password.
	label  string
	cfg    *pgx.ConnConfig
	server string // host:port; the databases of one server share roles
	// owner: this database's run changes what its server shares.
	owner bool
	// ownerLabel is the label of the cluster owner of the server.
	ownerLabel string
}

func serverOf(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// resolveTargets lists the databases of the fleet, in the order given, once
// each, and picks the cluster owner of each server.
func (c *common) resolveTargets(ctx context.Context, fl *fleetFlags) ([]*target, error) {
	var seeds []*pgx.ConnConfig
	for i, u := range fl.urls {
		cfg, err := connstr.ParseConfig(u)
		if err != nil {
			return nil, fmt.Errorf("--database-url #%d: %w", i+1, err)
		}
		seeds = append(seeds, cfg)
	}
	if fl.targetsFile != "" {
		cfgs, err := readTargets(fl.targetsFile)
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, cfgs...)
	}
	if len(seeds) == 0 {
		cfg, err := connstr.ParseConfig(connstr.Resolve("", c.env.getenv))
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, cfg)
	}
	if fl.allDatabases {
		var err error
		if seeds, err = c.expandServers(ctx, fl, seeds); err != nil {
			return nil, err
		}
	}
	var targets []*target
	seen := map[string]bool{}
	for _, cfg := range seeds {
		server := serverOf(cfg)
		key := server + "/" + cfg.Database + "\x00" + cfg.User
		if seen[key] {
			continue
		}
		seen[key] = true
		targets = append(targets, &target{cfg: cfg, server: server})
	}
	if len(targets) == 0 {
		return nil, errors.New("the fleet has no database: --all-databases found none that matches the filters and accepts connections from this role")
	}
	labelTargets(targets)
	return targets, pickOwners(targets, fl.clusterOwner)
}

// readTargets reads a targets file: one connection string a line; blank
// lines and lines starting with # are skipped. An error names the line,
// never its text (it may hold a password).
func readTargets(name string) ([]*pgx.ConnConfig, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	defer f.Close()
	var out []*pgx.ConnConfig
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cfg, err := connstr.ParseConfig(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, cfg)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read targets %s: %w", name, err)
	}
	return out, nil
}

// sqlDatabases lists the databases --all-databases considers.
const sqlDatabases = `SELECT datname::text, pg_catalog.has_database_privilege(oid, 'CONNECT')
FROM pg_catalog.pg_database
WHERE datallowconn AND NOT datistemplate
ORDER BY datname`

// expandServers replaces each seed by the databases of its server that
// accept connections, that the seed's role may connect to, and that the
// filters keep. Databases left out for want of CONNECT are named on stderr.
func (c *common) expandServers(ctx context.Context, fl *fleetFlags, seeds []*pgx.ConnConfig) ([]*pgx.ConnConfig, error) {
	var out []*pgx.ConnConfig
	listed := map[string]bool{}
	for _, seed := range seeds {
		server := serverOf(seed)
		if listed[server+"\x00"+seed.User] {
			continue
		}
		listed[server+"\x00"+seed.User] = true
		names, noConnect, err := listDatabases(ctx, seed)
		if err != nil {
			return nil, err
		}
		var skipped []string
		for _, name := range noConnect {
			if fl.keeps(name) {
				skipped = append(skipped, name)
			}
		}
		if len(skipped) > 0 {
			fmt.Fprintf(c.env.stderr, "--all-databases: left out on %s, where %s has no CONNECT privilege: %s\n", server, seed.User, strings.Join(skipped, ", "))
		}
		for _, name := range names {
			if !fl.keeps(name) {
				continue
			}
			cfg := seed.Copy()
			cfg.Database = name
			out = append(out, cfg)
		}
	}
	return out, nil
}

func listDatabases(ctx context.Context, cfg *pgx.ConnConfig) (names, noConnect []string, err error) {
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases of %s: %w", serverOf(cfg), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, sqlDatabases)
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases of %s: %w", serverOf(cfg), err)
	}
	var (
		name string
		ok   bool
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &ok}, func() error {
		if ok {
			names = append(names, name)
		} else {
			noConnect = append(noConnect, name)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases of %s: %w", serverOf(cfg), err)
	}
	return names, noConnect, nil
}

// keeps applies --include-database and --exclude-database to a name.
func (fl *fleetFlags) keeps(name string) bool {
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	return (len(fl.include) == 0 || match(fl.include)) && !match(fl.exclude)
}

// labelTargets names each target by its database name, adding the server
// when the name repeats, and the user when that is not enough.
func labelTargets(targets []*target) {
	count := func(label func(*target) string) map[string]int {
		n := map[string]int{}
		for _, t := range targets {
			n[label(t)]++
		}
		return n
	}
	byName := count(func(t *target) string { return t.cfg.Database })
	byServer := count(func(t *target) string { return t.server + "/" + t.cfg.Database })
	for _, t := range targets {
		switch {
		case byName[t.cfg.Database] == 1:
			t.label = t.cfg.Database
		case byServer[t.server+"/"+t.cfg.Database] == 1:
			t.label = t.server + "/" + t.cfg.Database
		default:
			t.label = t.server + "/" + t.cfg.Database + " as " + t.cfg.User
		}
	}
}

// pickOwners makes one target of each server its cluster owner: the one
// whose database is named owner, else the server's first.
func pickOwners(targets []*target, owner string) error {
	first := map[string]*target{}
	named := map[string]*target{}
	var servers []string
	for _, t := range targets {
		if first[t.server] == nil {
			first[t.server] = t
			servers = append(servers, t.server)
		}
		if owner != "" && t.cfg.Database == owner && named[t.server] == nil {
			named[t.server] = t
		}
	}
	for _, s := range servers {
		t := first[s]
		if owner != "" {
			if t = named[s]; t == nil {
				return fmt.Errorf("--cluster-owner %s: the fleet has no database %s on server %s; name a database of every server, or leave the flag out (then each server's first database owns what it shares)", owner, owner, s)
			}
		}
		t.owner = true
	}
	owners := map[string]string{}
	for _, t := range targets {
		if t.owner {
			owners[t.server] = t.label
		}
	}
	for _, t := range targets {
		t.ownerLabel = owners[t.server]
	}
	return nil
}

// fleetMode is the command a fleet runs.
type fleetMode int

const (
	fleetPlan fleetMode = iota + 1
	fleetApply
	fleetAudit
)

func (m fleetMode) String() string {
	switch m {
	case fleetPlan:
		return "plan"
	case fleetApply:
		return "apply"
	case fleetAudit:
		return "audit"
	}
	return "invalid"
}

// fleetRun is what one fleet command runs: the mode and the settings of
// that command that are not in common.
type fleetRun struct {
	mode fleetMode
	// apply
	lockTimeout, statementTimeout time.Duration
	verbose                       bool
	// audit
	audit  plan.AuditOptions
	output string

	c             *common
	pol           *policy.Policy
	maintenanceDB string
	color         bool
}

// fleetResult is the outcome of one database's run.
type fleetResult struct {
	t        *target
	code     int    // exitOK, exitChanges or exitError
	result   string // for the summary: "changes", "applied", "error", …
	changes  int
	err      error // wrapped with the database's label
	dur      time.Duration
	database string // as the server names it; "" when not connected
	counts   []plan.FindingCount
	stdout   bytes.Buffer // the rendered plan or report
	stderr   bytes.Buffer // diagnostics and logs
}

func (r *fleetResult) fail(err error) {
	r.code, r.result = exitError, "error"
	r.err = fmt.Errorf("database %s: %w", r.t.label, err)
}

// runFleet runs fr over the fleet the flags name and returns the worst exit
// status as an exitCode (nil for 0).
func (c *common) runFleet(cmd *cobra.Command, fl *fleetFlags, fr fleetRun) error {
	if err := fl.check(); err != nil {
		return err
	}
	if fr.mode == fleetAudit {
		if err := c.checkAuditFormat(); err != nil {
			return err
		}
	} else if err := c.checkFormat(); err != nil {
		return err
	}
	ctx := cmd.Context()
	pol, err := c.loadPolicy()
	if err != nil {
		return err
	}
	targets, err := c.resolveTargets(ctx, fl)
	if err != nil {
		return err
	}
	fr.c, fr.pol, fr.maintenanceDB = c, pol, fl.maintenanceDB

	// The report goes to stdout as each database finishes, in the order of
	// the targets, or through a buffer to --output or Prometheus.
	stdout := cmd.OutOrStdout()
	var buf bytes.Buffer
	out := stdout
	if fr.output != "" || c.format == "prometheus" {
		out = &buf
	}
	fr.color = out == stdout && !c.noColor && c.env.getenv("NO_COLOR") == "" && c.env.isTTY(stdout)

	results := fr.runAll(ctx, targets, fl.concurrency, func(r *fleetResult) { fr.writeSection(out, r) })
	code := exitOK
	for _, r := range results {
		code = worse(code, r.code)
	}
	var werr error
	switch c.format {
	case "json":
		werr = writeFleetJSON(out, fr.mode, results, code)
	case "prometheus":
		werr = writeFleetPrometheus(out, results, time.Now())
	default:
		werr = fr.writeSummary(out, results)
	}
	if werr == nil && out == &buf {
		werr = writeAuditReport(stdout, fr.output, buf.Bytes(), c.format)
	}
	if werr != nil {
		return werr
	}
	if code != exitOK {
		return exitCode(code)
	}
	return nil
}

// worse orders exit statuses: an error (1) over changes or drift (2) over
// success (0).
func worse(a, b int) int {
	rank := func(code int) int {
		switch code {
		case exitOK:
			return 0
		case exitChanges:
			return 1
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// runAll runs every target, at most concurrency at once, and calls flush
// with each result in the order of the targets, as soon as it and those
// before it are done. In an apply, the databases of a server wait for its
// cluster owner, so that they plan against the roles it leaves behind.
func (fr *fleetRun) runAll(ctx context.Context, targets []*target, concurrency int, flush func(*fleetResult)) []*fleetResult {
	results := make([]*fleetResult, len(targets))
	done := make([]chan struct{}, len(targets))
	ownerDone := map[string]chan struct{}{}
	for i, t := range targets {
		results[i] = &fleetResult{t: t}
		done[i] = make(chan struct{})
		if t.owner {
			ownerDone[t.server] = done[i]
		}
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			defer close(done[i])
			r := results[i]
			if fr.mode == fleetApply && !t.owner {
				select {
				case <-ownerDone[t.server]:
				case <-ctx.Done():
				}
			}
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			if err := ctx.Err(); err != nil {
				r.fail(fmt.Errorf("not started: %w", err))
				return
			}
			start := time.Now()
			fr.runOne(ctx, r)
			r.dur = time.Since(start)
		})
	}
	for i := range targets {
		<-done[i]
		flush(results[i])
	}
	wg.Wait()
	return results
}

// runOne runs the command on one database, with a copy of common whose
// output goes to the result's buffers.
func (fr *fleetRun) runOne(ctx context.Context, r *fleetResult) {
	tc := *fr.c
	tc.env.stdout, tc.env.stderr = &r.stdout, &r.stderr
	parentTTY := fr.c.env.isTTY
	tc.env.isTTY = func(f any) bool {
		if f == any(&r.stdout) {
			return fr.color
		}
		return parentTTY(f)
	}
	tc.leaveOutCluster = !r.t.owner
	switch fr.mode {
	case fleetPlan:
		fr.planOne(ctx, &tc, r)
	case fleetAudit:
		fr.auditOne(ctx, &tc, r)
	case fleetApply:
		fr.applyOne(ctx, &tc, r)
	}
}

// errInvalidPlan is the error of a database whose plan has error
// diagnostics, which its section shows.
var errInvalidPlan = errors.New("the plan has errors (see its diagnostics)")

func (fr *fleetRun) planOne(ctx context.Context, tc *common, r *fleetResult) {
	p, diags, err := tc.readPlan(ctx, fr.pol, r.t.cfg)
	if err != nil {
		r.fail(err)
		return
	}
	r.database = p.Database
	if err := tc.render(&r.stdout, p, false); err != nil {
		r.fail(err)
		return
	}
	tc.printDiags(diags)
	s := p.Summary()
	r.changes = s.Grant + s.Revoke + s.Alter
	switch {
	case diags.HasErrors():
		r.fail(errInvalidPlan)
	case !p.Empty(), len(p.Violations) > 0:
		r.code, r.result = exitChanges, "changes"
	default:
		r.code, r.result = exitOK, "no changes"
	}
}

func (fr *fleetRun) auditOne(ctx context.Context, tc *common, r *fleetResult) {
	p, diags, err := tc.readAudit(ctx, fr.pol, r.t.cfg, fr.audit)
	if err != nil {
		r.fail(err)
		return
	}
	r.database = p.Database
	r.counts = plan.CountFindings(p, declaredRoles(fr.pol))
	if tc.format != "prometheus" {
		if err := tc.render(&r.stdout, p, true); err != nil {
			r.fail(err)
			return
		}
	}
	tc.printDiags(diags)
	r.changes = len(p.Changes) + len(p.Drift) + len(p.ViolationsNow) + len(p.Findings)
	switch {
	case diags.HasErrors():
		r.fail(errInvalidPlan)
	case r.changes > 0:
		r.code, r.result = exitChanges, "drift"
	default:
		r.code, r.result = exitOK, "in sync"
	}
}

func (fr *fleetRun) applyOne(ctx context.Context, tc *common, r *fleetResult) {
	if r.t.owner {
		unlock, err := lockCluster(ctx, r.t.cfg, fr.maintenanceDB, fr.lockTimeout)
		if err != nil {
			r.fail(err)
			return
		}
		defer unlock()
	}
	preview, diags, err := tc.readPlan(ctx, fr.pol, r.t.cfg)
	if err != nil {
		r.fail(err)
		return
	}
	r.database = preview.Database
	if err := tc.render(&r.stdout, preview, false); err != nil {
		r.fail(err)
		return
	}
	tc.printDiags(diags)
	if diags.HasErrors() {
		r.fail(errInvalidPlan)
		return
	}
	s := preview.Summary()
	r.changes = s.Grant + s.Revoke + s.Alter - s.Blocked
	r.code, r.result = exitOK, "in sync"
	if len(preview.Statements) == 0 {
		if s.Blocked > 0 {
			r.result = fmt.Sprintf("nothing it may do (%d left out)", s.Blocked)
		}
		return
	}
	err = tc.applyApproved(ctx, &r.stdout, r.t.cfg, fr.pol, preview, fr.lockTimeout, fr.statementTimeout, fr.verbose)
	var code exitCode
	switch {
	case errors.As(err, &code):
		r.changes = 0
		r.fail(errInvalidPlan) // its diagnostics are in the section
	case err != nil:
		r.changes = 0
		r.fail(err)
	case s.Blocked > 0:
		r.result = fmt.Sprintf("applied (%d left out)", s.Blocked)
	default:
		r.result = "applied"
	}
}

// lockCluster takes the cluster-wide advisory lock of a fleet apply in the
// maintenance database of cfg's server, on a connection of its own, and
// returns what releases it. Advisory locks are per database in PostgreSQL,
// so every fleet apply takes it in the same agreed database.
func lockCluster(ctx context.Context, cfg *pgx.ConnConfig, maintenanceDB string, timeout time.Duration) (func(), error) {
	lc := cfg.Copy()
	lc.Database = maintenanceDB
	what := fmt.Sprintf("take the cluster-wide lock in database %s of %s", maintenanceDB, serverOf(cfg))
	conn, err := connstr.ConnectConfig(ctx, lc)
	if err != nil {
		return nil, fmt.Errorf("%s (--maintenance-db names another): %w", what, err)
	}
	release := func() { conn.Close(context.WithoutCancel(ctx)) } // closing the session releases the lock
	set := "SET lock_timeout = " + ident.Literal(fmt.Sprintf("%dms", timeout.Milliseconds()))
	if _, err := conn.Exec(ctx, set); err != nil {
		release()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_catalog.pg_advisory_lock($1)", clusterLockKey); err != nil {
		release()
		return nil, fmt.Errorf("%s (another fleet apply holds it): %w", what, err)
	}
	return release, nil
}

// writeSection writes one database's output as it finishes: its report on
// out under a heading (text, sql, markdown), its diagnostics and error on
// stderr, each line prefixed with the database.
func (fr *fleetRun) writeSection(out io.Writer, r *fleetResult) {
	var head string
	switch fr.c.format {
	case "sql":
		head = fmt.Sprintf("-- database %s\n", r.t.label)
	case "markdown":
		head = fmt.Sprintf("## %s\n\n", r.t.label)
	case "text":
		head = fmt.Sprintf("=== %s ===\n%s\n", r.t.label, fr.ownerNote(r))
	}
	if head != "" { // json and prometheus are written whole at the end
		fmt.Fprint(out, head)
		if r.stdout.Len() == 0 {
			fmt.Fprintln(out, "(no report: the run failed, see the error)")
		}
		out.Write(r.stdout.Bytes())
		fmt.Fprintln(out)
	}
	stderr := fr.c.env.stderr
	for line := range strings.Lines(r.stderr.String()) {
		fmt.Fprint(stderr, r.t.label+": "+line)
		if !strings.HasSuffix(line, "\n") {
			fmt.Fprintln(stderr)
		}
	}
	if r.err != nil {
		fmt.Fprintf(stderr, "Error: %s\n", oneLine(r.err.Error()))
	}
}

// ownerNote says which run changes what the server's databases share.
func (fr *fleetRun) ownerNote(r *fleetResult) string {
	if r.t.owner {
		return "(cluster owner of " + r.t.server + ": this run also covers the roles, memberships, parameters and tablespaces its databases share)"
	}
	return "(the roles, memberships, parameters and tablespaces of " + r.t.server + " are left to the run of its cluster owner, " + r.t.ownerLabel + ")"
}

// writeSummary writes the summary table: one row per database, then the
// errors again, since a job log is read from the end.
func (fr *fleetRun) writeSummary(out io.Writer, results []*fleetResult) error {
	var b bytes.Buffer
	counts := map[string]int{}
	var order []string
	failed := 0
	for _, r := range results {
		if r.code == exitError {
			failed++
			continue
		}
		word := r.result
		if i := strings.Index(word, " ("); i > 0 {
			word = word[:i]
		}
		if counts[word] == 0 {
			order = append(order, word)
		}
		counts[word]++
	}
	var parts []string
	for _, w := range order {
		phrase := w
		if w == "changes" || w == "drift" {
			phrase = "with " + w
		}
		parts = append(parts, fmt.Sprintf("%d %s", counts[w], phrase))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	n := len(results)
	fmt.Fprintf(&b, "Fleet %s over %d %s: %s.\n\n", fr.mode, n, plural(n, "database", "databases"), strings.Join(parts, ", "))
	column := "CHANGES"
	if fr.mode == fleetAudit {
		column = "FINDINGS"
	}
	if fr.c.format == "markdown" {
		fmt.Fprintf(&b, "| database | result | %s | duration |\n|---|---|---:|---:|\n", strings.ToLower(column))
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if fr.c.format != "markdown" {
		fmt.Fprintf(tw, "DATABASE\tRESULT\t%s\tDURATION\n", column)
	}
	for _, r := range results {
		label := r.t.label
		if r.t.owner {
			label += " *"
		}
		changes := strconv.Itoa(r.changes)
		if r.code == exitError {
			changes = "-"
		}
		dur := r.dur.Round(time.Millisecond).String()
		if fr.c.format == "markdown" {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", label, r.result, changes, dur)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", label, r.result, changes, dur)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	star := "*"
	if fr.c.format == "markdown" {
		star = `\*`
	}
	fmt.Fprintf(&b, "\n%s cluster owner: its run covers the roles, memberships, parameters and tablespaces of its server\n", star)
	if failed > 0 {
		fmt.Fprintln(&b, "\nFailed:")
		for _, r := range results {
			if r.err != nil {
				fmt.Fprintf(&b, "  %s\n", oneLine(r.err.Error()))
			}
		}
	}
	text := b.String()
	if fr.c.format == "sql" {
		text = "-- " + strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n-- ") + "\n"
	}
	_, err := io.WriteString(out, text)
	return err
}

// fleetJSONVersion is the format_version of the fleet JSON document.
const fleetJSONVersion = "1"

type fleetJSON struct {
	FormatVersion string        `json:"format_version"`
	Command       string        `json:"command"`
	ExitCode      int           `json:"exit_code"`
	Databases     []fleetDBJSON `json:"databases"`
}

type fleetDBJSON struct {
	Target       string          `json:"target"`
	Server       string          `json:"server"`
	Database     string          `json:"database"`
	User         string          `json:"user"`
	ClusterOwner bool            `json:"cluster_owner"`
	Result       string          `json:"result"`
	ExitCode     int             `json:"exit_code"`
	Changes      int             `json:"changes"`
	DurationMS   int64           `json:"duration_ms"`
	Error        string          `json:"error,omitempty"`
	Plan         json.RawMessage `json:"plan,omitempty"`
}

// writeFleetJSON writes one JSON document: each database's plan (as
// docs/json.md describes it) with its result.
func writeFleetJSON(w io.Writer, mode fleetMode, results []*fleetResult, code int) error {
	doc := fleetJSON{FormatVersion: fleetJSONVersion, Command: mode.String(), ExitCode: code, Databases: []fleetDBJSON{}}
	for _, r := range results {
		d := fleetDBJSON{Target: r.t.label, Server: r.t.server, Database: r.t.cfg.Database, User: r.t.cfg.User,
			ClusterOwner: r.t.owner, Result: r.result, ExitCode: r.code, Changes: r.changes, DurationMS: r.dur.Milliseconds()}
		if r.err != nil {
			d.Error = oneLine(r.err.Error())
		}
		if body := bytes.TrimSpace(r.stdout.Bytes()); len(body) > 0 && json.Valid(body) {
			d.Plan = body
		}
		doc.Databases = append(doc.Databases, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeFleetPrometheus writes the metrics of every database in one
// exposition: each family once, with a series per database.
func writeFleetPrometheus(w io.Writer, results []*fleetResult, now time.Time) error {
	var b strings.Builder
	family := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, escapeHelp(help), name)
	}
	dbLabel := func(r *fleetResult) string {
		name := r.database
		if name == "" {
			name = r.t.cfg.Database
		}
		return `database="` + escapeLabel(name) + `"`
	}
	ok := func(r *fleetResult) bool { return r.code != exitError }
	var found bool
	for _, r := range results {
		found = found || ok(r) && len(r.counts) > 0
	}
	if found {
		family("pgward_audit_findings", "What the last pgward audit found, by kind (drift, external, violation, owner, session) and role.")
		for _, r := range results {
			if !ok(r) {
				continue
			}
			for _, c := range r.counts {
				fmt.Fprintf(&b, "pgward_audit_findings{%s,kind=\"%s\",role=\"%s\"} %d\n", dbLabel(r), escapeLabel(string(c.Kind)), escapeLabel(c.Role), c.Count)
			}
		}
	}
	family("pgward_audit_success", "Whether the last pgward audit ran to the end (1), in sync or not, or failed (0).")
	for _, r := range results {
		success := 0
		if ok(r) {
			success = 1
		}
		fmt.Fprintf(&b, "pgward_audit_success{%s} %d\n", dbLabel(r), success)
	}
	family("pgward_audit_timestamp_seconds", "When the last pgward audit ran, in seconds since the Unix epoch.")
	for _, r := range results {
		fmt.Fprintf(&b, "pgward_audit_timestamp_seconds{%s} %d\n", dbLabel(r), now.Unix())
	}
	_, err := io.WriteString(w, b.String())
	return err
}
