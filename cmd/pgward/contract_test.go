package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorContract runs every command in every format through each
// failure class against a real PostgreSQL and checks stdout, stderr and the
// exit status (docs/cli.md, "The error contract"): a failed command writes
// nothing to stdout that reads as a result (text and SQL: nothing; JSON:
// the failure document; Markdown: the errors first), and says why on
// stderr. A broken deny is no failure: exit 2 with the plan.
func TestErrorContract(t *testing.T) {
	db, pg := tuistDB(t, true)
	base, err := os.ReadFile(pg.policy)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	variant := func(name, from, to string) string {
		src := string(base)
		if from != "" {
			if !strings.Contains(src, from) {
				t.Fatalf("%s: the example policy has no %q", name, from)
			}
			src = strings.Replace(src, from, to, 1)
		}
		path := filepath.Join(dir, name+".hcl")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := variant("good", "", "")
	policyError := variant("policy-error", `role "tuist_processor" {`, "role \"tuist_x\" {\n  grant \"table\" {\n    privileges = [\"SELEC\"]\n  }\n}\n\nrole \"tuist_processor\" {")
	unknownRole := variant("unknown-role", `role "tuist_processor" {`, `role "tuist_procesor" {`)
	unknownObject := variant("unknown-object", "role \"tuist_processor\" {\n  external = true\n",
		"role \"tuist_processor\" {\n  external = true\n\n  grant \"table\" {\n    schema     = var.schema\n    names      = [\"userz\"]\n    privileges = [\"SELECT\"]\n  }\n")
	badURL := "postgres://nobody@127.0.0.1:1/unused?connect_timeout=2"
	savedPlan := filepath.Join(dir, "stale.plan")

	const (
		policyErr   = `"SELEC" is not a PostgreSQL privilege`
		roleErr     = `Role "tuist_procesor" does not exist`
		roleHint    = `Did you mean "tuist_processor"?`
		objectWarn  = `No table named "userz"`
		objectHint  = `Did you mean "users"?`
		connErr     = "127.0.0.1"
		lockErr     = "advisory lock"
		staleErr    = "changed since the plan was approved"
		fleetTarget = "--database-url"
	)
	type tc struct {
		class, name string
		args        []string
		format      string // of the report: text, json, markdown, sql
		fleet       bool
		code        int
		stderr      []string // each must be on stderr
		report      []string // each must be in the report (JSON and Markdown)
		setup       func(t *testing.T) func()
	}
	var cases []tc
	reportFormats := []string{"text", "json", "markdown", "sql"}
	for _, cmd := range []string{"plan", "audit"} {
		for _, f := range reportFormats {
			cases = append(cases,
				tc{class: "policy error", name: cmd + " " + f, args: []string{cmd, "--format", f, "--policy", policyError}, format: f, code: 1, stderr: []string{policyErr}, report: []string{"SELEC"}},
				tc{class: "unknown role", name: cmd + " " + f, args: []string{cmd, "--format", f, "--policy", unknownRole}, format: f, code: 1, stderr: []string{roleErr, roleHint}, report: []string{"tuist_procesor", "tuist_processor"}},
				tc{class: "connection failure", name: cmd + " " + f, args: []string{cmd, "--format", f, "--policy", good, "--database-url", badURL}, format: f, code: 1, stderr: []string{connErr}, report: []string{connErr}},
				tc{class: "unknown object, strict", name: cmd + " " + f, args: []string{cmd, "--strict", "--format", f, "--policy", unknownObject}, format: f, code: 1, stderr: []string{objectWarn, objectHint}, report: []string{"userz", "users"}},
				tc{class: "fleet policy error", name: cmd + " " + f, args: []string{cmd, "--format", f, "--policy", policyError, fleetTarget, pg.url, fleetTarget, badURL}, format: f, code: 1, stderr: []string{policyErr}, report: []string{"SELEC"}},
				tc{class: "fleet connection failure", name: cmd + " " + f, args: []string{cmd, "--format", f, "--policy", unknownRole, fleetTarget, pg.url, fleetTarget, badURL}, format: f, fleet: true, code: 1, stderr: []string{roleErr, connErr}, report: []string{"tuist_procesor", connErr}},
			)
		}
	}
	for _, c := range []struct {
		class string
		args  []string
		code  int
		err   []string
	}{
		{"policy error", []string{"--policy", policyError}, 1, []string{policyErr}},
		{"unknown role", []string{"--policy", unknownRole}, 1, []string{roleErr, roleHint}},
		{"connection failure", []string{"--policy", good, "--database-url", badURL}, 1, []string{connErr}},
		{"unknown object, strict", []string{"--strict", "--policy", unknownObject}, 1, []string{objectWarn, objectHint}},
	} {
		cases = append(cases,
			tc{class: c.class, name: "apply", args: append([]string{"apply", "--auto-approve"}, c.args...), format: "text", code: c.code, stderr: c.err},
			tc{class: c.class, name: "validate", args: validateArgs(c.args, pg.url), format: "text", code: c.code, stderr: c.err},
		)
	}
	cases = append(cases,
		tc{class: "policy error", name: "explain", args: []string{"explain", "tuist_web", "public.accounts", "--policy", policyError}, format: "text", code: 1, stderr: []string{policyErr}},
		tc{class: "unknown role", name: "explain", args: []string{"explain", "tuist_procesor", "public.accounts", "--policy", good}, format: "text", code: 1, stderr: []string{`role "tuist_procesor" does not exist`, `did you mean "tuist_processor"?`}},
		tc{class: "unknown object", name: "explain", args: []string{"explain", "tuist_web", "public.userz", "--policy", good}, format: "text", code: 1, stderr: []string{`no object "public.userz"`, `did you mean "public.users"?`}},
		tc{class: "unknown role", name: "import", args: []string{"import", "--roles", "tuist_procesor"}, format: "text", code: 1, stderr: []string{`role "tuist_procesor" does not exist (did you mean "tuist_processor"?)`}},
		tc{class: "unknown object", name: "import", args: []string{"import", "--schemas", "publik"}, format: "text", code: 1, stderr: []string{`schema "publik" not found`, `(did you mean "public"?)`}},
		tc{class: "connection failure", name: "explain", args: []string{"explain", "tuist_web", "public.accounts", "--policy", good, "--database-url", badURL}, format: "text", code: 1, stderr: []string{connErr}},
		tc{class: "lock timeout", name: "apply", args: []string{"apply", "--auto-approve", "--lock-timeout", "200ms", "--policy", good}, format: "text", code: 1, stderr: []string{lockErr},
			setup: func(t *testing.T) func() {
				conn, err := db.Server.SuperuserConn(context.Background(), db.Name)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", int64(0x7067776172640001)); err != nil {
					t.Fatal(err)
				}
				return func() { conn.Close(context.Background()) }
			}},
		tc{class: "stale saved plan", name: "apply", args: []string{"apply", savedPlan, "--policy", good}, format: "text", code: 1, stderr: []string{staleErr},
			setup: func(t *testing.T) func() {
				pg.expect(2, "plan", "--policy", good, "--out", savedPlan)
				db.Exec(t, "GRANT TRUNCATE ON public.accounts TO tuist_processor")
				return func() { db.Exec(t, "REVOKE TRUNCATE ON public.accounts FROM tuist_processor") }
			}},
	)
	// Unknown names that are not errors: warnings, in the report too.
	for _, cmd := range []string{"plan", "audit"} {
		for _, f := range reportFormats {
			c := tc{class: "unknown object", name: cmd + " " + f, args: []string{cmd, "--format", f, "--policy", unknownObject}, format: f, code: 2, stderr: []string{objectWarn, objectHint}}
			if f == "json" || f == "markdown" {
				c.report = []string{objectWarn, objectHint}
			}
			cases = append(cases, c)
		}
	}
	cases = append(cases,
		tc{class: "unknown object", name: "validate", args: []string{"validate", "--policy", unknownObject, "--database-url", pg.url}, format: "text", code: 0, stderr: []string{objectWarn, objectHint}},
	)

	for _, c := range cases {
		t.Run(c.class+"/"+c.name, func(t *testing.T) {
			if c.setup != nil {
				defer c.setup(t)()
			}
			code, stdout, stderr := pg.run(c.args...)
			if code != c.code {
				t.Fatalf("pgward %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), code, c.code, stdout, stderr)
			}
			for _, want := range c.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if c.code == 1 {
				checkFailedReport(t, c.args[0], c.format, c.fleet, stdout)
				if !strings.Contains(stderr, "error: ") {
					t.Errorf("no line of stderr says error:\n%s", stderr)
				}
			}
			if strings.Contains(stderr, "Error:") {
				t.Errorf("stderr has the prefix Error:, not error: as every other error:\n%s", stderr)
			}
			for _, want := range c.report {
				switch c.format {
				case "markdown":
					want = strings.ReplaceAll(want, "_", `\_`)
				case "json":
					b, _ := json.Marshal(want)
					want = strings.Trim(string(b), `"`)
				default:
					continue
				}
				if !strings.Contains(stdout, want) {
					t.Errorf("the %s report lacks %q:\n%s", c.format, want, stdout)
				}
			}
		})
	}

	// A broken deny is no failure: exit 2 with the plan, no errors.
	t.Run("deny broken", func(t *testing.T) {
		if db.Server.Version() < 140000 {
			t.Skip("no pg_write_all_data before 14")
		}
		pg.expect(0, "apply", "--auto-approve", "--policy", good)
		db.Exec(t, "GRANT pg_write_all_data TO tuist_ops_ro")
		defer db.Exec(t, "REVOKE pg_write_all_data FROM tuist_ops_ro")
		for _, cmd := range []string{"plan", "audit"} {
			for _, f := range reportFormats {
				stdout, stderr := pg.expect(2, cmd, "--format", f, "--policy", good)
				if strings.Contains(stderr, "error:") {
					t.Errorf("%s --format %s: an error on stderr:\n%s", cmd, f, stderr)
				}
				want := map[string]string{"text": "pg_write_all_data", "sql": "-- pgward plan for database", "markdown": "pg_write_all_data", "json": `"errors": []`}[f]
				if !strings.Contains(stdout, want) {
					t.Errorf("%s --format %s: the report lacks %q:\n%s", cmd, f, want, stdout)
				}
			}
		}
	})
}

// validateArgs is validate with args, against url unless args name a
// database.
func validateArgs(args []string, url string) []string {
	out := append([]string{"validate"}, args...)
	if !strings.Contains(strings.Join(args, " "), "--database-url") {
		out = append(out, "--database-url", url)
	}
	return out
}

// checkFailedReport checks what a failed command wrote to stdout: nothing
// in text and SQL (a fleet: its sections say the run failed), the failure
// document in JSON, the errors first in Markdown; never a plan.
func checkFailedReport(t *testing.T, command, format string, fleet bool, stdout string) {
	t.Helper()
	for _, result := range []string{"No changes", "Plan:", "Drift:", "to grant", "GRANT ", "REVOKE "} {
		if strings.Contains(stdout, result) {
			t.Errorf("a failed %s wrote %q to stdout:\n%s", command, result, stdout)
		}
	}
	switch {
	case fleet && format == "json":
		var doc struct {
			Databases []map[string]any `json:"databases"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("fleet JSON: %v\n%s", err, stdout)
		}
		for _, d := range doc.Databases {
			if errs, _ := d["errors"].([]any); len(errs) == 0 || d["plan"] != nil {
				t.Errorf("a failed database has no errors, or a plan: %v", d)
			}
		}
	case fleet && format == "markdown":
		if !strings.Contains(stdout, "### pgward "+command+" failed") {
			t.Errorf("a failed database's section does not start with the errors:\n%s", stdout)
		}
	case fleet:
		if !strings.Contains(stdout, "(no report: the run failed, see the error)") {
			t.Errorf("a failed database's section does not say it failed:\n%s", stdout)
		}
	case format == "json":
		var doc map[string]any
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("JSON: %v\n%s", err, stdout)
		}
		if errs, _ := doc["errors"].([]any); len(errs) == 0 || doc["format_version"] != "2" {
			t.Errorf("the JSON of a failure has no errors, or not format_version 2:\n%s", stdout)
		}
		for _, k := range []string{"changes", "statements", "summary", "fingerprint"} {
			if _, ok := doc[k]; ok {
				t.Errorf("the JSON of a failure has %q:\n%s", k, stdout)
			}
		}
	case format == "markdown":
		if !strings.HasPrefix(stdout, "### pgward "+command+" failed\n") {
			t.Errorf("the Markdown of a failure does not start with the errors:\n%s", stdout)
		}
	default:
		if stdout != "" {
			t.Errorf("a failed %s wrote to stdout in %s:\n%s", command, format, stdout)
		}
	}
}
