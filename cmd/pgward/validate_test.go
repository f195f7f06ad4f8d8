package main

import (
	"os"
	"strings"
	"testing"
)

func TestValidate_offline(t *testing.T) {
	// DATABASE_URL points nowhere: validate without --database-url never
	// connects.
	pg := cli{t: t, url: "postgres://nobody@127.0.0.1:1/nowhere?connect_timeout=1"}

	redundant := writePolicy(t, `role "app_ro" {
  grant "table" {
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
}
`)
	stdout, stderr := pg.expect(0, "validate", "--policy", redundant)
	if stdout != "The policy is valid: 1 role.\n" {
		t.Errorf("stdout %q", stdout)
	}
	if want := redundant + ":6:3: warning: Duplicate rule; This rule is identical to the rule at " + redundant + ":2:3."; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}

	// Every problem at once, in reading order.
	bad := writePolicy(t, `role "app_rw" {
  grant "table" {
    names      = ["accounts", "audit_log"]
    privileges = ["SELECT", "DELETE"]
  }
  grant "table" {
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
  deny {
    kinds      = ["table"]
    names      = ["audit_*"]
    privileges = ["DELETE", "UPDATE"]
  }
}
`)
	stdout, stderr = pg.expect(1, "validate", "--policy", bad)
	if stdout != "" {
		t.Errorf("stdout %q", stdout)
	}
	want := bad + ":3:31: error: Rule contradicts a deny; This rule grants DELETE on the table \"audit_log\", which the deny block at " + bad + ":10:3 forbids for app_rw.\n"
	if !strings.HasPrefix(stderr, want[:len(want)-1]) {
		t.Errorf("stderr does not start with %q:\n%s", want, stderr)
	}
	if !strings.Contains(stderr, bad+":6:3: warning: Redundant rule") {
		t.Errorf("stderr lacks the redundant rule:\n%s", stderr)
	}
}

func TestValidate_online(t *testing.T) {
	db, pg := tuistDB(t, false)
	url := db.RoleURL("tuist_app")

	// tuist_web does not exist yet: a warning, or with --strict an error.
	stdout, stderr := pg.expect(0, "validate", "--database-url", url, "--policy", pg.policy)
	if !strings.HasPrefix(stdout, "The policy is valid for database "+db.Name+" on PostgreSQL ") {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, `warning: Role "tuist_web" does not exist`) {
		t.Errorf("no warning for the missing role:\n%s", stderr)
	}
	_, stderr = pg.expect(1, "validate", "--strict", "--database-url", url, "--policy", pg.policy)
	if !strings.Contains(stderr, `error: Role "tuist_web" does not exist`) {
		t.Errorf("--strict: %s", stderr)
	}

	// A role that could not apply the plan validates the policy all the
	// same: what the connecting role may do is plan's business.
	// plan lists what tuist_ops_ro could not execute (exit 2: changes
	// pending), or refuses the plan with --require-all (exit 1).
	stdout, _ = pg.expect(2, "plan", "--policy", pg.policy, "--database-url", db.RoleURL("tuist_ops_ro"))
	if !strings.Contains(stdout, "cannot be executed by tuist_ops_ro") {
		t.Errorf("plan as tuist_ops_ro does not say what it cannot execute:\n%s", stdout)
	}
	_, stderr = pg.expect(1, "plan", "--require-all", "--policy", pg.policy, "--database-url", db.RoleURL("tuist_ops_ro"))
	if !strings.Contains(stderr, "error: Change cannot be executed by tuist_ops_ro") {
		t.Errorf("plan --require-all as tuist_ops_ro:\n%s", stderr)
	}
	pg.expect(0, "validate", "--database-url", db.RoleURL("tuist_ops_ro"), "--policy", pg.policy)

	// A misspelt table and a role nobody created: both reported, with
	// their positions.
	src, err := os.ReadFile(pg.policy)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), `names      = ["oban_jobs", "oban_peers", "command_events"]`, `names      = ["oban_jobs", "oban_peer", "command_events"]`, 1)
	if text == string(src) {
		t.Fatal("the example policy changed: fix this test")
	}
	typo := writePolicy(t, text+"\nrole \"tuist_ghost\" {}\n")
	_, stderr = pg.expect(1, "validate", "--database-url", url, "--policy", typo)
	for _, want := range []string{`warning: No table named "oban_peer"`, `error: Role "tuist_ghost" does not exist`} {
		if !strings.Contains(stderr, typo+":") || !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// Without --database-url the same policy is valid: DATABASE_URL is
	// not read.
	pg.expect(0, "validate", "--policy", typo)

	_, stderr = pg.expect(1, "validate", "--database-url", "postgres://nobody:secret@127.0.0.1:1/x?connect_timeout=1", "--policy", pg.policy)
	oneLineError(t, stderr, "127.0.0.1", "secret")
}
