package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// aclSnapshot is every ACL and default ACL of the database, as text, so a
// test can prove that a failed run changed nothing.
func aclSnapshot(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	conn, err := db.Server.SuperuserConn(context.Background(), db.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	err = conn.QueryRow(context.Background(), `
SELECT concat_ws(E'\n',
  (SELECT string_agg(c.oid::regclass::text || coalesce(c.relacl::text, 'NULL'), E'\n' ORDER BY c.oid) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace),
  (SELECT string_agg(p.oid::regprocedure::text || coalesce(p.proacl::text, 'NULL'), E'\n' ORDER BY p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace),
  (SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'),
  (SELECT coalesce(datacl::text, 'NULL') FROM pg_database WHERE datname = current_database()),
  (SELECT string_agg(defaclacl::text, E'\n' ORDER BY oid) FROM pg_default_acl))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// oneLineError checks that stderr is a single line that contains want and
// no secret.
func oneLineError(t *testing.T, stderr, want string, secrets ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 {
		t.Errorf("want one line on stderr, got %d:\n%s", len(lines), stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	for _, s := range secrets {
		if strings.Contains(stderr, s) {
			t.Errorf("stderr shows the secret %q:\n%s", s, stderr)
		}
	}
}

func TestBadInput(t *testing.T) {
	db, pg := tuistDB(t, true)
	before := aclSnapshot(t, db)
	position := regexp.MustCompile(`policy\.hcl:\d+:\d+: error: `)

	t.Run("malformed policy", func(t *testing.T) {
		path := writePolicy(t, "role \"tuist_web\" {\n  grant \"table\" {\n    privileges = [\"SELECT\"\n  }\n}\n")
		_, stderr := pg.expect(1, "apply", "--auto-approve", "--policy", path)
		if !position.MatchString(stderr) {
			t.Errorf("no file:line:col error:\n%s", stderr)
		}
	})
	t.Run("unknown privilege", func(t *testing.T) {
		path := writePolicy(t, "role \"tuist_web\" {\n  grant \"table\" {\n    privileges = [\"SELEKT\"]\n  }\n}\n")
		_, stderr := pg.expect(1, "apply", "--auto-approve", "--policy", path)
		oneLineError(t, stderr, `policy.hcl:3:19: error: Unknown privilege`)
		if !strings.Contains(stderr, `Did you mean "SELECT"?`) {
			t.Errorf("no suggestion:\n%s", stderr)
		}
	})
	t.Run("unknown role reference", func(t *testing.T) {
		path := writePolicy(t, "role \"tuist_web\" {\n  external = true\n  member_of \"tuist_nobody\" {}\n}\n")
		_, stderr := pg.expect(1, "apply", "--auto-approve", "--policy", path)
		oneLineError(t, stderr, `policy.hcl:3:3: error: Role "tuist_nobody" does not exist`)
	})
	t.Run("undeclared role in for_role", func(t *testing.T) {
		path := writePolicy(t, "role \"tuist_web\" {\n  external = true\n  default_privileges \"table\" {\n    for_role   = \"tuist_nobody\"\n    privileges = [\"SELECT\"]\n  }\n}\n")
		_, stderr := pg.expect(1, "plan", "--policy", path)
		oneLineError(t, stderr, `Role "tuist_nobody" does not exist`)
	})
	t.Run("unreachable database", func(t *testing.T) {
		bad := cli{t: t, url: "postgres://tuist_app:s3cr%40t-pw@127.0.0.1:1/tuist?connect_timeout=2"}
		_, stderr := bad.expect(1, "plan", "--policy", pg.policy)
		oneLineError(t, stderr, "error: connection refused: cannot connect to 127.0.0.1:1/tuist as user tuist_app", "s3cr@t-pw", "s3cr%40t-pw")
	})
	t.Run("unparsable URL", func(t *testing.T) {
		bad := cli{t: t, url: "postgres://tuist_app:s3cr%zzt@[::1"}
		_, stderr := bad.expect(1, "plan", "--policy", pg.policy)
		oneLineError(t, stderr, "error: ", "s3cr%zzt", "s3cr")
	})
	t.Run("wrong password", func(t *testing.T) {
		user, url := pgtest.PasswordRole(t, db, "right-password")
		wrong := strings.Replace(url, "right-password", "wr0ng-pw", 1)
		bad := cli{t: t, url: wrong}
		_, stderr := bad.expect(1, "plan", "--policy", pg.policy)
		oneLineError(t, stderr, "password authentication failed for user \""+user+"\"", "wr0ng-pw", "right-password")
	})
	if after := aclSnapshot(t, db); after != before {
		t.Errorf("a failed run changed privileges:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
