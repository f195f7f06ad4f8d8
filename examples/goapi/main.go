// Command goapi shows pgward's Go API in a migration runner: it runs the
// pending SQL migrations as the owner role, then converges the privileges
// to the policy with apply.Run, in the same process, right after the
// migrations, all or nothing.
//
//	go run ./examples/goapi -database-url "$DATABASE_URL" \
//	    -migrations examples/goapi/migrations -policy examples/goapi/policy.hcl
//
// Connect as the owner role (shop_owner here): the tables the migrations
// create then belong to it, its default privileges fire for them, and it
// may grant on them (docs/migrations.md).
//
// With -audit it migrates nothing and audits the databases given as
// arguments instead, with package fleet (exit status 0 in sync, 2 drift,
// 1 error):
//
//	go run ./examples/goapi -audit -policy examples/goapi/policy.hcl "$TENANT1_URL" "$TENANT2_URL"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

func main() {
	databaseURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "connection string of the owner role (default $DATABASE_URL)")
	migrations := flag.String("migrations", "migrations", "directory of *.sql migrations, applied in name order")
	policyPath := flag.String("policy", "policy.hcl", "pgward policy file or directory")
	audit := flag.Bool("audit", false, "migrate nothing: audit the databases whose URLs are the arguments")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *audit {
		pol, err := loadPolicy(*policyPath, nil)
		var status fleet.Status
		if err == nil {
			status, err = auditFleet(ctx, flag.Args(), pol, os.Stdout, os.Stderr)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "audit: %v\n", err)
			status = fleet.StatusFailed
		}
		stop()
		os.Exit(status.ExitCode())
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	err := run(ctx, config{
		DatabaseURL:   *databaseURL,
		MigrationsDir: *migrations,
		PolicyPath:    *policyPath,
		Logger:        logger,
		Out:           os.Stdout,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "migrate: %v\n", err)
		stop()
		os.Exit(1)
	}
}

// config is what one run needs.
type config struct {
	DatabaseURL   string
	MigrationsDir string
	PolicyPath    string
	// Vars are the policy's variables (pgward's --var).
	Vars   map[string]string
	Logger *slog.Logger
	Out    io.Writer
}

// run applies the pending migrations, then the policy.
func run(ctx context.Context, c config) error {
	cfg, err := pgx.ParseConfig(c.DatabaseURL)
	if err != nil {
		// pgx's parse errors never hold the password.
		return fmt.Errorf("parse the database URL: %w", err)
	}
	// Load the policy first: a broken policy stops the deploy before any
	// migration runs.
	pol, err := loadPolicy(c.PolicyPath, c.Vars)
	if err != nil {
		return err
	}

	applied, err := migrate(ctx, cfg, c.MigrationsDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Out, "Applied %d %s.\n", len(applied), plural(len(applied), "migration", "migrations"))

	res, err := apply.Run(ctx, cfg, pol, apply.Options{
		Scope:            introspect.Scope{Schemas: pol.Schemas},
		LockTimeout:      5 * time.Second,
		StatementTimeout: time.Minute,
		Logger:           c.Logger,
	})
	if err != nil {
		var pe *apply.PlanError
		if errors.As(err, &pe) {
			// Changes the owner role may not make (a role to create, a
			// membership in a predefined role): the diagnostics say which
			// and how.
			return fmt.Errorf("pgward: the plan cannot be applied:\n%s", policy.FormatDiagnostics(pe.Diags))
		}
		return fmt.Errorf("pgward apply: %w", err)
	}
	s := res.Plan.Summary()
	fmt.Fprintf(c.Out, "Privileges: %d granted, %d revoked, %d altered.\n", s.Grant, s.Revoke, s.Alter)
	return nil
}

// loadPolicy loads and validates the policy.
func loadPolicy(path string, vars map[string]string) (*policy.Policy, error) {
	pol, diags := policy.LoadPath(path, policy.LoadOptions{Vars: vars, Getenv: os.Getenv})
	diags = append(diags, plan.Validate(pol)...)
	if diags.HasErrors() {
		return nil, fmt.Errorf("load policy %s:\n%s", path, policy.FormatDiagnostics(diags))
	}
	return pol, nil
}

// migrate applies the *.sql files of dir that schema_migrations does not
// list, each in its own transaction, and returns their names.
func migrate(ctx context.Context, cfg *pgx.ConnConfig, dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list migrations in %s: %w", dir, err)
	}
	slices.Sort(files)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS public.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var applied []string
	for _, f := range files {
		version := strings.TrimSuffix(filepath.Base(f), ".sql")
		sql, err := os.ReadFile(f)
		if err != nil {
			return applied, fmt.Errorf("read migration %s: %w", version, err)
		}
		done, err := applyOne(ctx, conn, version, string(sql))
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", version, err)
		}
		if done {
			applied = append(applied, version)
		}
	}
	return applied, nil
}

// applyOne runs one migration and records it, in one transaction, unless
// it ran before.
func applyOne(ctx context.Context, conn *pgx.Conn, version, sql string) (done bool, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Serialize runners: a second deploy waits here, then skips what the
	// first applied.
	if _, err := tx.Exec(ctx, `LOCK TABLE public.schema_migrations IN EXCLUSIVE MODE`); err != nil {
		return false, err
	}
	var ran bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM public.schema_migrations WHERE version = $1)`, version).Scan(&ran); err != nil {
		return false, err
	}
	if ran {
		return false, nil
	}
	// Without arguments, Exec sends the file as one simple query: several
	// statements are fine.
	if _, err := tx.Exec(ctx, sql); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO public.schema_migrations (version) VALUES ($1)`, version); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
