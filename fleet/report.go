package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pgward/pgward/internal/textout"
	"github.com/pgward/pgward/pipeline"
)

// WriteSection writes one database's output as it finishes: its report on
// out under a heading (text, sql, markdown; json and prometheus are written
// whole at the end, by [WriteJSON] and [WritePrometheus]), and its log and
// error on log, each line prefixed with the database's label.
func WriteSection(out, log io.Writer, r *Result, format pipeline.Format) {
	var head string
	switch format {
	case pipeline.SQL:
		head = fmt.Sprintf("-- database %s\n", r.Target.Label)
	case pipeline.Markdown:
		head = fmt.Sprintf("## %s\n\n", r.Target.Label)
	case pipeline.Text:
		head = fmt.Sprintf("=== %s ===\n%s\n", r.Target.Label, ownerNote(r.Target))
	}
	if head != "" {
		fmt.Fprint(out, head)
		if r.Report.Len() == 0 {
			fmt.Fprintln(out, "(no report: the run failed, see the error)")
		}
		out.Write(r.Report.Bytes())
		fmt.Fprintln(out)
	}
	for line := range strings.Lines(r.Log.String()) {
		fmt.Fprint(log, r.Target.Label+": "+line)
		if !strings.HasSuffix(line, "\n") {
			fmt.Fprintln(log)
		}
	}
	if r.Err != nil {
		fmt.Fprintf(log, "error: %s\n", textout.OneLine(r.Err.Error()))
	}
}

// ownerNote says which run changes what the server's databases share.
func ownerNote(t *Target) string {
	if t.ClusterOwner {
		return "(cluster owner of " + t.Server + ": this run also covers the roles, memberships, parameters and tablespaces its databases share)"
	}
	where := ""
	if t.ownerElsewhere() {
		where = ", in shard " + t.OwnerShard.String()
	}
	return "(the roles, memberships, parameters and tablespaces of " + t.Server + " are left to the run of its cluster owner, " + t.OwnerLabel + where + ")"
}

// shardOf is the shard the results were run in; the zero Shard when the
// run was not sharded or ran no database.
func shardOf(results []*Result) Shard {
	if len(results) == 0 {
		return Shard{}
	}
	return results[0].Target.Shard
}

// WriteSummary writes the summary of a fleet run in text, markdown or sql
// (as comments): a line that counts the results, a table with one row per
// database, then the errors again, since a job log is read from the end.
func WriteSummary(w io.Writer, mode Mode, results []*Result, format pipeline.Format) error {
	var b bytes.Buffer
	counts := map[string]int{}
	var order []string
	failed := 0
	for _, r := range results {
		if r.Status == StatusFailed {
			failed++
			continue
		}
		word := r.Summary
		if i := strings.Index(word, " ("); i > 0 {
			word = word[:i]
		}
		if counts[word] == 0 {
			order = append(order, word)
		}
		counts[word]++
	}
	var parts []string
	for _, w := range order {
		phrase := w
		if w == "changes" || w == "drift" {
			phrase = "with " + w
		}
		parts = append(parts, fmt.Sprintf("%d %s", counts[w], phrase))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	n := len(results)
	var shard string
	if s := shardOf(results); s.Sharded() {
		shard = ", shard " + s.String()
	}
	if len(parts) == 0 {
		parts = []string{"nothing to do"}
	}
	fmt.Fprintf(&b, "Fleet %s over %d %s%s: %s.\n\n", mode, n, textout.Plural(n, "database", "databases"), shard, strings.Join(parts, ", "))
	column := "CHANGES"
	if mode == Audit {
		column = "FINDINGS"
	}
	markdown := format == pipeline.Markdown
	if markdown {
		fmt.Fprintf(&b, "| database | result | %s | duration |\n|---|---|---:|---:|\n", strings.ToLower(column))
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if !markdown {
		fmt.Fprintf(tw, "DATABASE\tRESULT\t%s\tDURATION\n", column)
	}
	for _, r := range results {
		label := r.Target.Label
		if r.Target.ClusterOwner {
			label += " *"
		}
		changes := strconv.Itoa(r.Changes)
		if r.Status == StatusFailed {
			changes = "-"
		}
		dur := r.Duration.Round(time.Millisecond).String()
		if markdown {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", label, r.Summary, changes, dur)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", label, r.Summary, changes, dur)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	star := "*"
	if markdown {
		star = `\*`
	}
	fmt.Fprintf(&b, "\n%s cluster owner: its run covers the roles, memberships, parameters and tablespaces of its server\n", star)
	if failed > 0 {
		fmt.Fprintln(&b, "\nFailed:")
		for _, r := range results {
			if r.Err != nil {
				fmt.Fprintf(&b, "  %s\n", textout.OneLine(r.Err.Error()))
			}
		}
	}
	text := b.String()
	if format == pipeline.SQL {
		text = "-- " + strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n-- ") + "\n"
	}
	_, err := io.WriteString(w, text)
	return err
}

// JSONFormatVersion is the format_version of the fleet JSON document
// (docs/fleets.md).
const JSONFormatVersion = "1"

type fleetJSON struct {
	FormatVersion string        `json:"format_version"`
	Command       string        `json:"command"`
	Shard         string        `json:"shard,omitempty"`
	ExitCode      int           `json:"exit_code"`
	Databases     []fleetDBJSON `json:"databases"`
}

type fleetDBJSON struct {
	Target       string `json:"target"`
	Server       string `json:"server"`
	Database     string `json:"database"`
	User         string `json:"user"`
	ClusterOwner bool   `json:"cluster_owner"`
	Result       string `json:"result"`
	ExitCode     int    `json:"exit_code"`
	Changes      int    `json:"changes"`
	DurationMS   int64  `json:"duration_ms"`
	Error        string `json:"error,omitempty"`
	// Errors are the failed run's errors as the plan's failure document
	// lists them (docs/json.md); empty when it did not fail.
	Errors []json.RawMessage `json:"errors"`
	// Plan is the database's JSON report; absent when the run failed.
	Plan json.RawMessage `json:"plan,omitempty"`
}

// WriteJSON writes one JSON document: each database's plan (its report,
// when that is JSON: docs/json.md) with its result, and the exit status of
// the whole run ([Worst]).
func WriteJSON(w io.Writer, mode Mode, results []*Result) error {
	doc := fleetJSON{FormatVersion: JSONFormatVersion, Command: mode.String(), Shard: shardOf(results).String(), ExitCode: Worst(results).ExitCode(), Databases: []fleetDBJSON{}}
	for _, r := range results {
		t := r.Target
		d := fleetDBJSON{Target: t.Label, Server: t.Server, Database: t.Config.Database, User: t.Config.User,
			ClusterOwner: t.ClusterOwner, Result: r.Summary, ExitCode: r.Status.ExitCode(), Changes: r.Changes, DurationMS: r.Duration.Milliseconds()}
		d.Errors = []json.RawMessage{}
		body := bytes.TrimSpace(r.Report.Bytes())
		if !json.Valid(body) {
			body = nil
		}
		if r.Err != nil {
			d.Error = textout.OneLine(r.Err.Error())
		}
		switch {
		case r.Status != StatusFailed:
			d.Plan = body
		case body != nil:
			// The failure document the run wrote (pipeline.Output.WriteFailure).
			var failure struct {
				Errors []json.RawMessage `json:"errors"`
			}
			if err := json.Unmarshal(body, &failure); err == nil {
				d.Errors = append(d.Errors, failure.Errors...)
			}
		}
		if r.Status == StatusFailed && len(d.Errors) == 0 && r.Err != nil {
			e, _ := json.Marshal(map[string]string{"summary": d.Error})
			d.Errors = append(d.Errors, e)
		}
		doc.Databases = append(doc.Databases, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WritePrometheus writes the audit metrics of every database in one
// exposition (pipeline.WritePrometheus): each family once, with a series
// per database, labelled with the database's name as the server gave it
// (as given, when the run did not connect). now is when the audit ran.
func WritePrometheus(w io.Writer, results []*Result, now time.Time) error {
	ms := make([]pipeline.Metrics, 0, len(results))
	for _, r := range results {
		m := pipeline.Metrics{Database: r.Database, Success: r.Status != StatusFailed, Time: now, Shard: r.Target.Shard.String()}
		if m.Database == "" {
			m.Database = r.Target.Config.Database
		}
		if m.Success {
			m.Counts = r.Counts
		}
		ms = append(ms, m)
	}
	return pipeline.WritePrometheus(w, ms...)
}
