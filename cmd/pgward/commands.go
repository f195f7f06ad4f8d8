package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/internal/textout"
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
	cmd, err := root.ExecuteContextC(ctx)
	err = hintUnconfigured(cmd, e, err)
	var (
		code exitCode
		de   diagError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &de):
		return exitError // its diagnostics are on stderr
	default:
		fmt.Fprintf(e.stderr, "error: %s\n", textout.OneLine(err.Error()))
		return exitError
	}
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
	root.AddCommand(newPolicySchemaCmd(e))
	return root
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
