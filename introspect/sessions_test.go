package introspect_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

// TestReadSessions: one query returns the sessions of the database grouped
// by role and application_name, without the reading session itself, and a
// role without privileges sees the other roles' sessions too.
func TestReadSessions(t *testing.T) {
	db := pgtest.NewDB(t)
	owner, reader := db.RoleName("own"), db.RoleName("rdr")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, reader, "LOGIN")
	connect := func(role, app string) *pgx.Conn {
		t.Helper()
		cfg, err := pgx.ParseConfig(db.RoleURL(role))
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = app
		conn, err := pgx.ConnectConfig(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
	connect(owner, "psql")
	connect(owner, "psql")
	connect(owner, "migrate")
	me := connect(reader, "pgward audit")

	want := []introspect.Session{{Role: owner, ApplicationName: "migrate", Count: 1}, {Role: owner, ApplicationName: "psql", Count: 2}}
	var got []introspect.Session
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var n int
		q := countingQuerier{me, &n}
		all, err := introspect.ReadSessions(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("ReadSessions ran %d queries, want 1", n)
		}
		got = slices.DeleteFunc(all, func(s introspect.Session) bool { return s.Role != owner && s.Role != reader })
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
	}
	t.Errorf("sessions %v, want %v (the reader's own session left out)", got, want)
}
