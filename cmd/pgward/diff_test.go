package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

const headAPITokens = "testdata/diff/head-api-tokens.sql"

// TestDiff_sensitiveTable: the head adds public.api_tokens, which the web
// runtime's catch-all rule covers and no rule of tuist_processor selects:
// reported as unclassified, with what each role gets, exit 2. It starts
// its own throwaway server, as a PR check would (unless the tests were
// given a server).
func TestDiff_sensitiveTable(t *testing.T) {
	srv := pgtest.Shared(t) // skips under -short, and the version picks the policy
	pg := cli{t: t, policy: examplePolicy(srv.Version())}
	var sandbox []string
	if u := os.Getenv(pgtest.EnvURL); u != "" {
		sandbox = []string{"--sandbox-url", u}
	} else if dir := os.Getenv(pgtest.EnvBinDir); dir != "" {
		sandbox = []string{"--pg-bin", dir}
	}
	stdout, _ := pg.expect(2, append([]string{"diff", "--base", tuistSchema, "--head", headAPITokens, "--policy", pg.policy}, sandbox...)...)
	for _, want := range []string{
		"unclassified: public.api_tokens (table), for tuist_processor",
		"unclassified: public.api_tokens_id_seq (sequence), for tuist_processor",
		"+ table public.api_tokens (owner tuist_app)",
		"tuist_web        SELECT, INSERT, UPDATE, DELETE",
		"tuist_processor  nothing (unclassified)",
		"2 new objects, 0 removed, 0 changed; 2 unclassified.",
		"Access report diff (base → head):",
		"+ table public.api_tokens (owner tuist_app)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, stdout)
		}
	}
}

// TestDiff_formats renders the same diff as JSON and Markdown, and a diff
// of a schema with itself as no change (exit 0).
func TestDiff_formats(t *testing.T) {
	pg, sandbox, _ := sandboxCLI(t)
	diff := func(want int, head string, format string) string {
		stdout, _ := pg.expect(want, append([]string{"diff", "--base", tuistSchema, "--head", head, "--policy", pg.policy, "--format", format}, sandbox...)...)
		return stdout
	}
	var j struct {
		FormatVersion string `json:"format_version"`
		AccessChanged bool   `json:"access_changed"`
		Added         []struct{ Kind, Schema, Name string }
		Unclassified  []struct {
			Kind, Object string
			Roles        []string
		}
		ReportDiff string `json:"report_diff"`
	}
	out := diff(2, headAPITokens, "json")
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if j.FormatVersion != "1" || !j.AccessChanged || len(j.Added) != 2 || len(j.Unclassified) != 2 ||
		j.Unclassified[0].Object != "public.api_tokens" || strings.Join(j.Unclassified[0].Roles, ",") != "tuist_processor" ||
		!strings.Contains(j.ReportDiff, "+ table public.api_tokens") {
		t.Errorf("JSON diff: %+v", j)
	}

	out = diff(2, headAPITokens, "markdown")
	for _, want := range []string{"### pgward: access changes", "> [!WARNING]", "> - table `public.api_tokens`: tuist_processor", "#### New objects", "| table `public.api_tokens` | owner | SELECT, INSERT, UPDATE, DELETE | ⚠️ nothing (unclassified) | SELECT |", "```diff"} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown diff lacks %q:\n%s", want, out)
		}
	}

	out = diff(0, tuistSchema, "text")
	if !strings.Contains(out, "No access changes.") {
		t.Errorf("diff of a schema with itself:\n%s", out)
	}
}

func TestDiff_usage(t *testing.T) {
	pg := cli{t: t, policy: examplePolicy(170000)}
	_, stderr := pg.expect(1, "diff", "--base", tuistSchema, "--policy", pg.policy)
	if !strings.Contains(stderr, "--head") {
		t.Errorf("diff without --head: %s", stderr)
	}
	_, stderr = pg.expect(1, "diff", "--base", tuistSchema, "--head", "testdata/diff/nope.sql", "--policy", pg.policy)
	if !strings.Contains(stderr, "no such file") {
		t.Errorf("diff with a missing head: %s", stderr)
	}
}
