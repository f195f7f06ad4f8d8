package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/audit"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
	"github.com/pgward/pgward/render"
)

// Format is an output format of plan, audit and apply: the values of
// pgward's --format.
type Format string

// The formats. Prometheus is audit's only: metrics ([WritePrometheus]) and
// no report.
const (
	Text       Format = "text"
	JSON       Format = "json"
	SQL        Format = "sql"
	Markdown   Format = "markdown"
	Prometheus Format = "prometheus"
)

// ErrDiagnostics is returned when the plan has error diagnostics, which
// have been written to [Output.Log]: there is nothing more to say.
var ErrDiagnostics = errors.New("the plan has errors (see its diagnostics)")

// Output is where one database's run writes, and how.
type Output struct {
	// Report receives the plan or the audit report, in Format.
	Report io.Writer
	// Log receives the diagnostics, apply's log and what could not be
	// written to Report.
	Log io.Writer
	// Format of the report; the zero value and Prometheus write text
	// when a report is written.
	Format Format
	// Color: colour the text report (the caller decides: a terminal, no
	// NO_COLOR).
	Color bool
	// SameTerminal: Report and Log are one terminal, read together. The
	// text report lists each change the connecting role cannot execute,
	// with its fix, so [Output.WriteDiagnostics] leaves out the warnings
	// that say the same once more. Elsewhere (a job log, a file) they are
	// kept: Log may be all that is read.
	SameTerminal bool
}

// WritePlan writes the report of a plan built with diags to o.Report in
// o.Format: the plan, with the warnings of diags in JSON and Markdown
// (text and SQL leave them to o.Log), or, when diags has errors, the
// failure ([Output.WriteFailure]) and no plan. audit chooses the audit
// report's wording. It does not write diags to o.Log.
func (o Output) WritePlan(p *plan.Plan, diags hcl.Diagnostics, audit bool) error {
	if diags.HasErrors() {
		command := "plan"
		if audit {
			command = "audit"
		}
		return o.WriteFailure(command, diags, nil)
	}
	switch o.Format {
	case JSON:
		return render.WriteJSON(o.Report, p, render.JSONOptions{Warnings: diags})
	case SQL:
		return render.WriteSQL(o.Report, p)
	case Markdown:
		return render.WriteMarkdown(o.Report, p, render.MarkdownOptions{Audit: audit, Warnings: diags})
	}
	return render.WriteText(o.Report, p, render.TextOptions{Color: o.Color, Audit: audit})
}

// WriteFailure writes the report of a command that failed, for its error
// diagnostics (diags, warnings included) or for err: the error contract of
// docs/cli.md. Nothing in it reads as a result. In JSON it is the failure
// document (format_version, errors, warnings: render.WriteJSONFailure); in
// Markdown the errors first, under "pgward COMMAND failed"; in text and SQL
// nothing, since o.Log has said it all. It does not write to o.Log: the
// caller has written diags there, and prints err where it prints errors.
func (o Output) WriteFailure(command string, diags hcl.Diagnostics, err error) error {
	switch o.Format {
	case JSON:
		return render.WriteJSONFailure(o.Report, diags, err)
	case Markdown:
		return render.WriteMarkdownFailure(o.Report, "pgward "+command, diags, err)
	}
	return nil
}

// WriteDiagnostics writes diags, if any, to o.Log: all of them, except
// with SameTerminal, in text, when diags has no errors (the plan was
// written then): the warnings about changes left out for lack of
// authority (plan.Unauthorized), which the report shows already.
func (o Output) WriteDiagnostics(diags hcl.Diagnostics) {
	if o.SameTerminal && (o.Format == Text || o.Format == "") && !diags.HasErrors() {
		diags = slices.DeleteFunc(slices.Clone(diags), func(d *hcl.Diagnostic) bool {
			_, shown := d.Extra.(plan.Unauthorized)
			return shown
		})
	}
	if len(diags) > 0 {
		fmt.Fprint(o.Log, policy.FormatDiagnostics(diags))
	}
}

// ReadOnly runs read in one READ ONLY, REPEATABLE READ transaction (one
// snapshot, no locks beyond catalog reads), which it rolls back.
func ReadOnly(ctx context.Context, cfg *pgx.ConnConfig, read func(pgx.Tx) error) error {
	conn, err := connstr.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return read(tx)
}

// ReadCatalog reads the catalog in the policy's scope in a read-only
// snapshot.
func ReadCatalog(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy) (cat *introspect.Catalog, err error) {
	err = ReadOnly(ctx, cfg, func(tx pgx.Tx) error {
		cat, err = introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas})
		return err
	})
	return cat, err
}

// ReadPlan builds the plan from a read-only snapshot of the catalog.
func ReadPlan(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy, o plan.Options) (*plan.Plan, hcl.Diagnostics, error) {
	cat, err := ReadCatalog(ctx, cfg, pol)
	if err != nil {
		return nil, nil, err
	}
	p, diags := plan.Build(pol, cat, o)
	return p, diags, nil
}

// ReadAudit builds the plan and the audit findings from one READ ONLY,
// REPEATABLE READ transaction: the catalog (introspect.Read) and, when
// sessions are checked, pg_stat_activity (one more query). The plan is
// always partial (o.Partial is ignored): a change the connecting role
// could not execute is drift like any other (a warning says why), not an
// error; audit executes nothing, and often runs as a role that may execute
// nothing.
func ReadAudit(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy, o plan.Options, a audit.Options) (*plan.Plan, hcl.Diagnostics, error) {
	var (
		cat      *introspect.Catalog
		sessions []audit.Session
	)
	err := ReadOnly(ctx, cfg, func(tx pgx.Tx) error {
		var err error
		if cat, err = introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas}); err != nil || !a.CheckSessions {
			return err
		}
		read, err := introspect.ReadSessions(ctx, tx)
		for _, s := range read {
			sessions = append(sessions, audit.Session{Role: s.Role, ApplicationName: s.ApplicationName, Count: s.Count})
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	o.Partial = true
	p, diags := plan.Build(pol, cat, o)
	p.Findings = audit.Audit(pol, cat, sessions, a)
	if p.Findings == nil {
		p.Findings = []plan.Finding{} // an audit: JSON always has "findings"
	}
	return p, diags, nil
}

// Plan reads the plan (as [ReadPlan]), writes it to out.Report and its
// diagnostics to out.Log. A plan with error diagnostics is not written:
// the failure is, as for an error of its own ([Output.WriteFailure]);
// either way the caller has nothing more to write to out.Report. When
// writing fails, it returns the plan with the error, and writes no
// diagnostics.
func Plan(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy, o plan.Options, out Output) (*plan.Plan, hcl.Diagnostics, error) {
	p, diags, err := ReadPlan(ctx, cfg, pol, o)
	if err != nil {
		return nil, nil, orWriteError(err, out.WriteFailure("plan", nil, err))
	}
	if err := out.WritePlan(p, diags, false); err != nil {
		return p, nil, err
	}
	out.WriteDiagnostics(diags)
	return p, diags, nil
}

// Audit reads the plan and the findings (as [ReadAudit]), writes the audit
// report to out.Report (none in the Prometheus format, whose metrics the
// caller writes from the plan) and the diagnostics to out.Log; a failure
// is written as [Plan] writes it. When writing fails, it returns the plan
// with the error, and writes no diagnostics.
func Audit(ctx context.Context, cfg *pgx.ConnConfig, pol *policy.Policy, o plan.Options, a audit.Options, out Output) (*plan.Plan, hcl.Diagnostics, error) {
	p, diags, err := ReadAudit(ctx, cfg, pol, o, a)
	if err != nil {
		return nil, nil, orWriteError(err, out.WriteFailure("audit", nil, err))
	}
	if out.Format != Prometheus {
		if err := out.WritePlan(p, diags, true); err != nil {
			return p, nil, err
		}
	}
	out.WriteDiagnostics(diags)
	return p, diags, nil
}

// DeclaredRoles lists the names of the policy's roles, in its order: the
// roles whose findings an audit counts (audit.CountFindings).
func DeclaredRoles(pol *policy.Policy) []string {
	var out []string
	for _, r := range pol.Roles {
		out = append(out, r.Name)
	}
	return out
}

// orWriteError is err, joined with werr (the failure to write it) when
// writing failed too.
func orWriteError(err, werr error) error {
	if werr == nil {
		return err
	}
	return errors.Join(err, werr)
}
