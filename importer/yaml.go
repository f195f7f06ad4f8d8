package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// ErrYAMLLabel is wrapped by the error of [WriteYAML] for a role whose
// name holds "${" or "%{". A YAML policy names roles with mapping keys,
// and the loader rejects a key holding a template sequence (a label is a
// plain name, never a template); HCL writes such a name with $${.
var ErrYAMLLabel = errors.New(`a YAML policy cannot name a role whose name holds "${" or "%{"`)

// WriteYAML writes the import as one YAML policy file, the schema the
// policy package reads from *.yaml and *.yml files (docs/policy.md,
// "YAML"), with what WriteHCL writes: the header saying where and when it
// was imported, the notes, locals for the shared privilege lists, the
// scope, one entry per role and the public block, with the same comments.
//
// A YAML mapping holds each key once, so a role's blocks are grouped by
// type: member_of, then the grant list, then the default_privileges list
// (in HCL each default_privileges block follows the grants it extends).
// Each list keeps the order of WriteHCL, so both files load as the same
// policy.
//
// Names are written as they are: YAML quotes what it would read
// otherwise, and "${" and "%{" in values are escaped as $${ and %%{. A role
// whose name holds "${" or "%{" cannot be a YAML key: WriteYAML then
// writes nothing and returns an error wrapping [ErrYAMLLabel]. Names that
// are not valid UTF-8 are an error too.
func WriteYAML(w io.Writer, im *Import) error {
	y := &yamlWriter{}
	root := y.mapping()
	section := func(key string, value *yaml.Node, comment ...string) {
		k := y.str(key)
		k.HeadComment = yamlComment(comment)
		if len(root.Content) > 0 {
			k.HeadComment = "\n" + k.HeadComment
		}
		root.Content = append(root.Content, k, value)
	}
	if len(im.Lists) > 0 {
		loc := y.mapping()
		for _, l := range im.Lists {
			loc.Content = append(loc.Content, y.str(l.Name), y.list(l.Privs.List()))
		}
		section("locals", loc)
	}
	if len(im.Policy.Schemas) > 0 || len(im.Policy.SystemSchemas) > 0 {
		scope := y.mapping()
		if len(im.Policy.Schemas) > 0 {
			scope.Content = append(scope.Content, y.str("schemas"), y.list(im.Policy.Schemas))
		}
		if len(im.Policy.SystemSchemas) > 0 {
			scope.Content = append(scope.Content, y.str("system_schemas"), y.list(im.Policy.SystemSchemas))
		}
		section("scope", scope)
	}
	if len(im.Roles) > 0 {
		roles := y.mapping()
		for i, r := range im.Roles {
			k := y.label("role", r.Role.Name)
			if i > 0 {
				k.HeadComment = "\n"
			}
			roles.Content = append(roles.Content, k, y.role(r))
		}
		section("role", roles)
	}
	if pub := im.Policy.Public; pub != nil {
		pb := y.mapping()
		for _, k := range acl.Kinds() {
			if p, ok := pub.MayHold[k]; ok {
				pb.Content = append(pb.Content, y.str(k.String()), y.list(p.List()))
			}
		}
		grants := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		defaults := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, blk := range im.PublicBlocks {
			switch {
			case blk.Grant != nil:
				grants.Content = append(grants.Content, y.grant(blk.Grant, blk.List))
			case blk.Default != nil:
				defaults.Content = append(defaults.Content, y.defaultPrivileges(blk.Default, blk.List))
			}
		}
		for _, l := range []struct {
			name string
			n    *yaml.Node
		}{{"grant", grants}, {"default_privileges", defaults}} {
			if len(l.n.Content) > 0 {
				pb.Content = append(pb.Content, y.str(l.name), l.n)
			}
		}
		section("public", pb, wrapText("", "", commentWidth, strings.Join(im.Public, " "))...)
	}
	if y.err != nil {
		return y.err
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: yamlComment(headerLines(im)), Content: []*yaml.Node{root}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	_, err := w.Write(trimBlankLines(buf.Bytes()))
	return err
}

// yamlWriter builds the nodes of a YAML import and keeps the first error.
type yamlWriter struct {
	err error
}

func (y *yamlWriter) fail(err error) {
	if y.err == nil {
		y.err = err
	}
}

func (y *yamlWriter) mapping(content ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: content}
}

// str is a string scalar written as it is. The encoder quotes a string
// that YAML would read as something else, but for the merge key "<<" and
// for the booleans of YAML 1.1 (yes, no, on, off, y, n), which YAML 1.2
// and pgward read as strings but older tools do not: those are quoted
// here. Strings holding a line break or another character that is not
// printable are double-quoted, with escapes, so that every scalar stays on
// one line.
func (y *yamlWriter) str(s string) *yaml.Node {
	if !utf8.ValidString(s) {
		y.fail(fmt.Errorf("name %q is not valid UTF-8: a YAML policy cannot hold it", s))
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case s == "<<", yaml11Bool[strings.ToLower(s)],
		strings.IndexFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }) >= 0:
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

var yaml11Bool = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}

// value is a string that the loader reads as a template when it holds
// "${" or "%{": those are escaped, so that it reads back as written.
func (y *yamlWriter) value(s string) *yaml.Node {
	return y.str(escapeTemplate(s))
}

// escapeTemplate doubles the $ or % of each "${" and "%{", as HCL does in
// a quoted string: "$${" reads as "${" in a template.
func escapeTemplate(s string) string {
	if !strings.Contains(s, "${") && !strings.Contains(s, "%{") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if (s[i] == '$' || s[i] == '%') && i+1 < len(s) && s[i+1] == '{' {
			b.WriteByte(s[i])
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// label is a block label: a mapping key or a bare list item, read as a
// plain name, never as a template.
func (y *yamlWriter) label(what, name string) *yaml.Node {
	if strings.Contains(name, "${") || strings.Contains(name, "%{") {
		y.fail(fmt.Errorf("%s %s: %w; import it with --format hcl, which can", what, strconv.Quote(name), ErrYAMLLabel))
	}
	return y.str(name)
}

func (y *yamlWriter) boolean(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

// list is a list of strings, on one line when it is short (as WriteHCL
// writes it), one item per line otherwise.
func (y *yamlWriter) list(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	width := 2
	for _, s := range items {
		n.Content = append(n.Content, y.value(s))
		width += len(s) + 2
	}
	if width > inlineWidth && len(items) > 1 {
		n.Style = 0
	}
	return n
}

// role is the body of one role: its attributes, then its member_of,
// grant and default_privileges blocks.
func (y *yamlWriter) role(r *RoleLayout) *yaml.Node {
	role := r.Role
	body := y.mapping()
	attr := func(name string, v *yaml.Node) { body.Content = append(body.Content, y.str(name), v) }
	if role.External {
		attr("external", y.boolean(true))
	}
	a := role.Attributes
	for _, b := range []struct {
		name string
		v    *bool
	}{{"login", a.Login}, {"inherit", a.Inherit}, {"createdb", a.CreateDB}, {"createrole", a.CreateRole},
		{"replication", a.Replication}, {"bypassrls", a.BypassRLS}} {
		if b.v != nil {
			attr(b.name, y.boolean(*b.v))
		}
	}
	if a.ConnectionLimit != nil {
		attr("connection_limit", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(*a.ConnectionLimit)})
	}
	if a.ValidUntil != nil {
		attr("valid_until", y.value(*a.ValidUntil))
	}
	values := func(rs *policy.RoleSettings) *yaml.Node {
		m := y.mapping()
		for _, v := range rs.Values {
			val := y.value(v.Value)
			if v.IsList() {
				val = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
				for _, e := range v.List {
					val.Content = append(val.Content, y.value(e))
				}
			}
			m.Content = append(m.Content, y.str(v.Name), val)
		}
		return m
	}
	dbs := y.mapping()
	for _, rs := range role.Settings {
		if rs.Database == "" {
			attr("settings", values(rs))
		} else {
			dbs.Content = append(dbs.Content, y.label("database", rs.Database), values(rs))
		}
	}
	if len(dbs.Content) > 0 {
		attr("database_settings", dbs)
	}

	var members []*policy.Membership
	grants := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	defaults := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, blk := range r.Blocks {
		var item *yaml.Node
		switch {
		case blk.MemberOf != nil:
			members = append(members, blk.MemberOf)
			continue
		case blk.Grant != nil:
			item = y.grant(blk.Grant, blk.List)
			grants.Content = append(grants.Content, item)
		case blk.Default != nil:
			item = y.defaultPrivileges(blk.Default, blk.List)
			defaults.Content = append(defaults.Content, item)
		default:
			continue
		}
		if blk.Comment != "" {
			// The item's "- " is indented by 6: keep the text within the
			// width of the other comments.
			item.HeadComment = yamlComment(wrapText("", "", commentWidth-4, blk.Comment))
		}
	}
	block := func(name string, v *yaml.Node) {
		k := y.str(name)
		if len(body.Content) > 0 {
			k.HeadComment = "\n"
		}
		body.Content = append(body.Content, k, v)
	}
	if len(members) > 0 {
		block("member_of", y.memberOf(members))
	}
	if len(grants.Content) > 0 {
		block("grant", grants)
	}
	if len(defaults.Content) > 0 {
		block("default_privileges", defaults)
	}
	return body
}

// memberOf is the role's memberships: a list of role names when none has
// options (member_of: [pg_read_all_data]), else a mapping from role name
// to options.
func (y *yamlWriter) memberOf(ms []*policy.Membership) *yaml.Node {
	bare := true
	for _, m := range ms {
		if m.Inherit != nil || m.Set != nil || m.Admin {
			bare = false
		}
	}
	if bare {
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, m := range ms {
			n.Content = append(n.Content, y.label("role", m.Role))
		}
		return n
	}
	n := y.mapping()
	for _, m := range ms {
		opts := y.mapping()
		if m.Inherit != nil {
			opts.Content = append(opts.Content, y.str("inherit"), y.boolean(*m.Inherit))
		}
		if m.Set != nil {
			opts.Content = append(opts.Content, y.str("set"), y.boolean(*m.Set))
		}
		if m.Admin {
			opts.Content = append(opts.Content, y.str("admin"), y.boolean(true))
		}
		n.Content = append(n.Content, y.label("role", m.Role), opts)
	}
	return n
}

// grant is one item of the grant list: {kind: {arguments}}, the arguments
// in the order WriteHCL writes them.
func (y *yamlWriter) grant(g *policy.Grant, list string) *yaml.Node {
	body := y.mapping()
	if g.Schema != "" {
		body.Content = append(body.Content, y.str("schema"), y.value(g.Schema))
	}
	if len(g.Names) > 0 {
		body.Content = append(body.Content, y.str("names"), y.list(patternTexts(g.Names)))
	}
	if len(g.Except) > 0 {
		body.Content = append(body.Content, y.str("except"), y.list(patternTexts(g.Except)))
	}
	if len(g.Columns) > 0 {
		body.Content = append(body.Content, y.str("columns"), y.list(g.Columns))
	}
	body.Content = append(body.Content, y.str("privileges"), y.privileges(g.Privileges, list))
	if g.WithGrantOption {
		body.Content = append(body.Content, y.str("with_grant_option"), y.boolean(true))
	}
	return y.mapping(y.str(g.Kind.String()), body)
}

// defaultPrivileges is one item of the default_privileges list.
func (y *yamlWriter) defaultPrivileges(d *policy.DefaultPrivilege, list string) *yaml.Node {
	body := y.mapping(y.str("for_role"), y.value(d.ForRole))
	if d.Schema != "" {
		body.Content = append(body.Content, y.str("schema"), y.value(d.Schema))
	}
	body.Content = append(body.Content, y.str("privileges"), y.privileges(d.Privileges, list))
	if d.WithGrantOption {
		body.Content = append(body.Content, y.str("with_grant_option"), y.boolean(true))
	}
	return y.mapping(y.str(d.Kind.String()), body)
}

// privileges is a privilege list, or the local that holds it: a string
// that is one interpolation keeps the value's type, so ${local.dml} is
// the list.
func (y *yamlWriter) privileges(p acl.Priv, list string) *yaml.Node {
	if list != "" {
		return y.str("${local." + list + "}")
	}
	return y.list(p.List())
}

// yamlComment turns comment lines (without the marker) into the text of a
// node's comment.
func yamlComment(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte('#')
		if l != "" {
			b.WriteString(" " + l)
		}
	}
	return b.String()
}

// trimBlankLines empties the lines that hold only spaces: the encoder
// indents the blank line that separates blocks. No scalar spans lines
// (see yamlWriter.str), so no value changes.
func trimBlankLines(src []byte) []byte {
	lines := bytes.Split(src, []byte("\n"))
	for i, l := range lines {
		if len(bytes.TrimLeft(l, " ")) == 0 {
			lines[i] = nil
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
