package apply

import (
	"strings"
	"testing"
	"time"
)

func TestMaskLiterals(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ALTER TABLE s.a ADD COLUMN x int", "ALTER TABLE s.a ADD COLUMN x int"},
		{"ALTER ROLE app PASSWORD 's3cret'", "ALTER ROLE app PASSWORD '***'"},
		{"SELECT 'it''s', 'b'", "SELECT '***', '***'"},
		{`SELECT E'a\'b', 1`, "SELECT E'***', 1"},
		{"SELECT dblink('host=h password=pw', 'x')", "SELECT dblink('***', '***')"},
		{"DO $$ BEGIN PERFORM 'x'; END $$; SELECT 1", "DO $$***$$; SELECT 1"},
		{"SELECT $fn$secret$fn$, $1, a$b", "SELECT $fn$***$fn$, $1, a$b"},
		{"ALTER ROLE app PASSWORD 's3cr", "ALTER ROLE app PASSWORD '***"},
		{"SELECT $q$cut short", "SELECT $q$***"},
		{`SELECT "quoted ' ident", 'x' FROM "a""b"`, `SELECT "quoted ' ident", '***' FROM "a""b"`},
		{`SELECT "open`, `SELECT "open`},
	}
	for _, tt := range tests {
		if got := maskLiterals(tt.in); got != tt.want {
			t.Errorf("maskLiterals(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBlocker_String(t *testing.T) {
	tests := []struct {
		b    Blocker
		want string
	}{
		{Blocker{PID: 42, ApplicationName: "migrate", User: "app", State: "idle in transaction", Query: "ALTER ROLE x PASSWORD 'pw'", XactAge: 2500 * time.Millisecond},
			`backend 42 (application_name "migrate", user "app", idle in transaction, transaction open for 2.5s, query "ALTER ROLE x PASSWORD '***'")`},
		{Blocker{PID: 7}, "backend 7"},
		{Blocker{PID: 0}, "a prepared transaction (see pg_prepared_xacts)"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
	if got := describeBlockers(nil); !strings.Contains(got, "could not be identified") {
		t.Errorf("describeBlockers(nil) = %q", got)
	}
}
