package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// The guarantees of docs/safety.md that need the command line: secrets
// never leave, TLS verification when the URL asks for it, --max-revokes.

// runCtx runs pgward in-process with ctx, DATABASE_URL and the other
// variables of vars; PG* variables come from the process environment, as
// pgx reads them there.
func runCtx(ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(ctx, args, env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return vars[k] },
		isTTY:  func(any) bool { return false },
	})
	return code, out.String(), errOut.String()
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// encodePassword percent-encodes what a URL's user info cannot hold as is:
// '@', ':', '/', '?', '%' and anything outside the unreserved set.
func encodePassword(pw string) string {
	var b strings.Builder
	for i := 0; i < len(pw); i++ {
		c := pw[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// pgpassEscape escapes ':' and '\' for a .pgpass field.
func pgpassEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// secretForms lists what must never be printed for password pw: the
// password as is and percent-encoded, and every 6-byte run of either, so
// that a password cut short or re-encoded is caught too.
func secretForms(pw string) []string {
	forms := []string{pw, encodePassword(pw), url.QueryEscape(pw), url.PathEscape(pw)}
	seen := map[string]bool{}
	var out []string
	for _, f := range forms {
		for i := 0; i+6 <= len(f); i++ {
			if s := f[i : i+6]; !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// noSecret fails the test if stdout or stderr holds any form of a secret.
func noSecret(t *testing.T, what, stdout, stderr string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		for name, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
			if strings.Contains(out, s) {
				t.Errorf("%s: %s shows %q of a password:\n%s", what, name, s, out)
			}
		}
	}
}

// lockKey is apply's advisory lock key ("pgward\x00\x01").
const lockKey int64 = 0x7067776172640001

// TestSecrets_neverPrinted runs every command, and every failure path
// that can be reached here, with the password in the URL (percent-encoded
// '@', ':', '/', '?', '%'), in --database-url, in PGPASSWORD and in a
// .pgpass file (PGPASSFILE), and checks that no password byte sequence
// appears in stdout or stderr (which carries the logs of apply --verbose).
func TestSecrets_neverPrinted(t *testing.T) {
	db := pgtest.NewDB(t)
	right := "R1@ght:pw/" + randomSuffix(t) + "?%x"
	wrong := "Wr0ng@:pw/" + randomSuffix(t) + "?%y"
	user, roleURL := pgtest.PasswordRole(t, db, right)
	u, err := url.Parse(roleURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	reader := db.RoleName("reader")
	db.CreateRole(t, reader, "NOLOGIN")
	db.Exec(t, fmt.Sprintf(`CREATE SCHEMA s AUTHORIZATION %[1]q; CREATE TABLE s.t (id int); ALTER TABLE s.t OWNER TO %[1]q`, user))
	policyPath := writePolicy(t, fmt.Sprintf(`scope { schemas = ["s"] }
role %q {
  grant "table" {
    schema     = "s"
    privileges = ["SELECT"]
  }
}
`, reader))
	badPolicy := writePolicy(t, "role \"x\" {\n  grant \"table\" {\n    privileges = [\"SELEKT\"]\n  }\n}\n")
	secrets := append(secretForms(right), secretForms(wrong)...)
	// Nothing a command writes lands in the package directory.
	t.Chdir(t.TempDir())

	mkURL := func(host, pw, sslmode string) string {
		userinfo := user
		if pw != "" {
			userinfo += ":" + encodePassword(pw)
		}
		return fmt.Sprintf("postgres://%s@%s/%s?sslmode=%s&connect_timeout=5", userinfo, host, db.Name, sslmode)
	}
	pgpass := func(t *testing.T, pw string) string {
		path := filepath.Join(t.TempDir(), "pgpass")
		if err := os.WriteFile(path, []byte("*:*:*:"+pgpassEscape(user)+":"+pgpassEscape(pw)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// A source puts the password where pgward reads it: in the URL
	// (DATABASE_URL or --database-url), or in the environment for pgx.
	type source struct {
		name  string
		flag  bool // pass the URL as --database-url rather than DATABASE_URL
		setup func(t *testing.T, pw string)
		inURL bool // the URL itself carries the password
	}
	sources := []source{
		{name: "URL", inURL: true},
		{name: "--database-url", inURL: true, flag: true},
		{name: "PGPASSWORD", setup: func(t *testing.T, pw string) { t.Setenv("PGPASSWORD", pw) }},
		{name: ".pgpass", setup: func(t *testing.T, pw string) { t.Setenv("PGPASSFILE", pgpass(t, pw)) }},
	}
	registered := map[string]bool{}
	for _, c := range newRootCmd(env{}).Commands() {
		registered[c.Name()] = true
	}

	for _, src := range sources {
		for _, pw := range []string{right, wrong} {
			name := src.name + "/right password"
			if pw == wrong {
				name = src.name + "/wrong password"
			}
			t.Run(name, func(t *testing.T) {
				// Only this source's password is anywhere to be found.
				t.Setenv("PGPASSWORD", "")
				t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
				t.Setenv("PGSSLMODE", "")
				if src.setup != nil {
					src.setup(t, pw)
				}
				conn := func(host, sslmode string) string {
					if src.inURL {
						return mkURL(host, pw, sslmode)
					}
					return mkURL(host, "", sslmode)
				}
				exec := func(ctx context.Context, connURL string, args ...string) (int, string, string) {
					vars := map[string]string{"DATABASE_URL": connURL}
					if src.flag {
						vars = map[string]string{}
						if len(args) > 0 && args[0] != "version" {
							args = append(args, "--database-url", connURL)
						}
					}
					return runCtx(ctx, vars, args...)
				}
				check := func(connURL string, wantCode func(int) bool, wantErr string, args ...string) {
					t.Helper()
					code, stdout, stderr := exec(context.Background(), connURL, args...)
					what := strings.Join(args, " ")
					noSecret(t, what, stdout, stderr, secrets)
					if wantCode != nil && !wantCode(code) {
						t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, code, stdout, stderr)
					}
					if wantErr != "" && !strings.Contains(stderr, wantErr) {
						t.Errorf("%s: stderr lacks %q:\n%s", what, wantErr, stderr)
					}
				}
				is := func(codes ...int) func(int) bool { return func(c int) bool { return slices.Contains(codes, c) } }
				good := conn(host, "disable")
				db.Exec(t, fmt.Sprintf("REVOKE ALL ON s.t FROM %q", reader)) // give apply something to do

				// Every command.
				connects, fails := is(0, 2), is(1)
				authFailed := ""
				if pw == wrong {
					connects, authFailed = fails, "password authentication failed"
				}
				applied := is(0)
				if pw == wrong {
					applied = fails
				}
				check(good, is(0), "", "version")
				validated := is(0)
				if src.flag && pw == wrong {
					validated = fails // validate with --database-url also checks the database
				}
				check(good, validated, "", "validate", "--policy", policyPath)
				check(good, connects, authFailed, "plan", "--policy", policyPath)
				check(good, connects, authFailed, "plan", "--policy", policyPath, "--format", "json")
				check(good, connects, authFailed, "plan", "--policy", policyPath, "--format", "sql")
				check(good, connects, authFailed, "audit", "--policy", policyPath)
				check(good, connects, authFailed, "audit", "--policy", policyPath, "--format", "json")
				check(good, applied, authFailed, "apply", "--policy", policyPath, "--auto-approve", "--verbose")
				for _, cmd := range slices.Sorted(func(yield func(string) bool) {
					for n := range registered {
						if !yield(n) {
							return
						}
					}
				}) {
					switch cmd {
					case "version", "validate", "plan", "audit", "apply", "help", "completion":
						continue
					}
					// Commands added later (explain, import, …) run with
					// the same inputs; whatever they answer, no secret.
					check(good, nil, "", cmd, "--policy", policyPath)
				}

				// Failure paths.
				check(conn("127.0.0.1:1", "disable"), fails, "connect to 127.0.0.1:1", "plan", "--policy", policyPath)
				check(conn("127.0.0.1:1", "disable"), fails, "", "apply", "--policy", policyPath, "--auto-approve")
				check(conn("127.0.0.1:1", "disable"), fails, "", "plan", "--policy", policyPath, "--format", "json")
				check(conn(host, "require"), fails, "TLS", "plan", "--policy", policyPath)
				// The other causes of a failed connection, each explained
				// on one line that holds no password.
				// (TestConnectionErrors goes through each of them.)
				noDB, noDBErr := strings.Replace(good, "/"+db.Name+"?", "/"+db.Name+"_nope?", 1), "no such database: cannot connect to "
				if pw == wrong {
					noDBErr = "wrong password: cannot connect to "
				}
				check(noDB, fails, noDBErr, "plan", "--policy", policyPath)
				check(noDB, fails, noDBErr, "apply", "--policy", policyPath, "--auto-approve")
				check(conn("127.0.0.1:1", "prefer"), fails, "connection refused: cannot connect to 127.0.0.1:1/", "audit", "--policy", policyPath)
				check(conn(host, "verify-full"), fails, "TLS", "apply", "--policy", policyPath, "--auto-approve")
				check(good, fails, "policy.hcl:3:19: error: Unknown privilege", "plan", "--policy", badPolicy)
				check(good, fails, "", "apply", "--policy", badPolicy, "--auto-approve")
				check(good, fails, "", "validate", "--policy", badPolicy)
				check(good, fails, "", "apply", "--policy", policyPath, "--auto-approve", "--max-revokes", "0")
				if src.inURL {
					// Not percent-encoded: the password spills out of the
					// user info and the URL cannot be read.
					raw := fmt.Sprintf("postgres://%s:%s@%s/%s", user, pw, host, db.Name)
					check(raw, fails, "", "plan", "--policy", policyPath)
					check(raw, fails, "", "plan", "--policy", policyPath, "--format", "json")
					check(strings.Replace(good, encodePassword(pw), encodePassword(pw)+"%zz", 1), fails, "", "apply", "--policy", policyPath, "--auto-approve")
				}

				if pw != right {
					return
				}
				// An apply interrupted in its transaction, while it waits for
				// the advisory lock that another session holds.
				holder := db.Conn(t)
				ctx := context.Background()
				if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _, _ = holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey) })
				db.Exec(t, fmt.Sprintf("REVOKE ALL ON s.t FROM %q", reader))
				runCtx, cancel := context.WithCancel(ctx)
				type result struct {
					code           int
					stdout, stderr string
				}
				done := make(chan result, 1)
				go func() {
					code, stdout, stderr := exec(runCtx, good, "apply", "--policy", policyPath, "--auto-approve", "--lock-timeout", "60s", "--verbose")
					done <- result{code, stdout, stderr}
				}()
				waitForAdvisoryWait(t, holder, db.Name)
				cancel()
				select {
				case r := <-done:
					noSecret(t, "interrupted apply", r.stdout, r.stderr, secrets)
					if r.code != 1 || !strings.Contains(r.stderr, "advisory lock") {
						t.Errorf("interrupted apply: exit %d, want 1 with the lock named\nstderr:\n%s", r.code, r.stderr)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("apply did not return after its context was cancelled")
				}
				var granted bool
				if err := holder.QueryRow(ctx, "SELECT has_table_privilege($1, 's.t', 'SELECT')", reader).Scan(&granted); err != nil {
					t.Fatal(err)
				}
				if granted {
					t.Error("the interrupted apply granted something")
				}
			})
		}
	}
}

// waitForAdvisoryWait waits until a session of database waits for an
// advisory lock.
func waitForAdvisoryWait(t *testing.T, conn *pgx.Conn, database string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := conn.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'", database).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no session waits for the advisory lock")
}

// TestApply_maxRevokes: a plan that revokes more than --max-revokes is
// refused before anything executes (exit 1, the count and the flag
// named); raising the limit applies it. The default (100) is on.
func TestApply_maxRevokes(t *testing.T) {
	db, pg := tuistDB(t, true)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)

	// Someone grants stray privileges by hand.
	db.Exec(t, "GRANT TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public TO tuist_web")
	db.Exec(t, "GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO tuist_processor")
	before := aclSnapshot(t, db)
	stdout, _ := pg.expect(2, "plan", "--policy", pg.policy)
	m := revokeCount.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line:\n%s", stdout)
	}
	n, _ := strconv.Atoi(m[1])
	if n <= 2 {
		t.Fatalf("want more than 2 revokes, plan has %d", n)
	}

	_, stderr := pg.expect(1, "apply", "--auto-approve", "--policy", pg.policy, "--max-revokes", "2")
	oneLineError(t, stderr, fmt.Sprintf("the plan revokes %d privileges or memberships, more than the limit of 2 (--max-revokes); nothing was changed", n))
	if after := aclSnapshot(t, db); after != before {
		t.Errorf("a refused apply changed privileges:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	_, stderr = pg.expect(1, "apply", "--auto-approve", "--policy", pg.policy, "--max-revokes", "0")
	oneLineError(t, stderr, `invalid argument "0" for "--max-revokes" flag: 0 is ambiguous`)

	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy, "--max-revokes", strconv.Itoa(n))
	pg.expect(0, "plan", "--policy", pg.policy)

	// The default: more than 100 revokes need the flag.
	db.ExecAs(t, "tuist_app", `DO $$ BEGIN
  FOR i IN 1..101 LOOP EXECUTE format('CREATE TABLE many_%s (id int)', i); END LOOP;
END $$`)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy) // grants only: no limit
	db.Exec(t, "GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO tuist_web")
	before = aclSnapshot(t, db)
	_, stderr = pg.expect(1, "apply", "--auto-approve", "--policy", pg.policy)
	oneLineError(t, stderr, "more than the limit of 100 (--max-revokes)")
	if after := aclSnapshot(t, db); after != before {
		t.Error("a refused apply changed privileges")
	}
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy, "--max-revokes", "-1")
	pg.expect(0, "plan", "--policy", pg.policy)
}

// TestApply_autoApproveShowsThePlanItRuns: with --auto-approve the plan is
// built under the lock and shown from there, with no preview read: the
// text is the one pgward plan prints for the same state, and --verbose
// logs each phase of the run with its duration.
func TestApply_autoApproveShowsThePlanItRuns(t *testing.T) {
	db, pg := tuistDB(t, true)
	pg.expect(0, "apply", "--auto-approve", "--policy", pg.policy)
	db.Exec(t, "GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO tuist_web")
	planned, _ := pg.expect(2, "plan", "--policy", pg.policy)
	stdout, stderr := pg.expect(0, "apply", "--auto-approve", "--verbose", "--policy", pg.policy)
	if !strings.HasPrefix(stdout, planned) {
		t.Errorf("apply does not show the plan pgward plan showed:\nplan:\n%s\napply:\n%s", planned, stdout)
	}
	if !strings.Contains(stdout, "Apply complete:") {
		t.Errorf("no completion line:\n%s", stdout)
	}
	for _, phase := range []string{`msg="read the catalog"`, "msg=planned", `msg="executed the plan"`, "msg=verified", "msg=committed"} {
		if !regexp.MustCompile(regexp.QuoteMeta(phase) + `.* duration=\d`).MatchString(stderr) {
			t.Errorf("--verbose does not log %s with a duration:\n%s", phase, stderr)
		}
	}
	// In sync: the plan says so, and nothing runs.
	stdout, stderr = pg.expect(0, "apply", "--auto-approve", "--verbose", "--policy", pg.policy)
	if !strings.Contains(stdout, "No changes.") || strings.Contains(stdout, "Apply complete") || strings.Contains(stderr, "executed the plan") {
		t.Errorf("an in-sync apply:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}
