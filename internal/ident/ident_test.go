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

func TestStripSchemas(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"integer, text", "integer, text"},
		{"app.d", "d"},
		{`"My Schema"."D"`, `"D"`},
		{`"My Schema"."D"[], app.d`, `"D"[], d`},
		{`account_name text, project_name app.handle`, `account_name text, project_name handle`},
		{`VARIADIC xs app.d[]`, `VARIADIC xs d[]`},
		{`"a.b".c`, `c`},             // the dot inside quotes is not a qualifier
		{`"we""ird"."x.y"`, `"x.y"`}, // doubled quotes inside a quoted name
		{`timestamp with time zone`, `timestamp with time zone`},
		{`"unterminated.`, `"unterminated.`}, // never loses input it cannot follow
	}
	for _, tt := range tests {
		if got := StripSchemas(tt.in); got != tt.want {
			t.Errorf("StripSchemas(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzStripSchemas: stripping never adds bytes, is idempotent, and leaves a
// list without a dot as it was.
func FuzzStripSchemas(f *testing.F) {
	for _, s := range []string{`"My Schema"."D"[]`, "a.b.c, d", `"x"".y".z`, "VARIADIC v app.d[]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := StripSchemas(s)
		if len(got) > len(s) {
			t.Fatalf("StripSchemas(%q) = %q is longer than its input", s, got)
		}
		if again := StripSchemas(got); again != got {
			t.Fatalf("StripSchemas is not idempotent on %q: %q, then %q", s, got, again)
		}
		if !strings.Contains(s, ".") && got != s {
			t.Fatalf("StripSchemas(%q) = %q changed a list without a dot", s, got)
		}
	})
}
