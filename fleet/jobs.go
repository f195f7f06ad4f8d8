package fleet

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/audit"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// DefaultMaintenanceDB is the database where the cluster owner of a fleet
// apply takes the cluster-wide lock unless told otherwise.
const DefaultMaintenanceDB = "postgres"

// ClusterLockKey is the session-level advisory lock the cluster owner of a
// fleet apply holds in the maintenance database: "pgward\x00\x02" read as
// an int64 (apply's lock in each database ends in \x01).
const ClusterLockKey int64 = 0x7067776172640002

// Report says how a job writes each database's report.
type Report struct {
	Format pipeline.Format
	Color  bool
	// SameTerminal: the reports and the logs are read together on one
	// terminal (pipeline.Output.SameTerminal).
	SameTerminal bool
}

func (r Report) output(report, log io.Writer) pipeline.Output {
	return pipeline.Output{Report: report, Log: log, Format: r.Format, Color: r.Color, SameTerminal: r.SameTerminal}
}

// planOptions are o for target t: a database that is not its server's
// cluster owner leaves out what the server's databases share.
func planOptions(o plan.Options, t *Target) plan.Options {
	o.LeaveOutClusterWide = !t.ClusterOwner
	return o
}

// PlanJob plans each database as pgward plan does: status changes when
// the plan has changes or a broken deny invariant.
type PlanJob struct {
	Policy *policy.Policy
	// Plan are the plan's options; LeaveOutClusterWide is set for each
	// database.
	Plan   plan.Options
	Report Report
}

// Run implements [Job].
func (j PlanJob) Run(ctx context.Context, t *Target, report, log io.Writer) Outcome {
	p, diags, err := pipeline.Plan(ctx, t.Config, j.Policy, planOptions(j.Plan, t), j.Report.output(report, log))
	var o Outcome
	if p != nil {
		o.Database = p.Database
	}
	if err != nil {
		o.Err = err
		return o
	}
	s := p.Summary()
	o.Changes = s.Grant + s.Revoke + s.Alter
	switch {
	case diags.HasErrors():
		o.Err = pipeline.ErrDiagnostics
	case !p.Empty(), len(p.Violations) > 0:
		o.Status, o.Summary = StatusChanges, "changes"
	default:
		o.Status, o.Summary = StatusOK, "no changes"
	}
	return o
}

// AuditJob audits each database as pgward audit does: status changes
// (drift) when the audit finds anything.
type AuditJob struct {
	Policy *policy.Policy
	// Plan are the plan's options (Strict); the plan is partial, and
	// LeaveOutClusterWide is set for each database.
	Plan  plan.Options
	Audit audit.Options
	// Report: with pipeline.Prometheus no report is written; the caller
	// writes the metrics from the results ([WritePrometheus]).
	Report Report
}

// Run implements [Job].
func (j AuditJob) Run(ctx context.Context, t *Target, report, log io.Writer) Outcome {
	p, diags, err := pipeline.Audit(ctx, t.Config, j.Policy, planOptions(j.Plan, t), j.Audit, j.Report.output(report, log))
	var o Outcome
	if p != nil {
		o.Database = p.Database
		o.Counts = audit.CountFindings(p, pipeline.DeclaredRoles(j.Policy))
	}
	if err != nil {
		o.Err = err
		return o
	}
	o.Changes = len(p.Changes) + len(p.Drift) + len(p.ViolationsNow) + len(p.Findings)
	switch {
	case diags.HasErrors():
		o.Err = pipeline.ErrDiagnostics
	case o.Changes > 0:
		o.Status, o.Summary = StatusChanges, "drift"
	default:
		o.Status, o.Summary = StatusOK, "in sync"
	}
	return o
}

// ApplyJob applies the policy to each database as pgward apply
// --auto-approve does, showing the plan first and applying exactly it. The
// cluster owner of each server holds the cluster-wide lock ([LockCluster])
// while it runs. Run it with Options.OwnersFirst.
type ApplyJob struct {
	Policy *policy.Policy
	// Apply are the apply's settings; LeaveOutClusterWide is set for each
	// database.
	Apply pipeline.ApplyOptions
	// MaintenanceDB is where the cluster-wide lock is taken;
	// "" means DefaultMaintenanceDB.
	MaintenanceDB string
	Report        Report
}

// Run implements [Job].
func (j ApplyJob) Run(ctx context.Context, t *Target, report, log io.Writer) Outcome {
	var o Outcome
	if t.ClusterOwner {
		db := j.MaintenanceDB
		if db == "" {
			db = DefaultMaintenanceDB
		}
		unlock, err := LockCluster(ctx, t.Config, db, j.Apply.LockTimeout)
		if err != nil {
			o.Err = err
			return o
		}
		defer unlock()
	}
	ao := j.Apply
	ao.Plan = planOptions(ao.Plan, t)
	out := j.Report.output(report, log)
	preview, diags, err := pipeline.Plan(ctx, t.Config, j.Policy, ao.Plan, out)
	if preview != nil {
		o.Database = preview.Database
	}
	if err != nil {
		o.Err = err
		return o
	}
	if diags.HasErrors() {
		o.Err = pipeline.ErrDiagnostics
		return o
	}
	s := preview.Summary()
	o.Changes = s.Grant + s.Revoke + s.Alter - s.Blocked
	o.Status, o.Summary = StatusOK, "in sync"
	if len(preview.Statements) == 0 {
		if s.Blocked > 0 {
			o.Summary = fmt.Sprintf("nothing it may do (%d left out)", s.Blocked)
		}
		return o
	}
	switch err := pipeline.Apply(ctx, t.Config, j.Policy, preview, ao, out); {
	case err != nil:
		// pipeline.ErrDiagnostics: the diagnostics are in the log.
		o.Changes = 0
		o.Err = explainOwnerElsewhere(ctx, t, j.Policy, err)
	case s.Blocked > 0:
		o.Summary = fmt.Sprintf("applied (%d left out)", s.Blocked)
	default:
		o.Summary = "applied"
	}
	return o
}

// LockCluster takes the cluster-wide advisory lock of a fleet apply
// ([ClusterLockKey]) in the maintenance database of cfg's server, on a
// connection of its own, waiting at most timeout, and returns what
// releases it. Advisory locks are per database in PostgreSQL, so every
// fleet apply takes it in the same agreed database.
func LockCluster(ctx context.Context, cfg *pgx.ConnConfig, maintenanceDB string, timeout time.Duration) (func(), error) {
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
	if _, err := conn.Exec(ctx, "SELECT pg_catalog.pg_advisory_lock($1)", ClusterLockKey); err != nil {
		release()
		return nil, fmt.Errorf("%s (another fleet apply holds it): %w", what, err)
	}
	return release, nil
}
