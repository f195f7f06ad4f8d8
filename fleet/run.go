package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgward/pgward/audit"
)

// DefaultConcurrency is how many databases a fleet run works on at once
// unless told otherwise.
const DefaultConcurrency = 4

// Mode is the command a fleet runs; it names the run in the summary and
// the JSON document.
type Mode int

// The modes. The zero value is invalid.
const (
	Plan Mode = iota + 1
	Apply
	Audit
)

func (m Mode) String() string {
	switch m {
	case Plan:
		return "plan"
	case Apply:
		return "apply"
	case Audit:
		return "audit"
	}
	return "invalid"
}

// Status is how one database's run ended.
type Status int

// The statuses, from best to worst. The zero value means none: a job that
// returns neither a status nor an error fails.
const (
	StatusOK      Status = iota + 1 // in sync, applied, nothing to do
	StatusChanges                   // changes pending, drift or a broken deny invariant
	StatusFailed                    // an error
)

// ExitCode is the exit status pgward gives for s (docs/cli.md): 0, 2 or 1.
// It is also the exit_code of the JSON document ([WriteJSON]).
func (s Status) ExitCode() int {
	switch s {
	case StatusOK:
		return 0
	case StatusChanges:
		return 2
	}
	return 1
}

// Worst returns the worst status of the results (failed over changes over
// OK), StatusOK for none.
func Worst(results []*Result) Status {
	worst := StatusOK
	for _, r := range results {
		if r.Status > worst {
			worst = r.Status
		}
	}
	return worst
}

// Outcome is what one database's job reports.
type Outcome struct {
	Status Status
	// Summary is the result in a word or a few, for the summary table and
	// the JSON "result": "no changes", "changes", "in sync", "drift",
	// "applied", "applied (2 left out)", "error".
	Summary string
	// Changes counts what the run changed, or would change (findings, in
	// an audit). It is reported for a failed run too (in JSON).
	Changes int
	// Database is the database's name as the server reported it; "" when
	// the run did not connect.
	Database string
	// Counts are an audit's findings by kind and role.
	Counts []audit.FindingCount
	// Err is why the run failed. The runner wraps it with the database's
	// label and sets Status and Summary to say so.
	Err error
}

// Result is the outcome of one database's run, with its output.
type Result struct {
	Target *Target
	Outcome
	Duration time.Duration
	// Report is what the job wrote as the database's report (its plan),
	// Log its diagnostics and logs.
	Report, Log bytes.Buffer
}

func (r *Result) fail(err error) {
	r.Status, r.Summary = StatusFailed, "error"
	r.Err = fmt.Errorf("database %s: %w", r.Target.Label, err)
}

// Job does one database's part of a fleet run: it writes the database's
// report to report and its diagnostics and logs to log (the runner keeps
// both apart for each database), and says how it went. It must not write
// anywhere else: jobs run concurrently. [PlanJob], [AuditJob] and
// [ApplyJob] do what pgward plan, audit and apply do.
type Job interface {
	Run(ctx context.Context, t *Target, report, log io.Writer) Outcome
}

// JobFunc is a function as a [Job].
type JobFunc func(ctx context.Context, t *Target, report, log io.Writer) Outcome

// Run calls f.
func (f JobFunc) Run(ctx context.Context, t *Target, report, log io.Writer) Outcome {
	return f(ctx, t, report, log)
}

// Options are the settings of [Run].
type Options struct {
	// Concurrency is how many databases are worked on at once;
	// 0 means DefaultConcurrency.
	Concurrency int
	// OwnersFirst makes the databases of a server wait for its cluster
	// owner's run, so that they plan against the roles it leaves behind:
	// for jobs that change the databases (an apply). Those whose owner is
	// not among the targets (it runs in another shard) do not wait.
	OwnersFirst bool
	// Done, when set, is called with each result in the order of the
	// targets, as soon as it and those before it are done: to stream
	// the report ([WriteSection]).
	Done func(*Result)
	// ReleaseOutput empties each result's Report and Log once Done has
	// returned for it, so that a run over thousands of databases keeps only
	// their summary rows (status, counts, duration): for callers that write
	// every report through Done ([WriteSection]) and need nothing of it
	// after. [WriteJSON] needs the reports: leave it off for JSON.
	ReleaseOutput bool
	// Progress, when set, is called once before any database starts and
	// then each time one finishes, in whatever order they finish, with
	// how many have finished, how many of those failed, and how many
	// there are: for a progress line. It must return quickly. Calls do not
	// overlap.
	Progress func(done, failed, total int)
}

// Run runs job on every target and returns the results in the order of the
// targets. A cancelled context fails the databases not started yet.
//
// At most Concurrency workers run, each taking the next target in the
// order of the targets (cluster owners first, with OwnersFirst): the
// memory of a run grows with its concurrency, not with its number of
// databases, and the databases start in the order Done reports them, so
// few finished results wait for an earlier one.
func Run(ctx context.Context, targets []*Target, job Job, o Options) []*Result {
	concurrency := o.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	results := make([]*Result, len(targets))
	done := make([]chan struct{}, len(targets))
	ownerDone := map[string]chan struct{}{}
	for i, t := range targets {
		results[i] = &Result{Target: t}
		done[i] = make(chan struct{})
		if t.ClusterOwner {
			ownerDone[t.Server] = done[i]
		}
	}
	// order is the order the workers take the targets in. With
	// OwnersFirst every owner is taken before any database that waits for
	// one, so a waiting worker's owner is already running or done.
	order := make([]int, 0, len(targets))
	for i, t := range targets {
		if !o.OwnersFirst || t.ClusterOwner {
			order = append(order, i)
		}
	}
	if o.OwnersFirst {
		for i, t := range targets {
			if !t.ClusterOwner {
				order = append(order, i)
			}
		}
	}
	var (
		mu          sync.Mutex // orders the Progress calls
		fin, failed int
	)
	finished := func(r *Result) {
		if o.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fin++
		if r.Status == StatusFailed {
			failed++
		}
		o.Progress(fin, failed, len(targets))
	}
	if o.Progress != nil {
		o.Progress(0, 0, len(targets))
	}
	runOne := func(i int) {
		t, r := targets[i], results[i]
		defer close(done[i])
		defer finished(r)
		// A shard may run without the owner (Shard.Select): nothing to wait for.
		if owner := ownerDone[t.Server]; o.OwnersFirst && !t.ClusterOwner && owner != nil {
			select {
			case <-owner:
			case <-ctx.Done():
			}
		}
		if err := ctx.Err(); err != nil {
			r.fail(fmt.Errorf("not started: %w", err))
			return
		}
		start := time.Now()
		r.Outcome = job.Run(ctx, t, &r.Report, &r.Log)
		switch {
		case r.Err != nil:
			r.fail(r.Err)
		case r.Status == 0:
			r.fail(errors.New("the job reported no status"))
		}
		r.Duration = time.Since(start)
	}
	var (
		wg   sync.WaitGroup
		next atomic.Int64 // the index in order of the next target to take
	)
	for range min(concurrency, len(targets)) {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(order) {
					return
				}
				runOne(order[k])
			}
		})
	}
	for i := range targets {
		<-done[i]
		if o.Done != nil {
			o.Done(results[i])
		}
		if o.ReleaseOutput {
			results[i].Report, results[i].Log = bytes.Buffer{}, bytes.Buffer{}
		}
	}
	wg.Wait()
	return results
}
