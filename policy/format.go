package policy

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns an HCL policy file in canonical form: hclwrite's layout
// (two-space indents, one space around operators, aligned "=" in runs of
// attributes, aligned trailing comments). Only whitespace inside lines
// changes; line breaks, comments and blank lines are kept, so formatting
// never changes what the policy means. Format is idempotent:
// Format(Format(src)) == Format(src).
//
// Source that does not parse is not formatted: the result is nil and the
// diagnostics hold the syntax errors. Their ranges name no file; use
// [FormatFile] for diagnostics with file:line:col.
func Format(src []byte) ([]byte, hcl.Diagnostics) {
	return FormatFile(src, "")
}

// FormatFile is [Format] for the file with the given name, which the
// diagnostics' ranges carry.
func FormatFile(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// FormatSignature writes a function signature as policies compare it:
// "lookup( int ,text )" becomes "lookup(integer, text)" (see
// docs/policy.md, "Function signatures"). The error says what is wrong
// with a malformed signature.
func FormatSignature(s string) (string, error) {
	return normalizeSignature(s)
}
