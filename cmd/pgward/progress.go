package main

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/pgward/pgward/internal/progress"
	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/pipeline"
)

// Progress on long work (docs/cli.md): on a terminal, apply and fleet runs
// keep a line on stderr that says how far they are and for how long. It is
// started only when stderr is a terminal; elsewhere nothing changes, not a
// byte.

// applyProgress returns out with its writers going above the progress
// line of an apply, the callback for pipeline.ApplyOptions.Progress, and
// the function that ends the line. Without a terminal on stderr it returns
// out as it is, no callback and a no-op.
func applyProgress(e env, out pipeline.Output) (pipeline.Output, func(done, total int), func()) {
	if !e.isTTY(e.stderr) {
		return out, nil, func() {}
	}
	var done, total atomic.Int64
	line := progress.Start(e.stderr, func() string {
		d, n := int(done.Load()), int(total.Load())
		switch {
		case n == 0:
			return "" // nothing executed yet: the lock, the catalog, the plan
		case d == n:
			return fmt.Sprintf("apply: %s %s executed, verifying", progress.Count(n), textout.Plural(n, "statement", "statements"))
		}
		return fmt.Sprintf("apply: %s of %s statements", progress.Count(d), progress.Count(n))
	})
	out.Log = line.Above(out.Log)
	if out.SameTerminal {
		out.Report = line.Above(out.Report)
	}
	report := func(d, n int) {
		done.Store(int64(d))
		total.Store(int64(n))
		line.Update()
	}
	return out, report, line.Stop
}

// fleetProgress returns the writers of a fleet run's sections (report,
// log) going above its progress line, the callback for
// fleet.Options.Progress, and the function that ends the line. Without a
// terminal on stderr it returns the writers as they are, no callback and
// a no-op. report goes above the line only when it is stdout on the same
// terminal.
func fleetProgress(e env, report io.Writer, sameTerminal bool) (io.Writer, io.Writer, func(done, failed, total int), func()) {
	if !e.isTTY(e.stderr) {
		return report, e.stderr, nil, func() {}
	}
	var done, failed, total atomic.Int64
	line := progress.Start(e.stderr, func() string {
		return fmt.Sprintf("databases: %s of %s done, %s failed",
			progress.Count(int(done.Load())), progress.Count(int(total.Load())), progress.Count(int(failed.Load())))
	})
	if sameTerminal {
		report = line.Above(report)
	}
	update := func(d, f, n int) {
		done.Store(int64(d))
		failed.Store(int64(f))
		total.Store(int64(n))
		line.Update()
	}
	return report, line.Above(e.stderr), update, line.Stop
}
