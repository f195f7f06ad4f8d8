package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSavedPlan_standsAlone: the hint plan --out prints is a command that
// works from another directory with no policy (here one whose *.hcl would
// not even load); apply FILE shows what it executes; applied twice it is
// refused, changing nothing; a stale plan's refusal says in words what
// changed; a file of an older format names its version.
func TestSavedPlan_standsAlone(t *testing.T) {
	db, pg := tuistDB(t, true)
	policy, err := filepath.Abs(pg.policy)
	if err != nil {
		t.Fatal(err)
	}
	pg.policy = policy
	saved := filepath.Join(t.TempDir(), "tuist.plan")
	planned, stderr := pg.expect(2, "plan", "--out", saved, "--policy", pg.policy)
	hint := regexp.MustCompile(`apply exactly it with: (.*)\n`).FindStringSubmatch(stderr)
	if hint == nil || hint[1] != "pgward apply "+saved {
		t.Fatalf("plan --out does not print the command that applies the plan:\n%s", stderr)
	}

	// Elsewhere, beside a policy that does not load: the file is enough.
	elsewhere := t.TempDir()
	if err := os.WriteFile(filepath.Join(elsewhere, "backup.hcl"), []byte("role \"x\" {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	args := strings.Fields(hint[1])[1:]
	stdout, _ := pg.expect(0, args...)
	if !strings.HasPrefix(stdout, planned) || !strings.Contains(stdout, "Apply complete: ") {
		t.Errorf("apply FILE does not show the plan it executes:\nplan:\n%s\napply:\n%s", planned, stdout)
	}
	pg.expect(0, "plan", "--policy", pg.policy)
	checkAccess(t, db, expectedAccess("public"))

	// Applied already: refused, nothing runs.
	before := aclSnapshot(t, db)
	stdout, stderr = pg.expect(1, args...)
	oneLineError(t, stderr, "the saved plan was already applied")
	if strings.Contains(stdout, "Apply complete") {
		t.Errorf("a refused plan says it completed:\n%s", stdout)
	}
	if aclSnapshot(t, db) != before {
		t.Error("applying the plan again changed privileges")
	}

	// Stale: someone grants by hand between plan --out and apply.
	db.Exec(t, "GRANT TRUNCATE ON accounts TO tuist_web")
	pg.expect(2, "plan", "--out", saved, "--policy", pg.policy)
	db.Exec(t, "GRANT TRIGGER ON accounts TO tuist_web")
	before = aclSnapshot(t, db)
	_, stderr = pg.expect(1, "apply", saved)
	oneLineError(t, stderr, "the database changed since the plan was approved; run plan again; what changed: "+
		"table public.accounts: tuist_web gained TRIGGER (granted by tuist_app): SELECT, INSERT, UPDATE, DELETE, TRUNCATE → SELECT, INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER")
	if strings.Contains(stderr, `"=`) || strings.Contains(stderr, `/"`) {
		t.Errorf("the refusal shows raw ACL text:\n%s", stderr)
	}
	if aclSnapshot(t, db) != before {
		t.Error("a stale plan changed privileges")
	}

	// A policy given all the same must be the saved one.
	pg.expect(2, "plan", "--out", saved, "--policy", pg.policy)
	_, stderr = pg.expect(1, "apply", saved, "--policy", pg.policy, "--var", "schema=other")
	oneLineError(t, stderr, "the policy (or a variable) changed since the plan was saved")
	_, stderr = pg.expect(1, "apply", saved, "--require-all")
	oneLineError(t, stderr, "the plan was saved with --strict=false --require-all=false")
	pg.expect(0, "apply", saved, "--policy", pg.policy)

	// An older format is named, with the way out.
	old := filepath.Join(elsewhere, "old.plan")
	if err := os.WriteFile(old, []byte(`{"kind": "pgward-saved-plan", "format_version": "1", "database": "d", "server_version_num": 160000, "connecting_role": "r", "policy_digest": "ab", "fingerprint": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "state": [], "statements": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr = pg.expect(1, "apply", old)
	oneLineError(t, stderr, `saved plan format "1": this pgward reads format "2"; run pgward plan --out again`)
}

// TestSavedPlan_withoutStatements: a plan with nothing to execute changes
// nothing, so applying it cannot use it up: it succeeds while the database
// is in the state it was made from, and is refused once that changed.
func TestSavedPlan_withoutStatements(t *testing.T) {
	db, pg := tuistDB(t, true)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	saved := filepath.Join(t.TempDir(), "none.plan")
	pg.expect(0, "plan", "--out", saved, "--policy", pg.policy)
	for range 2 {
		stdout, _ := pg.expect(0, "apply", saved)
		if !strings.Contains(stdout, "No changes.") {
			t.Errorf("apply of an empty saved plan:\n%s", stdout)
		}
	}
	db.Exec(t, "ALTER TABLE accounts OWNER TO tuist_web")
	_, stderr := pg.expect(1, "apply", saved)
	oneLineError(t, stderr, "table public.accounts: owner tuist_app → tuist_web")
}
