package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/explain"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/pipeline"
)

func newExplainCmd(e env) *cobra.Command {
	var o struct {
		policyFlags
		dbFlags
		kind string
	}
	cmd := &cobra.Command{
		Use:   "explain ROLE OBJECT",
		Short: "Explain which rules and paths give a role its privileges on one object (read-only)",
		Long: "explain reads the catalog in a read-only transaction and prints, for one role and one object:\n" +
			"the policy rules that decide what the role should hold (the winning rank, and the rules it\n" +
			"overrides), the ACL items the role holds with their grantors, its effective access with every\n" +
			"path (grants, PUBLIC, memberships, predefined roles, superuser), the deny blocks that cover the\n" +
			"object, and what plan would change.\n\n" +
			"OBJECT is schema.name, schema.function(argument types), schema.table.column, a schema, the\n" +
			"database, or the name of a language, foreign-data wrapper, server, large object (OID),\n" +
			"parameter or tablespace. --kind chooses when the name designates several objects. ROLE PUBLIC\n" +
			"explains PUBLIC. Exit status: 0 explained, 1 error.",
		Args: cobra.ExactArgs(2),
	}
	o.policyFlags.bind(cmd)
	o.dbFlags.bind(cmd)
	cmd.Flags().StringVar(&o.kind, "kind", "", "the object's kind: database, schema, table, column, sequence, function, type, language, foreign_data_wrapper, foreign_server, large_object, parameter, tablespace")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		kind := o.kind
		k := acl.KindInvalid
		if kind != "" {
			var ok bool
			if k, ok = acl.ParseKind(kind); !ok {
				names := make([]string, 0, len(acl.Kinds()))
				for _, k := range acl.Kinds() {
					names = append(names, k.String())
				}
				return fmt.Errorf("--kind %q: want one of %s", kind, strings.Join(names, ", "))
			}
		}
		role, name := args[0], args[1]
		if strings.EqualFold(role, "public") {
			role = "" // PostgreSQL reserves the name: no role is called public
		}
		pol, err := o.loadPolicy(e)
		if err != nil {
			return err
		}
		cfg, err := o.connConfig(e)
		if err != nil {
			return err
		}
		cat, err := pipeline.ReadCatalog(cmd.Context(), cfg, pol)
		if err != nil {
			return err
		}
		if !explain.KnownRole(pol, cat, role) {
			return fmt.Errorf("role %q does not exist in database %s and the policy does not declare it%s", role, cat.Database, didYouMean(explain.SuggestRole(pol, cat, role)))
		}
		objs := explain.LookupObjects(cat, name, k)
		switch {
		case len(objs) == 0:
			what := "object"
			if k != acl.KindInvalid {
				what = k.String()
			}
			return fmt.Errorf("no %s %q in database %s, in the policy's scope%s; write schema.name, schema.function(argument types), a schema or the database", what, name, cat.Database, didYouMean(explain.SuggestObject(cat, name, k)))
		case len(objs) > 1:
			var list []string
			for _, o := range objs {
				list = append(list, o.Kind.String()+" "+o.String())
			}
			return fmt.Errorf("%q designates %d objects: %s; choose one with --kind or a function signature", name, len(objs), strings.Join(list, ", "))
		}
		x := explain.Object(pol, cat, role, objs[0].Object)
		out := cmd.OutOrStdout()
		return explain.WriteText(out, x, explain.TextOptions{Color: o.color(e, out)})
	}
	return cmd
}
