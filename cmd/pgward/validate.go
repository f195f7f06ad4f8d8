package main

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/cnpg"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

func newValidateCmd(e env) *cobra.Command {
	var o struct {
		policyFlags
		databaseURL string
		cnpgCluster []string
	}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the policy; with --database-url, against a database's catalog too",
		Long: "validate loads the policy without a database and reports every problem with file:line:col:\n" +
			"syntax, types, unknown names, privileges a kind does not have, contradictory and redundant rules.\n" +
			"With --database-url it also reads the catalog in a read-only transaction and reports declared\n" +
			"roles that do not exist (following if_missing and --strict), exact names that match no object and\n" +
			"privileges the server version lacks. validate never connects without --database-url: it does not\n" +
			"read DATABASE_URL. With --cnpg-cluster it also compares the policy's external roles with the roles a\n" +
			"CloudNativePG Cluster manifest manages (docs/cloudnativepg.md).\n" +
			"Exit status: 0 valid (warnings allowed), 1 invalid or error.",
		Args: cobra.NoArgs,
	}
	o.policyFlags.bind(cmd)
	cmd.Flags().StringVar(&o.databaseURL, "database-url", "", "also check the policy against this database's catalog (read-only; DATABASE_URL is not read)")
	cmd.Flags().StringArrayVar(&o.cnpgCluster, "cnpg-cluster", nil, "also compare the external roles with the managed roles of this CloudNativePG Cluster manifest (`FILE`, YAML); repeatable")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		pol, err := o.loadPolicy(e)
		if err != nil {
			return err
		}
		diags := policy.CheckRules(pol)
		if len(o.cnpgCluster) > 0 {
			clusters, d := loadClusters(o.cnpgCluster)
			diags = append(diags, d...)
			if !d.HasErrors() {
				diags = append(diags, cnpg.Compare(pol, clusters)...)
			}
		}
		against := ""
		if o.databaseURL != "" {
			cfg, err := connstr.ParseConfig(o.databaseURL)
			if err != nil {
				return err
			}
			cat, err := pipeline.ReadCatalog(cmd.Context(), cfg, pol)
			if err != nil {
				return err
			}
			_, d := plan.Build(pol, cat, plan.Options{Strict: o.strict})
			diags = append(diags, policyProblems(d)...)
			against = fmt.Sprintf(" for database %s on PostgreSQL %s", cat.Database, plan.VersionString(cat.ServerVersion))
		}
		sortByPosition(diags)
		e.printDiags(diags)
		if diags.HasErrors() {
			return exitCode(exitError)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "The policy is valid%s: %d %s.\n", against, len(pol.Roles), textout.Plural(len(pol.Roles), "role", "roles"))
		return nil
	}
	return cmd
}

// policyProblems keeps the plan's diagnostics that are about the policy
// and the database, and drops those about the connecting role's authority
// (a change it could not execute): validate may run as any role, apply
// and plan report those.
func policyProblems(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if _, ok := d.Extra.(plan.Unauthorized); ok {
			continue
		}
		out = append(out, d)
	}
	return out
}

// sortByPosition puts diagnostics in reading order: those without a place
// first, then by file and position.
func sortByPosition(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// loadClusters reads the CloudNativePG manifests of --cnpg-cluster.
func loadClusters(paths []string) ([]*cnpg.Cluster, hcl.Diagnostics) {
	var (
		all   []*cnpg.Cluster
		diags hcl.Diagnostics
	)
	for _, p := range paths {
		clusters, d := cnpg.Load(p)
		diags = append(diags, d...)
		all = append(all, clusters...)
	}
	return all, diags
}
