package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// applyCmdOptions are the flags of apply.
type applyCmdOptions struct {
	policyFlags
	dbFlags
	requireAll                    bool
	fleet                         fleetFlags
	autoApprove                   bool
	lockTimeout, statementTimeout time.Duration
	verbose                       bool
	maxRevokes                    int
}

// applyOptions are the settings of each apply this command runs.
func (o applyCmdOptions) applyOptions() pipeline.ApplyOptions {
	return pipeline.ApplyOptions{
		Plan:             planOptions(o.strict, o.requireAll),
		LockTimeout:      o.lockTimeout,
		StatementTimeout: o.statementTimeout,
		MaxRevokes:       o.maxRevokes,
		Verbose:          o.verbose,
	}
}

func newApplyCmd(e env) *cobra.Command {
	o := &applyCmdOptions{maxRevokes: apply.DefaultMaxRevokes}
	cmd := &cobra.Command{
		Use:   "apply [SAVED-PLAN]",
		Short: "Make the database match the policy, in one transaction",
		Long: "apply shows the plan, asks for confirmation on a terminal (--auto-approve elsewhere), then executes it\n" +
			"in one transaction under an advisory lock, verifies the result and commits. Exit status: 0 success, 1 error.\n" +
			"With SAVED-PLAN (from plan --out), it applies exactly that plan, with the policy saved in it, without\n" +
			"asking, and shows it as it runs; it refuses a plan applied already, or one whose database changed since.",
		Args: cobra.MaximumNArgs(1),
	}
	o.policyFlags.bind(cmd)
	o.dbFlags.bind(cmd)
	bindRequireAll(cmd, &o.requireAll)
	bindFleet(cmd, &o.fleet, &o.databaseURL)
	bindMaintenanceDB(cmd, &o.fleet)
	f := cmd.Flags()
	f.BoolVar(&o.autoApprove, "auto-approve", false, "apply without asking (required when not on a terminal)")
	f.DurationVar(&o.lockTimeout, "lock-timeout", apply.DefaultLockTimeout, "lock_timeout for the apply transaction")
	f.DurationVar(&o.statementTimeout, "statement-timeout", apply.DefaultStatementTimeout, "statement_timeout for the apply transaction")
	f.BoolVar(&o.verbose, "verbose", false, "log each executed statement to stderr")
	f.Var(revokeLimit{&o.maxRevokes}, "max-revokes", "refuse a plan that revokes more than N privileges and memberships (-1: no limit)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return runApply(cmd, e, *o, args) }
	return cmd
}

// errNoTerminal: apply asks for approval on a terminal only.
var errNoTerminal = errors.New("apply needs --auto-approve when standard input is not a terminal (a CI job, cron, a Kubernetes Job, docker run without -it, a pipe or /dev/null): nothing was changed. Review with pgward plan, then run pgward apply --auto-approve, or save a plan with pgward plan --out FILE and apply it with pgward apply FILE")

func runApply(cmd *cobra.Command, e env, o applyCmdOptions, args []string) error {
	out := cmd.OutOrStdout()
	if o.fleet.active() || o.fleet.misused() {
		switch {
		case len(args) == 1:
			return errors.New("a saved plan is the plan of one database; it does not go with a fleet run")
		case !o.autoApprove:
			return errors.New("a fleet apply needs --auto-approve: it does not ask for each database (review them first with pgward plan over the same databases)")
		}
		return runFleet(cmd, e, fleetCommand{
			mode: fleet.Apply, policy: o.policyFlags, fleet: o.fleet, format: "text", noColor: o.noColor,
			job: func(pol *policy.Policy, r fleet.Report) fleet.Job {
				return fleet.ApplyJob{Policy: pol, Apply: o.applyOptions(), MaintenanceDB: o.fleet.maintenanceDB, Report: r}
			},
		})
	}
	if len(args) == 1 {
		return o.applySaved(cmd, e, args[0])
	}
	if !o.autoApprove && !e.isTTY(e.stdin) {
		// Said before anything is read or shown: nobody can answer the
		// prompt, and a plan printed above an error reads like a result.
		return errNoTerminal
	}
	pol, err := o.loadPolicy(e)
	if err != nil {
		return err
	}
	cfg, err := o.connConfig(e)
	if err != nil {
		return err
	}
	if o.autoApprove {
		// Nobody is asked, so the plan is shown from under the lock,
		// as it is built for execution: one catalog read fewer than a
		// preview followed by the run.
		return o.applyApproved(cmd.Context(), e, out, cfg, pol, nil, nil)
	}
	preview, diags, err := pipeline.Plan(cmd.Context(), cfg, pol, planOptions(o.strict, o.requireAll), o.reportTo(e, out, "text"))
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return exitCode(exitError)
	}
	if len(preview.Statements) == 0 {
		return nil // nothing to do, or nothing this role may do: both said above
	}
	fmt.Fprint(out, "\nApply these changes? Only 'yes' is accepted: ")
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(out, "Apply cancelled; nothing was changed.")
		return exitCode(exitError)
	}
	return o.applyApproved(cmd.Context(), e, out, cfg, pol, preview, nil)
}

// applyApproved applies the approved plan (nil: the one apply builds under
// its lock, shown as it runs; saved set: a saved plan, shown the same way,
// with the plan options it was saved with); a plan refused for its
// diagnostics, which are written, ends the command with exit status 1.
func (o applyCmdOptions) applyApproved(ctx context.Context, e env, out io.Writer, cfg *pgx.ConnConfig, pol *policy.Policy, approved *plan.Plan, saved *plan.Options) error {
	opts := o.applyOptions()
	if saved != nil {
		opts.Plan, opts.Saved = *saved, true
	}
	report, progress, stop := applyProgress(e, o.reportTo(e, out, "text"))
	opts.Progress = progress
	err := pipeline.Apply(ctx, cfg, pol, approved, opts, report)
	stop()
	if errors.Is(err, pipeline.ErrDiagnostics) {
		return exitCode(exitError)
	}
	return err
}
