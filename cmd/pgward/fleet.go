package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/policy"
)

// A fleet run is plan, apply or audit over several databases
// (docs/fleets.md): --database-url repeated, --targets FILE, or
// --all-databases. Package fleet does the work; this file turns the flags
// into its inputs and its results into the command's output and exit
// status.

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
	shard         string // --shard as given: INDEX/COUNT or job/COUNT
}

// bindFleet adds the fleet flags to cmd and makes --database-url (bound
// by dbFlags.bind) repeatable. With one --database-url, *databaseURL is
// set exactly as before.
func bindFleet(cmd *cobra.Command, fl *fleetFlags, databaseURL *string) {
	f := cmd.Flags()
	db := f.Lookup("database-url")
	db.Value = &databaseURLs{last: databaseURL, all: &fl.urls}
	db.Usage = "connection string; repeat it to run over several databases (default $DATABASE_URL, else libpq PG* variables and .pgpass)"
	f.StringVar(&fl.targetsFile, "targets", "", "run over the databases in this file: one URL or key=value connection string a line, # comments")
	f.BoolVar(&fl.allDatabases, "all-databases", false, "run over every database of the server that accepts connections (the server of each --database-url or target)")
	f.StringSliceVar(&fl.include, "include-database", nil, "with --all-databases, only the databases whose name matches one of these patterns (*, ?, [a-z]); repeatable")
	f.StringSliceVar(&fl.exclude, "exclude-database", nil, "with --all-databases, leave out the databases whose name matches one of these patterns; repeatable")
	f.IntVar(&fl.concurrency, "concurrency", fleet.DefaultConcurrency, "fleet run: how many databases to work on at once")
	f.StringVar(&fl.clusterOwner, "cluster-owner", "", "fleet run: the database whose run changes roles, memberships, parameters and tablespaces on its server (default: the server's database whose name sorts first)")
	f.StringVar(&fl.shard, "shard", "", "fleet run: run only the databases of shard `INDEX/COUNT` (INDEX from 0 to COUNT-1); job/COUNT reads INDEX from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)")
}

// bindMaintenanceDB adds --maintenance-db, which only a fleet apply reads.
func bindMaintenanceDB(cmd *cobra.Command, fl *fleetFlags) {
	cmd.Flags().StringVar(&fl.maintenanceDB, "maintenance-db", fleet.DefaultMaintenanceDB, "fleet run: the database where the cluster-wide advisory lock is taken")
}

// databaseURLs is the value of a repeatable --database-url. Its String is
// empty: a connection string may hold a password.
type databaseURLs struct {
	last *string
	all  *[]string
}

func (v *databaseURLs) String() string { return "" }
func (v *databaseURLs) Type() string   { return "string" }
func (v *databaseURLs) Set(s string) error {
	*v.all = append(*v.all, s)
	*v.last = s
	return nil
}

// active reports whether the flags ask for a fleet run.
func (fl fleetFlags) active() bool {
	return len(fl.urls) > 1 || fl.targetsFile != "" || fl.allDatabases
}

// misused reports whether a fleet-only flag was given without a fleet,
// which runFleet then refuses.
func (fl fleetFlags) misused() bool {
	return len(fl.include) > 0 || len(fl.exclude) > 0 || fl.shard != ""
}

func (fl fleetFlags) filter() fleet.Filter {
	return fleet.Filter{Include: fl.include, Exclude: fl.exclude}
}

func (fl fleetFlags) check() error {
	switch {
	case (len(fl.include) > 0 || len(fl.exclude) > 0) && !fl.allDatabases:
		return errors.New("--include-database and --exclude-database filter --all-databases; give it too")
	case fl.concurrency < 1:
		return fmt.Errorf("--concurrency %d: want 1 or more", fl.concurrency)
	case fl.shard != "" && !fl.active():
		return fmt.Errorf("--shard %s splits a fleet over several runs: give the whole fleet to every run (--targets FILE, --all-databases, or --database-url repeated); each runs its part", fl.shard)
	}
	return fl.filter().Check()
}

// jobIndexVar is where a Kubernetes Indexed Job gives each pod its index.
const jobIndexVar = "JOB_COMPLETION_INDEX"

// parseShard reads --shard; job/COUNT takes INDEX from JOB_COMPLETION_INDEX.
func (fl fleetFlags) parseShard(e env) (fleet.Shard, error) {
	if fl.shard == "" {
		return fleet.Shard{}, nil
	}
	spec := fl.shard
	if count, ok := strings.CutPrefix(spec, "job/"); ok {
		index := e.getenv(jobIndexVar)
		if index == "" {
			return fleet.Shard{}, fmt.Errorf("--shard %s reads the index from %s, which is not set: Kubernetes sets it in the pods of a Job with completionMode: Indexed; elsewhere give the index, as in --shard 0/%s", spec, jobIndexVar, count)
		}
		spec = index + "/" + count
	}
	s, err := fleet.ParseShard(spec)
	if err != nil && spec != fl.shard {
		err = fmt.Errorf("%s=%s: %w", jobIndexVar, e.getenv(jobIndexVar), err)
	}
	return s, err
}

// spec is the fleet the flags name: every --database-url, then the
// targets file, else the database of DATABASE_URL or libpq's defaults.
func (fl fleetFlags) spec(e env) (fleet.Spec, error) {
	var seeds []*pgx.ConnConfig
	for i, u := range fl.urls {
		cfg, err := connstr.ParseConfig(u)
		if err != nil {
			return fleet.Spec{}, fmt.Errorf("--database-url #%d: %w", i+1, err)
		}
		seeds = append(seeds, cfg)
	}
	if fl.targetsFile != "" {
		cfgs, err := fleet.ReadTargets(fl.targetsFile)
		if err != nil {
			return fleet.Spec{}, err
		}
		seeds = append(seeds, cfgs...)
	}
	if len(seeds) == 0 {
		cfg, err := connstr.ParseConfig(connstr.Resolve("", e.getenv))
		if err != nil {
			return fleet.Spec{}, err
		}
		seeds = append(seeds, cfg)
	}
	return fleet.Spec{
		Seeds:        seeds,
		AllDatabases: fl.allDatabases,
		Filter:       fl.filter(),
		ClusterOwner: fl.clusterOwner,
		NoConnect: func(server, user string, names []string) {
			fmt.Fprintf(e.stderr, "--all-databases: left out on %s, where %s has no CONNECT privilege: %s\n", server, user, strings.Join(names, ", "))
		},
	}, nil
}

// fleetCommand is what plan, apply or audit hands to runFleet.
type fleetCommand struct {
	mode    fleet.Mode
	policy  policyFlags
	fleet   fleetFlags
	format  string
	noColor bool
	report  auditReportDest // audit --output and --pushgateway
	// job is the command's job over each database, once the policy is
	// loaded.
	job func(*policy.Policy, fleet.Report) fleet.Job
}

// runFleet runs the command over the fleet the flags name and returns the
// worst exit status as an exitCode (nil for 0).
func runFleet(cmd *cobra.Command, e env, fc fleetCommand) error {
	if err := fc.fleet.check(); err != nil {
		return err
	}
	shard, err := fc.fleet.parseShard(e)
	if err != nil {
		return err
	}
	if fc.mode == fleet.Audit {
		if err := checkAuditFormat(fc.format); err != nil {
			return err
		}
	} else if err := checkFormat(fc.format); err != nil {
		return err
	}
	ctx := cmd.Context()
	// The report goes to stdout as each database finishes, in the order of
	// the targets, or through a buffer to --output or Prometheus.
	stdout := cmd.OutOrStdout()
	var buf bytes.Buffer
	out := stdout
	if fc.report.path != "" || fc.format == "prometheus" {
		out = &buf
	}
	format := pipeline.Format(fc.format)
	// A failure before any database runs is the whole run's (the error
	// contract, docs/cli.md).
	failed := func(err error) error {
		err = fail(pipeline.Output{Report: out, Log: e.stderr, Format: format}, fc.mode.String(), err)
		if out == &buf && buf.Len() > 0 {
			err = orWriteError(err, fc.report.write(ctx, buf.Bytes(), fc.format))
		}
		return err
	}
	pol, err := fc.policy.loadPolicy(e)
	if err != nil {
		return failed(err)
	}
	spec, err := fc.fleet.spec(e)
	if err != nil {
		return failed(err)
	}
	targets, err := fleet.Resolve(ctx, spec)
	if err != nil {
		return failed(err)
	}
	if shard.Sharded() {
		fc.report.pushgateway = withShard(fc.report.pushgateway, shard.String())
		all := len(targets)
		targets = shard.Select(targets)
		fmt.Fprintf(e.stderr, "shard %s: %d of the fleet's %d %s\n", shard, len(targets), all, textout.Plural(all, "database", "databases"))
	}

	report := fleet.Report{
		Format:       format,
		Color:        out == stdout && dbFlags{noColor: fc.noColor}.color(e, stdout),
		SameTerminal: out == stdout && sameTerminal(e, stdout),
	}
	sectionOut, sectionLog, progress, stop := fleetProgress(e, out, report.SameTerminal)
	results := fleet.Run(ctx, targets, fc.job(pol, report), fleet.Options{
		Concurrency: fc.fleet.concurrency,
		OwnersFirst: fc.mode == fleet.Apply,
		Done:        func(r *fleet.Result) { fleet.WriteSection(sectionOut, sectionLog, r, format) },
		// Every format but JSON is written through Done, and the summary
		// needs only the results' rows.
		ReleaseOutput: format != pipeline.JSON,
		Progress:      progress,
	})
	stop()
	var werr error
	switch format {
	case pipeline.JSON:
		werr = fleet.WriteJSON(out, fc.mode, results)
	case pipeline.Prometheus:
		werr = fleet.WritePrometheus(out, results, time.Now())
	default:
		werr = fleet.WriteSummary(out, fc.mode, results, format)
	}
	if werr == nil && out == &buf {
		werr = fc.report.write(ctx, buf.Bytes(), fc.format)
	}
	if werr != nil {
		return werr
	}
	if code := fleet.Worst(results).ExitCode(); code != exitOK {
		return exitCode(code)
	}
	return nil
}
