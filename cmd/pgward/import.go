package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgward/pgward/cnpg"
	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/textout"
)

func newImportCmd(e env) *cobra.Command {
	var (
		databaseURL, output, format string
		roles, schemas, cnpgCluster []string
		attributes, external        bool
	)
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Write a policy that reproduces the database's privileges today (read-only)",
		Long: "import reads the catalog in a read-only transaction and writes a policy that reproduces what the\n" +
			"roles hold: against the same database, pgward plan shows no changes. Rules collapse to \"every\n" +
			"object\", globs and exceptions where that grants nothing more than exists; what no policy can\n" +
			"reproduce is listed as comments at the top. The policy is HCL, or YAML with --format yaml (the\n" +
			"default when --output ends in .yaml or .yml). Exit status: 0 written, 1 error.",
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&databaseURL, "database-url", "", "connection string (default $DATABASE_URL, else libpq PG* variables and .pgpass)")
	// One name per value, exactly as the shell passes it: a comma, a quote
	// or an equals sign is part of the name (StringSlice's CSV parsing
	// split or rejected such names).
	f.StringArrayVar(&roles, "roles", nil, "a role to import, its name as given; repeat for several (default every role but superusers, pg_* and cloud providers' roles)")
	f.StringArrayVar(&schemas, "schemas", nil, "a schema to import, its name as given; repeat for several; they become the scope (default every non-system schema)")
	f.BoolVar(&attributes, "attributes", true, "write role attributes (login, inherit, createdb, createrole, replication, bypassrls, connection_limit, valid_until) and the settings a role has (settings, database_settings); --attributes=false leaves them unmanaged")
	f.BoolVar(&external, "external", true, "declare the roles external = true: pgward reports but never changes their attributes and memberships")
	f.StringArrayVar(&cnpgCluster, "cnpg-cluster", nil, "declare external = true exactly the roles this CloudNativePG Cluster manifest (`FILE`, YAML) manages, and the others managed; repeatable")
	f.StringVarP(&output, "output", "o", "", "write the policy to this file (default standard output)")
	f.StringVar(&format, "format", "", "output format: hcl or yaml (default yaml when --output ends in .yaml or .yml, else hcl)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		write, err := importWriter(format, cmd.Flags().Changed("format"), output)
		if err != nil {
			return err
		}
		var externalRoles []string
		if len(cnpgCluster) > 0 {
			if cmd.Flags().Changed("external") {
				return errors.New("--cnpg-cluster decides which roles are external; leave out --external")
			}
			clusters, diags := loadClusters(cnpgCluster)
			e.printDiags(diags)
			if diags.HasErrors() {
				return exitCode(exitError)
			}
			externalRoles = cnpg.Names(clusters)
			if externalRoles == nil {
				externalRoles = []string{} // no managed role: every role is managed
			}
		}
		cfg, err := connstr.ParseConfig(connstr.Resolve(databaseURL, e.getenv))
		if err != nil {
			return err
		}
		im, err := readImport(cmd.Context(), cfg, importer.Options{
			Roles:              roles,
			Schemas:            schemas,
			LeaveOutAttributes: !attributes,
			ManageRoles:        !external,
			ExternalRoles:      externalRoles,
			Time:               time.Now().UTC().Truncate(time.Second),
			Origin:             origin(cfg),
		})
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := write(&buf, im); err != nil {
			return fmt.Errorf("write policy: %w", err)
		}
		if output == "" {
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
		} else {
			err = os.WriteFile(output, buf.Bytes(), 0o644)
		}
		if err != nil {
			return fmt.Errorf("write policy: %w", err)
		}
		where := "standard output"
		if output != "" {
			where = output
		}
		fmt.Fprintf(e.stderr, "Imported %d %s from database %s to %s.\n", len(im.Roles), textout.Plural(len(im.Roles), "role", "roles"), im.Source.Database, where)
		if n := len(im.Notes); n > 0 {
			fmt.Fprintf(e.stderr, "%d %s at the top what the policy leaves out or cannot reproduce.\n", n, textout.Plural(n, "note says", "notes say"))
		}
		for _, n := range im.Notes {
			if n.Reason == importer.ReasonResidual {
				fmt.Fprintf(e.stderr, "warning: %s\n", n.Text)
			}
		}
		return nil
	}
	return cmd
}

// importWriter returns the writer of the output format. Without --format,
// the name of --output decides: pgward reads *.yaml and *.yml files as
// YAML, every other file as HCL. A format that contradicts the name is an
// error, since the policy would not load.
func importWriter(format string, explicit bool, output string) (func(io.Writer, *importer.Import) error, error) {
	yamlName := strings.HasSuffix(output, ".yaml") || strings.HasSuffix(output, ".yml")
	if !explicit {
		format = "hcl"
		if yamlName {
			format = "yaml"
		}
	}
	switch format {
	case "hcl":
		if yamlName {
			return nil, fmt.Errorf("--format hcl: pgward reads %s as YAML; name the file *.hcl, or use --format yaml", output)
		}
		return importer.WriteHCL, nil
	case "yaml":
		if output != "" && !yamlName {
			return nil, fmt.Errorf("--format yaml: pgward reads only files named *.yaml or *.yml as YAML; name the file %s.yaml", strings.TrimSuffix(output, ".hcl"))
		}
		return importer.WriteYAML, nil
	}
	return nil, fmt.Errorf("--format %q: want hcl or yaml", format)
}

// readImport imports in a READ ONLY, REPEATABLE READ transaction.
func readImport(ctx context.Context, cfg *pgx.ConnConfig, o importer.Options) (*importer.Import, error) {
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return importer.Read(ctx, tx, o)
}

// origin is where the database was reached, for the import's header: host
// and port only, never the connection string.
func origin(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return host + ":" + strconv.Itoa(int(cfg.Port))
}
