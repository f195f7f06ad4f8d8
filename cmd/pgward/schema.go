package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/pgserver"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
	"github.com/pgward/pgward/prcheck"
)

// sandboxFlags are the flags of the commands that build schemas in a
// throwaway PostgreSQL: plan --schema and diff.
type sandboxFlags struct {
	schema     string // plan --schema
	owner      string
	serverURL  string
	pgBin      string
	image      string
	cache      string
	verboseLog bool
}

// bind adds the flags; withSchema, for plan, adds --schema too, and says
// that the others go with it.
func (s *sandboxFlags) bind(cmd *cobra.Command, withSchema bool) {
	f := cmd.Flags()
	with := ""
	if withSchema {
		f.StringVar(&s.schema, "schema", "", "build this schema dump (pg_dump -s, structure.sql) in a throwaway PostgreSQL, apply the policy and report what each role can do")
		with = "with --schema: "
	}
	f.StringVar(&s.owner, "owner", "", with+"the role that owns the schema, loads the dump and applies the policy (default: the for_role of the policy's default_privileges)")
	f.StringVar(&s.serverURL, "sandbox-url", "", with+"a superuser URL of a server to build in instead of a throwaway one (default $PGWARD_SANDBOX_URL)")
	f.StringVar(&s.pgBin, "pg-bin", "", with+"the PostgreSQL bin directory (initdb, pg_ctl, postgres) to start the throwaway server with")
	f.StringVar(&s.image, "pg-image", "", with+"run the throwaway server in Docker from this image (such as postgres:17) instead of local binaries")
	f.StringVar(&s.cache, "sandbox-cache", "", with+"keep the initialized cluster of the throwaway server in this directory, one per PostgreSQL installation, so that later runs skip initdb; \"off\" keeps none (default $PGWARD_SANDBOX_CACHE, else pgward/sandbox in the user's cache directory)")
	f.BoolVar(&s.verboseLog, "sandbox-verbose", false, with+"log what the throwaway server does to stderr")
}

// start starts the sandbox, saying what to do when no server can be had.
func (s *sandboxFlags) start(ctx context.Context, e env) (*prcheck.Sandbox, error) {
	url := s.serverURL
	if url == "" {
		url = e.getenv("PGWARD_SANDBOX_URL")
	}
	level := slog.LevelWarn
	if s.verboseLog {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	sb, err := prcheck.Start(ctx, prcheck.Options{
		Server: pgserver.Options{URL: url, BinDir: s.pgBin, Image: s.image, NoLocal: s.image != "", CacheDir: s.cacheDir(e, logger)},
		Logger: logger,
	})
	if errors.Is(err, prcheck.ErrNoServer) {
		return nil, fmt.Errorf("%w; pgward needs a PostgreSQL server to build the schema in: install the PostgreSQL server binaries (initdb, pg_ctl and postgres; on Debian or Ubuntu: apt-get install postgresql) or name their directory with --pg-bin, start Docker, or give a superuser URL with --sandbox-url", err)
	}
	return sb, err
}

// cacheDir is the directory of the throwaway server's template cache:
// --sandbox-cache, else $PGWARD_SANDBOX_CACHE, else pgward/sandbox in the
// user's cache directory; "" (no cache) for "off", or when the user has
// no cache directory.
func (s *sandboxFlags) cacheDir(e env, log *slog.Logger) string {
	dir := s.cache
	if dir == "" {
		dir = e.getenv("PGWARD_SANDBOX_CACHE")
	}
	switch dir {
	case "off":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			log.Info("no template cache for the throwaway server: " + err.Error())
			return ""
		}
		return filepath.Join(base, "pgward", "sandbox")
	}
	return dir
}

// ownerRole is --owner, else the policy's owner role.
func (s *sandboxFlags) ownerRole(pol *policy.Policy) (string, error) {
	if s.owner != "" {
		return s.owner, nil
	}
	owner, err := prcheck.InferOwner(pol)
	if err != nil {
		return "", fmt.Errorf("%w; name it with --owner", err)
	}
	return owner, nil
}

// readSchema reads and splits a schema dump.
func readSchema(path string) (*prcheck.Schema, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema dump: %w", err)
	}
	return prcheck.ParseSchema(path, src)
}

// checkReportFormat accepts the formats of access reports.
func checkReportFormat(format, what string) error {
	switch format {
	case "text", "json", "markdown":
		return nil
	}
	return fmt.Errorf("--format %q: %s writes text, json or markdown", format, what)
}

// closeSandbox stops the sandbox, reporting a failure on stderr: the
// command's own result stands.
func closeSandbox(ctx context.Context, sb *prcheck.Sandbox, e env) {
	if err := sb.Close(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(e.stderr, "warning: clean up the throwaway PostgreSQL: %s\n", textout.OneLine(err.Error()))
	}
}

// buildErr turns an apply that the plan refused into its diagnostics and
// exit status 1.
func buildErr(e env, err error) error {
	var pe *apply.PlanError
	if errors.As(err, &pe) {
		e.printDiags(pe.Diags)
		return exitCode(exitError)
	}
	return err
}

// planSchema is plan --schema: build the dump, apply the policy, report.
// Exit status as plan's: 0 the policy applied cleanly, 2 when changes
// remain or a deny invariant is broken after applying it, 1 on an error.
func planSchema(cmd *cobra.Command, e env, pf policyFlags, format, out string, s sandboxFlags) error {
	ctx := cmd.Context()
	if err := checkReportFormat(format, "plan --schema"); err != nil {
		return err
	}
	if out != "" {
		return errors.New("--out saves a plan against a database; it does not go with --schema")
	}
	pol, err := pf.loadPolicy(e)
	if err != nil {
		return err
	}
	owner, err := s.ownerRole(pol)
	if err != nil {
		return err
	}
	sc, err := readSchema(s.schema)
	if err != nil {
		return err
	}
	sb, err := s.start(ctx, e)
	if err != nil {
		return err
	}
	defer closeSandbox(ctx, sb, e)
	if err := sb.CreateRoles(ctx, pol, owner, sc); err != nil {
		return err
	}
	res, err := sb.Build(ctx, sc, pol, prcheck.BuildOptions{Owner: owner, Plan: plan.Options{Strict: pf.strict}})
	if err != nil {
		return buildErr(e, err)
	}
	r := prcheck.Build(pol, res.Catalog, res.Answers)
	if err := writeAccessReport(cmd.OutOrStdout(), format, r, prcheck.Sources{Schema: s.schema, Policy: pf.policyPath}); err != nil {
		return err
	}
	e.printDiags(res.Diags)
	switch {
	case res.Diags.HasErrors():
		return exitCode(exitError)
	case !res.Plan.Empty(), len(res.Plan.Violations) > 0:
		return exitCode(exitChanges)
	}
	return nil
}

func writeAccessReport(w io.Writer, format string, r *prcheck.Report, s prcheck.Sources) error {
	switch format {
	case "json":
		return prcheck.WriteJSON(w, r, s)
	case "markdown":
		return prcheck.WriteMarkdown(w, r, s)
	}
	return prcheck.WriteText(w, r, s)
}
