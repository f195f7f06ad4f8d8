package pipeline

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pgward/pgward/audit"
)

// Metrics is what `pgward audit --format prometheus` exposes for one
// database.
type Metrics struct {
	Database string
	// Success: the audit ran to the end (exit 0 or 2).
	Success bool
	// Time is when the audit ran.
	Time time.Time
	// Counts are the findings by kind and role; those of a failed audit,
	// which would be partial, are not written.
	Counts []audit.FindingCount
	// Shard, when set, is the shard of a sharded fleet run ("2/4"), written
	// as a shard label on every series: the files of different shards then
	// never hold the same series, and can be merged.
	Shard string
}

// WritePrometheus writes the metrics of one or more databases in the
// Prometheus text exposition format (version 0.0.4), as node-exporter's
// textfile collector reads it: one gauge family per metric with HELP and
// TYPE, each family once with a series per database, and label values
// escaped.
func WritePrometheus(w io.Writer, ms ...Metrics) error {
	var b strings.Builder
	family := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, escapeHelp(help), name)
	}
	db := func(m Metrics) string {
		l := `database="` + escapeLabel(m.Database) + `"`
		if m.Shard != "" {
			l += `,shard="` + escapeLabel(m.Shard) + `"`
		}
		return l
	}
	var found bool
	for _, m := range ms {
		found = found || m.Success && len(m.Counts) > 0
	}
	if found {
		family("pgward_audit_findings", "What the last pgward audit found, by kind (drift, external, violation, owner, session) and role.")
		for _, m := range ms {
			if !m.Success {
				continue
			}
			for _, c := range m.Counts {
				fmt.Fprintf(&b, "pgward_audit_findings{%s,kind=\"%s\",role=\"%s\"} %d\n", db(m), escapeLabel(string(c.Kind)), escapeLabel(c.Role), c.Count)
			}
		}
	}
	family("pgward_audit_success", "Whether the last pgward audit ran to the end (1), in sync or not, or failed (0).")
	for _, m := range ms {
		success := 0
		if m.Success {
			success = 1
		}
		fmt.Fprintf(&b, "pgward_audit_success{%s} %d\n", db(m), success)
	}
	family("pgward_audit_timestamp_seconds", "When the last pgward audit ran, in seconds since the Unix epoch.")
	for _, m := range ms {
		fmt.Fprintf(&b, "pgward_audit_timestamp_seconds{%s} %d\n", db(m), m.Time.Unix())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeLabel escapes a label value: backslash, double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// escapeHelp escapes HELP text: backslash and line feed.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
