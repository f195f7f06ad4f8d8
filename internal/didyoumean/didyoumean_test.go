package didyoumean_test

import (
	"testing"

	"github.com/pgward/pgward/internal/didyoumean"
)

func TestSuggest(t *testing.T) {
	tests := []struct {
		given      string
		candidates []string
		want       string
	}{
		{"SELCT", []string{"INSERT", "SELECT"}, "SELECT"},
		{"select", []string{"SELECT"}, "SELECT"},
		{"tabel", []string{"database", "table"}, "table"},
		{"view", []string{"database", "schema", "table"}, ""},
		{"", []string{"a"}, ""},
		{"é", []string{"e"}, "e"},
		{"wbe", []string{"bob", "web"}, "web"},
		{"web", []string{"bob"}, ""},
		{"tuist_procesor", []string{"tuist_app", "tuist_processor"}, "tuist_processor"},
		{"biling", []string{"billing", "public"}, "billing"},
	}
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			if got := didyoumean.Suggest(tt.given, tt.candidates); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.given, got, tt.want)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"héllo", "hello", 1}, {"wbe", "web", 1}, {"ca", "abc", 3},
	}
	for _, tt := range tests {
		if got := didyoumean.Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
