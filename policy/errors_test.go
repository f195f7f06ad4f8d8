package policy_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/policy"
)

// TestLoad_errors loads each testdata/invalid/<case> directory and checks
// the rendered diagnostics: the position, the summary and the hint.
func TestLoad_errors(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string // each must appear in the rendered diagnostics, in this order
	}{
		{
			name: "unknown-privilege",
			want: []string{`policy.hcl:3:19: error: Unknown privilege; "SELCT" is not a PostgreSQL privilege. Did you mean "SELECT"?`},
		},
		{
			name: "privilege-wrong-kind",
			want: []string{`policy.hcl:3:29: error: Invalid privilege; EXECUTE is not a privilege of tables; tables accept `,
				"SELECT", "EXECUTE applies to functions."},
		},
		{
			name: "unknown-kind",
			want: []string{
				`policy.hcl:2:9: error: Unknown object kind; "tabel" is not an object kind. Did you mean "table"?`,
				`policy.hcl:5:9: error: Unknown object kind; "view" is not an object kind. Did you mean "table"? It covers tables, partitioned tables, views`,
			},
		},
		{
			name: "duplicate-role",
			want: []string{`duplicate-role/b.hcl:3:1: error: Duplicate role; Role "web" is already declared at testdata/invalid/duplicate-role/a.hcl:1:1`},
		},
		{
			name: "name-too-long",
			want: []string{`policy.hcl:1:6: error: Invalid role name;`, "is 64 bytes long", "at most 63 bytes"},
		},
		{
			name: "undeclared-var",
			vars: map[string]string{"shema": "app"},
			want: []string{"error: Undeclared variable; -var sets \"shema\", but no variable block declares it. Did you mean \"schema\"?\n"},
		},
		{
			name: "missing-variable-value",
			want: []string{`policy.hcl:1:1: error: No value for variable; Variable "schema" has no default`, "-var schema=VALUE", "PGWARD_VAR_schema"},
		},
		{
			name: "syntax-error",
			want: []string{`policy.hcl:4:3: error: Missing item separator`},
		},
		{
			name: "all-mixed",
			want: []string{`policy.hcl:3:29: error: ALL mixed with other privileges; ALL already means every privilege of tables; write ["ALL"] alone`},
		},
		{
			name: "default-privileges-schema-in-schema",
			want: []string{`policy.hcl:4:5: error: Invalid attribute; IN SCHEMA cannot be used with schemas`},
		},
		{
			name: "database-names",
			want: []string{`policy.hcl:3:5: error: Invalid attribute; A database grant applies to the connected database, always; remove names.`},
		},
		{
			name: "reserved-role-names",
			want: []string{
				`policy.hcl:1:6: error: Reserved role name; Role names beginning with "pg_" are reserved`, `member_of "pg_monitor" {}`,
				`policy.hcl:2:6: error: Reserved role name; "public" is PostgreSQL's name for PUBLIC`,
				`policy.hcl:3:6: error: Reserved role name; PostgreSQL reserves the role name "none"`,
			},
		},
		{
			name: "member-of-self",
			want: []string{`policy.hcl:2:13: error: Role member of itself; Role "web" cannot be a member of itself`},
		},
		{
			name: "locals-cycle",
			want: []string{
				`policy.hcl:2:3: error: Cycle in local values; local.a refers to local.b`,
				`policy.hcl:3:3: error: Cycle in local values; local.b refers to local.a`,
			},
		},
		{
			name: "undeclared-reference",
			want: []string{
				`policy.hcl:7:19: error: Undeclared variable; No variable block declares "shema". Did you mean "schema"?`,
				`policy.hcl:11:18: error: Unknown reference; "app_owner" is not defined`, `must be quoted: "app_owner"`,
			},
		},
		{
			name: "unknown-attribute",
			want: []string{`policy.hcl:2:3: error: Unsupported argument; An argument named "logn" is not expected here. Did you mean "login"?`},
		},
		{
			name: "schema-not-in-scope",
			want: []string{`policy.hcl:7:18: error: Schema not in scope; Schema "ap" is not managed: scope.schemas lists "app". Did you mean "app"?`},
		},
		{
			name: "empty-privileges",
			want: []string{`policy.hcl:3:18: error: No privileges; privileges = [] grants nothing`},
		},
		{
			name: "bad-function-signature",
			want: []string{
				`policy.hcl:3:19: error: Invalid function signature; "lookup(integer": a signature ends with ")"`,
				`policy.hcl:3:37: error: Invalid function signature; "f(numeric(10,2))": argument types take no modifiers`,
				`policy.hcl:3:57: error: Invalid function signature; "g(integer, )": an argument type is empty`,
			},
		},
		{
			name: "invalid-if-missing",
			want: []string{`policy.hcl:2:16: error: Invalid if_missing;`, `not "skp". Did you mean "skip"?`},
		},
		{
			// Every problem of a file is reported in one run.
			name: "many-errors",
			want: []string{
				`policy.hcl:2:22: error: Incorrect attribute value type; connection_limit must be a whole number`,
				`policy.hcl:4:5: error: Invalid attribute; grant "schema" chooses schemas with names`,
				`policy.hcl:8:19: error: Invalid privilege; EXECUTE is not a privilege of sequences`,
				`policy.hcl:12:1: error: Duplicate role;`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := policy.LoadPath("testdata/invalid/"+tt.name, policy.LoadOptions{Vars: tt.vars})
			if !diags.HasErrors() {
				t.Fatal("want errors, got none")
			}
			if p != nil {
				t.Error("want a nil policy with errors")
			}
			// The wants are listed in reading order, and so must the
			// diagnostics be.
			got := policy.FormatDiagnostics(diags)
			from := 0
			for _, w := range tt.want {
				i := strings.Index(got[from:], w)
				if i < 0 {
					t.Errorf("diagnostics do not contain, after offset %d,\n\t%s\ngot:\n%s", from, w, got)
					continue
				}
				from += i
			}
			// Every error but the -var one points into a file.
			for _, d := range diags {
				if d.Subject == nil && d.Summary != "Undeclared variable" {
					t.Errorf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
				}
			}
		})
	}
}
