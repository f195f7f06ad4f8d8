package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// The flag groups that several commands share. Each command embeds the
// groups it takes in an options struct of its own and binds them to its
// own flag set: no command sees another's values.

// policyFlags are --policy, --var and --strict: where the policy is and
// how it is read.
type policyFlags struct {
	policyPath string
	vars       []string
	strict     bool
}

func (p *policyFlags) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.policyPath, "policy", ".", "policy file (.hcl, .yaml or .yml), or a directory of them")
	f.StringArrayVar(&p.vars, "var", nil, "set a policy variable (name=value); repeatable")
	f.BoolVar(&p.strict, "strict", false, "treat a missing role with if_missing = \"skip\" as an error")
}

// loadPolicy loads and validates the policy, writing its diagnostics to
// stderr; error diagnostics end the command with exit status 1 (a
// diagError, which holds them for the report: see fail).
func (p policyFlags) loadPolicy(e env) (*policy.Policy, error) {
	vars := map[string]string{}
	for _, v := range p.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want name=value", v)
		}
		vars[name] = value
	}
	pol, diags := policy.LoadPath(p.policyPath, policy.LoadOptions{Vars: vars, Getenv: e.getenv})
	diags = append(diags, plan.Validate(pol)...)
	e.printDiags(diags)
	if diags.HasErrors() {
		return nil, diagError{diags}
	}
	return pol, nil
}

// dbFlags are --database-url and --no-color: the database of a command
// that connects, and whether its report may be coloured.
type dbFlags struct {
	databaseURL string
	noColor     bool
}

func (d *dbFlags) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&d.databaseURL, "database-url", "", "connection string (default $DATABASE_URL, else libpq PG* variables and .pgpass)")
	f.BoolVar(&d.noColor, "no-color", false, "never colour the output")
}

// connConfig is --database-url, else DATABASE_URL, else libpq's defaults.
func (d dbFlags) connConfig(e env) (*pgx.ConnConfig, error) {
	return connstr.ParseConfig(connstr.Resolve(d.databaseURL, e.getenv))
}

// color reports whether a report written to w is coloured: a terminal,
// without --no-color or NO_COLOR.
func (d dbFlags) color(e env, w io.Writer) bool {
	return !d.noColor && e.getenv("NO_COLOR") == "" && e.isTTY(w)
}

// sameTerminal reports whether a report written to w and stderr are read
// together: both terminals.
func sameTerminal(e env, w io.Writer) bool { return e.isTTY(w) && e.isTTY(e.stderr) }

// reportTo is where a command's report goes (w) and its diagnostics
// (stderr), in format.
func (d dbFlags) reportTo(e env, w io.Writer, format string) pipeline.Output {
	return pipeline.Output{Report: w, Log: e.stderr, Format: pipeline.Format(format), Color: d.color(e, w), SameTerminal: sameTerminal(e, w)}
}

func bindFormat(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", "text", "output format: text, json, sql or markdown")
}

// bindRequireAll adds --require-all (plan and apply).
func bindRequireAll(cmd *cobra.Command, requireAll *bool) {
	cmd.Flags().BoolVar(requireAll, "require-all", false, "fail when a change needs more authority than the connecting role has (default: apply the rest and list those)")
}

// planOptions: by default a plan leaves out, and lists, the changes the
// connecting role lacks the authority for (plan.Options.Partial), so that
// apply as the owner right after migrations does what it can;
// --require-all makes them errors.
func planOptions(strict, requireAll bool) plan.Options {
	return plan.Options{Strict: strict, Partial: !requireAll}
}

func checkFormat(format string) error {
	switch format {
	case "text", "json", "sql", "markdown":
		return nil
	}
	return fmt.Errorf("--format %q: want text, json, sql or markdown", format)
}

// checkAuditFormat accepts plan's formats and prometheus.
func checkAuditFormat(format string) error {
	if format == "prometheus" {
		return nil
	}
	if err := checkFormat(format); err != nil {
		return fmt.Errorf("--format %q: want text, json, sql, markdown or prometheus", format)
	}
	return nil
}

func (e env) printDiags(diags hcl.Diagnostics) {
	if len(diags) > 0 {
		fmt.Fprint(e.stderr, policy.FormatDiagnostics(diags))
	}
}
