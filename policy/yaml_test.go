package policy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

var yamlRangeType = reflect.TypeOf(hcl.Range{})

// yamlStripRanges zeroes every hcl.Range reachable from p, so that policies
// read from different files compare equal, and returns the file names the
// ranges held.
func yamlStripRanges(p *policy.Policy) map[string]bool {
	files := map[string]bool{}
	var strip func(v reflect.Value)
	strip = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				strip(v.Elem())
			}
		case reflect.Struct:
			if v.Type() == yamlRangeType {
				files[v.Interface().(hcl.Range).Filename] = true
				if v.CanSet() {
					v.Set(reflect.Zero(yamlRangeType))
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					strip(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				strip(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				e := reflect.New(v.Type().Elem()).Elem()
				e.Set(v.MapIndex(k))
				strip(e)
				v.SetMapIndex(k, e)
			}
		}
	}
	strip(reflect.ValueOf(p))
	return files
}

// yamlSamePolicy fails the test unless a and b are equal but for their ranges.
func yamlSamePolicy(t *testing.T, a, b *policy.Policy) {
	t.Helper()
	yamlStripRanges(a)
	yamlStripRanges(b)
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", "  ")
		jb, _ := json.MarshalIndent(b, "", "  ")
		t.Errorf("policies differ:\n%s\n---- versus ----\n%s", ja, jb)
	}
}

func yamlLoadFS(t *testing.T, files map[string]string, o policy.LoadOptions) *policy.Policy {
	t.Helper()
	fsys := fstest.MapFS{}
	for n, src := range files {
		fsys[n] = &fstest.MapFile{Data: []byte(src)}
	}
	p, diags := policy.Load(fsys, "", o)
	if len(diags) != 0 || p == nil {
		t.Fatalf("diagnostics:\n%s", policy.FormatDiagnostics(diags))
	}
	return p
}

// TestYAML_tuistExample: the Tuist example written in YAML is the policy
// of the HCL one, with its variables set or not, and its ranges point into
// the YAML file.
func TestYAML_tuistExample(t *testing.T) {
	const hclFile, yamlFile = "../examples/tuist/policy.hcl", "../examples/tuist/yaml/policy.yaml"
	for _, o := range []policy.LoadOptions{{}, {Vars: map[string]string{"schema": "app"}}} {
		fromHCL, _ := mustLoad(t, hclFile, o)
		fromYAML, diags := mustLoad(t, yamlFile, o)
		if len(diags) != 0 {
			t.Errorf("diagnostics:\n%s", policy.FormatDiagnostics(diags))
		}
		if len(fromYAML.Roles) != 4 {
			t.Fatalf("got %d roles, want 4", len(fromYAML.Roles))
		}
		web := fromYAML.Roles[1]
		at(t, web.DeclRange, yamlFile, 29)
		if web.DeclRange.Start.Column != 3 {
			t.Errorf("tuist_web at column %d, want 3", web.DeclRange.Start.Column)
		}
		at(t, web.Grants[0].DeclRange, yamlFile, 49)
		at(t, web.Grants[2].DeclRange, yamlFile, 54)
		at(t, web.Deny[0].DeclRange, yamlFile, 45)
		at(t, web.MemberOf[0].Range, yamlFile, 42)
		at(t, web.Grants[3].Names[0].Range, yamlFile, 59)
		if len(web.Settings) != 1 || len(web.Settings[0].Values) != 1 {
			t.Fatalf("tuist_web settings: %+v", web.Settings)
		}
		at(t, web.Settings[0].Values[0].Range, yamlFile, 40)
		if c := web.Grants[3].Names[0].Range.Start.Column; c != 19 {
			t.Errorf("schema_migrations at column %d, want 19", c)
		}
		at(t, web.Attributes.Ranges["login"], yamlFile, 32)

		files := yamlStripRanges(fromYAML)
		if len(files) != 1 || !files[yamlFile] {
			t.Errorf("ranges in %v, want %s only", files, yamlFile)
		}
		yamlSamePolicy(t, fromHCL, fromYAML)
	}
}

// TestYAML_forms: each form the YAML mapping allows gives the policy of the
// HCL it stands for.
func TestYAML_forms(t *testing.T) {
	for _, tc := range []struct {
		name, hcl, yaml string
	}{
		{
			name: "labelled blocks as a mapping or a list",
			hcl: `
role "a" {
  grant "table" {
    privileges = ["SELECT"]
  }
  grant "sequence" {
    privileges = ["USAGE"]
  }
}
role "b" {
  grant "table" {
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["t"]
    privileges = ["INSERT"]
  }
}`,
			yaml: `
role:
  a:
    grant:
      table: {privileges: [SELECT]}
      sequence: {privileges: [USAGE]}
  b:
    grant:
      - table: {privileges: [SELECT]}
      - table:
          names: [t]
          privileges: [INSERT]
`,
		},
		{
			name: "bare labels",
			hcl: `
role "alpha" {
  member_of "pg_monitor" {}
  member_of "readers" {}
}
role "bravo" {
  member_of "pg_monitor" {}
}
role "charlie" {}`,
			yaml: `
role:
  alpha:
    member_of: [pg_monitor, {readers: {}}]
  bravo:
    member_of: pg_monitor
  charlie:
`,
		},
		{
			name: "unlabelled blocks as a mapping or a list",
			hcl: `
role "a" {
  deny {
    privileges = ["CREATE"]
  }
  deny {
    kinds      = ["table"]
    privileges = ["TRUNCATE"]
  }
}
locals {
  a = "x"
}
locals {
  b = "y"
}
public {}`,
			yaml: `
role:
  a:
    deny:
      - privileges: [CREATE]
      - kinds: [table]
        privileges: [TRUNCATE]
locals: [{a: x}, {b: y}]
public:
`,
		},
		{
			name: "values",
			hcl: `
variable "n" {
  default = 20
}
variable "list" {
  default = ["SELECT", "INSERT"]
}
variable "obj" {
  default = { a = 1, b = [true, null] }
}
locals {
  owner = "app_owner"
  ro    = "${local.owner}_ro"
  both  = concat(var.list, ["DELETE"])
}
role "a" {
  login            = true
  connection_limit = var.n
  valid_until      = "2027-01-01"
  grant "table" {
    names      = [local.ro, "x_${local.owner}", "$${literal}"]
    privileges = var.list
  }
  default_privileges "table" {
    for_role   = upper(local.owner)
    privileges = local.both
  }
}`,
			yaml: `
variable:
  n: {default: 20}
  list: {default: [SELECT, INSERT]}
  obj: {default: {a: 1, b: [true, ~]}}
locals:
  owner: app_owner
  ro: ${local.owner}_ro
  both: '${concat(var.list, ["DELETE"])}'
role:
  a:
    login: true
    connection_limit: ${var.n}
    valid_until: 2027-01-01
    grant:
      table:
        names: ["${local.ro}", "x_${local.owner}", "$${literal}"]
        privileges: ${var.list}
    default_privileges:
      table:
        for_role: ${upper(local.owner)}
        privileges: ${local.both}
`,
		},
		{
			name: "anchors and aliases",
			hcl: `
role "a" {
  grant "table" {
    privileges = ["SELECT", "INSERT"]
  }
}
role "b" {
  grant "table" {
    privileges = ["SELECT", "INSERT"]
  }
}`,
			yaml: `
role:
  a:
    grant: &rw
      table: {privileges: [SELECT, INSERT]}
  b:
    grant: *rw
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fromHCL := yamlLoadFS(t, map[string]string{"p.hcl": tc.hcl}, policy.LoadOptions{})
			fromYAML := yamlLoadFS(t, map[string]string{"p.yaml": tc.yaml}, policy.LoadOptions{})
			yamlSamePolicy(t, fromHCL, fromYAML)
		})
	}
}

// TestYAML_errors: YAML gets the decoder's validation and hcl's messages,
// with positions in the YAML file.
func TestYAML_errors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // prefixes of the formatted diagnostics, in order
	}{
		{
			name: "unknown privilege",
			src: `role:
  web:
    grant:
      - table:
          privileges: [SELECT, SELCT]
      - table:
          privileges:
            - "INSRT"
`,
			want: []string{
				`p.yaml:5:32: error: Unknown privilege; "SELCT" is not a PostgreSQL privilege. Did you mean "SELECT"?`,
				`p.yaml:8:15: error: Unknown privilege; "INSRT" is not a PostgreSQL privilege. Did you mean "INSERT"?`,
			},
		},
		{
			name: "unknown keys",
			src: `role:
  web:
    logn: true
    grnat:
      - table: {privileges: [SELECT], shema: public}
rol: {}
`,
			want: []string{
				`p.yaml:3:5: error: Unsupported argument; An argument named "logn" is not expected here. Did you mean "login"?`,
				`p.yaml:4:5: error: Unsupported block type; Blocks of type "grnat" are not expected here. Did you mean "grant"?`,
				`p.yaml:6:1: error: Unsupported block type; Blocks of type "rol" are not expected here. Did you mean "role"?`,
			},
		},
		{
			name: "unknown argument in a grant",
			src: `role:
  web:
    grant:
      - table: {privileges: [SELECT], shema: public}
`,
			want: []string{
				`p.yaml:4:39: error: Unsupported argument; An argument named "shema" is not expected here. Did you mean "schema"?`,
			},
		},
		{
			name: "bad types",
			src: `role:
  web:
    login: "yes"
    connection_limit: [1]
    grant:
      - table:
          privileges: SELECT
`,
			want: []string{
				`p.yaml:3:12: error: Incorrect attribute value type; login must be true or false`,
				`p.yaml:4:23: error: Incorrect attribute value type; connection_limit must be a whole number`,
				`p.yaml:7:23: error: Incorrect attribute value type; privileges must be a list of strings`,
			},
		},
		{
			name: "unknown kind",
			src: `role:
  web:
    grant:
      - tabel: {privileges: [SELECT]}
`,
			want: []string{
				`p.yaml:4:9: error: Unknown object kind; "tabel" is not an object kind. Did you mean "table"?`,
			},
		},
		{
			name: "template in a label",
			src: `locals:
  r: tuist_ro
role:
  web:
    member_of: ["${local.r}"]
`,
			want: []string{
				`p.yaml:5:17: error: Invalid block label; The role of a member_of block is a plain name: it cannot use variables`,
			},
		},
		{
			name: "missing required argument",
			src: `role:
  web:
    grant:
      - table:
          schema: public
`,
			want: []string{
				`p.yaml:4:9: error: Missing required argument; The argument "privileges" is required, but no definition was found.`,
			},
		},
		{
			name: "undeclared variable in a template",
			src: `variable:
  schema: {default: public}
role:
  web:
    grant:
      - table:
          schema: ${var.shema}
          privileges: [SELECT]
`,
			want: []string{
				`p.yaml:7:21: error: Undeclared variable; No variable block declares "shema". Did you mean "schema"?`,
			},
		},
		{
			name: "template syntax error",
			src: `locals:
  a: "${local."
`,
			want: []string{
				`p.yaml:2:`,
			},
		},
		{
			name: "syntax error",
			src: `role:
  web:
    login: true
  grant: : x
`,
			want: []string{
				`p.yaml:4:3: error: Invalid YAML; Mapping values are not allowed in this context.`,
			},
		},
		{
			name: "tab",
			src:  "role:\n\tweb: {}\n",
			want: []string{
				`p.yaml:2:2: error: Invalid YAML; Found character that cannot start any token.`,
			},
		},
		{
			name: "arguments not indented under the label",
			src: `role:
  web:
    grant:
      - table:
        privileges: [SELECT]
`,
			want: []string{
				`p.yaml:4:9: error: Invalid block; Each item of the grant list is one block: a mapping with one key, the kind, whose value holds the arguments, as in "- table: {name: value}". This item has the keys "table", "privileges"; if all but the first are arguments, indent them under "table".`,
			},
		},
		{
			name: "duplicate keys",
			src: `role:
  web:
    login: true
    login: false
    grant:
      table: {privileges: [SELECT]}
      table: {privileges: [INSERT]}
`,
			want: []string{
				`p.yaml:4:5: error: Attribute redefined; The argument "login" was already set at p.yaml:3:5.`,
				`p.yaml:7:7: error: Duplicate key; "table" is already a key of this mapping, at p.yaml:6:7. A YAML mapping holds each key once: to write several grant blocks with the same kind, write a list`,
			},
		},
		{
			name: "duplicate role across files is the decoder's",
			src: `role:
  web: {}
  web: {}
`,
			want: []string{
				`p.yaml:3:3: error: Duplicate key; "web" is already a key of this mapping, at p.yaml:2:3.`,
			},
		},
		{
			name: "block value",
			src: `role:
  web: 3
  ops:
    deny: [CREATE]
`,
			want: []string{
				`p.yaml:2:8: error: Invalid block; The arguments of role "web" are a mapping of names to values, not a number`,
				`p.yaml:4:12: error: Invalid block; deny is a block: write its arguments as a mapping`,
			},
		},
		{
			name: "not a mapping",
			src:  "- role\n",
			want: []string{`p.yaml:1:1: error: Invalid policy file; A YAML policy is a mapping of blocks`},
		},
		{
			name: "several documents",
			src:  "role: {a: {}}\n---\nrole: {b: {}}\n",
			want: []string{`p.yaml:2:1: error: Several YAML documents;`},
		},
		{
			name: "alias cycle",
			src:  "locals:\n  a: &x [*x]\n",
			want: []string{`p.yaml:2:6: error: Invalid YAML alias; Anchor &x contains an alias of itself`},
		},
		{
			name: "billion laughs",
			src: `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
`,
			want: []string{`p.yaml:1:1: error: YAML too large; With its aliases expanded, this YAML document has`},
		},
		{
			// yaml.v3 counts CR, NEL, LS and PS as line breaks; positions
			// count only LF, as hcl, grep -n and git do.
			name: "CR line breaks",
			src:  "role:\r  web:\r    logn: true\r",
			want: []string{`p.yaml:1:18: error: Unsupported argument;`},
		},
		{
			name: "line separator, then CRLF",
			src:  "role:\u2028  web: 1\r\n  ops: 2\r\n",
			want: []string{`p.yaml:1:14: error: `, `p.yaml:2:8: error: `},
		},
		{
			name: "merge key",
			src:  "role:\n  a:\n    <<: {login: true}\n",
			want: []string{`p.yaml:3:5: error: Unsupported YAML merge key;`},
		},
		{
			name: "tags and numbers",
			src:  "role:\n  a:\n    login: !yes true\n    connection_limit: .nan\n",
			want: []string{
				`p.yaml:3:12: error: Unsupported YAML tag; pgward does not know the tag !yes`,
				`p.yaml:4:23: error: Invalid number; .nan is not a number`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, diags := policy.Load(fstest.MapFS{"p.yaml": {Data: []byte(tc.src)}}, "", policy.LoadOptions{})
			if p != nil {
				t.Errorf("policy loaded despite errors")
			}
			got := strings.Split(strings.TrimSuffix(policy.FormatDiagnostics(diags), "\n"), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("diagnostic %d:\n got %s\nwant %s...", i, got[i], w)
				}
			}
		})
	}
}

// TestYAML_mixedDirectory: a directory may mix .hcl, .yaml and .yml files;
// variables and locals cross from one format to the other.
func TestYAML_mixedDirectory(t *testing.T) {
	const dir = "testdata/yaml/mixed"
	p, diags := mustLoad(t, dir, policy.LoadOptions{Vars: map[string]string{"schema": "app"}})
	if len(diags) != 0 {
		t.Errorf("diagnostics:\n%s", policy.FormatDiagnostics(diags))
	}
	var names []string
	for _, r := range p.Roles {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"tuist_web", "tuist_processor", "tuist_ro"}) {
		t.Fatalf("roles = %q, want tuist_web, tuist_processor, tuist_ro (file order)", names)
	}
	web, jobs, ro := p.Roles[0], p.Roles[1], p.Roles[2]
	if len(web.MemberOf) != 1 || web.MemberOf[0].Role != "tuist_ro" {
		t.Errorf("tuist_web member_of = %+v, want tuist_ro", web.MemberOf)
	}
	if web.Grants[0].Owner != "tuist_ro" {
		t.Errorf("owner = %q, want tuist_ro (a local of the HCL file using a local of the YAML file)", web.Grants[0].Owner)
	}
	if len(web.Grants) != 2 || web.Grants[0].Schema != "app" || web.Grants[0].Privileges != acl.Select|acl.Insert|acl.Update|acl.Delete ||
		patternTexts(web.Grants[1].Names)[0] != "schema_migrations" {
		t.Errorf("tuist_web grants = %+v", web.Grants)
	}
	at(t, web.DeclRange, dir+"/10-web.yaml", 8)
	at(t, jobs.Grants[0].DeclRange, dir+"/20-jobs.yml", 4)
	at(t, ro.DeclRange, dir+"/30-ops.hcl", 1)
	if !slices.Equal(p.Schemas, []string{"app"}) {
		t.Errorf("Schemas = %q", p.Schemas)
	}

	// A .yml file alone.
	p, _ = mustLoad(t, dir+"/20-jobs.yml", policy.LoadOptions{})
	if len(p.Roles) != 1 || p.Roles[0].Grants[0].Privileges != acl.Usage|acl.Select {
		t.Errorf("20-jobs.yml alone: %+v", p.Roles)
	}
	at(t, p.Roles[0].DeclRange, dir+"/20-jobs.yml", 2)

	// Errors in both formats come in file order.
	_, diags = policy.Load(fstest.MapFS{
		"a.hcl":  {Data: []byte("role \"a\" {\n  logn = true\n}\n")},
		"b.yaml": {Data: []byte("role:\n  b:\n    logn: true\n")},
	}, "pol", policy.LoadOptions{})
	got := policy.FormatDiagnostics(diags)
	want := "pol/a.hcl:2:3: error: Unsupported argument; An argument named \"logn\" is not expected here. Did you mean \"login\"?\n" +
		"pol/b.yaml:3:5: error: Unsupported argument; An argument named \"logn\" is not expected here. Did you mean \"login\"?\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

var yamlDocsBlock = regexp.MustCompile("(?s)```(hcl|yaml)\n(.*?)```")

// TestDocs_yaml loads every ```yaml example of docs/policy.md. An example
// that follows an ```hcl one says the same thing, and must give the same
// policy. Every ```hcl example has such a YAML twin right after it (the
// page shows every example in both forms). Snippets of blocks that live in
// a role are wrapped in one, and the variables and locals the snippets use
// are declared in a separate file when the HCL snippet does not declare
// them (as TestDocs_snippets does).
func TestDocs_yaml(t *testing.T) {
	matches := yamlDocsBlock.FindAllStringSubmatch(readDocs(t), -1)
	prevHCL, count := "", 0
	noTwin := func(src string) {
		first, _, _ := strings.Cut(strings.TrimSpace(src), "\n")
		t.Errorf("docs/policy.md: the HCL example that starts with %q has no ```yaml twin right after it", first)
	}
	for _, m := range matches {
		if m[1] == "hcl" {
			if prevHCL != "" {
				noTwin(prevHCL)
			}
			prevHCL = m[2]
			continue
		}
		count++
		hclSrc, yamlSrc := prevHCL, m[2]
		first := strings.TrimSuffix(strings.Fields(yamlSrc)[0], ":")
		t.Run(fmt.Sprintf("%02d-%s", count, first), func(t *testing.T) {
			switch first {
			case "grant", "deny", "default_privileges", "member_of":
				yamlSrc = "role:\n  docs_example:\n" + yamlIndent(yamlSrc, "    ")
			}
			decl := ""
			declared := hclSrc
			if hclSrc == "" {
				declared = yamlSrc
			}
			if !strings.Contains(declared, `variable "schema"`) && !regexp.MustCompile(`(?m)^  schema:`).MatchString(declared) {
				decl += "variable \"schema\" {\n  default = \"public\"\n}\n"
			}
			if !strings.Contains(declared, `variable "tenant"`) && !regexp.MustCompile(`(?m)^  tenant:`).MatchString(declared) {
				decl += "variable \"tenant\" {\n  default = \"Tuist\"\n}\n"
			}
			if !regexp.MustCompile(`app_owner *[=:]`).MatchString(declared) {
				decl += "locals {\n  app_owner = \"tuist_app\"\n}\n"
			}
			fromYAML := yamlLoadFS(t, map[string]string{"snippet.yaml": yamlSrc, "decl.hcl": decl}, policy.LoadOptions{})
			if hclSrc == "" {
				return
			}
			switch strings.Fields(hclSrc)[0] {
			case "grant", "deny", "default_privileges", "member_of":
				hclSrc = "role \"docs_example\" {\n" + hclSrc + "}\n"
			}
			fromHCL := yamlLoadFS(t, map[string]string{"snippet.hcl": hclSrc, "decl.hcl": decl}, policy.LoadOptions{})
			yamlSamePolicy(t, fromHCL, fromYAML)
		})
		prevHCL = ""
	}
	if prevHCL != "" {
		noTwin(prevHCL)
	}
	if count < 10 {
		t.Errorf("found %d yaml examples, want at least 10", count)
	}
	// The complete example is given in both forms.
	_, rest, _ := strings.Cut(readDocs(t), "## A complete example")
	rest, _, _ = strings.Cut(rest, "\n## ")
	if !strings.Contains(rest, "```hcl\n") || !strings.Contains(rest, "```yaml\n") {
		t.Error("the complete example is not given in both HCL and YAML")
	}
}

func yamlIndent(s, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func FuzzLoadYAML(f *testing.F) {
	for _, path := range []string{"../examples/tuist/yaml/policy.yaml", "testdata/yaml/mixed/10-web.yaml", "testdata/yaml/mixed/20-jobs.yml"} {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"",
		"---\n",
		"~\n",
		"- a\n",
		"role: [a, {b: {}}, {c: 1}, {d: {}, e: {}}, ~, [x]]\n",
		"role: {a: {grant: {table: {privileges: [SELECT, SELCT]}}, deny: [{}, ~, 1]}}\n",
		"role: {a: {grant: [{table: {privileges: \"${local.x}\"}}]}}\nlocals: {x: \"${local.x}\"}\n",
		"locals: {a: &x [*x]}\n",
		"a: &a [1, 2]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n",
		"<<: {a: 1}\n",
		"? [a]\n: 1\n",
		"role: {a: {connection_limit: 1e400, valid_until: 2027-01-01, login: !!str true}}\n",
		"role: {a: {connection_limit: .nan, inherit: !x y}}\n",
		"variable: {v: {default: \"${\"}}\nlocals: {a: \"%{ if true }x%{ endif }\", b: \"$${x}\"}\n",
		"role:\n  \"\\u00e9\\t\":\n    grant:\n      - table:\n          names: [\"${\\\"x\\\"}\"]\n          privileges: [\"\\0\"]\n",
		"role: {a: {grant: |\n  x\n}}\n",
		"\xef\xbb\xbfrole: {}\n",
		"\xff\xfe",
		"role:\r\n  a:\r\n    login: true\r\n",
		"public: {table: [ALL, SELECT], nope: 1}\nscope: {schemas: []}\nscope: {}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{"fuzz.yaml": {Data: src}}
		p, diags := policy.Load(fsys, "in", policy.LoadOptions{})
		if diags.HasErrors() == (p != nil) {
			t.Fatalf("policy non-nil = %v with errors = %v", p != nil, diags.HasErrors())
		}
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename == "" {
				if !rangeless[d.Summary] {
					t.Errorf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
				}
				continue
			}
			if d.Subject.Filename != "in/fuzz.yaml" || d.Subject.Start.Line < 1 || d.Subject.Start.Line > bytes.Count(src, []byte("\n"))+1 ||
				d.Subject.Start.Column < 1 || d.Subject.Start.Byte > len(src) || d.Subject.End.Byte < d.Subject.Start.Byte {
				t.Errorf("diagnostic at %s: %s: %s", yamlPos(*d.Subject), d.Summary, d.Detail)
			}
		}
		_ = policy.FormatDiagnostics(diags)
	})
}

func yamlPos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
