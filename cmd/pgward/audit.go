package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/audit"
	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// auditCmdOptions are the flags of audit.
type auditCmdOptions struct {
	policyFlags
	dbFlags
	format            string
	fleet             fleetFlags
	ownerApplications []string
	checkSessions     bool // --owner-applications was given
	output            string
	pushgateway       string
}

func newAuditCmd(e env) *cobra.Command {
	o := &auditCmdOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Report drift between the database and the policy (read-only)",
		Long: "audit reads the catalog in a read-only transaction and reports every difference from the policy:\n" +
			"the changes apply would make, attributes and memberships of external roles, broken deny invariants,\n" +
			"objects not owned by the role the policy declares as their creator, and (with --owner-applications)\n" +
			"sessions of that owner role from other applications. Exit status: 0 in sync, 2 drift, 1 error.",
		Args: cobra.NoArgs,
	}
	o.policyFlags.bind(cmd)
	o.dbFlags.bind(cmd)
	bindFormat(cmd, &o.format)
	bindFleet(cmd, &o.fleet, &o.databaseURL)
	f := cmd.Flags()
	f.Lookup("format").Usage = "output format: text, json, sql, markdown or prometheus (for node-exporter's textfile collector)"
	f.StringSliceVar(&o.ownerApplications, "owner-applications", nil,
		"check sessions: the owner role (the for_role of default_privileges) may be connected only from these application_name values, comma separated; given empty, not at all")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file, replaced atomically (default standard output)")
	f.StringVar(&o.pushgateway, "pushgateway", "",
		"with --format prometheus, also push the metrics to this Pushgateway URL with its grouping key (http://HOST:9091/metrics/job/JOB), replacing that group's metrics")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		o.checkSessions = cmd.Flags().Changed("owner-applications")
		return runAudit(cmd, e, *o)
	}
	return cmd
}

func runAudit(cmd *cobra.Command, e env, o auditCmdOptions) error {
	dest, err := o.reportDest(cmd)
	if err != nil {
		return err
	}
	opts := audit.Options{
		CheckSessions:     o.checkSessions,
		OwnerApplications: o.ownerApplications,
	}
	if o.fleet.active() || o.fleet.misused() {
		return runFleet(cmd, e, fleetCommand{
			mode: fleet.Audit, policy: o.policyFlags, fleet: o.fleet, format: o.format, noColor: o.noColor, report: dest,
			job: func(pol *policy.Policy, r fleet.Report) fleet.Job {
				return fleet.AuditJob{Policy: pol, Plan: plan.Options{Strict: o.strict}, Audit: opts, Report: r}
			},
		})
	}
	// The report goes straight to a terminal (for colour), or through
	// a buffer to --output, or to the metrics writer.
	var buf bytes.Buffer
	w := io.Writer(&buf)
	if o.output == "" && o.format != "prometheus" {
		w = cmd.OutOrStdout()
	}
	res, err := o.audit(cmd.Context(), e, w, opts)
	if o.format == "prometheus" {
		// A failed audit writes its metrics too: success 0, and no
		// findings, which would be partial.
		m := pipeline.Metrics{Database: res.database, Success: err == nil && res.code != exitError, Time: time.Now()}
		if m.Success {
			m.Counts = res.counts
		}
		werr := pipeline.WritePrometheus(&buf, m)
		err = cmp.Or(err, werr)
	}
	if buf.Len() > 0 {
		err = orWriteError(err, dest.write(cmd.Context(), buf.Bytes(), o.format))
	}
	switch {
	case err != nil:
		return err
	case res.code != exitOK:
		return exitCode(res.code)
	}
	return nil
}

// auditResult is what an audit run found: its exit status, the database
// it read ("" when it did not get that far) and the findings by kind and
// role.
type auditResult struct {
	code     int
	database string
	counts   []audit.FindingCount
}

// audit reads the catalog and the sessions, builds the plan and the
// findings, and renders them to w in every format but prometheus, which
// the caller writes from the result.
func (o auditCmdOptions) audit(ctx context.Context, e env, w io.Writer, a audit.Options) (auditResult, error) {
	res := auditResult{code: exitError}
	if err := checkAuditFormat(o.format); err != nil {
		return res, err
	}
	out := o.reportTo(e, w, o.format)
	pol, err := o.loadPolicy(e)
	if err != nil {
		return res, fail(out, "audit", err)
	}
	cfg, err := o.connConfig(e)
	if err != nil {
		return res, fail(out, "audit", err)
	}
	res.database = cfg.Database
	// From here on, pipeline.Audit writes the report or the failure.
	p, diags, err := pipeline.Audit(ctx, cfg, pol, plan.Options{Strict: o.strict}, a, out)
	if p != nil {
		res.database = p.Database
		res.counts = audit.CountFindings(p, pipeline.DeclaredRoles(pol))
	}
	if err != nil {
		return res, err
	}
	switch {
	case diags.HasErrors():
		res.code = exitError
	case !p.Empty(), len(p.Drift) > 0, len(p.ViolationsNow) > 0, len(p.Findings) > 0:
		res.code = exitChanges
	default:
		res.code = exitOK
	}
	return res, nil
}

// auditReportDest is where an audit report goes once complete: stdout or
// a file, and with --pushgateway a Pushgateway too.
type auditReportDest struct {
	stdout      io.Writer
	path        string   // --output
	pushgateway *url.URL // --pushgateway, nil without
}

// reportDest checks --output and --pushgateway before anything runs, so
// that a wrong URL fails at once rather than after the audit.
func (o auditCmdOptions) reportDest(cmd *cobra.Command) (auditReportDest, error) {
	d := auditReportDest{stdout: cmd.OutOrStdout(), path: o.output}
	if o.pushgateway == "" {
		return d, nil
	}
	if o.format != "prometheus" {
		return d, fmt.Errorf("--pushgateway pushes metrics: it needs --format prometheus (got %q)", o.format)
	}
	u, err := parsePushgatewayURL(o.pushgateway)
	if err != nil {
		return d, err
	}
	d.pushgateway = u
	return d, nil
}

// write writes the report to its file or stdout, then pushes it. The push
// comes second so that a gateway that is down still leaves the file (or the
// log) with the metrics; its failure is the run's error (exit 1).
func (d auditReportDest) write(ctx context.Context, report []byte, format string) error {
	err := writeAuditReport(d.stdout, d.path, report, format)
	if d.pushgateway != nil {
		err = orWriteError(err, pushMetrics(ctx, d.pushgateway, report))
	}
	return err
}

// writeAuditReport writes the report to stdout, or to path: into a temporary
// file of the same directory, renamed over path once complete, so that a
// reader (node-exporter's textfile collector) never sees half a file. The
// temporary name does not end in .prom, which the collector would read.
// Prometheus metrics hold only role names and counts and are written 0644
// (the collector runs as another user); the other formats list who holds
// what and are written 0600.
func writeAuditReport(stdout io.Writer, path string, report []byte, format string) (err error) {
	if path == "" {
		_, err := stdout.Write(report)
		return err
	}
	mode := os.FileMode(0o600)
	if format == "prometheus" {
		mode = 0o644
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pgward-audit-*.tmp")
	if err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(report); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write audit report %s: %w", path, err)
	}
	return nil
}
