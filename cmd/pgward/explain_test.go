package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pgward/pgward/policy"
)

// ruleAt returns "file:line" of the first table rule of role whose names
// are exactly names (none: the rule without names).
func ruleAt(t *testing.T, path, role string, names ...string) string {
	t.Helper()
	pol, diags := policy.LoadPath(path, policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	for _, r := range pol.Roles {
		if r.Name != role {
			continue
		}
		for _, g := range r.Grants {
			if g.Kind.String() != "table" || len(g.Names) != len(names) || len(g.Columns) > 0 {
				continue
			}
			same := true
			for i, n := range g.Names {
				same = same && n.Text == names[i]
			}
			if same {
				return g.DeclRange.Filename + ":" + strconv.Itoa(g.DeclRange.Start.Line)
			}
		}
	}
	t.Fatalf("no table rule of %s with names %q in %s", role, names, path)
	return ""
}

// explainSection returns the lines of out from the line starting with heading
// up to the next blank line.
func explainSection(out, heading string) string {
	i := strings.Index(out, heading)
	if i < 0 {
		return ""
	}
	rest := out[i:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestExplain_tuist(t *testing.T) {
	db, pg := tuistDB(t, true)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)

	// The exact name decides for schema_migrations; the rule for every
	// table matches too and is overridden.
	stdout, _ := pg.expect(0, "explain", "tuist_web", "public.schema_migrations", "--policy", pg.policy)
	exact := ruleAt(t, pg.policy, "tuist_web", "schema_migrations", "project_handles")
	every := ruleAt(t, pg.policy, "tuist_web")
	policySection := explainSection(stdout, "Policy\n")
	decided, overridden, ok := strings.Cut(policySection, "Overridden")
	if !ok {
		t.Fatalf("no overridden rule:\n%s", stdout)
	}
	for _, want := range []string{`Decided by the rules at rank "exact name"`, exact + `  grant "table" schema "public" names ["schema_migrations", "project_handles"]: SELECT`, "tuist_web should hold: SELECT\n"} {
		if !strings.Contains(decided, want) {
			t.Errorf("the deciding rules lack %q:\n%s", want, stdout)
		}
	}
	if want := every + `  grant "table" schema "public": SELECT, INSERT, UPDATE, DELETE`; !strings.Contains(overridden, want) || !strings.Contains(overridden, `rank "no names"`) {
		t.Errorf("the overridden rules lack %q:\n%s", want, stdout)
	}
	for _, want := range []string{
		"tuist_web on table public.schema_migrations, owned by tuist_app",
		"Held now\n  SELECT, granted by tuist_app",
		"Effective access: SELECT\n",
		"No changes for tuist_web on this object.",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}

	// tuist_ops_ro holds nothing of its own: it reads through
	// pg_read_all_data, and its deny on writes holds.
	stdout, _ = pg.expect(0, "explain", "tuist_ops_ro", "public.accounts", "--policy", pg.policy)
	// On 13 the fallback policy grants SELECT explicitly instead.
	wants := []string{"Effective access: SELECT\n", "deny INSERT, UPDATE, DELETE, TRUNCATE: holds"}
	if db.Server.Version() >= 140000 {
		wants = append(wants, "No grant rule of tuist_ops_ro selects this object.", "tuist_ops_ro → member of pg_read_all_data → SELECT on public.accounts")
	}
	for _, want := range wants {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}

	// An operator's grant breaks the deny: explain names the path, and
	// what plan would revoke.
	db.Exec(t, "GRANT INSERT ON accounts TO tuist_ops_ro")
	stdout, _ = pg.expect(0, "explain", "tuist_ops_ro", "public.accounts", "--policy", pg.policy)
	for _, want := range []string{"deny INSERT, UPDATE, DELETE, TRUNCATE: broken", "✗ tuist_ops_ro → INSERT on public.accounts", "- revoke INSERT from tuist_ops_ro"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}

	// Functions by signature, with the usual short type names; schemas;
	// the database; PUBLIC.
	stdout, _ = pg.expect(0, "explain", "tuist_processor", "public.project_handle(text,text)", "--policy", pg.policy)
	if !strings.Contains(stdout, "PUBLIC → EXECUTE on public.project_handle(") {
		t.Errorf("function: %s", stdout)
	}
	stdout, _ = pg.expect(0, "explain", "tuist_web", "public", "--policy", pg.policy)
	if !strings.Contains(stdout, "tuist_web on schema public") || !strings.Contains(stdout, "tuist_web should hold: USAGE") {
		t.Errorf("schema: %s", stdout)
	}
	stdout, _ = pg.expect(0, "explain", "PUBLIC", db.Name, "--kind", "database", "--policy", pg.policy)
	if !strings.Contains(stdout, "PUBLIC may keep CONNECT, TEMPORARY") {
		t.Errorf("database: %s", stdout)
	}

	// Errors: no such object, an ambiguous name, an unknown kind.
	_, stderr := pg.expect(1, "explain", "tuist_web", "public.nope", "--policy", pg.policy)
	oneLineError(t, stderr, `no object "public.nope"`)
	_, stderr = pg.expect(1, "explain", "tuist_web", "public.accounts", "--kind", "tabel", "--policy", pg.policy)
	oneLineError(t, stderr, `--kind "tabel"`)
	pg.expect(1, "explain", "tuist_web", "--policy", pg.policy)
}
