package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// ApplyOptions are the settings of one apply.
type ApplyOptions struct {
	// Plan are the options the plan is built with under apply's lock; they
	// must be those of the approved plan.
	Plan                          plan.Options
	LockTimeout, StatementTimeout time.Duration
	// MaxRevokes is apply.Options.MaxRevokes.
	MaxRevokes int
	// Verbose logs each executed statement to out.Log.
	Verbose bool
	// Saved: the approved plan is a saved plan (apply.Options.Saved). It is
	// shown as it executes, as a plan nobody was asked about is: the plan
	// built under the lock, once found identical to it.
	Saved bool
	// Progress is apply.Options.Progress: called as statements execute.
	Progress func(done, total int)
}

// Apply runs apply.Run with the plan the user approved (shown, or saved),
// which apply refuses if the database changed since. With approved nil
// (nobody is asked) or saved (o.Saved), Apply writes the plan it builds
// under its lock to out.Report before executing it. It ends the report
// with what was done.
//
// A plan that apply refuses for its diagnostics (apply.PlanError) is not
// written: its diagnostics go to out.Log, the failure to out.Report
// ([Output.WriteFailure]), and Apply returns [ErrDiagnostics]; other errors
// are apply.Run's. When a plan was shown before the run failed, the report
// ends with a line saying that nothing was changed.
func Apply(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy, approved *plan.Plan, o ApplyOptions, out Output) error {
	// With approved nil nobody is asked (and a saved plan's changes were
	// never shown here), so the plan is written while it
	// executes: rendering a plan of a large database takes a good part of
	// the time the server spends executing it, and the two use different
	// processors (the plan is not modified meanwhile). Until it is out,
	// nothing else is written: the logger's lines wait (so that with 2>&1
	// none lands inside the plan), and the plan's warnings follow it.
	var (
		mu        sync.Mutex
		shown     chan struct{} // closed once the last attempt's plan is out
		renderErr error
		warnings  hcl.Diagnostics
	)
	waitShown := func() {
		mu.Lock()
		done := shown
		mu.Unlock()
		if done != nil {
			<-done
		}
	}
	level := slog.LevelWarn
	if o.Verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(writerAfter{out.Log, waitShown}, &slog.HandlerOptions{Level: level}))
	opts := apply.Options{
		Scope:            introspect.Scope{Schemas: pol.Schemas},
		Plan:             o.Plan,
		LockTimeout:      o.LockTimeout,
		StatementTimeout: o.StatementTimeout,
		Approved:         approved,
		Saved:            o.Saved,
		Logger:           logger,
		MaxRevokes:       o.MaxRevokes,
		Progress:         o.Progress,
	}
	show := approved == nil || o.Saved
	if show {
		opts.Review = func(p *plan.Plan, diags hcl.Diagnostics) error {
			mu.Lock()
			retried := shown != nil
			mu.Unlock()
			waitShown() // a retried attempt shows its plan after the last one
			if retried {
				fmt.Fprint(out.Report, "\nThe run was retried after a concurrent catalog update; this plan replaces the one above.\n\n")
			}
			done := make(chan struct{})
			mu.Lock()
			shown, warnings = done, diags
			mu.Unlock()
			go func() {
				defer close(done)
				if err := out.WritePlan(p, diags, false); err != nil {
					renderErr = err // read after done is closed
				}
			}()
			return nil
		}
	}
	res, err := apply.Run(ctx, cfg, pol, opts)
	waitShown()
	if renderErr != nil {
		fmt.Fprintf(out.Log, "pgward: could not write the plan: %v\n", renderErr)
	}
	out.WriteDiagnostics(warnings)
	if err != nil {
		var pe *apply.PlanError
		if errors.As(err, &pe) {
			out.WriteDiagnostics(pe.Diags)
			return orWriteError(ErrDiagnostics, out.WriteFailure("apply", pe.Diags, nil))
		}
		mu.Lock()
		wasShown := shown != nil
		mu.Unlock()
		if wasShown && (out.Format == Text || out.Format == "") {
			// The plan above was not applied: say so where it was shown.
			fmt.Fprint(out.Report, "\nApply failed: the transaction was rolled back, nothing was changed (the error follows on stderr).\n")
		} else if !wasShown {
			err = orWriteError(err, out.WriteFailure("apply", nil, err))
		}
		return err
	}
	if show && len(res.Plan.Statements) == 0 {
		return nil // nothing to do, or nothing this role may do: both said above
	}
	var s plan.Summary
	for _, ch := range res.Plan.Changes {
		switch {
		case ch.Blocked != "":
			s.Blocked++
		case ch.Action == plan.Grant:
			s.Grant++
		case ch.Action == plan.Revoke:
			s.Revoke++
		case ch.Action == plan.Alter:
			s.Alter++
		}
	}
	n := len(res.Plan.Statements)
	fmt.Fprintf(out.Report, "\nApply complete: %d granted, %d revoked, %d altered, in %d %s.\n", s.Grant, s.Revoke, s.Alter, n, textout.Plural(n, "statement", "statements"))
	if s.Blocked > 0 {
		// Listed with their fixes in the plan above; said again here because
		// a job log is read from the end.
		fmt.Fprintf(out.Report, "Left out: %d %s that %s lacks the authority for (see \"cannot be executed\" above; --require-all makes this an error).\n",
			s.Blocked, textout.Plural(s.Blocked, "change", "changes"), res.Plan.ConnectingRole)
	}
	return nil
}

// writerAfter writes to w once wait returns.
type writerAfter struct {
	w    io.Writer
	wait func()
}

func (a writerAfter) Write(p []byte) (int, error) {
	a.wait()
	return a.w.Write(p)
}
