package introspect_test

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/internal/testkit/synth"
	"github.com/pgward/pgward/introspect"
)

var (
	benchTables  = flag.Int("introspect.tables", 2000, "tables of the synthetic database BenchmarkRead reads")
	benchExplain = flag.String("introspect.explain", "", "BenchmarkRead: write EXPLAIN ANALYZE of the objects query to this file first")
)

// BenchmarkRead times introspect.Read on a synthetic database in its half
// converged state (internal/testkit/synth), as the connecting owner: the query
// time on the server, the transfer and the decoding. make bench measures
// the same from outside, beside the floors; this one is for profiling
// (-cpuprofile) and allocation counts.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	db := pgtest.NewDB(b)
	spec := synth.Spec{Tables: *benchTables, Prefix: db.RoleName("bn")}
	roles := spec.Roles()
	db.CreateRole(b, roles.Owner, "LOGIN")
	for _, r := range []string{roles.Web, roles.Worker, roles.Ops} {
		db.CreateRole(b, r, "NOLOGIN")
	}
	if err := synth.Build(ctx, db.Conn(b), spec); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, db.RoleURL(roles.Owner))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if *benchExplain != "" {
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+introspect.ObjectsQuery(db.Server.Version()), []string(nil))
		if err != nil {
			b.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(*benchExplain, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var objects int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			b.Fatal(err)
		}
		cat, err := introspect.Read(ctx, tx, introspect.Scope{})
		if err != nil {
			b.Fatal(err)
		}
		objects = len(cat.Objects)
		_ = tx.Rollback(ctx)
	}
	b.ReportMetric(float64(objects), "objects")
}
