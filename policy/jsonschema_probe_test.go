package policy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestJSONSchema_agreesWithDecoder walks the specs of spec.go and, for
// every body, writes small YAML policies around it: one with each
// attribute set to a good value, and one per mistake a schema can see
// (an unknown attribute, a value of the wrong type, an empty list where
// one is refused, a value outside an enumeration, a missing required
// attribute, a bad label). Each goes through the decoder and through the
// JSON Schema, which must agree: a good policy is accepted by both, a
// mistake rejected by both. An attribute added to the specs is probed
// with no change here, so the schema cannot accept what the decoder
// rejects, or flag in an editor what pgward reads, for the mistakes a
// schema can express.
func TestJSONSchema_agreesWithDecoder(t *testing.T) {
	sch := compileSchema(t)
	dir := t.TempDir()
	n := 0
	check := func(t *testing.T, what string, doc map[string]any, wantOK bool) {
		t.Helper()
		n++
		src, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "probe.yaml")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags := LoadPath(path, LoadOptions{})
		schemaErr := sch.Validate(instance(t, doc))
		switch {
		case wantOK && diags.HasErrors():
			t.Errorf("%s: the decoder rejects a good value:\n%s%s", what, src, FormatDiagnostics(diags))
		case wantOK && schemaErr != nil:
			t.Errorf("%s: the JSON Schema rejects what the decoder accepts:\n%s%v", what, src, schemaErr)
		case !wantOK && !diags.HasErrors():
			t.Errorf("%s: the decoder accepts a mistake (fix the spec, or the probe):\n%s", what, src)
		case !wantOK && schemaErr == nil:
			t.Errorf("%s: the JSON Schema accepts what the decoder rejects:\n%s%s", what, src, FormatDiagnostics(diags))
		}
	}

	var visit func(path string, b *bodySpec, label string, wrap func(map[string]any) map[string]any)
	visit = func(path string, b *bodySpec, label string, wrap func(map[string]any) map[string]any) {
		base := func() map[string]any {
			m := map[string]any{}
			if b == variableBody {
				m["default"] = "x" // a variable without a value is an error
			}
			for _, a := range b.attrs {
				if a.required {
					m[a.name] = probeSample(a, label)
				}
			}
			return m
		}
		with := func(k string, v any) map[string]any {
			m := base()
			m[k] = v
			doc := wrap(m)
			if b == roleBody && k == "profiles" {
				doc["profile"] = map[string]any{"app": nil} // the profile it names
			}
			return doc
		}
		check(t, path, wrap(base()), true)
		if b.anyAttrs {
			check(t, path+" any attribute", with("anything", []any{1, "x"}), true)
		} else {
			check(t, path+" unknown attribute", with("no_such_attribute", true), false)
		}
		for _, a := range b.attrs {
			if a.explainOnly {
				check(t, path+"."+a.name+" (explained, never accepted)", with(a.name, probeSample(a, label)), false)
				continue
			}
			at := path + "." + a.name
			check(t, at, with(a.name, probeSample(a, label)), true)
			if a.required {
				m := base()
				delete(m, a.name)
				check(t, at+" missing", wrap(m), false)
			} else {
				check(t, at+" null", with(a.name, nil), !a.nullIsError)
			}
			if bad, ok := probeWrongType(a); ok {
				check(t, at+" wrong type", with(a.name, bad), false)
			}
			if a.nonEmpty {
				check(t, at+" empty", with(a.name, []any{}), false)
			}
			switch {
			case a.str.privileges != nil:
				check(t, at+" unknown privilege", with(a.name, []any{"NO_SUCH_PRIVILEGE"}), false)
			case len(a.str.enum) > 0 && a.kind == valStrings:
				check(t, at+" outside the enum", with(a.name, []any{"no_such_value"}), false)
			case len(a.str.enum) > 0:
				check(t, at+" outside the enum", with(a.name, "no_such_value"), false)
			}
			if a.str.name == nameRoleRef || a.str.name == nameRole {
				v := any("public")
				if a.kind == valStrings {
					v = []any{v}
				}
				check(t, at+" reserved role name", with(a.name, v), false)
			}
		}
		for _, bl := range b.blocks {
			at := path + "." + bl.typ
			if bl.label == nil {
				visit(at, bl.body, "", func(child map[string]any) map[string]any {
					return with(bl.typ, child)
				})
				continue
			}
			l := probeLabel(bl)
			visit(at+"."+l, bl.body, l, func(child map[string]any) map[string]any {
				return with(bl.typ, map[string]any{l: child})
			})
			var sample map[string]any
			for _, a := range bl.body.attrs {
				if a.required {
					if sample == nil {
						sample = map[string]any{}
					}
					sample[a.name] = probeSample(a, l)
				}
			}
			var bad []string
			switch {
			case len(bl.label.str.enum) > 0:
				bad = []string{"no_such_kind"}
			case bl.label.str.name == nameRole:
				bad = []string{"pg_probe", "public", "none", ""}
			case bl.label.str.name == nameRoleRef:
				bad = []string{"public", "none", ""}
			}
			for _, x := range bad {
				check(t, at+" label "+x, with(bl.typ, map[string]any{x: sample}), false)
			}
			// A block without its label: the body where the label
			// belongs. A body is a mapping, never a label's body.
			body := sample
			if body == nil {
				body = map[string]any{"no_such_attribute": true}
			}
			check(t, at+" without a label", with(bl.typ, []any{body}), false)
		}
	}
	visit("file", fileBody, "", func(m map[string]any) map[string]any { return m })
	t.Logf("%d probes", n)
}

// probeLabel is a label that the decoder accepts for the block.
func probeLabel(bl blockSpec) string {
	switch {
	case slices.Contains(bl.label.str.enum, "table"):
		return "table"
	case len(bl.label.str.enum) > 0:
		return bl.label.str.enum[0]
	case bl.typ == "role":
		return "web"
	}
	return "app"
}

// probeSample is a good value of the attribute.
func probeSample(a attrSpec, label string) any {
	if a.example != nil {
		return a.example
	}
	switch a.kind {
	case valBool:
		return false // true is an error in some places (with_grant_option for PUBLIC)
	case valInt:
		return 5
	case valText, valAny:
		return "x"
	case valStringMap, valSettings:
		return map[string]any{"statement_timeout": "5s"}
	case valDatabaseSettings:
		return map[string]any{"app": map[string]any{"statement_timeout": "5s"}}
	}
	v := "app"
	switch {
	case a.str.privileges != nil:
		v = a.str.privileges(label).List()[0]
	case slices.Contains(a.str.enum, "table"):
		v = "table"
	case len(a.str.enum) > 0:
		v = a.str.enum[0]
	}
	if a.kind == valStrings {
		return []any{v}
	}
	return v
}

// probeWrongType is a value of another type than the attribute's, which
// the decoder cannot convert.
func probeWrongType(a attrSpec) (any, bool) {
	switch a.kind {
	case valBool:
		return "maybe", true
	case valInt:
		return "many", true
	case valString:
		return []any{"x"}, true
	case valText:
		return 5, true
	case valStrings:
		return map[string]any{"a": "b"}, true
	case valStringMap, valSettings, valDatabaseSettings:
		return []any{"x"}, true
	}
	return nil, false
}
