package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/zclconf/go-cty/cty"
	"gopkg.in/yaml.v3"
)

var updateSchema = flag.Bool("update", false, "rewrite schema/pgward-policy.schema.json from JSONSchema()")

const shippedSchema = "../schema/pgward-policy.schema.json"

// The validator is github.com/santhosh-tekuri/jsonschema/v6, a test
// dependency only: it implements draft 2020-12 fully (anyOf, if/then,
// propertyNames, $defs) and draft 7, and checks the schema against the
// meta-schema when it compiles it, which catches a generator that writes
// an invalid schema.
//
// Editors' YAML language servers implement draft 7 best, so the schema
// uses only what draft 7 reads the same way ($ref alone in its object,
// if/then, propertyNames; $defs only as the target of a JSON pointer),
// and every validation runs under both drafts, which must agree.
type policySchema struct {
	t      *testing.T
	drafts map[string]*jsonschema.Schema
}

func (s policySchema) Validate(v any) error {
	s.t.Helper()
	var errs = map[string]error{}
	for name, sch := range s.drafts {
		errs[name] = sch.Validate(v)
	}
	if (errs["2020-12"] == nil) != (errs["7"] == nil) {
		s.t.Errorf("draft 2020-12 and draft 7 disagree: %v / %v", errs["2020-12"], errs["7"])
	}
	return errs["2020-12"]
}

func compileSchema(t *testing.T) policySchema {
	t.Helper()
	src, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	checkRefsAlone(t, src)
	out := policySchema{t: t, drafts: map[string]*jsonschema.Schema{}}
	for name, uri := range map[string]string{"2020-12": "https://json-schema.org/draft/2020-12/schema", "7": "http://json-schema.org/draft-07/schema#"} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
		if err != nil {
			t.Fatalf("the JSON Schema is not JSON: %v", err)
		}
		doc.(map[string]any)["$schema"] = uri
		c := jsonschema.NewCompiler()
		if err := c.AddResource(JSONSchemaURL, doc); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile(JSONSchemaURL)
		if err != nil {
			t.Fatalf("the JSON Schema does not compile as draft %s: %v", name, err)
		}
		out.drafts[name] = sch
	}
	return out
}

// checkRefsAlone fails where a $ref has siblings, which draft 7 ignores.
func checkRefsAlone(t *testing.T, src []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["$ref"]; ok && len(v) > 1 {
				t.Errorf("%s: $ref has siblings, which draft 7 ignores", path)
			}
			for k, x := range v {
				walk(path+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s/%d", path, i), x)
			}
		}
	}
	walk("#", doc)
}

// instance turns a Go value into what the validator reads: the value as
// JSON would carry it.
func instance(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJSONSchema_shipped fails when schema/pgward-policy.schema.json is
// not what JSONSchema() generates: a block or attribute was added to the
// specs and the file was not regenerated (go test ./policy -run
// TestJSONSchema_shipped -update).
func TestJSONSchema_shipped(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile(shippedSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(shippedSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: regenerate it with go test ./policy -run TestJSONSchema_shipped -update", shippedSchema)
	}
}

// TestJSONSchema_namesWhatTheDecoderReads checks that each body of the
// JSON Schema has exactly the attributes and block types the decoder's
// hcl schema for it has: a name added to the decoder's schemas without
// going through the specs of spec.go fails here.
func TestJSONSchema_namesWhatTheDecoderReads(t *testing.T) {
	src, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	decoder := map[string]*hcl.BodySchema{
		"file": fileSchema, "scope": scopeSchema, "role": roleSchema, "member_of": memberOfSchema,
		"grant": grantSchema, "default_privileges": defaultPrivilegesSchema, "public": publicSchema,
		"profile": profileSchema, "deny": denySchema, "variable": variableSchema,
	}
	explainOnly := map[string]bool{"default_privileges.names": true, "default_privileges.except": true}
	for id, hs := range decoder {
		var want []string
		for _, a := range hs.Attributes {
			if !explainOnly[id+"."+a.Name] {
				want = append(want, a.Name)
			}
		}
		for _, b := range hs.Blocks {
			want = append(want, b.Type)
		}
		sort.Strings(want)
		found := false
		for defID, def := range doc.Defs {
			if defID != id {
				continue // grant.table and the like narrow privileges of $defs/grant
			}
			found = true
			var got []string
			for n := range def.Properties {
				got = append(got, n)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("$defs/%s has %q; the decoder reads %q", defID, got, want)
			}
		}
		if id == "file" {
			found = true
			var got []string
			for n := range doc.Properties {
				got = append(got, n)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("the file has %q; the decoder reads %q", got, want)
			}
		}
		if !found {
			t.Errorf("the JSON Schema has no definition of %s", id)
		}
	}
}

// fromYAML turns a YAML document into the value an editor validates:
// mappings, lists and scalars by their YAML type, an unquoted date a
// string (as the decoder reads it).
func fromYAML(t *testing.T, src []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	var conv func(n *yaml.Node) any
	conv = func(n *yaml.Node) any {
		n = resolve(n)
		switch n.Kind {
		case yaml.MappingNode:
			m := map[string]any{}
			for _, p := range pairs(n) {
				m[p.key.Value] = conv(p.value)
			}
			return m
		case yaml.SequenceNode:
			l := []any{}
			for _, c := range n.Content {
				l = append(l, conv(c))
			}
			return l
		}
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		return n.Value
	}
	return instance(t, conv(doc.Content[0]))
}

// fromHCL turns an HCL policy file into the structure a YAML policy has
// (docs/policy.md, "YAML"), which the JSON Schema describes: each block
// is an item of a list under its type (a list is a form both kinds of
// blocks accept), a labelled block a single-key mapping from its label
// to its body, an attribute's value the value when it is a constant and
// otherwise the ${...} a YAML file would write. nil when the file does
// not parse: a syntax error is the parser's, not the schema's.
func fromHCL(t *testing.T, src []byte, name string) any {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil
	}
	text := func(r hcl.Range) string { return string(src[r.Start.Byte:r.End.Byte]) }
	var expr func(e hclsyntax.Expression) any
	expr = func(e hclsyntax.Expression) any {
		if v, d := e.Value(nil); !d.HasErrors() && v.IsWhollyKnown() {
			return ctyToAny(v)
		}
		switch e := e.(type) {
		case *hclsyntax.TupleConsExpr:
			l := []any{}
			for _, x := range e.Exprs {
				l = append(l, expr(x))
			}
			return l
		case *hclsyntax.ObjectConsExpr:
			m := map[string]any{}
			for _, it := range e.Items {
				k := text(it.KeyExpr.Range())
				if v, d := it.KeyExpr.Value(nil); !d.HasErrors() && v.Type() == cty.String {
					k = v.AsString()
				}
				m[k] = expr(it.ValueExpr)
			}
			return m
		case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr:
			if s := text(e.Range()); len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
				return s[1 : len(s)-1]
			}
		}
		return "${" + text(e.Range()) + "}"
	}
	var body func(b *hclsyntax.Body) map[string]any
	body = func(b *hclsyntax.Body) map[string]any {
		m := map[string]any{}
		for n, a := range b.Attributes {
			m[n] = expr(a.Expr)
		}
		for _, blk := range b.Blocks {
			var v any = body(blk.Body)
			for i := len(blk.Labels) - 1; i >= 0; i-- {
				v = map[string]any{blk.Labels[i]: v}
			}
			l, _ := m[blk.Type].([]any)
			m[blk.Type] = append(l, v)
		}
		return m
	}
	return instance(t, body(f.Body.(*hclsyntax.Body)))
}

func ctyToAny(v cty.Value) any {
	switch {
	case v.IsNull():
		return nil
	case v.Type() == cty.String:
		return v.AsString()
	case v.Type() == cty.Bool:
		return v.True()
	case v.Type() == cty.Number:
		return json.Number(v.AsBigFloat().Text('g', -1))
	case v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType():
		l := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			l = append(l, ctyToAny(e))
		}
		return l
	case v.Type().IsMapType() || v.Type().IsObjectType():
		m := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			m[k.AsString()] = ctyToAny(e)
		}
		return m
	}
	return fmt.Sprint(v)
}

// policyFileValue reads a policy file as the value the schema validates;
// nil when it does not parse.
func policyFileValue(t *testing.T, path string) any {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if isYAMLFile(path) {
		return fromYAML(t, src)
	}
	return fromHCL(t, src, path)
}

// isYAMLPolicy tells a YAML policy among the YAML files of examples/
// (Kubernetes manifests, workflows): its top-level keys are the file's
// block types.
func isYAMLPolicy(t *testing.T, path string) bool {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if yaml.Unmarshal(src, &top) != nil || len(top) == 0 {
		return false
	}
	for k := range top {
		if !slices.ContainsFunc(fileBody.blocks, func(b blockSpec) bool { return b.typ == k }) {
			return false
		}
	}
	return true
}

// TestJSONSchema_corpus validates every example policy and every policy
// of the test corpus that the decoder accepts: the schema must not flag
// a policy pgward reads.
func TestJSONSchema_corpus(t *testing.T) {
	sch := compileSchema(t)
	var files []string
	for _, root := range []string{"../examples", "testdata"} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (p == "testdata/invalid" || p == "testdata/fuzz") {
				return filepath.SkipDir // invalid: TestJSONSchema_invalidCorpus; fuzz: Go's corpus format
			}
			switch {
			case d.IsDir():
			case strings.HasPrefix(d.Name(), "."):
				// The loader skips hidden files; testdata/multi has one
				// that does not parse, to show it.
			case strings.HasSuffix(p, ".hcl"):
				files = append(files, p)
			case isYAMLFile(p) && isYAMLPolicy(t, p):
				files = append(files, p)
			case isYAMLFile(p):
				t.Logf("%s: not a policy", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var yamls, hcls int
	for _, p := range files {
		if isYAMLFile(p) {
			yamls++
		} else {
			hcls++
		}
		t.Run(p, func(t *testing.T) {
			v := policyFileValue(t, p)
			if v == nil {
				t.Fatalf("%s does not parse", p)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("the JSON Schema rejects %s:\n%v", p, err)
			}
			checkModeline(t, p)
		})
	}
	// The corpus has both formats; a walk that found none would pass.
	if yamls < 3 || hcls < 10 {
		t.Errorf("validated %d YAML and %d HCL policy files; the corpus has more", yamls, hcls)
	}
}

// TestJSONSchema_invalidCorpus classifies every policy of
// testdata/invalid, which the decoder rejects: the schema rejects it too,
// or the case is one a schema cannot express (the reason says why). A new
// case must be added here.
func TestJSONSchema_invalidCorpus(t *testing.T) {
	cannot := map[string]string{
		"bad-function-signature":              "a function signature is parsed",
		"columns-privileges":                  "which privileges columns take depends on columns being set",
		"database-names":                      "which attributes a kind takes is decided per kind in code",
		"default-privileges-schema-in-schema": "which attributes a kind takes is decided per kind in code",
		"deny-contradiction":                  "a rule and a deny are compared",
		"duplicate-role":                      "a role is declared in two files",
		"large-object-oids":                   "a large object's name is an OID",
		"locals-cycle":                        "locals are evaluated",
		"member-of-self":                      "a label is compared with another block's label",
		"missing-variable-value":              "a variable's value comes from --var or the environment",
		"name-too-long-unicode":               "a name's length is in bytes, a schema counts characters",
		"public-system-schema":                "a name in names is compared with scope",
		"retired-role":                        "ensure = \"absent\" forbids rules: a value decides which blocks are allowed",
		"schema-not-in-scope":                 "a name is compared with scope",
		"schema-outside-schemas":              "which attributes a kind takes is decided per kind in code",
		"undeclared-reference":                "references are resolved",
		"undeclared-var":                      "--var names are compared with variable blocks",
		"syntax-error":                        "the file does not parse: the parser reports it",
	}
	sch := compileSchema(t)
	dirs, err := filepath.Glob("testdata/invalid/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 35 {
		t.Fatalf("found %d cases in testdata/invalid", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no policy file in %s", dir)
			}
			var rejected []string
			for _, f := range files {
				v := policyFileValue(t, f)
				if v == nil {
					rejected = append(rejected, f+": does not parse")
					continue
				}
				if err := sch.Validate(v); err != nil {
					rejected = append(rejected, fmt.Sprintf("%s: %v", f, err))
				}
			}
			reason, isCannot := cannot[name]
			switch {
			case name == "syntax-error":
				if len(rejected) != len(files) {
					t.Errorf("expected a syntax error")
				}
			case isCannot && len(rejected) > 0:
				t.Errorf("listed as beyond a schema (%s), but the schema rejects it:\n%s", reason, strings.Join(rejected, "\n"))
			case !isCannot && len(rejected) == 0:
				t.Errorf("the decoder rejects %s and the schema accepts it: make the schema reject it, or list the case with the reason a schema cannot", name)
			}
		})
	}
}

// TestJSONSchema_rejects checks, in both formats, that a policy the
// decoder rejects is rejected by the JSON Schema where a schema can see
// the mistake.
//
// What a schema cannot express, and the decoder reports (the rows with
// schema: false show some):
//   - anything that needs evaluation: undeclared variables and locals,
//     cycles among locals, a variable without a value, the value of an
//     expression (${...} is accepted wherever a value goes);
//   - anything that compares two places: duplicate roles, profiles or
//     memberships across blocks or files, a role member of itself, a
//     schema outside scope.schemas, a rule that contradicts a deny, an
//     unknown profile, if_missing = "create" with external or ensure =
//     "absent", rules in a retired role;
//   - which attributes a kind takes (schema on grant "database", owner on
//     grant "parameter", columns outside grant "table", schema on
//     default_privileges "schema"), and which privileges columns take;
//   - the syntax of names: function signatures, large object OIDs,
//     parameter names, wildcards in columns, a valid_until timestamp;
//   - a name's length in bytes (a schema counts characters: it bounds
//     ASCII names exactly, and lets a long non-ASCII name through);
//   - privileges = [] in a role's default_privileges (allowed in the
//     public block's), with_grant_option = true for PUBLIC, and the
//     privileges of the newest server accepted on older ones (plan
//     checks those against the server);
//   - a variable name that is not an identifier (hcl's identifiers admit
//     Unicode letters that a portable pattern cannot list).
func TestJSONSchema_rejects(t *testing.T) {
	tests := []struct {
		name, hcl, yaml string
		schema          bool // the schema rejects it too
	}{
		{"unknown attribute",
			"role \"web\" {\nlogn = true\n}",
			"role: {web: {logn: true}}", true},
		{"unknown block",
			"role \"web\" {\ngrants \"table\" {\nprivileges = [\"SELECT\"]\n}\n}",
			"role: {web: {grants: {table: {privileges: [SELECT]}}}}", true},
		{"unknown top-level block",
			"roles \"web\" {}",
			"roles: {web: {}}", true},
		{"wrong type: string for a boolean",
			"role \"web\" {\nlogin = \"yes\"\n}",
			"role: {web: {login: yes please}}", true},
		{"wrong type: string for a list",
			"role \"web\" {\ngrant \"table\" {\nprivileges = \"SELECT\"\n}\n}",
			"role: {web: {grant: {table: {privileges: SELECT}}}}", true},
		{"wrong type: list for a string",
			"role \"web\" {\ngrant \"table\" {\nschema = [\"app\"]\nprivileges = [\"SELECT\"]\n}\n}",
			"role: {web: {grant: {table: {schema: [app], privileges: [SELECT]}}}}", true},
		{"wrong type: word for a number",
			"role \"web\" {\nconnection_limit = \"many\"\n}",
			"role: {web: {connection_limit: many}}", true},
		{"out of range",
			"role \"web\" {\nconnection_limit = -2\n}",
			"role: {web: {connection_limit: -2}}", true},
		{"bad enum: if_missing",
			"role \"web\" {\nif_missing = \"skp\"\n}",
			"role: {web: {if_missing: skp}}", true},
		{"bad enum: kind",
			"role \"web\" {\ngrant \"tabel\" {\nprivileges = [\"SELECT\"]\n}\n}",
			"role: {web: {grant: {tabel: {privileges: [SELECT]}}}}", true},
		{"bad enum: privilege",
			"role \"web\" {\ngrant \"table\" {\nprivileges = [\"SELCT\"]\n}\n}",
			"role: {web: {grant: {table: {privileges: [SELCT]}}}}", true},
		{"privilege of another kind",
			"role \"web\" {\ngrant \"sequence\" {\nprivileges = [\"EXECUTE\"]\n}\n}",
			"role: {web: {grant: {sequence: {privileges: [EXECUTE]}}}}", true},
		{"ALL with other privileges",
			"role \"web\" {\ngrant \"table\" {\nprivileges = [\"select\", \"all\"]\n}\n}",
			"role: {web: {grant: {table: {privileges: [select, all]}}}}", true},
		{"bad enum: deny kinds",
			"role \"web\" {\ndeny {\nkinds = [\"tables\"]\nprivileges = [\"CREATE\"]\n}\n}",
			"role: {web: {deny: {kinds: [tables], privileges: [CREATE]}}}", true},
		{"missing required attribute",
			"role \"web\" {\ngrant \"table\" {\nnames = [\"a\"]\n}\n}",
			"role: {web: {grant: {table: {names: [a]}}}}", true},
		{"missing required label",
			"role {\nlogin = true\n}",
			"role: [{login: true}]", true},
		{"missing required label, empty body",
			"role {}",
			"role: [{}]", true},
		{"missing grant kind",
			"role \"web\" {\ngrant {\nprivileges = [\"SELECT\"]\n}\n}",
			"role: {web: {grant: [{privileges: [SELECT]}]}}", true},
		{"empty list",
			"role \"web\" {\ngrant \"table\" {\nprivileges = []\n}\n}",
			"role: {web: {grant: {table: {privileges: []}}}}", true},
		{"reserved role name",
			"role \"pg_monitor\" {}",
			"role: {pg_monitor: {}}", true},
		{"name too long",
			"role \"r234567890123456789012345678901234567890123456789012345678901234\" {}",
			"role: {r234567890123456789012345678901234567890123456789012345678901234: {}}", true},
		{"scope lists no schema",
			"scope {\nschemas = []\n}",
			"scope: {schemas: []}", true},
		{"not a system schema",
			"scope {\nsystem_schemas = [\"pg_toast\"]\n}",
			"scope: {system_schemas: [pg_toast]}", true},
		// Beyond a schema (see above): the decoder alone rejects these.
		{"attribute a kind does not take",
			"role \"web\" {\ngrant \"database\" {\nschema = \"app\"\nprivileges = [\"CONNECT\"]\n}\n}",
			"role: {web: {grant: {database: {schema: app, privileges: [CONNECT]}}}}", false},
		{"undeclared variable",
			"role \"web\" {\ngrant \"table\" {\nschema = var.nope\nprivileges = [\"SELECT\"]\n}\n}",
			"role: {web: {grant: {table: {schema: '${var.nope}', privileges: [SELECT]}}}}", false},
		{"unknown profile",
			"role \"web\" {\nprofiles = [\"reader\"]\n}",
			"role: {web: {profiles: [reader]}}", false},
		{"member of itself",
			"role \"web\" {\nmember_of \"web\" {}\n}",
			"role: {web: {member_of: [web]}}", false},
		{"timestamp",
			"role \"web\" {\nvalid_until = \"soon\"\n}",
			"role: {web: {valid_until: soon}}", false},
		{"long non-ASCII name",
			"role \"ééééééééééééééééééééééééééééééééé\" {}",
			"role: {ééééééééééééééééééééééééééééééééé: {}}", false},
	}
	sch := compileSchema(t)
	dir := t.TempDir()
	for _, tt := range tests {
		for _, format := range []string{"hcl", "yaml"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				src := tt.hcl
				if format == "yaml" {
					src = tt.yaml
				}
				path := filepath.Join(dir, "policy."+format)
				if err := os.WriteFile(path, []byte(src+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if _, diags := LoadPath(path, LoadOptions{}); !diags.HasErrors() {
					t.Fatalf("the decoder accepts:\n%s", src)
				}
				v := policyFileValue(t, path)
				if v == nil {
					t.Fatalf("does not parse:\n%s", src)
				}
				err := sch.Validate(v)
				switch {
				case tt.schema && err == nil:
					t.Errorf("the JSON Schema accepts what the decoder rejects:\n%s", src)
				case !tt.schema && err != nil:
					t.Errorf("listed as beyond a schema, but the schema rejects it:\n%s\n%v", src, err)
				}
			})
		}
	}
}

// checkModeline checks the yaml-language-server comment of a YAML policy
// (docs/editors.md): a path must lead to the shipped schema, a URL must
// be JSONSchemaURL.
func checkModeline(t *testing.T, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "# yaml-language-server: $schema="
	for line := range strings.SplitSeq(string(src), "\n") {
		target, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		if strings.Contains(target, "://") {
			if target != JSONSchemaURL {
				t.Errorf("%s: $schema=%s, want %s", path, target, JSONSchemaURL)
			}
			return
		}
		got, err := filepath.Abs(filepath.Join(filepath.Dir(path), target))
		if err != nil {
			t.Fatal(err)
		}
		want, err := filepath.Abs(shippedSchema)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: $schema=%s leads to %s, not to %s", path, target, got, want)
		}
		return
	}
}
