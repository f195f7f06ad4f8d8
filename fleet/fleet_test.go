package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/fleet"
	"github.com/pgward/pgward/pipeline"
)

func seed(t *testing.T, url string) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestResolve_labelsAndOwners: each database once, labelled by name, by
// server when the name repeats, by user when that is not enough; the first
// database of each server owns it unless ClusterOwner names another.
func TestResolve_labelsAndOwners(t *testing.T) {
	seeds := []*pgx.ConnConfig{
		seed(t, "postgres://a:pw@h1:5432/app"),
		seed(t, "postgres://a:pw@h2:5432/app"),
		seed(t, "postgres://a:pw@h1:5432/billing"),
		seed(t, "postgres://b:pw@h1:5432/billing"),
		seed(t, "postgres://a:other@h1:5432/app"), // the same database and user again
	}
	targets, err := fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		label, server, owner string
		clusterOwner         bool
	}
	var got []row
	for _, tg := range targets {
		got = append(got, row{tg.Label, tg.Server, tg.OwnerLabel, tg.ClusterOwner})
	}
	want := []row{
		{"h1:5432/app", "h1:5432", "h1:5432/app", true},
		{"h2:5432/app", "h2:5432", "h2:5432/app", true},
		{"h1:5432/billing as a", "h1:5432", "h1:5432/app", false},
		{"h1:5432/billing as b", "h1:5432", "h1:5432/app", false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d targets, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	targets, err = fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds[:3], ClusterOwner: "app"})
	if err != nil || !targets[0].ClusterOwner || targets[2].ClusterOwner {
		t.Errorf("ClusterOwner app: %v, %+v", err, targets)
	}
	_, err = fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds[:3], ClusterOwner: "billing"})
	if err == nil || !strings.Contains(err.Error(), "the fleet has no database billing on server h2:5432") {
		t.Errorf("a cluster owner missing on a server: %v", err)
	}
	for _, tg := range targets {
		if strings.Contains(tg.Label, "pw") {
			t.Errorf("a label holds the password: %s", tg.Label)
		}
	}
}

func TestFilter(t *testing.T) {
	f := fleet.Filter{Include: []string{"app*", "billing"}, Exclude: []string{"app_old?"}}
	for name, want := range map[string]bool{"app": true, "app_new": true, "app_old1": false, "billing": true, "postgres": false} {
		if got := f.Keeps(name); got != want {
			t.Errorf("Keeps(%q) = %v, want %v", name, got, want)
		}
	}
	if err := (fleet.Filter{Exclude: []string{"["}}).Check(); err == nil {
		t.Error("a malformed pattern passed Check")
	}
	if !(fleet.Filter{}).Keeps("anything") {
		t.Error("the empty filter keeps nothing")
	}
}

// TestRun_orderOwnersAndErrors: results come back and are flushed in the
// order of the targets; with OwnersFirst no database starts before its
// server's cluster owner is done; an error is wrapped with the label and
// counted as failed.
func TestRun_orderOwnersAndErrors(t *testing.T) {
	seeds := []*pgx.ConnConfig{
		seed(t, "postgres://u@h1/a"), seed(t, "postgres://u@h1/b"), seed(t, "postgres://u@h1/c"), seed(t, "postgres://u@h2/d"),
	}
	targets, err := fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		started []string
		ownerOK = map[string]bool{}
	)
	job := fleet.JobFunc(func(_ context.Context, tg *fleet.Target, report, log io.Writer) fleet.Outcome {
		mu.Lock()
		started = append(started, tg.Label)
		if !tg.ClusterOwner && !ownerOK[tg.Server] {
			t.Errorf("%s started before its cluster owner %s was done", tg.Label, tg.OwnerLabel)
		}
		mu.Unlock()
		io.WriteString(report, "report of "+tg.Label)
		io.WriteString(log, "log of "+tg.Label)
		defer func() {
			mu.Lock()
			ownerOK[tg.Server] = ownerOK[tg.Server] || tg.ClusterOwner
			mu.Unlock()
		}()
		switch tg.Label {
		case "c":
			return fleet.Outcome{Changes: 3, Err: errors.New("boom")}
		case "d":
			return fleet.Outcome{Status: fleet.StatusChanges, Summary: "changes", Changes: 1}
		}
		return fleet.Outcome{Status: fleet.StatusOK, Summary: "no changes"}
	})
	var (
		flushed  []string
		progress []string // done/failed/total, as reported
	)
	results := fleet.Run(context.Background(), targets, job, fleet.Options{
		Concurrency: 2, OwnersFirst: true,
		Done: func(r *fleet.Result) { flushed = append(flushed, r.Target.Label) },
		Progress: func(done, failed, total int) {
			progress = append(progress, fmt.Sprintf("%d/%d/%d", done, failed, total))
		},
	})
	if strings.Join(flushed, ",") != "a,b,c,d" {
		t.Errorf("flushed in order %v", flushed)
	}
	// From none done to all, one at a time; c fails whenever it finishes.
	if len(progress) != 5 || progress[0] != "0/0/4" || progress[4] != "4/1/4" {
		t.Errorf("progress %v, want 0/0/4 … 4/1/4, one report per database", progress)
	}
	if len(started) != 4 {
		t.Errorf("started %v", started)
	}
	c := results[2]
	if c.Status != fleet.StatusFailed || c.Summary != "error" || c.Err.Error() != "database c: boom" || c.Changes != 3 {
		t.Errorf("the failed database: %+v", c.Outcome)
	}
	if results[1].Report.String() != "report of b" || results[1].Log.String() != "log of b" {
		t.Errorf("b's output: %q, %q", results[1].Report.String(), results[1].Log.String())
	}
	if got := fleet.Worst(results); got != fleet.StatusFailed || got.ExitCode() != 1 {
		t.Errorf("Worst = %v", got)
	}
	if got := fleet.Worst(results[3:]); got.ExitCode() != 2 {
		t.Errorf("Worst of d = %v", got)
	}
	if got := fleet.Worst(nil); got.ExitCode() != 0 {
		t.Errorf("Worst of none = %v", got)
	}

	// Summary and sections, in text.
	var out, log bytes.Buffer
	fleet.WriteSection(&out, &log, c, pipeline.Text)
	if want := "=== c ===\n(the roles, memberships, parameters and tablespaces of h1:5432 are left to the run of its cluster owner, a)\nreport of c\n"; out.String() != want {
		t.Errorf("section:\n%q\nwant\n%q", out.String(), want)
	}
	if want := "c: log of c\nerror: database c: boom\n"; log.String() != want {
		t.Errorf("section log:\n%q\nwant\n%q", log.String(), want)
	}
	out.Reset()
	if err := fleet.WriteSummary(&out, fleet.Plan, results, pipeline.Text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Fleet plan over 4 databases: 2 no changes, 1 with changes, 1 failed.\n",
		"\na *  ", "\nc         error       -        ",
		"\nFailed:\n  database c: boom\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}

	// JSON: the exit status of the run and of each database.
	out.Reset()
	if err := fleet.WriteJSON(&out, fleet.Plan, results); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Command   string `json:"command"`
		ExitCode  int    `json:"exit_code"`
		Databases []struct {
			Target   string `json:"target"`
			ExitCode int    `json:"exit_code"`
			Error    string `json:"error"`
		} `json:"databases"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Command != "plan" || doc.ExitCode != 1 || len(doc.Databases) != 4 || doc.Databases[2].Error != "database c: boom" || doc.Databases[3].ExitCode != 2 {
		t.Errorf("JSON: %+v", doc)
	}
}

// TestRun_cancelled: a cancelled context fails the databases not started.
func TestRun_cancelled(t *testing.T) {
	targets, err := fleet.Resolve(context.Background(), fleet.Spec{Seeds: []*pgx.ConnConfig{seed(t, "postgres://u@h/a")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results := fleet.Run(ctx, targets, fleet.JobFunc(func(context.Context, *fleet.Target, io.Writer, io.Writer) fleet.Outcome {
		t.Error("the job ran")
		return fleet.Outcome{}
	}), fleet.Options{})
	if r := results[0]; r.Status != fleet.StatusFailed || !errors.Is(r.Err, context.Canceled) || !strings.HasPrefix(r.Err.Error(), "database a: not started: ") {
		t.Errorf("cancelled: %+v", r.Outcome)
	}
}

// TestRun_boundedAndReleased: a run over many databases keeps at most
// Concurrency jobs and about as many goroutines alive (not one per
// database), and with ReleaseOutput each report reaches Done whole and is
// dropped after it, so that only the summary rows stay.
func TestRun_boundedAndReleased(t *testing.T) {
	const n, concurrency = 300, 3
	var seeds []*pgx.ConnConfig
	for i := range n {
		seeds = append(seeds, seed(t, fmt.Sprintf("postgres://u@h/db%03d", i)))
	}
	targets, err := fleet.Resolve(context.Background(), fleet.Spec{Seeds: seeds})
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	var (
		mu                    sync.Mutex
		running, maxRunning   int
		maxGoroutines, dones  int
		reportsSeenInDone     int
		releasedBeforeNextOne = true
		prev                  *fleet.Result
	)
	job := fleet.JobFunc(func(_ context.Context, tg *fleet.Target, report, log io.Writer) fleet.Outcome {
		mu.Lock()
		running++
		maxRunning = max(maxRunning, running)
		maxGoroutines = max(maxGoroutines, runtime.NumGoroutine())
		mu.Unlock()
		io.WriteString(report, strings.Repeat("r", 1000))
		io.WriteString(log, "log of "+tg.Label)
		mu.Lock()
		running--
		mu.Unlock()
		return fleet.Outcome{Status: fleet.StatusOK, Summary: "in sync"}
	})
	results := fleet.Run(context.Background(), targets, job, fleet.Options{
		Concurrency: concurrency, OwnersFirst: true, ReleaseOutput: true,
		Done: func(r *fleet.Result) {
			dones++
			if r.Report.Len() == 1000 && r.Log.Len() > 0 {
				reportsSeenInDone++
			}
			if prev != nil && (prev.Report.Cap() != 0 || prev.Log.Cap() != 0) {
				releasedBeforeNextOne = false
			}
			prev = r
		},
	})
	if maxRunning > concurrency {
		t.Errorf("%d jobs ran at once, want at most %d", maxRunning, concurrency)
	}
	// The goroutines of the test binary, the workers and a few of the
	// runtime's; one per database would be hundreds more.
	if maxGoroutines > base+concurrency+5 {
		t.Errorf("%d goroutines while %d databases ran (%d before the run): Run keeps one per database", maxGoroutines, n, base)
	}
	if dones != n || reportsSeenInDone != n {
		t.Errorf("Done saw %d results, %d with their whole report; want %d", dones, reportsSeenInDone, n)
	}
	if !releasedBeforeNextOne {
		t.Error("a result still held its report after Done returned")
	}
	for _, r := range results {
		if r.Report.Cap() != 0 || r.Log.Cap() != 0 || r.Status != fleet.StatusOK || r.Summary != "in sync" {
			t.Fatalf("%s after the run: report %d bytes, log %d, status %v %q; want the summary row only", r.Target.Label, r.Report.Cap(), r.Log.Cap(), r.Status, r.Summary)
		}
	}
}
