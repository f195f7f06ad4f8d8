package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/pipeline"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want fleet.Shard
		err  string // a part of the error; "" for none
	}{
		{"0/1", fleet.Shard{Index: 0, Count: 1}, ""},
		{"2/4", fleet.Shard{Index: 2, Count: 4}, ""},
		{"3/4", fleet.Shard{Index: 3, Count: 4}, ""},
		{"4/4", fleet.Shard{}, `INDEX 4 is out of range: the shards of 4 are numbered 0 to 3`},
		{"-1/4", fleet.Shard{}, `INDEX -1 is out of range`},
		{"0/0", fleet.Shard{}, `COUNT "0" is not a whole number of 1 or more`},
		{"1/-2", fleet.Shard{}, `COUNT "-2" is not a whole number of 1 or more`},
		{"x/3", fleet.Shard{}, `INDEX "x" is not a whole number`},
		{"1/three", fleet.Shard{}, `COUNT "three"`},
		{"$(JOB_COMPLETION_INDEX)/3", fleet.Shard{}, `was not expanded: Kubernetes sets JOB_COMPLETION_INDEX only in the pods of a Job with completionMode: Indexed`},
		{"3", fleet.Shard{}, `--shard "3": no /`},
		{"", fleet.Shard{}, `no /`},
	}
	for _, tt := range tests {
		got, err := fleet.ParseShard(tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseShard(%q): %v", tt.in, err)
		case tt.err != "" && err == nil:
			t.Errorf("ParseShard(%q) = %v, want an error with %q", tt.in, got, tt.err)
		case err != nil && (!strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "--shard takes INDEX/COUNT, such as 0/4")):
			t.Errorf("ParseShard(%q): %v\nwant %q and the hint", tt.in, err, tt.err)
		case got != tt.want:
			t.Errorf("ParseShard(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if s := (fleet.Shard{Index: 2, Count: 4}).String(); s != "2/4" {
		t.Errorf("String = %q", s)
	}
	if (fleet.Shard{}).Sharded() || (fleet.Shard{}).String() != "" {
		t.Error("the zero Shard is sharded")
	}
}

// TestShardOf_pinned: the shard of a database is the documented hash
// (docs/fleets.md), the same in every pgward version: a change would move
// databases between the shards of pods running two versions during an
// upgrade. Each value is what `printf 'SERVER/NAME' | sha256sum` gives,
// its first 16 hex digits modulo the count.
func TestShardOf_pinned(t *testing.T) {
	tests := []struct {
		server, name string
		count, want  int
	}{
		{"db1.internal:5432", "tenant_acme", 4, 2},
		{"db1.internal:5432", "tenant_acme", 1000, 838},
		{"db1.internal:5432", "tenant_globex", 4, 0},
		{"db1.internal:5432", "tenant_globex", 1000, 596},
		{"127.0.0.1:5432", "app", 1000, 846},
		{"/var/run/postgresql:5432", "postgres", 1000, 68},
		{"db1.internal:5432", "tenant_acme", 1, 0},
	}
	for _, tt := range tests {
		if got := fleet.ShardOf(tt.server, tt.name, tt.count); got != tt.want {
			t.Errorf("ShardOf(%s, %s, %d) = %d, want %d", tt.server, tt.name, tt.count, got, tt.want)
		}
	}
}

// shardFleet is 200 databases on three servers, one of them also reached
// as another user, in a shuffled order.
func shardFleet(t *testing.T, r *rand.Rand) []*pgx.ConnConfig {
	t.Helper()
	var seeds []*pgx.ConnConfig
	for i := range 200 {
		host := fmt.Sprintf("h%d", i%3)
		seeds = append(seeds, seed(t, fmt.Sprintf("postgres://u:pw@%s:5432/tenant_%03d", host, i)))
	}
	seeds = append(seeds, seed(t, "postgres://v:other@h1:5432/tenant_001"))
	r.Shuffle(len(seeds), func(i, j int) { seeds[i], seeds[j] = seeds[j], seeds[i] })
	return seeds
}

// TestShard_select: for each count (one shard, a few, more shards than
// databases), every database of the fleet falls in exactly one shard, the
// same whatever the order of the targets; each server has one cluster
// owner in all the shards together, the same in every order, and every
// target knows the shard of its owner.
func TestShard_select(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, count := range []int{1, 3, 7, 500} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			var first map[string]int // label → shard, in the first order
			for order := range 4 {
				targets, err := fleet.Resolve(context.Background(), fleet.Spec{Seeds: shardFleet(t, r)})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]int{}
				owners := map[string][]string{}        // server → its owners' labels
				ownerShard := map[string]fleet.Shard{} // server → the shard its owner fell in
				perShard := make([]int, count)
				for i := range count {
					s := fleet.Shard{Index: i, Count: count}
					for _, tg := range s.Select(targets) {
						if prev, dup := got[tg.Label]; dup {
							t.Fatalf("%s falls in shards %d and %d", tg.Label, prev, i)
						}
						got[tg.Label] = i
						perShard[i]++
						if tg.Shard != s {
							t.Errorf("%s: Shard %v, want %v", tg.Label, tg.Shard, s)
						}
						if tg.ClusterOwner {
							owners[tg.Server] = append(owners[tg.Server], tg.Label)
							ownerShard[tg.Server] = s
						}
					}
				}
				if len(got) != len(targets) || len(targets) != 201 {
					t.Fatalf("%d of %d targets fell in a shard, want 201", len(got), len(targets))
				}
				for _, tg := range targets {
					if tg.OwnerShard != ownerShard[tg.Server] {
						t.Errorf("%s: OwnerShard %v, but its owner fell in %v", tg.Label, tg.OwnerShard, ownerShard[tg.Server])
					}
				}
				// The same database as another user goes with it.
				if got["h1:5432/tenant_001 as u"] != got["h1:5432/tenant_001 as v"] {
					t.Errorf("one database in two shards: %d, %d", got["h1:5432/tenant_001 as u"], got["h1:5432/tenant_001 as v"])
				}
				wantOwners := map[string]string{"h0:5432": "tenant_000", "h1:5432": "h1:5432/tenant_001 as u", "h2:5432": "tenant_002"}
				for server, want := range wantOwners {
					if len(owners[server]) != 1 || owners[server][0] != want {
						t.Errorf("order %d: the owners of %s are %v, want %s (the name, then the user, that sorts first)", order, server, owners[server], want)
					}
				}
				if first == nil {
					first = got
					// A hash spreads them: no shard of 3 holds less than a
					// fifth or more than half of them.
					if count == 3 {
						for i, n := range perShard {
							if n < 40 || n > 100 {
								t.Errorf("shard %d of 3 holds %d of 201 databases", i, n)
							}
						}
					}
					continue
				}
				for label, i := range got {
					if first[label] != i {
						t.Errorf("order %d: %s moved from shard %d to %d", order, label, first[label], i)
					}
				}
			}
		})
	}
	targets, _ := fleet.Resolve(context.Background(), fleet.Spec{Seeds: shardFleet(t, r)})
	if got := (fleet.Shard{}).Select(targets); len(got) != len(targets) {
		t.Errorf("the zero Shard selected %d of %d", len(got), len(targets))
	}
}

// TestShard_ownerElsewhere: in a shard without its server's cluster owner,
// an apply (OwnersFirst) does not wait for the owner, which runs in
// another shard, and the output says the shard: the section names the
// owner's shard, the summary, the JSON document and every Prometheus
// series this one.
func TestShard_ownerElsewhere(t *testing.T) {
	// The owner of h1 is a; find a count that puts b elsewhere.
	var count int
	for count = 2; fleet.ShardOf("h1:5432", "a", count) == fleet.ShardOf("h1:5432", "b", count); count++ {
	}
	seeds := []*pgx.ConnConfig{seed(t, "postgres://u@h1/b"), seed(t, "postgres://u@h1/a")}
	targets, err := fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds})
	if err != nil {
		t.Fatal(err)
	}
	shard := fleet.Shard{Index: fleet.ShardOf("h1:5432", "b", count), Count: count}
	selected := shard.Select(targets)
	if len(selected) != 1 || selected[0].Label != "b" || selected[0].ClusterOwner {
		t.Fatalf("shard %v selected %+v", shard, selected)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job := fleet.JobFunc(func(_ context.Context, tg *fleet.Target, report, _ io.Writer) fleet.Outcome {
		io.WriteString(report, "report of "+tg.Label)
		return fleet.Outcome{Status: fleet.StatusOK, Summary: "in sync", Database: tg.Config.Database}
	})
	results := fleet.Run(ctx, selected, job, fleet.Options{OwnersFirst: true})
	if r := results[0]; r.Status != fleet.StatusOK {
		t.Fatalf("the database whose owner is in another shard: %+v", r.Outcome)
	}

	var out, log bytes.Buffer
	fleet.WriteSection(&out, &log, results[0], pipeline.Text)
	ownerShard := fmt.Sprintf("%d/%d", fleet.ShardOf("h1:5432", "a", count), count)
	if want := "left to the run of its cluster owner, a, in shard " + ownerShard + ")"; !strings.Contains(out.String(), want) {
		t.Errorf("section lacks %q:\n%s", want, out.String())
	}
	out.Reset()
	if err := fleet.WriteSummary(&out, fleet.Apply, results, pipeline.Text); err != nil {
		t.Fatal(err)
	}
	if want := "Fleet apply over 1 database, shard " + shard.String() + ": 1 in sync.\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("summary:\n%s\nwant it to start %q", out.String(), want)
	}
	out.Reset()
	if err := fleet.WriteJSON(&out, fleet.Apply, results); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Shard string `json:"shard"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Shard != shard.String() {
		t.Errorf("JSON shard %q (%v), want %s:\n%s", doc.Shard, err, shard, out.String())
	}
	out.Reset()
	if err := fleet.WritePrometheus(&out, results, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(out.String()) {
		if !strings.HasPrefix(line, "#") && !strings.Contains(line, `database="b",shard="`+shard.String()+`"`) {
			t.Errorf("a series without the shard label: %s", line)
		}
	}

	// Not sharded: no shard anywhere.
	if targets, err = fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds}); err != nil {
		t.Fatal(err)
	}
	results = fleet.Run(ctx, targets, job, fleet.Options{OwnersFirst: true})
	out.Reset()
	fleet.WriteJSON(&out, fleet.Apply, results)
	fleet.WritePrometheus(&out, results, time.Unix(1700000000, 0))
	fleet.WriteSummary(&out, fleet.Apply, results, pipeline.Text)
	if strings.Contains(out.String(), "shard") {
		t.Errorf("an unsharded run mentions a shard:\n%s", out.String())
	}
}
