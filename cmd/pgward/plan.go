package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/policy"
)

// planCmdOptions are the flags of plan.
type planCmdOptions struct {
	policyFlags
	dbFlags
	format     string
	requireAll bool
	fleet      fleetFlags
	out        string // --out: save the plan
	sandbox    sandboxFlags
}

func newPlanCmd(e env) *cobra.Command {
	o := &planCmdOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the GRANT and REVOKE statements that would make the database match the policy",
		Long: "plan reads the catalog in a read-only transaction and prints the changes apply would make.\n" +
			"Exit status: 0 no changes, 2 changes pending, 1 error.",
		Args: cobra.NoArgs,
	}
	o.policyFlags.bind(cmd)
	o.dbFlags.bind(cmd)
	bindFormat(cmd, &o.format)
	bindRequireAll(cmd, &o.requireAll)
	bindFleet(cmd, &o.fleet, &o.databaseURL)
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "save the plan to `FILE`, to apply exactly it with pgward apply FILE")
	o.sandbox.bind(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runPlan(cmd, e, *o) }
	return cmd
}

func runPlan(cmd *cobra.Command, e env, o planCmdOptions) error {
	if o.sandbox.schema != "" {
		return planSchema(cmd, e, o.policyFlags, o.format, o.out, o.sandbox)
	}
	if err := checkFormat(o.format); err != nil {
		return err
	}
	if o.fleet.active() || o.fleet.misused() {
		if o.out != "" {
			return errors.New("--out saves the plan of one database; it does not go with a fleet run")
		}
		return runFleet(cmd, e, fleetCommand{
			mode: fleet.Plan, policy: o.policyFlags, fleet: o.fleet, format: o.format, noColor: o.noColor,
			job: func(pol *policy.Policy, r fleet.Report) fleet.Job {
				return fleet.PlanJob{Policy: pol, Plan: planOptions(o.strict, o.requireAll), Report: r}
			},
		})
	}
	out := o.reportTo(e, cmd.OutOrStdout(), o.format)
	pol, err := o.loadPolicy(e)
	if err != nil {
		return fail(out, "plan", err)
	}
	cfg, err := o.connConfig(e)
	if err != nil {
		return fail(out, "plan", err)
	}
	// From here on, pipeline.Plan writes the plan or the failure.
	p, diags, err := pipeline.Plan(cmd.Context(), cfg, pol, planOptions(o.strict, o.requireAll), out)
	if err != nil {
		return err
	}
	if o.out != "" && !diags.HasErrors() {
		if err := saveplan(o.out, p, pol, planOptions(o.strict, o.requireAll)); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Saved the plan to %s (it carries its policy: no --policy needed); apply exactly it with: %s\n", o.out, applyHint(o.out, o.databaseURL))
	}
	switch {
	case diags.HasErrors():
		return exitCode(exitError)
	case !p.Empty(), len(p.Violations) > 0:
		return exitCode(exitChanges)
	}
	return nil
}
