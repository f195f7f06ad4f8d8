package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestConnectionErrors: each way a connection fails gives one line, cause
// first, that names host:port/database and the user and says what to do,
// with no password in it; plan and apply say the same.
func TestConnectionErrors(t *testing.T) {
	db := pgtest.NewDB(t)
	if !db.Server.Local() {
		t.Skip("needs a cluster the harness started: trust for other roles, a password for one, no TLS")
	}
	pw := "c0nn@:/?" + randomSuffix(t)
	user, roleURL := pgtest.PasswordRole(t, db, pw)
	u, err := url.Parse(roleURL)
	if err != nil {
		t.Fatal(err)
	}
	addr := u.Host
	policyPath := writePolicy(t, "role \"nobody_declared\" {\n  if_missing = \"skip\"\n}\n")
	mk := func(user, pw, addr, database, query string) string {
		return fmt.Sprintf("postgres://%s:%s@%s/%s?%s", user, encodePassword(pw), addr, database, query)
	}

	// A port nobody listens on, and one that accepts and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := l.Addr().String()
	l.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()

	ghost := db.RoleName("ghost")
	for _, tt := range []struct {
		name, url, want string
	}{
		{"wrong password", mk(user, "wr0ng-"+pw, addr, db.Name, "sslmode=disable"),
			fmt.Sprintf(`wrong password: cannot connect to %s/%s as user %s (password authentication failed for user "%s"); check the password`, addr, db.Name, user, user)},
		// sslmode=prefer (the default) tries TLS first: the refusal of TLS
		// is not the problem, the password is.
		{"wrong password, sslmode=prefer", mk(user, "wr0ng-"+pw, addr, db.Name, "sslmode=prefer"),
			fmt.Sprintf(`wrong password: cannot connect to %s/%s as user %s (password authentication failed`, addr, db.Name, user)},
		{"wrong port", mk(user, pw, closedAddr, db.Name, "sslmode=prefer"),
			fmt.Sprintf("connection refused: cannot connect to %s/%s as user %s (nothing listens there); check the host and the port", closedAddr, db.Name, user)},
		{"no such database", mk(user, pw, addr, db.Name+"_nope", "sslmode=disable"),
			fmt.Sprintf(`no such database: cannot connect to %s/%s_nope as user %s (database "%s_nope" does not exist); check the database name`, addr, db.Name, user, db.Name)},
		{"no such role", mk(ghost, pw, addr, db.Name, "sslmode=disable"),
			fmt.Sprintf(`no such role: cannot connect to %s/%s as user %s (role "%s" does not exist); check the user name`, addr, db.Name, ghost, ghost)},
		{"TLS required by the URL, not offered", mk(user, pw, addr, db.Name, "sslmode=require"),
			fmt.Sprintf("TLS refused by the server: cannot connect to %s/%s as user %s (it does not accept TLS", addr, db.Name, user)},
		{"timeout", mk(user, pw, silent.Addr().String(), db.Name, "sslmode=disable&connect_timeout=1"),
			fmt.Sprintf("timeout: cannot connect to %s/%s as user %s (no answer within 1s, the connect_timeout); check the host", silent.Addr().String(), db.Name, user)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cli{t: t, url: tt.url}
			for _, args := range [][]string{{"plan", "--policy", policyPath}, {"apply", "--auto-approve", "--policy", policyPath}} {
				start := time.Now()
				stdout, stderr := c.expect(1, args...)
				oneLineError(t, stderr, tt.want, secretForms(pw)...)
				noSecret(t, args[0], stdout, stderr, secretForms(pw))
				t.Logf("%s: %s", args[0], stderr)
				if cause := strings.SplitN(tt.want, ":", 2)[0]; strings.Count(stderr, cause) != 1 && strings.Count(stderr, cause+":") != 1 {
					t.Errorf("the cause is said more than once:\n%s", stderr)
				}
				if time.Since(start) > 20*time.Second {
					t.Errorf("%s took %s", args[0], time.Since(start))
				}
			}
		})
	}

	t.Run("nothing configured", func(t *testing.T) {
		for _, v := range whereVars {
			t.Setenv(v, "")
		}
		c := cli{t: t, url: "", env: map[string]string{"PGCONNECT_TIMEOUT": "2"}}
		t.Setenv("PGCONNECT_TIMEOUT", "2")
		_, stderr := c.expect(1, "plan", "--policy", policyPath)
		t.Logf("%s", stderr)
		oneLineError(t, stderr, "; nothing configures the connection: tried --database-url (not given), DATABASE_URL (not set) and the PG* variables (PGHOST, PGHOSTADDR, PGPORT, PGDATABASE, PGUSER, PGSERVICE: none set), so libpq's defaults were used; give --database-url")
		// Configured: no such hint.
		c.url = mk(user, pw, closedAddr, db.Name, "sslmode=disable")
		_, stderr = c.expect(1, "plan", "--policy", policyPath)
		if strings.Contains(stderr, "nothing configures") {
			t.Errorf("a configured connection is said to be unconfigured:\n%s", stderr)
		}
	})
}
