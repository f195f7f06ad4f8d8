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
		name  string
		vars  map[string]string
		want  []string // each must appear in the rendered diagnostics, in this order
		count int      // when set, the exact number of diagnostics
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
			want: []string{"error: Undeclared variable; --var sets \"shema\", but no variable block declares it. Did you mean \"schema\"?\n"},
		},
		{
			name: "missing-variable-value",
			want: []string{`policy.hcl:1:1: error: No value for variable; Variable "schema" has no default`, "--var schema=VALUE", "PGWARD_VAR_schema"},
		},
		{
			name: "syntax-error",
			want: []string{`policy.hcl:4:3: error: Missing item separator`},
		},
		{
			name: "system-schema",
			want: []string{
				`policy.hcl:2:35: error: Not a system schema; system_schemas lists the system schemas whose own privileges the policy manages: "information_schema", "pg_catalog". "pg_toast" is not one`,
				`policy.hcl:7:33: error: System schema not in scope; "information_schema" is a system schema: a rule may grant on its own ACL (never on its contents) once scope lists it, as in scope { system_schemas = ["information_schema"] }`,
			},
			count: 2,
		},
		{
			name:  "public-system-schema",
			want:  []string{`policy.hcl:7:26: error: PUBLIC on a system schema; "pg_catalog" is a system schema, and pgward never manages what PUBLIC holds on one`},
			count: 1,
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
			name: "grant-column-kind",
			want: []string{
				`policy.hcl:2:9: error: Invalid object kind; There is no "column" kind: column privileges are granted by a table rule with columns, such as grant "table" with names = ["accounts"], columns = ["email"] and privileges = ["SELECT"].`,
				`policy.hcl:5:9: error: Invalid object kind; There is no "columns" kind: column privileges are granted by a table rule with columns`,
				`policy.hcl:8:9: error: Unknown object kind; "fdw" is not an object kind. Did you mean "foreign_data_wrapper"? It covers foreign-data wrappers`,
				`policy.hcl:11:9: error: Unknown object kind; "languages" is not an object kind. Did you mean "language"?`,
			},
		},
		{
			name: "schema-outside-schemas",
			want: []string{
				`policy.hcl:3:5: error: Invalid attribute; Tablespaces do not live in a schema; grant "tablespace" takes no schema. Remove schema.`,
				`policy.hcl:7:5: error: Invalid attribute; Languages do not live in a schema; grant "language" takes no schema.`,
			},
		},
		{
			name: "large-object-oids",
			want: []string{
				`policy.hcl:3:19: error: Invalid large object OID; "lo_avatar" is not an OID`, `as in "16400"`,
				`policy.hcl:3:32: error: Invalid large object OID; 0 is not a valid OID: OIDs run from 1 to 4294967295.`,
				`policy.hcl:3:37: error: Invalid large object OID; 4294967296 is not a valid OID`,
				`policy.hcl:3:51: error: Invalid large object OID; "164*" holds a wildcard, but large objects are selected by exact OID`,
				`policy.hcl:3:59: error: Empty name; A large object is named by its OID`,
			},
		},
		{
			name: "parameter-names",
			want: []string{
				`policy.hcl:3:19: error: Invalid parameter name; "log statement" holds ' '`,
				`policy.hcl:3:36: error: Invalid parameter name; "pg_stat_statements..track" has an empty part`,
				`policy.hcl:3:65: error: Invalid parameter name; "9lives": a part of a parameter name cannot start with '9'`,
				`policy.hcl:3:75: error: Invalid parameter name; "work-mem" holds '-'`,
				`policy.hcl:8:19: error: Invalid privilege; USAGE is not a privilege of parameters; parameters accept SET, ALTER SYSTEM, or ALL.`,
			},
		},
		{
			name: "columns-privileges",
			want: []string{
				`policy.hcl:5:29: error: Invalid privilege; TRUNCATE is not a privilege of columns; columns accept SELECT, INSERT, UPDATE, REFERENCES, or ALL. TRUNCATE exists on whole tables only: grant it in a rule without columns.`,
				`policy.hcl:5:41: error: Invalid privilege; DELETE is not a privilege of columns; columns accept SELECT, INSERT, UPDATE, REFERENCES, or ALL.`,
			},
		},
		{
			name: "columns-invalid",
			want: []string{
				`policy.hcl:3:18: error: Empty columns; columns = [] selects no column`,
				`policy.hcl:7:19: error: Invalid column name; columns lists exact column names, without wildcards; "*" holds one.`,
				`policy.hcl:7:24: error: Invalid column name; Name "ééééééééééééééééééééééééééééééééé" is 66 bytes long`,
				`policy.hcl:11:5: error: Invalid attribute; columns grants column privileges, which only tables have: it belongs in grant "table".`,
			},
		},
		{
			name: "with-grant-option",
			want: []string{
				`policy.hcl:4:25: error: Incorrect attribute value type; with_grant_option must be true or false`,
				`policy.hcl:9:5: error: Unsupported argument; An argument named "with_grant_opton" is not expected here. Did you mean "with_grant_option"?`,
			},
		},
		{
			name: "owner",
			want: []string{
				`policy.hcl:3:5: error: Invalid attribute; A database grant applies to the connected database, whoever owns it; remove owner.`,
				`policy.hcl:8:5: error: Invalid attribute; Parameters have no owner; remove owner.`,
				`policy.hcl:12:18: error: Reserved role name; "public" is not a role`,
				`policy.hcl:16:18: error: Invalid role name; Name "ééééééééééééééééééééééééééééééééé" is 66 bytes long`,
				`policy.hcl:24:3: warning: Undeclared role; No role block declares "tuist_ap" (owner in a grant of ops). Did you mean "tuist_app"?`,
			},
		},
		{
			name: "if-missing-create",
			want: []string{
				`policy.hcl:3:16: error: Cannot create an external role; An external role is created by another system`,
				`policy.hcl:7:16: error: Cannot create a retired role; if_missing = "create" with ensure = "absent" would create the role only to retire it.`,
				`policy.hcl:12:16: error: Invalid if_missing;`, `not "crate". Did you mean "create"?`,
			},
		},
		{
			name: "ensure",
			want: []string{
				`policy.hcl:2:12: error: Invalid ensure; ensure is "present"`, `not "absnt". Did you mean "absent"?`,
				`policy.hcl:6:12: error: Invalid ensure;`, `not "true".`,
			},
		},
		{
			name: "retired-role",
			want: []string{
				`policy.hcl:5:3: error: Rule in a retired role; Role "old" has ensure = "absent" (at testdata/invalid/retired-role/policy.hcl:2:3): a retired role holds nothing; remove this member_of block`,
				`policy.hcl:6:3: error: Rule in a retired role;`, `remove this grant block`,
				`policy.hcl:9:3: error: Rule in a retired role;`, `remove this default_privileges block`,
			},
		},
		{
			name: "deny",
			want: []string{
				`policy.hcl:3:18: error: Empty kinds; kinds = [] covers no kind`,
				`policy.hcl:7:19: error: Unknown object kind; "tabel" is not an object kind. Did you mean "table"? deny accepts`,
				`policy.hcl:7:28: error: Unknown object kind; "columns" is not an object kind. Did you mean "column"?`,
				`policy.hcl:12:19: error: Invalid privilege; EXECUTE is not a privilege of tables and sequences;`, `EXECUTE applies to functions.`,
				`policy.hcl:16:5: error: Invalid attribute; schema limits a deny to the objects inside schema "public" and to that schema itself, but databases and tablespaces do not live in a schema.`,
				`policy.hcl:21:19: error: Invalid privilege; CONNECT is not a privilege of schemas, tables, columns, sequences, functions and types;`,
				`With schema, a deny covers schema "public" and the objects inside it only.`,
				`policy.hcl:25:18: error: Empty names;`,
				`policy.hcl:26:19: error: ALL mixed with other privileges;`,
				`policy.hcl:28:8: error: Missing required argument; The argument "privileges" is required`,
				`policy.hcl:32:19: error: Unknown privilege; "CRATE" is not a PostgreSQL privilege. Did you mean "CREATE"? Privileges are SELECT,`,
				`policy.hcl:33:5: error: Unsupported argument; An argument named "except" is not expected here.`,
			},
		},
		{
			name: "deny-contradiction",
			want: []string{
				`policy.hcl:2:3: error: Rule contradicts a deny; This rule grants INSERT on tables, which the deny block at testdata/invalid/deny-contradiction/policy.hcl:24:3 forbids for web.`,
				`policy.hcl:6:3: error: Rule contradicts a deny; This rule grants UPDATE on columns, which the deny block at testdata/invalid/deny-contradiction/policy.hcl:24:3 forbids for web on tables`,
				`policy.hcl:15:3: error: Rule contradicts a deny; This rule grants CREATE on schemas, which the deny block at testdata/invalid/deny-contradiction/policy.hcl:28:3`,
				`policy.hcl:19:3: error: Rule contradicts a deny; These default privileges give INSERT, UPDATE on new tables`,
			},
		},
		{
			name: "default-privileges-large-object",
			want: []string{
				`policy.hcl:4:5: error: Invalid attribute; Large objects do not live in a schema: default privileges for large objects are always global; remove schema.`,
				`policy.hcl:5:29: error: Invalid privilege; USAGE is not a privilege of large objects; large objects accept SELECT, UPDATE, or ALL.`,
				`policy.hcl:7:22: error: Invalid object kind; default_privileges accepts the kinds "schema", "table", "sequence", "function", "type", "large_object", not "column".`,
			},
		},
		{
			name: "public-new-kinds",
			want: []string{
				`policy.hcl:2:27: error: Invalid privilege; USAGE is not a privilege of tablespaces; tablespaces accept CREATE, or ALL.`,
				`policy.hcl:3:34: error: Invalid privilege; CREATE is not a privilege of parameters;`,
				`policy.hcl:4:37: error: Invalid privilege; DELETE is not a privilege of large objects;`,
				`policy.hcl:5:27: error: Unknown privilege; "USGE" is not a PostgreSQL privilege. Did you mean "USAGE"? Foreign-data wrappers accept USAGE, or ALL.`,
				`policy.hcl:6:3: error: Unsupported argument; An argument named "foreign_servers" is not expected here. Did you mean "foreign_server"?`,
			},
		},
		{
			// 32 × "é" is 64 bytes: too long. 31 × "é" (62 bytes, line 7
			// and the second name of line 9) is fine.
			name: "name-too-long-unicode",
			want: []string{
				`policy.hcl:2:14: error: Invalid schema name; Name "éééééééééééééééééééééééééééééééé" is 64 bytes long`,
				`policy.hcl:5:6: error: Invalid role name; Name "éééééééééééééééééééééééééééééééé" is 64 bytes long`,
				`policy.hcl:9:19: error: Invalid table name; Name "éééééééééééééééééééééééééééééééé" is 64 bytes long`,
			},
			count: 3,
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
			if tt.count != 0 && len(diags) != tt.count {
				t.Errorf("got %d diagnostics, want %d:\n%s", len(diags), tt.count, got)
			}
			// Every error but the --var one points into a file.
			for _, d := range diags {
				if d.Subject == nil && d.Summary != "Undeclared variable" {
					t.Errorf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
				}
			}
		})
	}
}
