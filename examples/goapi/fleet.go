package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/policy"
)

// auditFleet audits every database of urls against the policy with package
// fleet, as pgward audit --database-url … --database-url … does: a few
// databases at once, each in its own read-only transaction. It writes each
// database's report to out as it finishes (its diagnostics to log), then
// the summary, and returns the worst status: in sync, drift, or failed (a
// database that could not be audited does not stop the others).
func auditFleet(ctx context.Context, urls []string, pol *policy.Policy, out, log io.Writer) (fleet.Status, error) {
	var seeds []*pgx.ConnConfig
	for i, u := range urls {
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			return 0, fmt.Errorf("parse database URL #%d: %w", i+1, err)
		}
		seeds = append(seeds, cfg)
	}
	targets, err := fleet.Resolve(ctx, fleet.Spec{Seeds: seeds})
	if err != nil {
		return 0, err
	}
	job := fleet.AuditJob{Policy: pol, Report: fleet.Report{Format: pipeline.Text}}
	results := fleet.Run(ctx, targets, job, fleet.Options{
		Done: func(r *fleet.Result) { fleet.WriteSection(out, log, r, pipeline.Text) },
	})
	if err := fleet.WriteSummary(out, fleet.Audit, results, pipeline.Text); err != nil {
		return 0, err
	}
	return fleet.Worst(results), nil
}
