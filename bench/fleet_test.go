package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestParseShapes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []shape
		wantErr string
	}{
		{in: "1000x20 100x1000", want: []shape{{1000, 20}, {100, 1000}}},
		{in: "60×20, 1_000x2", want: []shape{{60, 20}, {1000, 2}}},
		{in: "", wantErr: "no fleet sizes"},
		{in: "60", wantErr: `"60": want DATABASESxTABLES`},
		{in: "1x20", wantErr: "at least 2 databases"},
		{in: "10x0", wantErr: "at least 2 databases of 1 table"},
	} {
		got, err := parseShapes(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseShapes(%q): error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseShapes(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parseShapes(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func TestCheckConnections(t *testing.T) {
	for _, tc := range []struct {
		peak, concurrency int
		ok                bool
	}{
		{0, 1, true}, {2, 1, true}, {3, 1, false}, {17, 16, true}, {18, 16, false},
	} {
		if err := checkConnections(tc.peak, tc.concurrency); (err == nil) != tc.ok {
			t.Errorf("checkConnections(%d, %d) = %v, want ok=%v", tc.peak, tc.concurrency, err, tc.ok)
		}
	}
}

// TestSampler: against a real server, the sampler sees the connections a
// role holds open (and not the sampler's own, nor another role's), keeps
// the largest count after they close, and the bound check fails on it
// when the concurrency is too low.
func TestSampler(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	role := d.RoleName("sampled")
	d.CreateRole(t, role, "LOGIN")

	s, err := startSampler(ctx, d.Server, role, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var conns []*pgx.Conn
	for range 3 {
		c, err := pgx.Connect(ctx, d.RoleURL(role))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	other := d.Conn(t) // the superuser's: not counted
	if err := other.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// Until the sampler has seen all three (it samples every millisecond;
	// a loaded machine may delay it).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := other.QueryRow(ctx, connCountQuery, role).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			time.Sleep(50 * time.Millisecond)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pg_stat_activity shows %d connections of %s, want 3", n, role)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range conns {
		c.Close(ctx)
	}
	peak, err := s.stop()
	if err != nil {
		t.Fatal(err)
	}
	if peak != 3 {
		t.Fatalf("peak %d connections, want 3", peak)
	}
	if err := checkConnections(peak, 2); err != nil {
		t.Errorf("3 connections at concurrency 2: %v", err)
	}
	if err := checkConnections(peak, 1); err == nil || !strings.Contains(err.Error(), "3 connections open at once at --concurrency 1, want at most 2") {
		t.Errorf("3 connections at concurrency 1: %v", err)
	}
}
