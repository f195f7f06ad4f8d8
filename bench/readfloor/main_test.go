package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestParseItem checks the floor's conversion of acl.ParseItem's result
// (the parser itself is tested in internal/acl).
func TestParseItem(t *testing.T) {
	it, err := parseItem(`"we""ird=x"=UC*/owner`)
	if err != nil {
		t.Fatal(err)
	}
	want := item{grantee: `we"ird=x`, grantor: "owner", privs: uint16(acl.Usage | acl.Create), options: uint16(acl.Create)}
	if it != want {
		t.Errorf("got %+v, want %+v", it, want)
	}
	if _, err := parseItem("web=q/owner"); err == nil {
		t.Error("an unknown privilege letter parsed")
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestReadAll: the fleet floor lists the databases as --all-databases
// does, keeps those the patterns match, and reads each one.
func TestReadAll(t *testing.T) {
	a, b := pgtest.NewDB(t), pgtest.NewDBOn(t, pgtest.Shared(t))
	ctx := context.Background()
	for _, d := range []*pgtest.DB{a, b} {
		d.Exec(t, "DROP SCHEMA public; CREATE SCHEMA app; CREATE TABLE app.t (i int); GRANT SELECT ON app.t TO PUBLIC")
	}
	for _, tc := range []struct {
		include   []string
		databases int
	}{
		{[]string{a.Name}, 1},
		{[]string{a.Name, b.Name}, 2},
		{[]string{a.Name[:len(a.Name)-1] + "?", b.Name}, 2},
	} {
		dbs, rows, items, err := readAll(ctx, a.URL, tc.include, 2)
		if err != nil {
			t.Fatalf("include %v: %v", tc.include, err)
		}
		// Each database: the schema app and its table, the table's ACL
		// holding the owner's item and PUBLIC's.
		if dbs != tc.databases || rows != 2*tc.databases || items < 2*tc.databases {
			t.Errorf("include %v: %d databases, %d rows, %d ACL items; want %d, %d, at least %d", tc.include, dbs, rows, items, tc.databases, 2*tc.databases, 2*tc.databases)
		}
	}
	if _, _, _, err := readAll(ctx, a.URL, []string{"no_such_db_*"}, 1); err == nil || !strings.Contains(err.Error(), "no database matches") {
		t.Errorf("no match: %v", err)
	}
}
