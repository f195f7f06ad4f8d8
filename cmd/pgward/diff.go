package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/prcheck"
)

func newDiffCmd(e env) *cobra.Command {
	var o struct {
		policyFlags
		sandbox    sandboxFlags
		base, head string
		format     string
	}
	s := &o.sandbox
	cmd := &cobra.Command{
		Use:   "diff --base OLD.sql --head NEW.sql",
		Short: "Report what a schema change does to access, in throwaway databases",
		Long: "diff builds both schema dumps in throwaway databases of one throwaway PostgreSQL, applies the\n" +
			"policy to each as the owner role and compares what each managed role can do: new objects with the\n" +
			"privileges each role gets, objects no rule of a role covers though it has rules for that kind in\n" +
			"that schema (unclassified), removed objects and changed access, then a line diff of the two access\n" +
			"reports. Exit status: 0 access unchanged, 2 access changed, 1 error.",
		Args: cobra.NoArgs,
	}
	o.policyFlags.bind(cmd)
	s.bind(cmd, false)
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "the schema dump before the change (pg_dump -s, structure.sql)")
	f.StringVar(&o.head, "head", "", "the schema dump after the change")
	f.StringVar(&o.format, "format", "text", "output format: text, json or markdown")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		base, head := o.base, o.head
		if base == "" || head == "" {
			return errors.New("diff needs --base OLD.sql and --head NEW.sql")
		}
		if err := checkReportFormat(o.format, "diff"); err != nil {
			return err
		}
		pol, err := o.loadPolicy(e)
		if err != nil {
			return err
		}
		owner, err := s.ownerRole(pol)
		if err != nil {
			return err
		}
		baseSchema, err := readSchema(base)
		if err != nil {
			return err
		}
		headSchema, err := readSchema(head)
		if err != nil {
			return err
		}
		sb, err := s.start(ctx, e)
		if err != nil {
			return err
		}
		defer closeSandbox(ctx, sb, e)
		if err := sb.CreateRoles(ctx, pol, owner, baseSchema, headSchema); err != nil {
			return err
		}
		var reports [2]*prcheck.Report
		for i, sc := range []*prcheck.Schema{baseSchema, headSchema} {
			res, err := sb.Build(ctx, sc, pol, prcheck.BuildOptions{Owner: owner, Plan: plan.Options{Strict: o.strict}})
			if err != nil {
				return buildErr(e, err)
			}
			if i == 1 || res.Diags.HasErrors() {
				e.printDiags(res.Diags)
			}
			if res.Diags.HasErrors() {
				return exitCode(exitError)
			}
			reports[i] = prcheck.Build(pol, res.Catalog, res.Answers)
		}
		d := prcheck.Compare(reports[0], reports[1])
		src := prcheck.Sources{Base: base, Head: head, Policy: o.policyPath}
		if err := writeDiff(cmd.OutOrStdout(), o.format, d, src); err != nil {
			return err
		}
		if d.AccessChanged() {
			return exitCode(exitChanges)
		}
		return nil
	}
	return cmd
}

func writeDiff(w io.Writer, format string, d *prcheck.Diff, s prcheck.Sources) error {
	switch format {
	case "json":
		return prcheck.WriteDiffJSON(w, d, s)
	case "markdown":
		return prcheck.WriteDiffMarkdown(w, d, s)
	}
	return prcheck.WriteDiffText(w, d, s)
}
