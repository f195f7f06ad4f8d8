package policy

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestNormalizeSignature(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "f()", want: "f()"},
		{in: " f ( ) ", want: "f()"},
		{in: "lookup(integer,text)", want: "lookup(integer, text)"},
		{in: "lookup( int4 ,  TEXT )", want: "lookup(integer, TEXT)"},
		{in: "f(INT8, int2, bool, varchar, timestamptz, float8, float4)",
			want: "f(bigint, smallint, boolean, character varying, timestamp with time zone, double precision, real)"},
		{in: "f(character   varying, int[], int4 [] [])", want: "f(character varying, integer[], integer[][])"},
		{in: "f_*(integer)", want: "f_*(integer)"},
		{in: "f(", wantErr: true},
		{in: "(integer)", wantErr: true},
		{in: "f(integer,)", wantErr: true},
		{in: "f(numeric(10,2))", wantErr: true},
		{in: ")", wantErr: true},
		{in: "f)", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeSignature(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("normalizeSignature(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPattern_Match(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "accounts", true},
		{"accounts", "accounts", true},
		{"accounts", "Accounts", false},
		{"oban_*", "oban_jobs", true},
		{"oban_*", "oban_", true},
		{"oban_*", "xoban_jobs", false},
		{"tmp_?", "tmp_1", true},
		{"tmp_?", "tmp_12", false},
		{"?", "é", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*_log", "audit_log", true},
		{"**", "x", true},
		{"lookup(*)", "lookup(integer, text)", true},
		{"lookup(integer)", "lookup(integer, text)", false},
	}
	for _, tt := range tests {
		p := Pattern{Text: tt.pattern}
		if got := p.Match(tt.s); got != tt.want {
			t.Errorf("Pattern(%q).Match(%q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestFormatDiagnostics(t *testing.T) {
	diags := hcl.Diagnostics{
		{
			Severity: hcl.DiagError,
			Summary:  "Unknown privilege",
			Detail:   "Did you mean\n\"SELECT\"?",
			Subject:  &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 3, Column: 19}},
		},
		{Severity: hcl.DiagWarning, Summary: "Qualified name", Subject: &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 1, Column: 1}}},
		{Severity: hcl.DiagError, Summary: "Undeclared variable", Detail: "--var sets \"x\"."},
		nil,
	}
	want := "p.hcl:3:19: error: Unknown privilege; Did you mean \"SELECT\"?\n" +
		"p.hcl:1:1: warning: Qualified name\n" +
		"error: Undeclared variable; --var sets \"x\".\n"
	if got := FormatDiagnostics(diags); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestValidTimestamp(t *testing.T) {
	for _, s := range []string{"infinity", "-infinity", "Infinity", "2027-01-01", "2027-01-01T00:00:00Z",
		"2027-01-01T00:00:00+02:00", "2027-01-01 00:00:00", "2027-01-01 00:00:00+00", "2027-01-01 00:00:00+02:00"} {
		if !validTimestamp(s) {
			t.Errorf("validTimestamp(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "tomorrow", "2027-13-01", "01/01/2027", "now"} {
		if validTimestamp(s) {
			t.Errorf("validTimestamp(%q) = true, want false", s)
		}
	}
}
