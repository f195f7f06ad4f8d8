package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"gopkg.in/yaml.v3"
)

// A YAML policy has the structure of an HCL one, so it is decoded by the
// same code: a YAML file becomes an hcl.Body, and the decoder asks it for
// the blocks and attributes of each schema as it would ask an HCL body.
// The mapping (documented in docs/policy.md, "YAML"):
//
//   - A mapping is a body. A key that the schema names as an attribute is
//     an attribute; a key that it names as a block type holds blocks.
//   - An unlabelled block (locals, scope, public, deny) is a mapping of its
//     attributes, or a list of such mappings for several blocks.
//   - A labelled block (role, grant, ...) is a mapping from label to body:
//     role: {tuist_web: {...}}. Where a label repeats (two grant "table"
//     blocks), the value is a list of single-key mappings instead:
//     grant: [{table: {...}}, {table: {...}}]. A bare label, alone or as a
//     list item, is a block with an empty body: member_of: [pg_read_all_data].
//   - Values become hclsyntax expressions: scalars literal values, lists
//     tuples, mappings objects. A string holding "${" or "%{" is an HCL
//     template, so "${var.schema}" and "${local.dml}" work as in HCL, and a
//     template that is one interpolation keeps the value's type (a list
//     stays a list). var.schema without ${ } is a plain string.
//
// Every range is built from the node's line and column in the YAML file,
// so diagnostics read file.yaml:LINE:COL.

// isYAMLFile reports whether a policy file is read as YAML.
func isYAMLFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// maxYAMLNodes bounds the size of a YAML document once its aliases are
// expanded, so that a few nested aliases ("billion laughs") cannot make
// decoding exponential: aliases may make a document at most
// yamlAliasRatio times larger than it is written, or maxYAMLNodes values
// if that is more.
const (
	maxYAMLNodes   = 100_000
	yamlAliasRatio = 10
)

// yamlFile is the source of one YAML policy file, to turn node positions
// into hcl positions.
type yamlFile struct {
	name string
	src  []byte
	// lines and ends are where each line starts and where its break
	// starts, with YAML's line breaks (LF, CR, CRLF, NEL, LS, PS): yaml.v3
	// counts its lines and columns that way.
	lines, ends []int
	// newlines is where each line starts when only LF breaks a line.
	// Positions are reported in these lines, as hcl, grep -n, git and most
	// editors count them, so that a CR-only or LS-separated file does not
	// get a line number that no other tool shows.
	newlines []int
}

func newYAMLFile(src []byte, name string) *yamlFile {
	f := &yamlFile{name: name, src: src, lines: []int{0}, newlines: []int{0}}
	brk := func(at, next int) {
		f.ends = append(f.ends, at)
		f.lines = append(f.lines, next)
	}
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '\n':
			brk(i, i+1)
			f.newlines = append(f.newlines, i+1)
		case src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n':
			brk(i, i+2)
			f.newlines = append(f.newlines, i+2)
			i++
		case src[i] == '\r':
			brk(i, i+1)
		case src[i] == 0xc2 && i+1 < len(src) && src[i+1] == 0x85: // NEL
			brk(i, i+2)
			i++
		case src[i] == 0xe2 && i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xa8 || src[i+2] == 0xa9): // LS, PS
			brk(i, i+3)
			i += 2
		}
	}
	f.ends = append(f.ends, len(src))
	return f
}

// yamlOffset converts a YAML line and column (1-based, in characters, as
// yaml.v3 counts them) to a byte offset, kept inside the line.
func (f *yamlFile) yamlOffset(line, col int) int {
	line = min(max(line, 1), len(f.lines))
	off, end := f.lines[line-1], f.ends[line-1]
	for c := 1; c < col && off < end; c++ {
		_, w := utf8.DecodeRune(f.src[off:end])
		off += w
	}
	return off
}

// pos converts a YAML line and column to an hcl position.
func (f *yamlFile) pos(line, col int) hcl.Pos {
	return f.posAt(f.yamlOffset(line, col))
}

// posAt converts a byte offset to an hcl position: lines counted by LF,
// columns in characters.
func (f *yamlFile) posAt(off int) hcl.Pos {
	off = min(max(off, 0), len(f.src))
	line := sort.Search(len(f.newlines), func(i int) bool { return f.newlines[i] > off })
	start := f.newlines[line-1]
	return hcl.Pos{Line: line, Column: utf8.RuneCount(f.src[start:off]) + 1, Byte: off}
}

// rng is the range of a node: a scalar's text, or a collection from its
// start to the end of its last element.
func (f *yamlFile) rng(n *yaml.Node) hcl.Range {
	start := f.pos(n.Line, n.Column)
	last := n
	for (last.Kind == yaml.MappingNode || last.Kind == yaml.SequenceNode) && len(last.Content) > 0 {
		last = last.Content[len(last.Content)-1]
	}
	end := start
	if last.Kind == yaml.ScalarNode {
		lstart := start
		if last != n {
			lstart = f.pos(last.Line, last.Column)
		}
		end = f.posAt(f.scalarEnd(last, lstart.Byte))
		if end.Byte < start.Byte {
			end = start
		}
	}
	return hcl.Range{Filename: f.name, Start: start, End: end}
}

// scalarEnd finds the end of a scalar's text that starts at byte off.
func (f *yamlFile) scalarEnd(n *yaml.Node, off int) int {
	s := f.src[off:]
	switch {
	case len(s) == 0:
		return off
	case s[0] == '"':
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return off + i + 1
			}
		}
	case s[0] == '\'':
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return off + i + 1
			}
		}
	case s[0] == '|' || s[0] == '>':
		return off + 1
	case bytes.HasPrefix(s, []byte(n.Value)):
		return off + len(n.Value)
	}
	return off
}

func (f *yamlFile) errorf(r hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  r.Ptr(),
	}
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error ("yaml: line 3: mapping values are not
// allowed in this context") into a diagnostic. yaml.v3 gives the line but
// not the column: the diagnostic points at the line's first character that
// is not a space.
func (f *yamlFile) syntaxError(err error) *hcl.Diagnostic {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 1
	if m := yamlErrorLine.FindStringSubmatch(err.Error()); m != nil {
		if n, aerr := strconv.Atoi(m[1]); aerr == nil {
			line, msg = n, m[2]
		}
	}
	line = min(max(line, 1), len(f.lines))
	off, end := f.lines[line-1], f.ends[line-1]
	for off < end && (f.src[off] == ' ' || f.src[off] == '\t') {
		off++
	}
	p := f.posAt(off)
	return f.errorf(hcl.Range{Filename: f.name, Start: p, End: p}, "Invalid YAML",
		"%s. A YAML policy file must be valid YAML: check the indentation, and quote values that start with a character YAML reserves, such as {, [, *, & or !.",
		capitalize(msg))
}

// parseYAML parses one YAML policy file. A syntax error, several
// documents, or aliases that expand too far give an error and no body.
func parseYAML(src []byte, filename string) (hcl.Body, hcl.Diagnostics) {
	f := newYAMLFile(src, filename)
	start := hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yamlBody{f: f, missing: start}, nil
		}
		return nil, hcl.Diagnostics{f.syntaxError(err)}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, hcl.Diagnostics{f.syntaxError(err)}
	default:
		return nil, hcl.Diagnostics{f.errorf(f.rng(&next), "Several YAML documents",
			"A policy file holds one YAML document; move this one (after ---) to a file of its own.")}
	}
	if len(doc.Content) == 0 {
		return &yamlBody{f: f, missing: start}, nil
	}
	root := doc.Content[0]
	if d := f.checkAliases(root); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	root = resolve(root)
	switch {
	case isNull(root):
		return &yamlBody{f: f, missing: start}, nil
	case root.Kind != yaml.MappingNode:
		return nil, hcl.Diagnostics{f.errorf(f.rng(root), "Invalid policy file",
			"A YAML policy is a mapping of blocks (variable, locals, scope, role, public), not %s.", describe(root))}
	}
	return &yamlBody{f: f, node: root, missing: start}, nil
}

// checkAliases rejects an anchor that contains an alias of itself, and a
// document that its aliases make too large (see maxYAMLNodes).
func (f *yamlFile) checkAliases(root *yaml.Node) *hcl.Diagnostic {
	const hardLimit = 1 << 30 // keeps the sums from overflowing
	size := map[*yaml.Node]int{}
	visiting := map[*yaml.Node]bool{}
	var bad *hcl.Diagnostic
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n == nil || bad != nil {
			return 0
		}
		if s, ok := size[n]; ok {
			return s
		}
		if visiting[n] {
			bad = f.errorf(f.rng(n), "Invalid YAML alias", "Anchor &%s contains an alias of itself; a value cannot contain itself.", n.Anchor)
			return 0
		}
		visiting[n] = true
		s := 1
		if n.Kind == yaml.AliasNode {
			s += walk(n.Alias)
		}
		for _, c := range n.Content {
			s = min(s+walk(c), hardLimit)
		}
		delete(visiting, n)
		size[n] = s
		return s
	}
	total := walk(root)
	if bad == nil && total > max(maxYAMLNodes, yamlAliasRatio*len(size)) {
		bad = f.errorf(f.rng(root), "YAML too large", "With its aliases expanded, this YAML document has %d values, more than %d times as many as it is written with; use fewer aliases.",
			total, yamlAliasRatio)
	}
	return bad
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "true or false"
		case "!!int", "!!float":
			return "a number"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "nothing"
}

// yamlPair is one key and value of a mapping, aliases resolved.
type yamlPair struct {
	key, value *yaml.Node
}

// pairs lists the key/value pairs of a mapping node.
func pairs(n *yaml.Node) []yamlPair {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]yamlPair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, yamlPair{resolve(n.Content[i]), resolve(n.Content[i+1])})
	}
	return out
}

// badKey reports a key that cannot name anything: a merge key (<<), or a
// key that is not a scalar. ok is true for a usable key.
func (f *yamlFile) badKey(k *yaml.Node) (*hcl.Diagnostic, bool) {
	switch {
	case k == nil:
		return nil, false
	case k.Kind != yaml.ScalarNode:
		return f.errorf(f.rng(k), "Invalid key", "A key must be a name, not %s.", describe(k)), false
	case k.ShortTag() == "!!merge":
		return f.errorf(f.rng(k), "Unsupported YAML merge key", "pgward does not merge mappings with <<; write the arguments out, or share values with locals."), false
	}
	return nil, true
}

// yamlBody is an hcl.Body backed by a YAML mapping.
type yamlBody struct {
	f    *yamlFile
	node *yaml.Node // a mapping; nil for an empty body
	// missing is where a missing required argument is reported: the
	// block's key.
	missing hcl.Range
	hidden  map[string]bool
}

var _ hcl.Body = (*yamlBody)(nil)

func (b *yamlBody) MissingItemRange() hcl.Range { return b.missing }

func (b *yamlBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	content, rest, diags := b.PartialContent(schema)
	for _, p := range pairs(b.node) {
		if d, ok := b.f.badKey(p.key); !ok {
			if d != nil {
				diags = append(diags, d)
			}
			continue
		}
		if rest.(*yamlBody).hidden[p.key.Value] {
			continue
		}
		diags = append(diags, b.unsupported(p, schema))
	}
	return content, diags
}

// unsupported reports a key that the schema does not know, as hclsyntax
// does for HCL: an argument, or a block type when the value looks like a
// block's (a mapping or a list of mappings) and the body takes blocks.
func (b *yamlBody) unsupported(p yamlPair, schema *hcl.BodySchema) *hcl.Diagnostic {
	name := p.key.Value
	var attrs, blocks []string
	for _, a := range schema.Attributes {
		attrs = append(attrs, a.Name)
	}
	for _, bs := range schema.Blocks {
		blocks = append(blocks, bs.Type)
	}
	looksLikeBlock := p.value.Kind == yaml.MappingNode ||
		p.value.Kind == yaml.SequenceNode && len(p.value.Content) > 0 && resolve(p.value.Content[0]).Kind == yaml.MappingNode
	asBlock := len(blocks) > 0 && (looksLikeBlock || len(attrs) == 0)
	first, second := attrs, blocks
	if asBlock {
		first, second = blocks, attrs
	}
	hint := didYouMean(name, first)
	if hint == "" {
		hint = didYouMean(name, second)
	}
	r := b.f.rng(p.key)
	if asBlock {
		return b.f.errorf(r, "Unsupported block type", "Blocks of type %q are not expected here.%s", name, hint)
	}
	return b.f.errorf(r, "Unsupported argument", "An argument named %q is not expected here.%s", name, hint)
}

func (b *yamlBody) PartialContent(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	content := &hcl.BodyContent{Attributes: hcl.Attributes{}, MissingItemRange: b.missing}
	attrS := map[string]hcl.AttributeSchema{}
	for _, a := range schema.Attributes {
		attrS[a.Name] = a
	}
	blockS := map[string]hcl.BlockHeaderSchema{}
	for _, bs := range schema.Blocks {
		blockS[bs.Type] = bs
	}
	seen := map[string]*yaml.Node{}
	for _, p := range pairs(b.node) {
		if _, ok := b.f.badKey(p.key); !ok {
			continue // reported by Content or JustAttributes
		}
		name := p.key.Value
		if b.hidden[name] {
			continue
		}
		_, isAttr := attrS[name]
		bs, isBlock := blockS[name]
		if !isAttr && !isBlock {
			continue
		}
		r := b.f.rng(p.key)
		if first, dup := seen[name]; dup {
			if isAttr {
				diags = append(diags, b.f.errorf(r, "Attribute redefined", "The argument %q was already set at %s. Each argument may be set only once.",
					name, pos(b.f.rng(first))))
			} else {
				diags = append(diags, b.f.errorf(r, "Duplicate key", "%q is already a key of this mapping, at %s. A YAML mapping holds each key once: write all the %s blocks under one %s key.",
					name, pos(b.f.rng(first)), name, name))
			}
			continue
		}
		seen[name] = p.key
		if isAttr {
			content.Attributes[name] = b.f.attribute(p, &diags)
			continue
		}
		content.Blocks = append(content.Blocks, b.f.blocks(p, bs, &diags)...)
	}
	for _, a := range schema.Attributes {
		if _, ok := content.Attributes[a.Name]; a.Required && !ok {
			diags = append(diags, b.f.errorf(b.missing, "Missing required argument", "The argument %q is required, but no definition was found.", a.Name))
		}
	}
	hidden := map[string]bool{}
	for n := range b.hidden {
		hidden[n] = true
	}
	for n := range attrS {
		hidden[n] = true
	}
	for n := range blockS {
		hidden[n] = true
	}
	return content, &yamlBody{f: b.f, node: b.node, missing: b.missing, hidden: hidden}, diags
}

func (b *yamlBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := hcl.Attributes{}
	for _, p := range pairs(b.node) {
		if d, ok := b.f.badKey(p.key); !ok {
			if d != nil {
				diags = append(diags, d)
			}
			continue
		}
		name := p.key.Value
		if b.hidden[name] {
			continue
		}
		if first, dup := attrs[name]; dup {
			diags = append(diags, b.f.errorf(b.f.rng(p.key), "Attribute redefined", "The argument %q was already set at %s. Each argument may be set only once.",
				name, pos(first.NameRange)))
			continue
		}
		attrs[name] = b.f.attribute(p, &diags)
	}
	return attrs, diags
}

func (f *yamlFile) attribute(p yamlPair, diags *hcl.Diagnostics) *hcl.Attribute {
	nameRange := f.rng(p.key)
	expr := f.expr(p.value, diags)
	return &hcl.Attribute{
		Name:      p.key.Value,
		Expr:      expr,
		Range:     hcl.RangeOver(nameRange, expr.Range()),
		NameRange: nameRange,
	}
}

// blocks turns the value of a block-type key into blocks.
func (f *yamlFile) blocks(p yamlPair, bs hcl.BlockHeaderSchema, diags *hcl.Diagnostics) []*hcl.Block {
	typeRange := f.rng(p.key)
	block := func(body *yaml.Node, def hcl.Range, labels []string, labelRanges []hcl.Range) *hcl.Block {
		return &hcl.Block{
			Type:        bs.Type,
			Labels:      labels,
			Body:        &yamlBody{f: f, node: body, missing: def},
			DefRange:    def,
			TypeRange:   typeRange,
			LabelRanges: labelRanges,
		}
	}
	v := p.value
	if len(bs.LabelNames) == 0 {
		unlabelled := func(n *yaml.Node, def hcl.Range) *hcl.Block {
			switch {
			case isNull(n):
				return block(nil, def, nil, nil)
			case n.Kind == yaml.MappingNode:
				return block(n, def, nil, nil)
			}
			*diags = append(*diags, f.errorf(f.rng(n), "Invalid block",
				"%s is a block: write its arguments as a mapping, as in \"%s: {name: value}\", or a list of such mappings for several %s blocks, not %s.",
				bs.Type, bs.Type, bs.Type, describe(n)))
			return nil
		}
		var out []*hcl.Block
		if v.Kind == yaml.SequenceNode {
			for _, item := range v.Content {
				item = resolve(item)
				def := f.rng(item)
				if item.Kind == yaml.MappingNode && len(item.Content) > 0 {
					def = f.rng(resolve(item.Content[0]))
				}
				if b := unlabelled(item, def); b != nil {
					out = append(out, b)
				}
			}
			return out
		}
		if b := unlabelled(v, typeRange); b != nil {
			out = append(out, b)
		}
		return out
	}

	label := bs.LabelNames[0]
	form := fmt.Sprintf("%s: {<%s>: {name: value}}", bs.Type, label)
	var out []*hcl.Block
	// labelled turns one label key (or bare label) and its body into
	// blocks; with several label names, the body maps the next label.
	var labelled func(key, body *yaml.Node, labels []string, ranges []hcl.Range)
	labelled = func(key, body *yaml.Node, labels []string, ranges []hcl.Range) {
		labels = append(labels[:len(labels):len(labels)], key.Value)
		ranges = append(ranges[:len(ranges):len(ranges)], f.rng(key))
		def := ranges[len(ranges)-1]
		if strings.Contains(key.Value, "${") || strings.Contains(key.Value, "%{") {
			// As in HCL, where a label is a literal string.
			*diags = append(*diags, f.errorf(def, "Invalid block label",
				"The %s of a %s block is a plain name: it cannot use variables, locals or templates (${...}). Write the name itself.", label, bs.Type))
			return
		}
		if len(labels) < len(bs.LabelNames) {
			if body == nil || body.Kind != yaml.MappingNode {
				*diags = append(*diags, f.errorf(def, "Missing "+bs.LabelNames[len(labels)]+" for "+bs.Type,
					"All %s blocks have %d labels (%s): nest a mapping for each.", bs.Type, len(bs.LabelNames), strings.Join(bs.LabelNames, ", ")))
				return
			}
			for _, lp := range pairs(body) {
				if d, ok := f.badKey(lp.key); !ok {
					if d != nil {
						*diags = append(*diags, d)
					}
					continue
				}
				labelled(lp.key, lp.value, labels, ranges)
			}
			return
		}
		switch {
		case isNull(body):
			out = append(out, block(nil, def, labels, ranges))
		case body.Kind == yaml.MappingNode:
			out = append(out, block(body, def, labels, ranges))
		default:
			*diags = append(*diags, f.errorf(f.rng(body), "Invalid block",
				"The arguments of %s %q are a mapping of names to values, not %s: %s.", bs.Type, key.Value, describe(body), form))
		}
	}
	// mapping reads label: body pairs, each label once.
	mapping := func(n *yaml.Node, list bool) {
		seen := map[string]*yaml.Node{}
		for _, lp := range pairs(n) {
			if d, ok := f.badKey(lp.key); !ok {
				if d != nil {
					*diags = append(*diags, d)
				}
				continue
			}
			if first, dup := seen[lp.key.Value]; dup && !list {
				*diags = append(*diags, f.errorf(f.rng(lp.key), "Duplicate key",
					"%q is already a key of this mapping, at %s. A YAML mapping holds each key once: to write several %s blocks with the same %s, write a list, as in \"%s: [{%s: {...}}, {%s: {...}}]\".",
					lp.key.Value, pos(f.rng(first)), bs.Type, label, bs.Type, lp.key.Value, lp.key.Value))
				continue
			}
			seen[lp.key.Value] = lp.key
			labelled(lp.key, lp.value, nil, nil)
		}
	}
	switch {
	case isNull(v):
	case v.Kind == yaml.ScalarNode:
		labelled(v, nil, nil, nil)
	case v.Kind == yaml.MappingNode:
		mapping(v, false)
	case v.Kind == yaml.SequenceNode:
		for _, item := range v.Content {
			item = resolve(item)
			switch {
			case item.Kind == yaml.ScalarNode && !isNull(item):
				labelled(item, nil, nil, nil)
			case item.Kind == yaml.MappingNode && len(item.Content) == 2:
				mapping(item, true)
			case item.Kind == yaml.MappingNode && len(item.Content) > 2:
				var keys []string
				for _, lp := range pairs(item) {
					keys = append(keys, lp.key.Value)
				}
				*diags = append(*diags, f.errorf(f.rng(item), "Invalid block",
					"Each item of the %s list is one block: a mapping with one key, the %s, whose value holds the arguments, as in \"- %s: {name: value}\". This item has the keys %s; if all but the first are arguments, indent them under %q.",
					bs.Type, label, keys[0], quoteList(keys), keys[0]))
			default:
				what := describe(item)
				if item.Kind == yaml.MappingNode {
					what = "an empty mapping"
				}
				*diags = append(*diags, f.errorf(f.rng(item), "Invalid block",
					"Each item of the %s list is a mapping with one key, the %s, whose value holds the arguments (\"- <%s>: {name: value}\"), or a bare %s; not %s.",
					bs.Type, label, label, label, what))
			}
		}
	}
	return out
}

// expr turns a YAML value into an HCL expression: a literal, a template,
// a tuple or an object.
func (f *yamlFile) expr(n *yaml.Node, diags *hcl.Diagnostics) hclsyntax.Expression {
	n = resolve(n)
	if n == nil {
		return &hclsyntax.LiteralValueExpr{Val: cty.NullVal(cty.DynamicPseudoType), SrcRange: hcl.Range{Filename: f.name, Start: hcl.InitialPos, End: hcl.InitialPos}}
	}
	r := f.rng(n)
	null := &hclsyntax.LiteralValueExpr{Val: cty.NullVal(cty.DynamicPseudoType), SrcRange: r}
	// failed stands for a value whose error is reported: unknown, so that
	// the decoder skips it instead of adding a second message.
	failed := &hclsyntax.LiteralValueExpr{Val: cty.DynamicVal, SrcRange: r}
	tag := n.ShortTag()
	bad := func() hclsyntax.Expression {
		*diags = append(*diags, f.errorf(r, "Unsupported YAML tag", "pgward does not know the tag %s; write a plain string, number, boolean, list or mapping.", n.Tag))
		return failed
	}
	switch n.Kind {
	case yaml.SequenceNode:
		if tag != "!!seq" {
			return bad()
		}
		e := &hclsyntax.TupleConsExpr{SrcRange: r, OpenRange: hcl.Range{Filename: f.name, Start: r.Start, End: r.Start}}
		for _, c := range n.Content {
			e.Exprs = append(e.Exprs, f.expr(c, diags))
		}
		return e
	case yaml.MappingNode:
		if tag != "!!map" {
			return bad()
		}
		e := &hclsyntax.ObjectConsExpr{SrcRange: r, OpenRange: hcl.Range{Filename: f.name, Start: r.Start, End: r.Start}}
		seen := map[string]*yaml.Node{}
		for _, p := range pairs(n) {
			if d, ok := f.badKey(p.key); !ok {
				if d != nil {
					*diags = append(*diags, d)
				}
				continue
			}
			if first, dup := seen[p.key.Value]; dup {
				*diags = append(*diags, f.errorf(f.rng(p.key), "Duplicate key", "%q is already a key of this mapping, at %s; a YAML mapping holds each key once.",
					p.key.Value, pos(f.rng(first))))
				continue
			}
			seen[p.key.Value] = p.key
			e.Items = append(e.Items, hclsyntax.ObjectConsItem{
				KeyExpr:   &hclsyntax.LiteralValueExpr{Val: cty.StringVal(p.key.Value), SrcRange: f.rng(p.key)},
				ValueExpr: f.expr(p.value, diags),
			})
		}
		return e
	case yaml.ScalarNode:
	default:
		return null
	}
	lit := func(v cty.Value) hclsyntax.Expression { return &hclsyntax.LiteralValueExpr{Val: v, SrcRange: r} }
	switch tag {
	case "!!null":
		return null
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			*diags = append(*diags, f.errorf(r, "Invalid value", "%q is not true or false.", n.Value))
			return failed
		}
		return lit(cty.BoolVal(v))
	case "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			*diags = append(*diags, f.errorf(r, "Invalid number", "%q is not a number YAML can read.", n.Value))
			return failed
		}
		switch v := v.(type) {
		case int:
			return lit(cty.NumberIntVal(int64(v)))
		case int64:
			return lit(cty.NumberIntVal(v))
		case uint64:
			return lit(cty.NumberUIntVal(v))
		case float64:
			if math.IsNaN(v) {
				*diags = append(*diags, f.errorf(r, "Invalid number", "%s is not a number; write a number, or quote it for a string.", n.Value))
				return failed
			}
			return lit(cty.NumberFloatVal(v))
		}
		return lit(cty.StringVal(n.Value))
	case "!!str":
		if !strings.Contains(n.Value, "${") && !strings.Contains(n.Value, "%{") {
			return lit(cty.StringVal(n.Value))
		}
		start := r.Start
		if start.Byte < len(f.src) && (f.src[start.Byte] == '"' || f.src[start.Byte] == '\'') {
			start = hcl.Pos{Line: start.Line, Column: start.Column + 1, Byte: start.Byte + 1}
		}
		e, d := hclsyntax.ParseTemplate([]byte(n.Value), f.name, start)
		*diags = append(*diags, d...)
		if d.HasErrors() {
			return failed
		}
		return e
	case "!!timestamp", "!!binary":
		// An unquoted date is a string to pgward (valid_until: 2027-01-01).
		return lit(cty.StringVal(n.Value))
	}
	return bad()
}
