// Command prcheck is the benchmark of the pull-request check (`make
// bench-prcheck`, docs/performance.md): `pgward plan --schema` on an
// example, timed as a whole process, beside its floor, in one run.
//
// Each round runs, in turn:
//
//   - floor: what any PR check with a throwaway server must do at least:
//     initdb (pgward's options), pg_ctl start -w (pgward's server
//     options), psql creating the owner role and its database, psql
//     loading the schema as the owner, pg_ctl stop -m immediate, rm -rf;
//   - off: pgward with --sandbox-cache off (initdb every run, as before
//     the cache);
//   - cold: pgward with a new, empty cache directory (initdb, then the
//     template is stored);
//   - warm: pgward with a cache directory filled before the first round.
//
// It prints every run, then the medians and their ratios to the floor's
// median. Targets (issue 15): cold ≤ 1.3 × floor, warm ≤ 0.5 × floor.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	pgward, example, pgBin, psql, owner string
	runs                                int
	runAs                               string // the user the floor's server runs as when we are root
}

func main() {
	var c config
	flag.StringVar(&c.pgward, "pgward", "bin/pgward", "the pgward binary")
	flag.StringVar(&c.example, "example", "examples/tuist", "a directory holding schema.sql and policy.hcl")
	flag.StringVar(&c.owner, "owner", "tuist_app", "the role that owns the example's schema (the floor creates it)")
	flag.StringVar(&c.pgBin, "pg-bin", "", "PostgreSQL bin directory (default: pg_config --bindir)")
	flag.StringVar(&c.psql, "psql", "", "psql (default: the one in -pg-bin, else on PATH, else /usr/bin/psql)")
	flag.IntVar(&c.runs, "runs", 5, "rounds")
	flag.Parse()
	if err := run(context.Background(), &c); err != nil {
		fmt.Fprintln(os.Stderr, "bench-prcheck:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c *config) error {
	if c.pgBin == "" {
		out, err := exec.Command("pg_config", "--bindir").Output()
		if err != nil {
			return fmt.Errorf("pg_config --bindir (or pass -pg-bin): %w", err)
		}
		c.pgBin = strings.TrimSpace(string(out))
	}
	if c.psql == "" {
		c.psql = filepath.Join(c.pgBin, "psql")
		if _, err := os.Stat(c.psql); err != nil {
			if c.psql, err = exec.LookPath("psql"); err != nil {
				c.psql = "/usr/bin/psql"
			}
		}
	}
	if os.Geteuid() == 0 {
		c.runAs = "nobody"
		if _, err := user.Lookup("postgres"); err == nil {
			c.runAs = "postgres"
		}
	}
	work, err := os.MkdirTemp("", "pgward-bench-prcheck-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil { // the floor's server user enters it
		return err
	}

	warmCache := filepath.Join(work, "warm")
	if _, err := c.pgwardRun(ctx, warmCache); err != nil { // fills the warm cache
		return err
	}
	kinds := []string{"floor", "off", "cold", "warm"}
	times := map[string][]time.Duration{}
	fmt.Printf("pgward plan --schema %s/schema.sql, PostgreSQL from %s, %d rounds\n\n", c.example, c.pgBin, c.runs)
	fmt.Println("| round | floor | off | cold | warm |")
	fmt.Println("|---|---|---|---|---|")
	for i := 1; i <= c.runs; i++ {
		row := []string{strconv.Itoa(i)}
		for _, k := range kinds {
			var d time.Duration
			var err error
			switch k {
			case "floor":
				d, err = c.floor(ctx, work, i)
			case "off":
				d, err = c.pgwardRun(ctx, "off")
			case "cold":
				d, err = c.pgwardRun(ctx, filepath.Join(work, fmt.Sprintf("cold-%d", i)))
			case "warm":
				d, err = c.pgwardRun(ctx, warmCache)
			}
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", i, k, err)
			}
			times[k] = append(times[k], d)
			row = append(row, seconds(d))
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	floor := median(times["floor"])
	fmt.Printf("\n| | median | min | max | × floor | target |\n|---|---|---|---|---|---|\n")
	targets := map[string]string{"floor": "", "off": "", "cold": "≤ 1.3", "warm": "≤ 0.5"}
	for _, k := range kinds {
		ts := times[k]
		fmt.Printf("| %s | %s | %s | %s | %.2f | %s |\n", k, seconds(median(ts)), seconds(slices.Min(ts)), seconds(slices.Max(ts)),
			float64(median(ts))/float64(floor), targets[k])
	}
	return nil
}

// pgwardRun times pgward plan --schema on the example with the cache
// directory (or "off"); exit status 2 (changes remain) counts as a run.
func (c *config) pgwardRun(ctx context.Context, cache string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, c.pgward, "plan", "--schema", filepath.Join(c.example, "schema.sql"),
		"--policy", filepath.Join(c.example, "policy.hcl"), "--pg-bin", c.pgBin, "--sandbox-cache", cache)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		err = nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", cmd, err, stderr.String())
	}
	return d, nil
}

// floor times initdb, start, loading the schema with psql, stop and
// removal, as one would script it.
func (c *config) floor(ctx context.Context, work string, round int) (time.Duration, error) {
	dir := filepath.Join(work, fmt.Sprintf("floor-%d", round))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return 0, err
	}
	if c.runAs != "" {
		if _, err := exec.Command("chown", c.runAs, dir).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	data := filepath.Join(dir, "data")
	schema, err := filepath.Abs(filepath.Join(c.example, "schema.sql"))
	if err != nil {
		return 0, err
	}
	p := strconv.Itoa(port)
	// The server's options are pgward's (internal/pgserver, local.go).
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
	steps := [][]string{
		{filepath.Join(c.pgBin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
		{filepath.Join(c.pgBin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-o", opts, "start"},
		{c.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", p, "-U", "postgres", "-d", "postgres",
			"-c", "CREATE ROLE " + c.owner + " LOGIN", "-c", "CREATE DATABASE floor OWNER " + c.owner},
		{c.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", p, "-U", c.owner, "-d", "floor", "-f", schema},
		{filepath.Join(c.pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"},
	}
	start := time.Now()
	for i, argv := range steps {
		if i < 2 || i == 4 {
			argv = c.asServerUser(argv)
		}
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (c *config) asServerUser(argv []string) []string {
	if c.runAs == "" {
		return argv
	}
	return append([]string{"runuser", "-u", c.runAs, "--"}, argv...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
