package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// Exit codes (docs/cli.md).
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

// exitCode carries a non-zero exit status through cobra without printing.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string, e env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	default:
		fmt.Fprintf(e.stderr, "Error: %s\n", oneLine(err.Error()))
		return exitError
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// common holds the flags every database command shares.
type common struct {
	env         env
	policyPath  string
	databaseURL string
	vars        []string
	format      string
	strict      bool
	requireAll  bool
	noColor     bool
	maxRevokes  int // apply: --max-revokes
	// leaveOutCluster: a fleet run over a database that does not own the
	// cluster-wide changes (fleet.go).
	leaveOutCluster bool
}

func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:           "pgward",
		Short:         "Keep PostgreSQL privileges equal to a declared policy",
		Long:          "pgward reads a policy, reads the live catalog, and plans, applies or audits the GRANT and REVOKE statements that make them equal.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.AddCommand(newPlanCmd(e), newAuditCmd(e), newApplyCmd(e), newValidateCmd(e), newVersionCmd(e))
	root.AddCommand(newImportCmd(e))
	root.AddCommand(newFmtCmd(e))
	root.AddCommand(newExplainCmd(e))
	root.AddCommand(newDiffCmd(e))
	return root
}

func (c *common) bind(cmd *cobra.Command, withDB, withFormat bool) {
	f := cmd.Flags()
	f.StringVar(&c.policyPath, "policy", ".", "policy file, or directory of *.hcl files")
	f.StringArrayVar(&c.vars, "var", nil, "set a policy variable (name=value); repeatable")
	f.BoolVar(&c.strict, "strict", false, "treat a missing role with if_missing = \"skip\" as an error")
	if withDB {
		f.StringVar(&c.databaseURL, "database-url", "", "connection string (default $DATABASE_URL, else libpq PG* variables and .pgpass)")
		f.BoolVar(&c.noColor, "no-color", false, "never colour the output")
	}
	if withFormat {
		f.StringVar(&c.format, "format", "text", "output format: text, json, sql or markdown")
	}
}

func (c *common) loadPolicy() (*policy.Policy, error) {
	vars := map[string]string{}
	for _, v := range c.vars {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want name=value", v)
		}
		vars[name] = value
	}
	pol, diags := policy.LoadPath(c.policyPath, policy.LoadOptions{Vars: vars, Getenv: c.env.getenv})
	diags = append(diags, plan.Validate(pol)...)
	c.printDiags(diags)
	if diags.HasErrors() {
		return nil, exitCode(exitError)
	}
	return pol, nil
}

func (c *common) printDiags(diags hcl.Diagnostics) {
	if len(diags) > 0 {
		fmt.Fprint(c.env.stderr, policy.FormatDiagnostics(diags))
	}
}

func (c *common) checkFormat() error {
	switch c.format {
	case "text", "json", "sql", "markdown":
		return nil
	}
	return fmt.Errorf("--format %q: want text, json, sql or markdown", c.format)
}

func (c *common) connConfig() (*pgx.ConnConfig, error) {
	return connstr.ParseConfig(connstr.Resolve(c.databaseURL, c.env.getenv))
}

// readPlan builds the plan from a read-only snapshot of the catalog.
func (c *common) readPlan(ctx context.Context, pol *policy.Policy, cfg *pgx.ConnConfig) (*plan.Plan, hcl.Diagnostics, error) {
	cat, err := c.readCatalog(ctx, pol, cfg)
	if err != nil {
		return nil, nil, err
	}
	p, diags := plan.Build(pol, cat, c.planOptions())
	return p, diags, nil
}

// bindRequireAll adds --require-all (plan and apply).
func (c *common) bindRequireAll(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&c.requireAll, "require-all", false, "fail when a change needs more authority than the connecting role has (default: apply the rest and list those)")
}

// planOptions: by default a plan leaves out, and lists, the changes the
// connecting role lacks the authority for (plan.Options.Partial), so that
// apply as the owner right after migrations does what it can;
// --require-all makes them errors.
func (c *common) planOptions() plan.Options {
	return plan.Options{Strict: c.strict, Partial: !c.requireAll, LeaveOutClusterWide: c.leaveOutCluster}
}

func (c *common) render(w io.Writer, p *plan.Plan, audit bool) error {
	switch c.format {
	case "json":
		return plan.WriteJSON(w, p)
	case "sql":
		return plan.WriteSQL(w, p)
	case "markdown":
		return plan.WriteMarkdown(w, p, plan.MarkdownOptions{Audit: audit})
	}
	color := !c.noColor && c.env.getenv("NO_COLOR") == "" && c.env.isTTY(w)
	return plan.WriteText(w, p, plan.TextOptions{Color: color, Audit: audit})
}

func newPlanCmd(e env) *cobra.Command {
	c := &common{env: e}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the GRANT and REVOKE statements that would make the database match the policy",
		Long: "plan reads the catalog in a read-only transaction and prints the changes apply would make.\n" +
			"Exit status: 0 no changes, 2 changes pending, 1 error.",
		Args: cobra.NoArgs,
	}
	c.bind(cmd, true, true)
	c.bindRequireAll(cmd)
	fl := bindFleet(cmd, c)
	var out string
	sb := &sandboxFlags{}
	cmd.Flags().StringVarP(&out, "out", "o", "", "save the plan to this file, for `pgward apply FILE`")
	sb.bind(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if sb.schema != "" {
			return c.planSchema(cmd, sb, out)
		}
		if err := c.checkFormat(); err != nil {
			return err
		}
		if fl.active() || fl.misused() {
			if out != "" {
				return errors.New("--out saves the plan of one database; it does not go with a fleet run")
			}
			return c.runFleet(cmd, fl, fleetRun{mode: fleetPlan})
		}
		pol, err := c.loadPolicy()
		if err != nil {
			return err
		}
		cfg, err := c.connConfig()
		if err != nil {
			return err
		}
		p, diags, err := c.readPlan(cmd.Context(), pol, cfg)
		if err != nil {
			return err
		}
		if err := c.render(cmd.OutOrStdout(), p, false); err != nil {
			return err
		}
		c.printDiags(diags)
		if out != "" && !diags.HasErrors() {
			if err := saveplan(out, p, pol); err != nil {
				return err
			}
			fmt.Fprintf(c.env.stderr, "Saved the plan to %s; apply exactly it with: pgward apply %s\n", out, out)
		}
		switch {
		case diags.HasErrors():
			return exitCode(exitError)
		case !p.Empty(), len(p.Violations) > 0:
			return exitCode(exitChanges)
		}
		return nil
	}
	return cmd
}

func newApplyCmd(e env) *cobra.Command {
	c := &common{env: e}
	var (
		autoApprove                   bool
		lockTimeout, statementTimeout time.Duration
		verbose                       bool
	)
	cmd := &cobra.Command{
		Use:   "apply [SAVED-PLAN]",
		Short: "Make the database match the policy, in one transaction",
		Long: "apply shows the plan, asks for confirmation on a terminal (--auto-approve elsewhere), then executes it\n" +
			"in one transaction under an advisory lock, verifies the result and commits. Exit status: 0 success, 1 error.\n" +
			"With SAVED-PLAN (from plan --out), it applies exactly that plan without asking, and refuses it if the\n" +
			"database or the policy changed since.",
		Args: cobra.MaximumNArgs(1),
	}
	c.bind(cmd, true, false)
	c.bindRequireAll(cmd)
	fl := bindFleet(cmd, c)
	c.format = "text"
	f := cmd.Flags()
	f.BoolVar(&autoApprove, "auto-approve", false, "apply without asking (required when not on a terminal)")
	f.DurationVar(&lockTimeout, "lock-timeout", apply.DefaultLockTimeout, "lock_timeout for the apply transaction")
	f.DurationVar(&statementTimeout, "statement-timeout", apply.DefaultStatementTimeout, "statement_timeout for the apply transaction")
	f.BoolVar(&verbose, "verbose", false, "log each executed statement to stderr")
	c.maxRevokes = apply.DefaultMaxRevokes
	f.Var(revokeLimit{&c.maxRevokes}, "max-revokes", "refuse a plan that revokes more than N privileges and memberships (-1: no limit)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		out := cmd.OutOrStdout()
		if fl.active() || fl.misused() {
			switch {
			case len(args) == 1:
				return errors.New("a saved plan is the plan of one database; it does not go with a fleet run")
			case !autoApprove:
				return errors.New("a fleet apply needs --auto-approve: it does not ask for each database (review them first with pgward plan over the same databases)")
			}
			return c.runFleet(cmd, fl, fleetRun{mode: fleetApply, lockTimeout: lockTimeout, statementTimeout: statementTimeout, verbose: verbose})
		}
		pol, err := c.loadPolicy()
		if err != nil {
			return err
		}
		cfg, err := c.connConfig()
		if err != nil {
			return err
		}
		if len(args) == 1 {
			saved, err := readSavedPlan(args[0], pol)
			if err != nil {
				return err
			}
			return c.applyApproved(cmd.Context(), out, cfg, pol, saved, lockTimeout, statementTimeout, verbose)
		}
		if autoApprove {
			// Nobody is asked, so the plan is shown from under the lock,
			// as it is built for execution: one catalog read fewer than a
			// preview followed by the run.
			return c.applyApproved(cmd.Context(), out, cfg, pol, nil, lockTimeout, statementTimeout, verbose)
		}
		preview, diags, err := c.readPlan(cmd.Context(), pol, cfg)
		if err != nil {
			return err
		}
		if err := c.render(out, preview, false); err != nil {
			return err
		}
		c.printDiags(diags)
		if diags.HasErrors() {
			return exitCode(exitError)
		}
		if len(preview.Statements) == 0 {
			return nil // nothing to do, or nothing this role may do: both said above
		}
		if !e.isTTY(e.stdin) {
			return errors.New("apply needs --auto-approve when standard input is not a terminal")
		}
		fmt.Fprint(out, "\nApply these changes? Only 'yes' is accepted: ")
		line, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			fmt.Fprintln(out, "Apply cancelled; nothing was changed.")
			return exitCode(exitError)
		}
		return c.applyApproved(cmd.Context(), out, cfg, pol, preview, lockTimeout, statementTimeout, verbose)
	}
	return cmd
}

// applyApproved runs apply with the plan the user approved (shown, or
// saved), which apply refuses if the database changed since. With approved
// nil (--auto-approve), apply shows the plan it builds under its lock
// before executing it.
func (c *common) applyApproved(ctx context.Context, out io.Writer, cfg *pgx.ConnConfig, pol *policy.Policy, approved *plan.Plan, lockTimeout, statementTimeout time.Duration, verbose bool) error {
	// With approved nil nobody is asked, so the plan is written while it
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
	if verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(writerAfter{c.env.stderr, waitShown}, &slog.HandlerOptions{Level: level}))
	opts := apply.Options{
		Scope:            introspect.Scope{Schemas: pol.Schemas},
		Plan:             c.planOptions(),
		LockTimeout:      lockTimeout,
		StatementTimeout: statementTimeout,
		Approved:         approved,
		Logger:           logger,
		MaxRevokes:       c.maxRevokes,
	}
	if approved == nil {
		opts.Review = func(p *plan.Plan, diags hcl.Diagnostics) error {
			mu.Lock()
			retried := shown != nil
			mu.Unlock()
			waitShown() // a retried attempt shows its plan after the last one
			if retried {
				fmt.Fprint(out, "\nThe run was retried after a concurrent catalog update; this plan replaces the one above.\n\n")
			}
			done := make(chan struct{})
			mu.Lock()
			shown, warnings = done, diags
			mu.Unlock()
			go func() {
				defer close(done)
				if err := c.render(out, p, false); err != nil {
					renderErr = err // read after done is closed
				}
			}()
			return nil
		}
	}
	res, err := apply.Run(ctx, cfg, pol, opts)
	waitShown()
	if renderErr != nil {
		fmt.Fprintf(c.env.stderr, "pgward: could not write the plan: %v\n", renderErr)
	}
	c.printDiags(warnings)
	if err != nil {
		var pe *apply.PlanError
		if errors.As(err, &pe) {
			if approved == nil && pe.Plan != nil {
				// Shown as a preview would have shown it, errors below.
				if err := c.render(out, pe.Plan, false); err != nil {
					return err
				}
			}
			c.printDiags(pe.Diags)
			return exitCode(exitError)
		}
		return err
	}
	if approved == nil && len(res.Plan.Statements) == 0 {
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
	fmt.Fprintf(out, "\nApply complete: %d granted, %d revoked, %d altered, in %d %s.\n", s.Grant, s.Revoke, s.Alter, n, plural(n, "statement", "statements"))
	if s.Blocked > 0 {
		// Listed with their fixes in the plan above; said again here because
		// a job log is read from the end.
		fmt.Fprintf(out, "Left out: %d %s that %s lacks the authority for (see \"cannot be executed\" above; --require-all makes this an error).\n",
			s.Blocked, plural(s.Blocked, "change", "changes"), res.Plan.ConnectingRole)
	}
	return nil
}

func newVersionCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the pgward version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Fprintf(e.stdout, "pgward %s (%s)\n", v, runtime.Version())
		},
	}
}

// revokeLimit is the value of --max-revokes: the most revokes apply may
// make, or -1 for no limit. 0 is refused rather than guessed: some read it
// as "no revokes", others as "no limit".
type revokeLimit struct{ n *int }

func (r revokeLimit) String() string {
	if r.n == nil {
		return ""
	}
	return strconv.Itoa(*r.n)
}

func (r revokeLimit) Set(s string) error {
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return errors.New("want the most revokes to allow, or -1 for no limit")
	case n == 0:
		return errors.New("0 is ambiguous: give the most revokes to allow, or -1 for no limit (to revoke nothing, make the policy additive: scope { additive = true })")
	case n < 0:
		n = -1
	}
	*r.n = n
	return nil
}

func (revokeLimit) Type() string { return "int" }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
