package main

import (
	"context"
	"strings"
	"testing"
)

// processorReadsAccounts makes tuist_processor a member of tuist_ops_ro,
// which the owner role cannot grant (it needs ADMIN OPTION or CREATEROLE),
// beside a grant it can make.
const processorReadsAccounts = `scope {
  schemas = ["public"]
}
role "tuist_processor" {
  member_of "tuist_ops_ro" {}
  grant "table" {
    schema     = "public"
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
}
`

// TestApply_leavesOutWhatTheOwnerCannotDo: right after migrations, apply as
// the owner role does what that role has the authority for and lists the
// rest with its fix (here a membership of tuist_processor, managed by this
// policy, in tuist_ops_ro, which needs ADMIN OPTION on tuist_ops_ro or
// CREATEROLE); --require-all refuses instead, changing nothing.
func TestApply_leavesOutWhatTheOwnerCannotDo(t *testing.T) {
	db, pg := tuistDB(t, false)
	pg.policy = writePolicy(t, processorReadsAccounts)
	query := func(sql string) bool {
		t.Helper()
		var b bool
		if err := db.Conn(t).QueryRow(context.Background(), sql).Scan(&b); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return b
	}

	_, stderr := pg.expect(1, "apply", "--require-all", "--auto-approve", "--policy", pg.policy)
	if !strings.Contains(stderr, "error: Change cannot be executed by tuist_app") || !strings.Contains(stderr, "membership of tuist_processor in tuist_ops_ro") {
		t.Errorf("--require-all does not name the membership it cannot grant:\n%s", stderr)
	}
	if query("SELECT has_table_privilege('tuist_processor', 'public.accounts', 'SELECT')") {
		t.Fatal("--require-all refused the plan, yet tuist_processor was granted SELECT")
	}

	stdout, stderr := pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	for _, want := range []string{"cannot be executed:", "ADMIN OPTION", "Left out: 1 change that tuist_app lacks the authority for"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("apply output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "warning: Change cannot be executed by tuist_app") {
		t.Errorf("no warning for the membership left out:\n%s", stderr)
	}
	if !query("SELECT has_table_privilege('tuist_processor', 'public.accounts', 'SELECT')") {
		t.Error("the changes tuist_app may execute were not applied")
	}
	if query("SELECT pg_has_role('tuist_processor', 'tuist_ops_ro', 'MEMBER')") {
		t.Error("tuist_processor became a member of tuist_ops_ro, which tuist_app cannot grant")
	}
	// What is left is only that membership: plan says so (exit 2).
	stdout, _ = pg.expect(2, "plan", "--policy", pg.policy)
	if !strings.Contains(stdout, "Plan: 1 to grant, 0 to revoke, 0 to alter. 1 cannot be executed by tuist_app") {
		t.Errorf("plan after apply:\n%s", stdout)
	}
}
