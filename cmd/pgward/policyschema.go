package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/policy"
)

// newPolicySchemaCmd prints the JSON Schema of a policy file, which
// editors use to check and complete YAML policies (docs/editors.md). It
// is not plan --schema, which reads a database schema dump.
func newPolicySchemaCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "policy-schema",
		Short: "Print the JSON Schema of a policy file, for editors",
		Long: "policy-schema prints the JSON Schema (draft 2020-12) of a pgward policy file, in the structure\n" +
			"YAML policies are written in. Editors with a YAML language server use it to check and complete\n" +
			"policies as they are typed (docs/editors.md). It is the same schema as\n" +
			policy.JSONSchemaURL + "\n" +
			"for this version of pgward. Exit status: 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := policy.JSONSchema()
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(b); err != nil {
				return fmt.Errorf("write the policy schema: %w", err)
			}
			return nil
		},
	}
}
