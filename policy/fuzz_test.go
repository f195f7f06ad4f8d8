package policy_test

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/policy"
)

// rangeless are the summaries of the only diagnostics that have no place in
// a file.
var rangeless = map[string]bool{
	"Undeclared variable": true, // --var for an undeclared variable
	"Cannot read policy":  true,
	"No policy files":     true,
}

func FuzzLoad(f *testing.F) {
	for _, path := range []string{"testdata/full/policy.hcl", "testdata/vars/policy.hcl", "testdata/locals/b.hcl",
		"testdata/invalid/many-errors/policy.hcl", "testdata/invalid/locals-cycle/policy.hcl",
		"testdata/features/policy.hcl", "testdata/invalid/deny/policy.hcl", "testdata/invalid/deny-contradiction/policy.hcl",
		"testdata/invalid/large-object-oids/policy.hcl", "testdata/invalid/parameter-names/policy.hcl"} {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		``,
		`role "`,
		`role "a" { grant "table" { privileges = [` + "\"\x00\"" + `] } }`,
		`role "a\"b" { member_of "a\"b" {} }`,
		`role "x" { grant "function" { names = ["f((((", "f(,)", "()", "(", ")"] privileges = ["EXECUTE"] } }`,
		"role \"x\" {\n  grant \"function\" {\n    names = [\"f((((\", \"f(,)\", \"()\", \"(\", \")\", \"f)\"]\n    privileges = [\"EXECUTE\"]\n  }\n}\n",
		`locals { a = local.a }`,
		`locals { a = [for x in local.b : x] b = local.a }`,
		`variable "v" { default = var.v }`,
		`variable "" {}`,
		`role "r" { connection_limit = 1e400 }`,
		`role "r" { connection_limit = -1e400 }`,
		`role "r" { connection_limit = 1/0 }`,
		`role "r" { valid_until = 12 login = "yes" }`,
		`role "r" { grant "table" { privileges = null } }`,
		`role "r" { grant "table" { privileges = [null] } }`,
		`role "r" { grant "table" { privileges = {a = 1} } }`,
		`role "r" { grant "table" { names = ["${"*"}"] privileges = "SELECT" } }`,
		`role "r" { default_privileges "database" { for_role = null privileges = ["ALL", "ALL"] } }`,
		`public { table = ["ALL", "SELECT"] database = [] nope = 1 }`,
		`scope { schemas = [] } scope {}`,
		`role "r" { grant "table" { privileges = [upper("select")] } }`,
		`role "r" { grant "table" { privileges = [format("%s")] } }`,
		`role "r" { grant "table" { privileges = concat(["SELECT"], 1) } }`,
		`role "r" { grant "table" { privileges = ["\u00e9\u0301"] } }`,
		"role \"r\" {\r\n login = true\r\n}\r\n",
		"\xef\xbb\xbfrole \"r\" {}",
		"\xff\xfe",
		`role "r" { grant "table" { privileges = [[[[[[[[[[[[[["SELECT"]]]]]]]]]]]]]] } }`,
		"role \"r\" {\n  grant \"large_object\" {\n    names = [\"00\", \"18446744073709551616\", \"-1\", \"+1\", \"1e3\"]\n    privileges = [\"ALL\"]\n  }\n}\n",
		"role \"r\" {\n  grant \"parameter\" {\n    names = [\".\", \"a.\", \".a\", \"\u00c9\", \"*.*\", \"?\"]\n    privileges = [\"alter system\"]\n  }\n}\n",
		"role \"r\" {\n  grant \"table\" {\n    columns = [null]\n    owner = null\n    with_grant_option = null\n    privileges = [\"ALL\"]\n  }\n}\n",
		"role \"r\" {\n  ensure = \"absent\"\n  if_missing = \"create\"\n  external = true\n  member_of \"x\" {}\n  deny {\n    privileges = [\"ALL\"]\n  }\n}\n",
		"role \"r\" {\n  deny {\n    kinds = null\n    schema = null\n    names = null\n    privileges = [\"ALL\"]\n  }\n  deny {\n    kinds = [\"column\", \"column\"]\n    privileges = [\"MAINTAIN\"]\n  }\n}\n",
		"role \"r\" {\n  deny {\n    kinds = \"table\"\n    privileges = {}\n  }\n  grant \"table\" {\n    privileges = [\"ALL\"]\n  }\n}\n",
		"public {\n  column = [\"ALL\"]\n  large_object = [\"SELECT\"]\n  parameter = [\"SET\"]\n}\n",
		"public {\n  function = []\n  grant \"function\" {\n    except = [\"f()\"]\n    privileges = [\"EXECUTE\"]\n    with_grant_option = true\n  }\n  default_privileges \"function\" {\n    for_role = \"o\"\n    schemas = [\"a\", \"b\"]\n    privileges = []\n  }\n  default_privileges \"type\" {\n    for_role = null\n    schema = \"a\"\n    privileges = null\n  }\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{"fuzz.hcl": {Data: src}}
		p, diags := policy.Load(fsys, "in", policy.LoadOptions{})
		if diags.HasErrors() == (p != nil) {
			t.Fatalf("policy non-nil = %v with errors = %v", p != nil, diags.HasErrors())
		}
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename == "" {
				if !rangeless[d.Summary] {
					t.Errorf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
				}
			}
		}
		_ = policy.FormatDiagnostics(diags)
	})
}
