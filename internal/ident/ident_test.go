package ident

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := map[string]string{
		"users":          `"users"`,
		"MixedCase":      `"MixedCase"`,
		`we"ird`:         `"we""ird"`,
		"select":         `"select"`,
		"rôle ünïcode":   `"rôle ünïcode"`,
		`a"; DROP x; --`: `"a""; DROP x; --"`,
	}
	for in, want := range tests {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := QuoteQualified("s", "t"); got != `"s"."t"` {
		t.Errorf("QuoteQualified = %s", got)
	}
	if got := Literal("it's"); got != `'it''s'` {
		t.Errorf("Literal = %s", got)
	}
}

func TestCheck(t *testing.T) {
	if err := Check(strings.Repeat("é", 32)); err == nil {
		t.Error("64 bytes must be rejected")
	}
	if err := Check(strings.Repeat("é", 31)); err != nil {
		t.Errorf("62 bytes must pass: %v", err)
	}
	if err := Check(""); err == nil {
		t.Error("empty name must be rejected")
	}
	if err := Check("a\x00b"); err == nil {
		t.Error("NUL must be rejected")
	}
}

// FuzzQuote checks that a quoted identifier always reads back as the name:
// it starts and ends with a quote and every inner quote is doubled.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", `"`, `""`, `a"b`, "x;--", "$$", "\\", "\n", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			return
		}
		q := Quote(s)
		if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
			t.Fatalf("Quote(%q) = %s: not enclosed in quotes", s, q)
		}
		inner := q[1 : len(q)-1]
		if strings.ReplaceAll(inner, `""`, "") != strings.ReplaceAll(s, `"`, "") {
			t.Fatalf("Quote(%q) = %s: a quote is not doubled", s, q)
		}
		if strings.ReplaceAll(inner, `""`, `"`) != s {
			t.Fatalf("Quote(%q) = %s does not read back", s, q)
		}
	})
}
