package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pgward/pgward/plan"
)

// promReport is what `pgward audit --format prometheus` exposes.
type promReport struct {
	Database string
	// Success: the audit ran to the end (exit 0 or 2).
	Success bool
	// Time is when the audit ran.
	Time time.Time
	// Counts are the findings by kind and role; none when the audit failed.
	Counts []plan.FindingCount
}

// writePrometheus writes r in the Prometheus text exposition format
// (version 0.0.4), as node-exporter's textfile collector reads it: one
// gauge family per metric with HELP and TYPE, and label values escaped.
func writePrometheus(w io.Writer, r promReport) error {
	var b strings.Builder
	db := `database="` + escapeLabel(r.Database) + `"`
	family := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, escapeHelp(help), name)
	}
	if len(r.Counts) > 0 {
		family("pgward_audit_findings", "What the last pgward audit found, by kind (drift, external, violation, owner, session) and role.")
		for _, c := range r.Counts {
			fmt.Fprintf(&b, "pgward_audit_findings{%s,kind=\"%s\",role=\"%s\"} %d\n", db, escapeLabel(string(c.Kind)), escapeLabel(c.Role), c.Count)
		}
	}
	success := 0
	if r.Success {
		success = 1
	}
	family("pgward_audit_success", "Whether the last pgward audit ran to the end (1), in sync or not, or failed (0).")
	fmt.Fprintf(&b, "pgward_audit_success{%s} %d\n", db, success)
	family("pgward_audit_timestamp_seconds", "When the last pgward audit ran, in seconds since the Unix epoch.")
	fmt.Fprintf(&b, "pgward_audit_timestamp_seconds{%s} %d\n", db, r.Time.Unix())
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
