package importer

import (
	"bytes"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// WriteHCL writes the import as one HCL policy file, in the canonical
// layout of hclwrite (what pgward fmt writes): a header saying where and
// when it was imported, the notes, locals for the shared privilege lists,
// the scope, one block per role and the public block.
func WriteHCL(w io.Writer, im *Import) error {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	header(body, im)

	lists := map[string]bool{}
	if len(im.Lists) > 0 {
		body.AppendNewline()
		loc := body.AppendNewBlock("locals", nil).Body()
		for _, l := range im.Lists {
			loc.SetAttributeRaw(l.Name, stringList(l.Privs.List()))
			lists[l.Name] = true
		}
	}
	if len(im.Policy.Schemas) > 0 || len(im.Policy.SystemSchemas) > 0 {
		body.AppendNewline()
		scope := body.AppendNewBlock("scope", nil).Body()
		if len(im.Policy.Schemas) > 0 {
			scope.SetAttributeRaw("schemas", stringList(im.Policy.Schemas))
		}
		if len(im.Policy.SystemSchemas) > 0 {
			scope.SetAttributeRaw("system_schemas", stringList(im.Policy.SystemSchemas))
		}
	}
	for _, r := range im.Roles {
		body.AppendNewline()
		writeRole(body, r)
	}
	if pub := im.Policy.Public; pub != nil {
		body.AppendNewline()
		comment(body, strings.Join(im.Public, " "))
		pb := body.AppendNewBlock("public", nil).Body()
		for _, k := range acl.Kinds() {
			if p, ok := pub.MayHold[k]; ok {
				pb.SetAttributeRaw(k.String(), stringList(p.List()))
			}
		}
		for i, blk := range im.PublicBlocks {
			if i > 0 || len(pb.Attributes()) > 0 {
				pb.AppendNewline()
			}
			switch {
			case blk.Grant != nil:
				writeGrant(pb, blk.Grant, blk.List)
			case blk.Default != nil:
				writeDefault(pb, blk.Default, blk.List)
			}
		}
	}
	out := format(f.Bytes())
	_, err := w.Write(out)
	return err
}

// header writes the comment at the top of the file.
func header(body *hclwrite.Body, im *Import) {
	for _, l := range headerLines(im) {
		commentLine(body, l)
	}
}

func writeRole(body *hclwrite.Body, r *RoleLayout) {
	role := r.Role
	rb := body.AppendNewBlock("role", []string{role.Name}).Body()
	if role.External {
		rb.SetAttributeValue("external", cty.True)
	}
	a := role.Attributes
	boolAttr := func(name string, v *bool) {
		if v != nil {
			rb.SetAttributeValue(name, cty.BoolVal(*v))
		}
	}
	boolAttr("login", a.Login)
	boolAttr("inherit", a.Inherit)
	boolAttr("createdb", a.CreateDB)
	boolAttr("createrole", a.CreateRole)
	boolAttr("replication", a.Replication)
	boolAttr("bypassrls", a.BypassRLS)
	if a.ConnectionLimit != nil {
		rb.SetAttributeValue("connection_limit", cty.NumberIntVal(int64(*a.ConnectionLimit)))
	}
	if a.ValidUntil != nil {
		rb.SetAttributeValue("valid_until", cty.StringVal(*a.ValidUntil))
	}
	writeSettings(rb, role.Settings)
	for i, blk := range r.Blocks {
		if i > 0 || len(rb.Attributes()) > 0 {
			rb.AppendNewline()
		}
		if blk.Comment != "" {
			comment(rb, blk.Comment)
		}
		switch {
		case blk.MemberOf != nil:
			writeMemberOf(rb, blk.MemberOf)
		case blk.Grant != nil:
			writeGrant(rb, blk.Grant, blk.List)
		case blk.Default != nil:
			writeDefault(rb, blk.Default, blk.List)
		}
	}
}

// writeSettings writes settings = { … } and database_settings = { … }.
func writeSettings(rb *hclwrite.Body, settings []*policy.RoleSettings) {
	values := func(rs *policy.RoleSettings) cty.Value {
		m := map[string]cty.Value{}
		for _, v := range rs.Values {
			if v.IsList() {
				elems := make([]cty.Value, len(v.List))
				for i, e := range v.List {
					elems[i] = cty.StringVal(e)
				}
				m[v.Name] = cty.TupleVal(elems)
			} else {
				m[v.Name] = cty.StringVal(v.Value)
			}
		}
		return cty.ObjectVal(m)
	}
	dbs := map[string]cty.Value{}
	for _, rs := range settings {
		if rs.Database == "" {
			rb.SetAttributeValue("settings", values(rs))
		} else {
			dbs[rs.Database] = values(rs)
		}
	}
	if len(dbs) > 0 {
		rb.SetAttributeValue("database_settings", cty.ObjectVal(dbs))
	}
}

func writeMemberOf(rb *hclwrite.Body, m *policy.Membership) {
	if m.Inherit == nil && m.Set == nil && !m.Admin {
		// member_of "pg_read_all_data" {}, as people write it.
		toks := hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte("member_of")}}
		toks = append(toks, hclwrite.TokensForValue(cty.StringVal(m.Role))...)
		toks = append(toks,
			&hclwrite.Token{Type: hclsyntax.TokenOBrace, Bytes: []byte("{")},
			&hclwrite.Token{Type: hclsyntax.TokenCBrace, Bytes: []byte("}")},
			newlineToken())
		rb.AppendUnstructuredTokens(toks)
		return
	}
	mb := rb.AppendNewBlock("member_of", []string{m.Role}).Body()
	if m.Inherit != nil {
		mb.SetAttributeValue("inherit", cty.BoolVal(*m.Inherit))
	}
	if m.Set != nil {
		mb.SetAttributeValue("set", cty.BoolVal(*m.Set))
	}
	if m.Admin {
		mb.SetAttributeValue("admin", cty.True)
	}
}

func writeGrant(rb *hclwrite.Body, g *policy.Grant, list string) {
	gb := rb.AppendNewBlock("grant", []string{g.Kind.String()}).Body()
	if g.Schema != "" {
		gb.SetAttributeValue("schema", cty.StringVal(g.Schema))
	}
	if len(g.Names) > 0 {
		gb.SetAttributeRaw("names", stringList(patternTexts(g.Names)))
	}
	if len(g.Except) > 0 {
		gb.SetAttributeRaw("except", stringList(patternTexts(g.Except)))
	}
	if len(g.Columns) > 0 {
		gb.SetAttributeRaw("columns", stringList(g.Columns))
	}
	privileges(gb, g.Privileges, list)
	if g.WithGrantOption {
		gb.SetAttributeValue("with_grant_option", cty.True)
	}
}

func writeDefault(rb *hclwrite.Body, d *policy.DefaultPrivilege, list string) {
	db := rb.AppendNewBlock("default_privileges", []string{d.Kind.String()}).Body()
	db.SetAttributeValue("for_role", cty.StringVal(d.ForRole))
	if d.Schema != "" {
		db.SetAttributeValue("schema", cty.StringVal(d.Schema))
	}
	privileges(db, d.Privileges, list)
	if d.WithGrantOption {
		db.SetAttributeValue("with_grant_option", cty.True)
	}
}

func privileges(b *hclwrite.Body, p acl.Priv, list string) {
	if list != "" {
		b.SetAttributeTraversal("privileges", hcl.Traversal{hcl.TraverseRoot{Name: "local"}, hcl.TraverseAttr{Name: list}})
		return
	}
	b.SetAttributeRaw("privileges", stringList(p.List()))
}

func patternTexts(ps []policy.Pattern) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text
	}
	return out
}

// inlineWidth is the widest list written on one line; longer lists take
// one element per line.
const inlineWidth = 72

// stringList is an HCL list of strings, on one line when it is short.
func stringList(items []string) hclwrite.Tokens {
	var elems []hclwrite.Tokens
	width := 2
	for _, s := range items {
		t := hclwrite.TokensForValue(cty.StringVal(s))
		elems = append(elems, t)
		width += len(t.Bytes()) + 2
	}
	multiline := width > inlineWidth && len(items) > 1
	toks := hclwrite.Tokens{{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")}}
	for i, e := range elems {
		if multiline {
			toks = append(toks, newlineToken())
		}
		toks = append(toks, e...)
		if multiline || i < len(elems)-1 {
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")})
		}
	}
	if multiline {
		toks = append(toks, newlineToken())
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
}

func newlineToken() *hclwrite.Token {
	return &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")}
}

// comment writes text as # lines, wrapped.
func comment(b *hclwrite.Body, text string) {
	for _, l := range wrapText("", "", commentWidth, text) {
		commentLine(b, l)
	}
}

func commentLine(b *hclwrite.Body, text string) {
	s := "#"
	if text != "" {
		s += " " + text
	}
	b.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(s + "\n")}})
}

// format runs hclwrite's formatter to its fixed point, as pgward fmt does,
// so that the output is already formatted.
func format(src []byte) []byte {
	out := hclwrite.Format(src)
	for range 4 {
		again := hclwrite.Format(out)
		if bytes.Equal(again, out) {
			break
		}
		out = again
	}
	return out
}
