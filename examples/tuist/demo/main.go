// Command demo runs the Tuist example end to end on a throwaway PostgreSQL:
// the operator's roles, the owner's schema, then pgward plan → apply → plan,
// a migration covered by default privileges, and a hand-made grant that
// audit catches and apply revokes. `make demo` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

func main() {
	pgward := flag.String("pgward", "bin/pgward", "path to the pgward binary")
	example := flag.String("example", "examples/tuist", "directory of the Tuist example")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *pgward, *example)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, pgward, example string) error {
	step("Starting a throwaway PostgreSQL")
	srv, err := pgtest.Start(ctx, pgtest.Options{URL: os.Getenv("PGWARD_DEMO_DATABASE_URL"), BinDir: os.Getenv("PGWARD_DEMO_PGBIN"), Logf: func(f string, a ...any) { fmt.Printf("    "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("    PostgreSQL %d.%d is up\n", srv.Version()/10000, srv.Version()%10000)

	step("As the database operator (superuser): create the four roles, their memberships, and database tuist owned by tuist_app")
	admin, err := srv.SuperuserConn(ctx, "postgres")
	if err != nil {
		return err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if err := execAll(ctx, admin,
		"DROP DATABASE IF EXISTS tuist",
		"DROP ROLE IF EXISTS tuist_web", "DROP ROLE IF EXISTS tuist_processor", "DROP ROLE IF EXISTS tuist_ops_ro", "DROP ROLE IF EXISTS tuist_app",
		"CREATE ROLE tuist_app LOGIN",
		"CREATE ROLE tuist_ops_ro LOGIN",
		"CREATE ROLE tuist_web LOGIN NOINHERIT",
		"ALTER ROLE tuist_web SET statement_timeout = '5s'",
		"GRANT tuist_ops_ro TO tuist_web",
		"CREATE ROLE tuist_processor LOGIN",
		"CREATE DATABASE tuist OWNER tuist_app",
	); err != nil {
		return err
	}
	policyPath := filepath.Join(example, "policy.hcl")
	if srv.Version() >= 140000 {
		if err := execAll(ctx, admin, "GRANT pg_read_all_data TO tuist_ops_ro"); err != nil {
			return err
		}
	} else {
		fmt.Println("    PostgreSQL 13 has no pg_read_all_data: using the fallback policy examples/tuist/pg13/policy.hcl")
		policyPath = filepath.Join(example, "pg13", "policy.hcl")
	}
	if srv.Version() < 150000 {
		// Before 15 the public schema belongs to the bootstrap superuser,
		// so the owner role could not grant on it (plan would say so).
		fmt.Println("    PostgreSQL < 15: the public schema belongs to the superuser; the operator hands it to tuist_app")
		tuistAdmin, err := srv.SuperuserConn(ctx, "tuist")
		if err != nil {
			return err
		}
		err = execAll(ctx, tuistAdmin, "ALTER SCHEMA public OWNER TO tuist_app")
		tuistAdmin.Close(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
	}

	step("As tuist_app: run the migrations (examples/tuist/schema.sql)")
	schemaSQL, err := os.ReadFile(filepath.Join(example, "schema.sql"))
	if err != nil {
		return err
	}
	owner, err := pgx.Connect(ctx, srv.URL("tuist", "tuist_app"))
	if err != nil {
		return fmt.Errorf("connect as tuist_app: %w", err)
	}
	defer owner.Close(context.WithoutCancel(ctx))
	if _, err := owner.Exec(ctx, string(schemaSQL)); err != nil {
		return fmt.Errorf("load schema.sql: %w", err)
	}

	url := srv.URL("tuist", "tuist_app")
	pg := func(want int, args ...string) error {
		return runPgward(ctx, pgward, url, policyPath, want, args...)
	}

	step("pgward plan: what the policy asks for (exit 2: changes pending)")
	if err := pg(2, "plan"); err != nil {
		return err
	}
	step("pgward apply: one transaction, verified before commit")
	if err := pg(0, "apply", "--auto-approve"); err != nil {
		return err
	}
	step("pgward plan again: nothing left to do (exit 0)")
	if err := pg(0, "plan"); err != nil {
		return err
	}

	step("A migration: tuist_app creates a table; default privileges cover it")
	if err := execAll(ctx, owner, "CREATE TABLE cache_entries (key text PRIMARY KEY, value bytea, expires_at timestamptz)"); err != nil {
		return err
	}
	if err := pg(0, "audit"); err != nil {
		return err
	}

	step("A migration: tuist_app creates a function; PUBLIC cannot run it, tuist_web can (default privileges)")
	if err := execAll(ctx, owner, "CREATE FUNCTION purge_cache() RETURNS void LANGUAGE sql AS 'DELETE FROM cache_entries WHERE expires_at < now()'"); err != nil {
		return err
	}
	var public, web bool
	if err := owner.QueryRow(ctx, "SELECT has_function_privilege('tuist_processor', 'purge_cache()', 'EXECUTE'), has_function_privilege('tuist_web', 'purge_cache()', 'EXECUTE')").Scan(&public, &web); err != nil {
		return fmt.Errorf("check purge_cache(): %w", err)
	}
	fmt.Printf("    EXECUTE on purge_cache(): tuist_processor (PUBLIC) %t, tuist_web %t\n", public, web)
	if public || !web {
		return fmt.Errorf("purge_cache(): tuist_processor may run it: %t (want false), tuist_web: %t (want true)", public, web)
	}
	if err := pg(0, "audit"); err != nil {
		return err
	}

	step("Someone grants TRUNCATE to tuist_web by hand: audit reports the drift (exit 2)")
	adminTuist, err := srv.SuperuserConn(ctx, "tuist")
	if err != nil {
		return err
	}
	defer adminTuist.Close(context.WithoutCancel(ctx))
	if err := execAll(ctx, adminTuist, "GRANT TRUNCATE ON accounts TO tuist_web"); err != nil {
		return err
	}
	if err := pg(2, "audit"); err != nil {
		return err
	}
	step("pgward apply revokes it")
	if err := pg(0, "apply", "--auto-approve"); err != nil {
		return err
	}
	if err := pg(0, "audit"); err != nil {
		return err
	}
	step("Done: the database matches the policy")
	return nil
}

func step(msg string) { fmt.Printf("\n==> %s\n", msg) }

func execAll(ctx context.Context, conn *pgx.Conn, stmts ...string) error {
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// runPgward runs the pgward binary connected as the owner and checks its
// exit status.
func runPgward(ctx context.Context, bin, url, policyPath string, want int, args ...string) error {
	args = append(args, "--policy", policyPath)
	fmt.Printf("$ pgward %s\n\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	err := cmd.Run()
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		return err
	}
	fmt.Printf("\n(exit status %d)\n", got)
	if got != want {
		return fmt.Errorf("pgward %s exited %d, want %d", args[0], got, want)
	}
	return nil
}
