package policy

import (
	"bytes"

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
	out := hclwrite.Format(src)
	if r, ok := joinedTokens(src, out, filename); !ok {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot format",
			Detail: "Formatting would remove the space here and join two tokens into one, which changes what the file means " +
				"(hclwrite turns the index expression 0 .0 into the number 0.0). Rewrite the expression so that it does not depend on this space.",
			Subject: r.Ptr(),
		}}
	}
	return out, nil
}

// joinedTokens checks that formatted, hclwrite's output for src, lexes to
// the tokens of src: hclwrite only changes spaces, but where a space is
// all that separates two tokens (a number, then a dot) removing it makes
// one token of them. When they differ it returns the range in src of the
// first token that changed.
func joinedTokens(src, formatted []byte, filename string) (hcl.Range, bool) {
	a, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	b, _ := hclsyntax.LexConfig(formatted, filename, hcl.InitialPos)
	for i := range a {
		if i >= len(b) || a[i].Type != b[i].Type || !bytes.Equal(bytes.TrimRight(a[i].Bytes, " \t"), bytes.TrimRight(b[i].Bytes, " \t")) {
			return a[i].Range, false
		}
	}
	if len(b) > len(a) {
		return b[len(a)].Range, false
	}
	return hcl.Range{}, true
}

// FormatSignature writes a function signature as policies compare it:
// "lookup( int ,text )" becomes "lookup(integer, text)" (see
// docs/policy.md, "Function signatures"). The error says what is wrong
// with a malformed signature.
func FormatSignature(s string) (string, error) {
	return normalizeSignature(s)
}
