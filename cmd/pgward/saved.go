package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// saveplan writes a saved plan. The file holds the catalog state, the
// statements, the evaluated policy and the plan options, no credentials;
// it is created 0600 all the same, as it lists who holds what.
func saveplan(path string, p *plan.Plan, pol *policy.Policy, o plan.Options) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("save plan: %w", cerr)
		}
	}()
	return plan.WriteSaved(f, p, pol, o)
}

// applyHint is the command that applies the plan saved to path: the
// connection is the one this plan used, so --database-url is repeated when
// it was given (its password never: then the hint says to give the same
// URL).
func applyHint(path, databaseURL string) string {
	cmd := "pgward apply " + shellQuote(path)
	switch {
	case databaseURL == "":
		return cmd
	case connstr.Redact(databaseURL) == databaseURL:
		return cmd + " --database-url " + shellQuote(databaseURL)
	}
	return cmd + " --database-url URL (the URL this plan used; pgward does not print passwords)"
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readSaved reads a saved plan.
func readSaved(path string) (*plan.Saved, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read saved plan: %w", err)
	}
	defer f.Close()
	s, err := plan.ReadSaved(f)
	if err != nil {
		return nil, fmt.Errorf("read saved plan %s: %w", path, err)
	}
	return s, nil
}

// applySaved applies a saved plan with the policy and the plan options it
// carries: no policy is needed. A --policy or --var given all the same must
// give the same evaluated policy, and --strict or --require-all the same
// options; the plan is shown as it executes.
func (o applyCmdOptions) applySaved(cmd *cobra.Command, e env, path string) error {
	s, err := readSaved(path)
	if err != nil {
		return err
	}
	flags := cmd.Flags()
	if flags.Changed("policy") || flags.Changed("var") {
		given, err := o.loadPolicy(e)
		if err != nil {
			return err
		}
		if plan.PolicyDigest(given) != s.PolicyDigest {
			return errors.New("the policy (or a variable) changed since the plan was saved: run pgward plan --out again, or apply the saved plan without --policy and --var (it carries its policy)")
		}
	}
	po := s.PlanOptions()
	if flags.Changed("strict") && o.strict != po.Strict || flags.Changed("require-all") && o.requireAll == po.Partial {
		return fmt.Errorf("the plan was saved with --strict=%t --require-all=%t and is applied with them: leave the flags out, or run pgward plan --out again", po.Strict, !po.Partial)
	}
	cfg, err := o.connConfig(e)
	if err != nil {
		return err
	}
	return o.applyApproved(cmd.Context(), e, cmd.OutOrStdout(), cfg, s.Policy(), s.Plan(), &po)
}
