package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/pgward/pgward/internal/acl"
)

// JSONSchemaURL is where the JSON Schema of a policy is published: the
// file schema/pgward-policy.schema.json of the repository, which a test
// keeps equal to JSONSchema().
const JSONSchemaURL = "https://raw.githubusercontent.com/pgward/pgward/main/schema/pgward-policy.schema.json"

// JSONSchema returns the JSON Schema (draft 2020-12) of a policy file in
// the structure that YAML policies are written in, and that an HCL policy
// has too (docs/policy.md, "YAML"): a block is a key of its body, an
// unlabelled block a mapping or a list of mappings, a labelled block a
// mapping from label to body or a list of such single-key mappings or
// bare labels. It is generated from the specs the decoder is built from
// (spec.go), so it names exactly the blocks and attributes the decoder
// accepts.
//
// The schema accepts every policy the decoder accepts, and rejects what a
// schema can see without evaluating anything: an unknown block or
// attribute, a value of the wrong shape, a kind, privilege or enumerated
// value that does not exist, an empty list where one is refused, a
// missing required attribute, a block without its label, a reserved or
// empty role name. Where an attribute's value is an expression ("${...}")
// its value is unknown to the schema and accepted. What the decoder
// checks beyond that is listed in jsonschema_test.go.
func JSONSchema() ([]byte, error) {
	g := &schemaGen{defs: obj{
		"expression": obj{
			"type":        "string",
			"pattern":     `\$\{|%\{`,
			"description": "An HCL expression or template, evaluated as in an HCL policy: ${var.name}, ${local.name}, ${lower(var.tenant)}. A string that is one ${...} keeps the value's type.",
		},
	}}
	root := g.bodyDef(fileBody, "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = JSONSchemaURL
	root["title"] = "pgward policy"
	root["description"] = "A pgward policy file (YAML, or HCL in the same structure). See docs/policy.md."
	root["$defs"] = g.defs
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode the JSON Schema of a policy: %w", err)
	}
	return buf.Bytes(), nil
}

// obj is a JSON object of the schema; encoding/json writes its keys in
// order, so the output is the same on every run.
type obj = map[string]any

type schemaGen struct {
	defs obj
}

const exprRef = "#/$defs/expression"

// perLabel reports whether the body's definition depends on its block's
// label: its privileges are those of the kind the label names.
func perLabel(b *bodySpec) bool {
	for _, a := range b.attrs {
		if a.str.privileges != nil {
			return true
		}
	}
	return false
}

// ref returns a reference to the body's definition for a label (""
// when the body does not depend on it), adding the definition once.
func (g *schemaGen) ref(b *bodySpec, label string) obj {
	id := b.id
	if label != "" {
		id += "." + label
	}
	if _, ok := g.defs[id]; !ok {
		g.defs[id] = obj{} // a placeholder while the body is built
		g.defs[id] = g.bodyDef(b, label)
	}
	return obj{"$ref": "#/$defs/" + id}
}

// bodyDef is the definition of a body: a mapping of its attributes and
// block types, or null (an empty body) when nothing in it is required.
// A body whose privileges depend on the label is defined once for any
// label, with the privileges of every kind, and once per label, with the
// privileges of that label's kind only.
func (g *schemaGen) bodyDef(b *bodySpec, label string) obj {
	def := obj{"description": b.doc}
	if perLabel(b) && label != "" {
		props := obj{}
		for _, a := range b.attrs {
			if a.str.privileges != nil {
				props[a.name] = g.attr(a, label)
			}
		}
		def["allOf"] = []any{g.ref(b, "")}
		def["properties"] = props
		return def
	}
	if b.hasRequired() {
		def["type"] = "object"
	} else {
		def["type"] = []string{"object", "null"}
	}
	if b.anyAttrs {
		def["additionalProperties"] = obj{"description": "Any value: a string, number, boolean, list or mapping, or an expression."}
		return def
	}
	props := obj{}
	var required []string
	for _, a := range b.attrs {
		if a.explainOnly {
			continue
		}
		props[a.name] = g.attr(a, label)
		if a.required {
			required = append(required, a.name)
		}
	}
	for _, bl := range b.blocks {
		props[bl.typ] = g.block(bl)
	}
	def["properties"] = props
	def["additionalProperties"] = false
	if len(required) > 0 {
		def["required"] = required
	}
	return def
}

// block is the schema of a block type's key: the forms of docs/policy.md,
// "YAML".
func (g *schemaGen) block(bl blockSpec) obj {
	if bl.label == nil {
		body := g.ref(bl.body, "")
		return obj{
			"description": bl.doc,
			"anyOf": []any{
				body,
				obj{"type": "array", "items": body},
			},
		}
	}
	label := strSchema(bl.label.str)
	var mapping, single obj
	if perLabel(bl.body) && len(bl.label.str.enum) > 0 {
		props := obj{}
		for _, l := range bl.label.str.enum {
			props[l] = g.ref(bl.body, l)
		}
		mapping = obj{"type": "object", "properties": props, "additionalProperties": false}
		single = obj{"type": "object", "minProperties": 1, "maxProperties": 1, "properties": props, "additionalProperties": false}
	} else {
		body := g.ref(bl.body, "")
		mapping = obj{"type": "object", "propertyNames": label, "additionalProperties": body}
		single = obj{"type": "object", "minProperties": 1, "maxProperties": 1, "propertyNames": label, "additionalProperties": body}
	}
	items := []any{single}
	forms := []any{obj{"type": "null"}, mapping}
	if !bl.body.hasRequired() {
		// A bare label is a block with an empty body.
		bare := merge(obj{"type": "string"}, label)
		items = append(items, bare)
		forms = append(forms, bare)
	}
	forms = append(forms, obj{"type": "array", "items": obj{"anyOf": items}})
	return obj{
		"description": fmt.Sprintf("%s Written as a mapping from %s to body, or a list of single-key mappings.", bl.doc, bl.label.name),
		"anyOf":       forms,
	}
}

// attr is the schema of an attribute's value.
func (g *schemaGen) attr(a attrSpec, label string) obj {
	var forms []any
	expr := obj{"$ref": exprRef}
	switch a.kind {
	case valText:
		forms = []any{obj{"type": "string"}}
	case valAny:
		return obj{"description": a.doc}
	case valString:
		forms = []any{valueSchema(a.str, label), expr}
	case valBool:
		forms = []any{obj{"type": "boolean"}, obj{"enum": []string{"true", "false", "1", "0"}}, expr}
	case valInt:
		n := obj{"type": "integer", "minimum": -1 << 31, "maximum": 1<<31 - 1}
		if a.min != nil {
			n["minimum"] = *a.min
		}
		forms = []any{n, obj{"type": "string", "pattern": `^[-+]?[0-9]+$`}, expr}
	case valStrings:
		list := obj{"type": "array", "items": valueSchema(a.str, label)}
		if a.nonEmpty {
			list["minItems"] = 1
		}
		if a.str.privileges != nil {
			// ALL stands alone: ["SELECT", "ALL"] is an error.
			all := obj{"type": "string", "pattern": "^" + asciiSpace + "*" + allPattern + asciiSpace + "*$"}
			list["if"] = obj{"contains": all}
			list["then"] = obj{"maxItems": 1}
		}
		forms = []any{list, expr}
	case valStringMap:
		forms = []any{obj{"type": "object", "additionalProperties": obj{"type": []string{"string", "number", "boolean"}}}, expr}
	case valSettings:
		forms = []any{settingsSchema(), expr}
	case valDatabaseSettings:
		forms = []any{obj{"type": "object", "additionalProperties": obj{"anyOf": []any{settingsSchema(), expr}}}, expr}
	}
	if !a.required && !a.nullIsError {
		forms = append(forms, obj{"type": "null"})
	}
	s := obj{"anyOf": forms}
	if a.doc != "" {
		s["description"] = a.doc
	}
	if a.example != nil {
		s["examples"] = []any{a.example}
	}
	return s
}

// settingsSchema is a map of parameter values (settings, and each
// database's map in database_settings): a scalar, or a non-empty list of
// scalars, per parameter; null is an error (the entry is removed to reset).
func settingsSchema() obj {
	scalar := obj{"type": []string{"string", "number", "boolean"}}
	return obj{
		"type": "object",
		"additionalProperties": obj{"anyOf": []any{
			scalar,
			obj{"type": "array", "minItems": 1, "items": scalar},
			obj{"$ref": exprRef},
		}},
	}
}

// valueSchema is the schema of a string value (or list element), which
// the decoder converts from a number or a boolean too, unless its values
// are enumerated.
func valueSchema(s strSpec, label string) obj {
	expr := obj{"$ref": exprRef}
	switch {
	case s.privileges != nil:
		p := s.privileges(label)
		if label == "" && p == 0 {
			p = privilegesOfEveryKind("") // a body for any label
		}
		words := append(p.List(), "ALL")
		return obj{"anyOf": []any{
			obj{"enum": words},
			obj{"type": "string", "pattern": privilegePattern(p)},
			expr,
		}}
	case len(s.enum) > 0:
		return obj{"anyOf": []any{obj{"enum": s.enum}, expr}}
	case s.name == nameFree:
		return obj{"type": []string{"string", "number", "boolean"}}
	}
	return obj{"anyOf": []any{
		merge(obj{"type": "string"}, strSchema(s)),
		obj{"type": []string{"number", "boolean"}},
	}}
}

// strSchema is the schema of a string that strSpec constrains (a label,
// or a value once converted to a string).
func strSchema(s strSpec) obj {
	if len(s.enum) > 0 {
		return obj{"enum": s.enum}
	}
	out := obj{}
	var reserved []any
	switch s.name {
	case nameFree:
		return out
	case nameRole:
		reserved = append(reserved, obj{"pattern": "^pg_"})
		fallthrough
	case nameRoleRef:
		reserved = append(reserved, obj{"enum": []string{"public", "none"}})
	}
	// ident.Check: not empty, no NUL, at most maxNameLen bytes (a schema
	// counts characters, so this bounds ASCII names exactly).
	out["minLength"] = 1
	out["maxLength"] = maxNameLen
	reserved = append(reserved, obj{"pattern": `\x00`})
	out["not"] = obj{"anyOf": reserved}
	return out
}

func merge(a, b obj) obj {
	out := obj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// asciiSpace is what strings.TrimSpace and strings.Fields strip among the
// characters acl.ParsePriv accepts (it refuses every byte outside ASCII).
const asciiSpace = `[ \t\n\v\f\r]`

// allPattern matches ALL or ALL PRIVILEGES, in any case.
var allPattern = anyCase("ALL", "") + "(?:" + asciiSpace + "+" + anyCase("PRIVILEGES", "") + ")?"

// privilegePattern matches a privilege of p as acl.ParsePriv reads it
// (any case, surrounding spaces, an underscore for the space of ALTER
// SYSTEM, TEMP for TEMPORARY), or ALL as the decoder reads it. A pattern
// has no case-insensitive flag that every editor knows, so each letter is
// a class.
func privilegePattern(p acl.Priv) string {
	words := p.List()
	if p.Has(acl.Temporary) {
		words = append(words, "TEMP")
	}
	alts := make([]string, 0, len(words)+1)
	for _, w := range words {
		alts = append(alts, anyCase(w, "[ _]"))
	}
	alts = append(alts, allPattern)
	return "^" + asciiSpace + "*(?:" + strings.Join(alts, "|") + ")" + asciiSpace + "*$"
}

// anyCase writes a word as a pattern that matches it in any case; space
// stands for a space in the word.
func anyCase(w, space string) string {
	var b strings.Builder
	for _, r := range w {
		switch {
		case r == ' ':
			b.WriteString(space)
		case unicode.IsLetter(r):
			fmt.Fprintf(&b, "[%c%c]", unicode.ToUpper(r), unicode.ToLower(r))
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}
