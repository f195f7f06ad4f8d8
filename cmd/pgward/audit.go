package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// auditFlags are the flags of audit beyond the common ones.
type auditFlags struct {
	ownerApplications []string
	output            string
}

func newAuditCmd(e env) *cobra.Command {
	c := &common{env: e}
	var a auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Report drift between the database and the policy (read-only)",
		Long: "audit reads the catalog in a read-only transaction and reports every difference from the policy:\n" +
			"the changes apply would make, attributes and memberships of external roles, broken deny invariants,\n" +
			"objects not owned by the role the policy declares as their creator, and (with --owner-applications)\n" +
			"sessions of that owner role from other applications. Exit status: 0 in sync, 2 drift, 1 error.",
		Args: cobra.NoArgs,
	}
	c.bind(cmd, true, true)
	fl := bindFleet(cmd, c)
	f := cmd.Flags()
	f.Lookup("format").Usage = "output format: text, json, sql, markdown or prometheus (for node-exporter's textfile collector)"
	f.StringSliceVar(&a.ownerApplications, "owner-applications", nil,
		"check sessions: the owner role (the for_role of default_privileges) may be connected only from these application_name values, comma separated; given empty, not at all")
	f.StringVarP(&a.output, "output", "o", "", "write the report to this file, replaced atomically (default standard output)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		opts := plan.AuditOptions{
			CheckSessions:     cmd.Flags().Changed("owner-applications"),
			OwnerApplications: a.ownerApplications,
		}
		if fl.active() || fl.misused() {
			return c.runFleet(cmd, fl, fleetRun{mode: fleetAudit, audit: opts, output: a.output})
		}
		// The report goes straight to a terminal (for colour), or through
		// a buffer to --output, or to the metrics writer.
		var buf bytes.Buffer
		w := io.Writer(&buf)
		if a.output == "" && c.format != "prometheus" {
			w = cmd.OutOrStdout()
		}
		res, err := c.audit(cmd.Context(), w, opts)
		if c.format == "prometheus" {
			// A failed audit writes its metrics too: success 0, and no
			// findings, which would be partial.
			r := promReport{Database: res.database, Success: err == nil && res.code != exitError, Time: time.Now()}
			if r.Success {
				r.Counts = res.counts
			}
			werr := writePrometheus(&buf, r)
			err = cmp.Or(err, werr)
		}
		if buf.Len() > 0 {
			err = cmp.Or(err, writeAuditReport(cmd.OutOrStdout(), a.output, buf.Bytes(), c.format))
		}
		switch {
		case err != nil:
			return err
		case res.code != exitOK:
			return exitCode(res.code)
		}
		return nil
	}
	return cmd
}

// auditResult is what an audit run found: its exit status, the database
// it read ("" when it did not get that far) and the findings by kind and
// role.
type auditResult struct {
	code     int
	database string
	counts   []plan.FindingCount
}

// checkAuditFormat accepts plan's formats and prometheus.
func (c *common) checkAuditFormat() error {
	if c.format == "prometheus" {
		return nil
	}
	if err := c.checkFormat(); err != nil {
		return fmt.Errorf("--format %q: want text, json, sql, markdown or prometheus", c.format)
	}
	return nil
}

// audit reads the catalog and the sessions, builds the plan and the
// findings, and renders them to w in every format but prometheus, which
// the caller writes from the result.
func (c *common) audit(ctx context.Context, w io.Writer, o plan.AuditOptions) (auditResult, error) {
	res := auditResult{code: exitError}
	if err := c.checkAuditFormat(); err != nil {
		return res, err
	}
	pol, err := c.loadPolicy()
	if err != nil {
		return res, err
	}
	cfg, err := c.connConfig()
	if err != nil {
		return res, err
	}
	res.database = cfg.Database
	p, diags, err := c.readAudit(ctx, pol, cfg, o)
	if err != nil {
		return res, err
	}
	res.database = p.Database
	res.counts = plan.CountFindings(p, declaredRoles(pol))
	if c.format != "prometheus" {
		if err := c.render(w, p, true); err != nil {
			return res, err
		}
	}
	c.printDiags(diags)
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

// readAudit builds the plan and the audit findings from one READ ONLY,
// REPEATABLE READ transaction: the catalog (introspect.Read) and, when
// sessions are checked, pg_stat_activity (one more query).
func (c *common) readAudit(ctx context.Context, pol *policy.Policy, cfg *pgx.ConnConfig, o plan.AuditOptions) (*plan.Plan, hcl.Diagnostics, error) {
	var (
		cat      *introspect.Catalog
		sessions []plan.Session
	)
	err := c.readOnly(ctx, cfg, func(tx pgx.Tx) error {
		var err error
		if cat, err = introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas}); err != nil || !o.CheckSessions {
			return err
		}
		read, err := introspect.ReadSessions(ctx, tx)
		for _, s := range read {
			sessions = append(sessions, plan.Session{Role: s.Role, ApplicationName: s.ApplicationName, Count: s.Count})
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// Partial: a change the connecting role could not execute is drift
	// like any other (a warning says why), not an error; audit executes
	// nothing, and often runs as a role that may execute nothing.
	p, diags := plan.Build(pol, cat, plan.Options{Strict: c.strict, Partial: true, LeaveOutClusterWide: c.leaveOutCluster})
	p.Findings = plan.Audit(pol, cat, sessions, o)
	if p.Findings == nil {
		p.Findings = []plan.Finding{} // an audit: JSON always has "findings"
	}
	return p, diags, nil
}

func declaredRoles(pol *policy.Policy) []string {
	var out []string
	for _, r := range pol.Roles {
		out = append(out, r.Name)
	}
	return out
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
