package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/textout"
)

// jsonDiagnostic is one error or warning of a JSON document: a diagnostic
// with its place in the policy, or an error of the environment (a failed
// connection, a lock timeout), which has only a summary.
type jsonDiagnostic struct {
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// jsonFailure is the document of a failed run: no plan, only why.
type jsonFailure struct {
	FormatVersion string           `json:"format_version"`
	Errors        []jsonDiagnostic `json:"errors"`
	Warnings      []jsonDiagnostic `json:"warnings"`
}

// diagnosticsJSON splits diags into errors and warnings (never nil).
func diagnosticsJSON(diags hcl.Diagnostics) (errs, warnings []jsonDiagnostic) {
	errs, warnings = []jsonDiagnostic{}, []jsonDiagnostic{}
	for _, d := range diags {
		if d == nil {
			continue
		}
		jd := jsonDiagnostic{Summary: textout.OneLine(d.Summary), Detail: textout.OneLine(d.Detail)}
		if d.Subject != nil {
			jd.File, jd.Line, jd.Column = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		if d.Severity == hcl.DiagWarning {
			warnings = append(warnings, jd)
		} else {
			errs = append(errs, jd)
		}
	}
	return errs, warnings
}

// WriteJSONFailure writes the JSON document of a run that failed
// (docs/json.md): format_version, errors and warnings, and nothing that
// could be read as a plan. The errors are the error diagnostics of diags,
// then err (a failed connection, a lock timeout …) if not nil.
func WriteJSONFailure(w io.Writer, diags hcl.Diagnostics, err error) error {
	doc := jsonFailure{FormatVersion: JSONFormatVersion}
	doc.Errors, doc.Warnings = diagnosticsJSON(diags)
	if err != nil {
		doc.Errors = append(doc.Errors, jsonDiagnostic{Summary: textout.OneLine(err.Error())})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteMarkdownFailure writes a failed run for a pull-request comment: a
// title saying that command failed, then the errors, then the warnings,
// and no plan.
func WriteMarkdownFailure(w io.Writer, command string, diags hcl.Diagnostics, err error) error {
	tw := textout.NewWriter(w, false)
	tw.Printf("### %s failed\n\n", command)
	var errs, warnings []string
	for _, d := range diags {
		if d == nil {
			continue
		}
		if d.Severity == hcl.DiagWarning {
			warnings = append(warnings, markdownDiagnostic(d))
		} else {
			errs = append(errs, markdownDiagnostic(d))
		}
	}
	if err != nil {
		errs = append(errs, "- "+mdText(textout.OneLine(err.Error())))
	}
	tw.Printf("**%d %s; nothing was planned or changed.**\n\n%s\n", len(errs), textout.Plural(len(errs), "error", "errors"), strings.Join(errs, "\n"))
	writeMarkdownWarnings(tw, warnings)
	return tw.Flush()
}

// markdownWarnings renders the warnings of diags as list items.
func markdownWarnings(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d != nil && d.Severity == hcl.DiagWarning {
			out = append(out, markdownDiagnostic(d))
		}
	}
	return out
}

func writeMarkdownWarnings(tw *textout.Writer, items []string) {
	if len(items) > 0 {
		tw.Printf("\n#### Warnings\n\n%s\n", strings.Join(items, "\n"))
	}
}

// markdownDiagnostic is one list item: the place, the summary in bold,
// the detail.
func markdownDiagnostic(d *hcl.Diagnostic) string {
	var b strings.Builder
	b.WriteString("- ")
	if d.Subject != nil {
		b.WriteString(mdCode(fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)) + " ")
	}
	b.WriteString("**" + mdText(textout.OneLine(d.Summary)) + "**")
	if d.Detail != "" {
		b.WriteString(": " + mdText(textout.OneLine(d.Detail)))
	}
	return b.String()
}

// mdText escapes what Markdown would read as markup in a sentence taken
// from a diagnostic or an error: names may hold * and _.
func mdText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "|", `\|`)
	return r.Replace(s)
}
