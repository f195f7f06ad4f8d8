package policy

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "scope"},
		{Type: "role", LabelNames: []string{"name"}},
		{Type: "public"},
	},
}

var scopeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "schemas"}},
}

var roleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "external"},
		{Name: "if_missing"},
		{Name: "login"},
		{Name: "inherit"},
		{Name: "createdb"},
		{Name: "createrole"},
		{Name: "replication"},
		{Name: "bypassrls"},
		{Name: "connection_limit"},
		{Name: "valid_until"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "member_of", LabelNames: []string{"role"}},
		{Type: "grant", LabelNames: []string{"kind"}},
		{Type: "default_privileges", LabelNames: []string{"kind"}},
	},
}

var memberOfSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "inherit"},
		{Name: "set"},
		{Name: "admin"},
	},
}

var grantSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "schema"},
		{Name: "names"},
		{Name: "except"},
		{Name: "privileges", Required: true},
	},
}

// defaultPrivilegesSchema accepts names and except only to explain that
// default privileges cannot select objects.
var defaultPrivilegesSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_role", Required: true},
		{Name: "schema"},
		{Name: "privileges", Required: true},
		{Name: "names"},
		{Name: "except"},
	},
}

var publicSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, k := range acl.Kinds() {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: k.String()})
	}
	return s
}()

// decoder turns evaluated blocks into a Policy, collecting diagnostics.
type decoder struct {
	ev     *evaluator
	diags  hcl.Diagnostics
	policy *Policy
	// scope is the set of managed schemas; nil when every schema is.
	scope map[string]bool
}

func decode(bodies []hcl.Body, o LoadOptions) (*Policy, hcl.Diagnostics) {
	d := &decoder{ev: newEvaluator(), policy: &Policy{}}
	var vars, locals, scopes, roles, publics []*hcl.Block
	for _, body := range bodies {
		content, diags := body.Content(fileSchema)
		d.diags = append(d.diags, diags...)
		if content == nil {
			continue
		}
		for _, b := range content.Blocks {
			switch b.Type {
			case "variable":
				vars = append(vars, b)
			case "locals":
				locals = append(locals, b)
			case "scope":
				scopes = append(scopes, b)
			case "role":
				roles = append(roles, b)
			case "public":
				publics = append(publics, b)
			}
		}
	}
	d.diags = append(d.diags, d.ev.addVariables(vars, o)...)
	d.diags = append(d.diags, d.ev.addLocals(locals)...)

	for i, b := range scopes {
		if i > 0 {
			d.errorf(b.DefRange, "Duplicate scope block", "The scope is already declared at %s; a policy has at most one scope block.", pos(scopes[0].DefRange))
			continue
		}
		d.decodeScope(b)
	}

	declared := map[string]*Role{}
	for _, b := range roles {
		r := d.decodeRole(b)
		if r == nil {
			continue
		}
		if first, dup := declared[r.Name]; dup {
			d.errorf(b.DefRange, "Duplicate role", "Role %q is already declared at %s; merge the two role blocks into one.", r.Name, pos(first.DeclRange))
			continue
		}
		declared[r.Name] = r
		d.policy.Roles = append(d.policy.Roles, r)
	}
	d.checkRoleRefs(declared)

	for i, b := range publics {
		if i > 0 {
			d.errorf(b.DefRange, "Duplicate public block", "The public block is already declared at %s; a policy has at most one.", pos(publics[0].DefRange))
			continue
		}
		d.decodePublic(b)
	}
	return d.policy, d.diags
}

func (d *decoder) errorf(r hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  r.Ptr(),
	})
}

func (d *decoder) warnf(r hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  r.Ptr(),
	})
}

func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	if c == nil {
		c = &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	return c
}

// value evaluates an attribute. ok is false when there is nothing to use:
// the attribute is absent, or null (both mean "not set"; null is an error
// for a required attribute), or evaluation failed (already reported), or
// the value depends on one that failed.
func (d *decoder) value(a *hcl.Attribute, required bool) (cty.Value, bool) {
	if a == nil {
		return cty.NilVal, false
	}
	v, diags := d.ev.eval(a.Expr)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		if required {
			d.errorf(a.Expr.Range(), "Null value", "%s is required and cannot be null.", a.Name)
		}
		return cty.NilVal, false
	}
	return v, true
}

func (d *decoder) typeError(a *hcl.Attribute, want, example string, err error) {
	detail := fmt.Sprintf("%s must be %s, for example %s = %s.", a.Name, want, a.Name, example)
	if err != nil {
		detail = fmt.Sprintf("%s must be %s (%s), for example %s = %s.", a.Name, want, err, a.Name, example)
	}
	d.errorf(a.Expr.Range(), "Incorrect attribute value type", "%s", detail)
}

func (d *decoder) str(a *hcl.Attribute, example string, required bool) (string, bool) {
	v, ok := d.value(a, required)
	if !ok {
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		d.typeError(a, "a string", example, err)
		return "", false
	}
	return s.AsString(), true
}

func (d *decoder) boolean(a *hcl.Attribute) (bool, bool) {
	v, ok := d.value(a, false)
	if !ok {
		return false, false
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil {
		d.typeError(a, "true or false", "true", err)
		return false, false
	}
	return b.True(), true
}

func (d *decoder) integer(a *hcl.Attribute, example string) (int, bool) {
	v, ok := d.value(a, false)
	if !ok {
		return 0, false
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		d.typeError(a, "a whole number", example, err)
		return 0, false
	}
	f := n.AsBigFloat()
	if !f.IsInt() {
		d.typeError(a, "a whole number", example, nil)
		return 0, false
	}
	i, acc := f.Int64()
	if acc != big.Exact || i < -1<<31 || i > 1<<31-1 {
		d.errorf(a.Expr.Range(), "Value out of range", "%s must fit in a 32-bit integer, as PostgreSQL stores it.", a.Name)
		return 0, false
	}
	return int(i), true
}

// strList evaluates a list of strings, with the range of each element when
// the list is written as a literal [ ... ] (otherwise the whole expression).
func (d *decoder) strList(a *hcl.Attribute, example string, required bool) ([]string, []hcl.Range, bool) {
	v, ok := d.value(a, required)
	if !ok {
		return nil, nil, false
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		d.typeError(a, "a list of strings", example, err)
		return nil, nil, false
	}
	var out []string
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			d.errorf(a.Expr.Range(), "Null list element", "%s must not hold null.", a.Name)
			return nil, nil, false
		}
		out = append(out, e.AsString())
	}
	ranges := make([]hcl.Range, len(out))
	tuple, isTuple := a.Expr.(*hclsyntax.TupleConsExpr)
	for i := range ranges {
		if isTuple && len(tuple.Exprs) == len(out) {
			ranges[i] = tuple.Exprs[i].Range()
		} else {
			ranges[i] = a.Expr.Range()
		}
	}
	return out, ranges, true
}

// name checks an identifier (a role, a schema) with ident.Check.
func (d *decoder) name(s string, r hcl.Range, what string) bool {
	if err := ident.Check(s); err != nil {
		d.errorf(r, "Invalid "+what, "%s: %s.", capitalize(err.Error()), nameFix(err))
		return false
	}
	return true
}

func nameFix(err error) string {
	switch {
	case strings.Contains(err.Error(), "empty"):
		return "give a name"
	case strings.Contains(err.Error(), "NUL"):
		return "remove the NUL byte"
	}
	return fmt.Sprintf("use a name of at most %d bytes", ident.MaxLen)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (d *decoder) decodeScope(b *hcl.Block) {
	c := d.content(b.Body, scopeSchema)
	a := c.Attributes["schemas"]
	if a == nil {
		return
	}
	names, ranges, ok := d.strList(a, `["public"]`, false)
	if !ok {
		return
	}
	if len(names) == 0 {
		d.errorf(a.Expr.Range(), "Empty scope", "schemas = [] would manage nothing; list the managed schemas, or remove the attribute to manage every non-system schema.")
		return
	}
	d.scope = map[string]bool{}
	for i, n := range names {
		if !d.name(n, ranges[i], "schema name") {
			continue
		}
		if d.scope[n] {
			d.warnf(ranges[i], "Duplicate schema", "Schema %q is listed twice in scope.schemas.", n)
			continue
		}
		d.scope[n] = true
		d.policy.Schemas = append(d.policy.Schemas, n)
	}
}

// inScope checks that a schema named by a rule is managed.
func (d *decoder) inScope(s string, r hcl.Range) {
	if d.scope == nil || d.scope[s] {
		return
	}
	d.errorf(r, "Schema not in scope", "Schema %q is not managed: scope.schemas lists %s.%s Add it to scope.schemas or fix the name.",
		s, quoteList(d.policy.Schemas), didYouMean(s, d.policy.Schemas))
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

var boolAttributes = []struct {
	name string
	set  func(*Attributes, bool)
}{
	{"login", func(a *Attributes, v bool) { a.Login = &v }},
	{"inherit", func(a *Attributes, v bool) { a.Inherit = &v }},
	{"createdb", func(a *Attributes, v bool) { a.CreateDB = &v }},
	{"createrole", func(a *Attributes, v bool) { a.CreateRole = &v }},
	{"replication", func(a *Attributes, v bool) { a.Replication = &v }},
	{"bypassrls", func(a *Attributes, v bool) { a.BypassRLS = &v }},
}

// decodeRole decodes a role block; nil when its name is unusable.
func (d *decoder) decodeRole(b *hcl.Block) *Role {
	r := &Role{Name: b.Labels[0], DeclRange: b.DefRange}
	nameOK := d.checkRoleName(r.Name, b.LabelRanges[0])
	c := d.content(b.Body, roleSchema)

	if v, ok := d.boolean(c.Attributes["external"]); ok {
		r.External = v
	}
	if a := c.Attributes["if_missing"]; a != nil {
		if v, ok := d.str(a, `"skip"`, false); ok {
			switch v {
			case "error":
				r.IfMissing = IfMissingError
			case "skip":
				r.IfMissing = IfMissingSkip
			default:
				d.errorf(a.Expr.Range(), "Invalid if_missing", "if_missing is \"error\" (the default: plan fails) or \"skip\" (plan warns and grants nothing until the role exists), not %q.%s",
					v, didYouMean(v, []string{"error", "skip"}))
			}
		}
	}

	attrs := &r.Attributes
	setRange := func(name string) {
		if attrs.Ranges == nil {
			attrs.Ranges = map[string]hcl.Range{}
		}
		attrs.Ranges[name] = c.Attributes[name].Range
	}
	for _, ba := range boolAttributes {
		if v, ok := d.boolean(c.Attributes[ba.name]); ok {
			ba.set(attrs, v)
			setRange(ba.name)
		}
	}
	if a := c.Attributes["connection_limit"]; a != nil {
		if v, ok := d.integer(a, "20"); ok {
			if v < -1 {
				d.errorf(a.Expr.Range(), "Invalid connection_limit", "connection_limit is -1 (no limit) or a number of connections, not %d.", v)
			} else {
				attrs.ConnectionLimit = &v
				setRange("connection_limit")
			}
		}
	}
	if a := c.Attributes["valid_until"]; a != nil {
		if v, ok := d.str(a, `"2027-01-01T00:00:00Z"`, false); ok {
			if validTimestamp(v) {
				attrs.ValidUntil = &v
				setRange("valid_until")
			} else {
				d.errorf(a.Expr.Range(), "Invalid valid_until", "%q is not a timestamp: write RFC 3339 (\"2027-01-01T00:00:00Z\"), a date (\"2027-01-01\") or \"infinity\".", v)
			}
		}
	}

	members := map[string]hcl.Range{}
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "member_of":
			m := d.decodeMembership(blk, r.Name)
			if m == nil {
				continue
			}
			if first, dup := members[m.Role]; dup {
				d.errorf(blk.DefRange, "Duplicate membership", "%s is already a member of %q at %s; merge the two member_of blocks.", r.Name, m.Role, pos(first))
				continue
			}
			members[m.Role] = m.Range
			r.MemberOf = append(r.MemberOf, m)
		case "grant":
			if g := d.decodeGrant(blk); g != nil {
				r.Grants = append(r.Grants, g)
			}
		case "default_privileges":
			if dp := d.decodeDefaultPrivilege(blk); dp != nil {
				r.DefaultPrivileges = append(r.DefaultPrivileges, dp)
			}
		}
	}
	if !nameOK {
		return nil
	}
	return r
}

func (d *decoder) checkRoleName(n string, r hcl.Range) bool {
	if !d.name(n, r, "role name") {
		return false
	}
	switch {
	case strings.HasPrefix(n, "pg_"):
		d.errorf(r, "Reserved role name", "Role names beginning with \"pg_\" are reserved for PostgreSQL's predefined roles, which pgward never manages. To give a role one of them, write member_of %q {} inside that role.", n)
		return false
	case n == "public":
		d.errorf(r, "Reserved role name", "\"public\" is PostgreSQL's name for PUBLIC, every role: manage it with the top-level public block.")
		return false
	case n == "none":
		d.errorf(r, "Reserved role name", "PostgreSQL reserves the role name \"none\"; choose another name.")
		return false
	}
	return true
}

// checkRefName checks a role named by member_of or for_role: such a role
// need not be declared (it exists in the database), but it must be a name
// a role can have.
func (d *decoder) checkRefName(n string, r hcl.Range) bool {
	if !d.name(n, r, "role name") {
		return false
	}
	if n == "public" || n == "none" {
		d.errorf(r, "Reserved role name", "%q is not a role: PostgreSQL reserves the name. PUBLIC's privileges are managed by the top-level public block.", n)
		return false
	}
	return true
}

// checkRoleRefs warns about member_of and for_role names that no role block
// declares but that look like a typo of one that is declared. An undeclared
// role is legal (it exists in the database), hence a warning.
func (d *decoder) checkRoleRefs(declared map[string]*Role) {
	names := make([]string, 0, len(declared))
	for _, r := range d.policy.Roles {
		names = append(names, r.Name)
	}
	check := func(n string, r hcl.Range, what string) {
		if _, ok := declared[n]; ok || strings.HasPrefix(n, "pg_") {
			return
		}
		if s := suggest(n, names); s != "" {
			d.warnf(r, "Undeclared role", "No role block declares %q (%s). Did you mean %q? If %q is a role that exists in the database, ignore this warning.", n, what, s, n)
		}
	}
	for _, r := range d.policy.Roles {
		for _, m := range r.MemberOf {
			check(m.Role, m.Range, "member_of of "+r.Name)
		}
		for _, dp := range r.DefaultPrivileges {
			check(dp.ForRole, dp.DeclRange, "for_role of "+r.Name)
		}
	}
}

func (d *decoder) decodeMembership(b *hcl.Block, self string) *Membership {
	m := &Membership{Role: b.Labels[0], Range: b.DefRange}
	ok := d.checkRefName(m.Role, b.LabelRanges[0])
	if ok && m.Role == self {
		d.errorf(b.LabelRanges[0], "Role member of itself", "Role %q cannot be a member of itself; remove this member_of block.", self)
		ok = false
	}
	c := d.content(b.Body, memberOfSchema)
	if v, set := d.boolean(c.Attributes["inherit"]); set {
		m.Inherit = &v
	}
	if v, set := d.boolean(c.Attributes["set"]); set {
		m.Set = &v
	}
	if v, set := d.boolean(c.Attributes["admin"]); set {
		m.Admin = v
	}
	if !ok {
		return nil
	}
	return m
}

// kindHints maps names people try for a kind to the kind that covers them.
var kindHints = map[string]string{
	"view":               "table",
	"views":              "table",
	"materialized_view":  "table",
	"materialized_views": "table",
	"foreign_table":      "table",
	"foreign_tables":     "table",
	"partitioned_table":  "table",
	"relation":           "table",
	"relations":          "table",
	"procedure":          "function",
	"procedures":         "function",
	"aggregate":          "function",
	"aggregates":         "function",
	"routine":            "function",
	"routines":           "function",
	"domain":             "type",
	"domains":            "type",
}

var kindCovers = map[string]string{
	"table":    "tables, partitioned tables, views, materialized views and foreign tables",
	"function": "functions, procedures, aggregates and window functions",
	"type":     "base, composite, enum and range types and domains",
}

func kindNames(ks []acl.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}

// parseKind parses a block label as one of the kinds allowed.
func (d *decoder) parseKind(label string, r hcl.Range, block string, allowed []acl.Kind) (acl.Kind, bool) {
	k, ok := acl.ParseKind(label)
	if ok {
		for _, a := range allowed {
			if a == k {
				return k, true
			}
		}
		d.errorf(r, "Invalid object kind", "%s accepts the kinds %s, not %q.", block, quoteList(kindNames(allowed)), label)
		return acl.KindInvalid, false
	}
	hint := didYouMean(label, kindNames(allowed))
	if h, ok := kindHints[strings.ToLower(label)]; ok {
		hint = fmt.Sprintf(" Did you mean %q? It covers %s.", h, kindCovers[h])
	}
	d.errorf(r, "Unknown object kind", "%q is not an object kind.%s %s accepts %s.", label, hint, block, quoteList(kindNames(allowed)))
	return acl.KindInvalid, false
}

// plural names the objects of a kind in messages.
func plural(k acl.Kind) string { return k.String() + "s" }

// privileges parses a privilege list for a kind. ALL sets all. An empty
// list is an error unless allowEmpty (the public block's "nothing").
func (d *decoder) privileges(a *hcl.Attribute, k acl.Kind, allowEmpty bool) (p acl.Priv, all, ok bool) {
	list, ranges, ok := d.strList(a, `["SELECT"]`, !allowEmpty)
	if !ok || k == acl.KindInvalid {
		return 0, false, false // an unknown kind is reported on its label
	}
	valid := acl.ValidAnyVersion(k)
	accepts := fmt.Sprintf("%s accept %s", plural(k), strings.Join(valid.List(), ", "))
	if len(list) == 0 && !allowEmpty {
		d.errorf(a.Expr.Range(), "No privileges", "privileges = [] grants nothing: list privileges (%s) or remove the block.", accepts)
		return 0, false, false
	}
	ok = true
	var allRange hcl.Range
	for i, s := range list {
		u := strings.ToUpper(strings.Join(strings.Fields(s), " "))
		if u == "ALL" || u == "ALL PRIVILEGES" {
			all, allRange = true, ranges[i]
			continue
		}
		q, known := acl.ParsePriv(s)
		if !known {
			candidates := append(valid.List(), "ALL")
			candidates = append(candidates, acl.Keywords()...)
			d.errorf(ranges[i], "Unknown privilege", "%q is not a PostgreSQL privilege.%s %s, or ALL.", s, didYouMean(s, candidates), capitalize(accepts))
			ok = false
			continue
		}
		if !valid.Has(q) {
			d.errorf(ranges[i], "Invalid privilege", "%s is not a privilege of %s; %s, or ALL.%s", q, plural(k), accepts, kindsOf(q))
			ok = false
			continue
		}
		p |= q
	}
	if all && p != 0 {
		d.errorf(allRange, "ALL mixed with other privileges", "ALL already means every privilege of %s; write [\"ALL\"] alone, or list the privileges without ALL.", plural(k))
		ok = false
	}
	return p, all, ok
}

// kindsOf says which kinds accept a privilege, as a hint after a privilege
// was used on the wrong kind.
func kindsOf(p acl.Priv) string {
	var ks []string
	for _, k := range acl.Kinds() {
		if acl.ValidAnyVersion(k).Has(p) {
			ks = append(ks, plural(k))
		}
	}
	if len(ks) == 0 {
		return ""
	}
	return fmt.Sprintf(" %s applies to %s.", p, strings.Join(ks, ", "))
}

// patterns decodes names or except for a kind.
func (d *decoder) patterns(a *hcl.Attribute, k acl.Kind) ([]Pattern, bool) {
	list, ranges, ok := d.strList(a, `["accounts", "oban_*"]`, false)
	if !ok {
		return nil, false
	}
	what := k.String()
	if k == acl.KindInvalid {
		what = "object"
	}
	var out []Pattern
	for i, s := range list {
		r := ranges[i]
		name := s
		if k == acl.KindFunction && strings.ContainsAny(s, "()") {
			norm, err := normalizeSignature(s)
			if err != nil {
				d.errorf(r, "Invalid function signature", "%q: %s.", s, err)
				ok = false
				continue
			}
			s = norm
			name = s[:strings.IndexByte(s, '(')]
		}
		p := Pattern{Text: s, Range: r}
		switch {
		case name == "":
			d.errorf(r, "Empty name", "A name or pattern cannot be empty; remove it, or write \"*\" for every %s.", what)
			ok = false
			continue
		case strings.IndexByte(s, 0) >= 0:
			d.errorf(r, "Invalid name", "%q contains a NUL byte, which no PostgreSQL name can hold.", s)
			ok = false
			continue
		case !strings.ContainsAny(name, "*?"):
			if !d.name(name, r, what+" name") {
				ok = false
				continue
			}
			if k == acl.KindSchema {
				d.inScope(name, r)
			}
		}
		if k.InSchema() && strings.Contains(name, ".") {
			d.warnf(r, "Qualified name", "%q holds a dot, but names are not schema-qualified: it matches a %s whose name contains a dot. To choose the schema, write schema = %q.",
				s, k, name[:strings.IndexByte(name, '.')])
		}
		out = append(out, p)
	}
	return out, ok
}

func (d *decoder) decodeGrant(b *hcl.Block) *Grant {
	k, kindOK := d.parseKind(b.Labels[0], b.LabelRanges[0], "grant", acl.Kinds())
	c := d.content(b.Body, grantSchema)
	// With an unknown kind the rest is still checked, privileges excepted.
	g := &Grant{Kind: k, DeclRange: b.DefRange}
	ok := kindOK
	if a := c.Attributes["schema"]; a != nil {
		switch {
		case k == acl.KindDatabase:
			d.errorf(a.NameRange, "Invalid attribute", "A database grant applies to the connected database; it takes no schema.")
			ok = false
		case k == acl.KindSchema:
			d.errorf(a.NameRange, "Invalid attribute", "grant \"schema\" chooses schemas with names, not schema: write names = [\"app\"].")
			ok = false
		default:
			if s, set := d.str(a, `"public"`, false); set {
				if d.name(s, a.Expr.Range(), "schema name") {
					g.Schema = s
					d.inScope(s, a.Expr.Range())
				} else {
					ok = false
				}
			}
		}
	}
	for _, attr := range []string{"names", "except"} {
		a := c.Attributes[attr]
		if a == nil {
			continue
		}
		if k == acl.KindDatabase {
			d.errorf(a.NameRange, "Invalid attribute", "A database grant applies to the connected database, always; remove %s.", attr)
			ok = false
			continue
		}
		ps, pok := d.patterns(a, k)
		ok = ok && pok
		if attr == "names" {
			if pok && len(ps) == 0 {
				d.errorf(a.Expr.Range(), "Empty names", "names = [] selects nothing; list names or patterns, or remove names to select every %s.", k)
				ok = false
			}
			g.Names = ps
		} else {
			g.Except = ps
		}
	}
	if a := c.Attributes["privileges"]; a != nil {
		p, all, pok := d.privileges(a, k, false)
		ok = ok && pok
		g.Privileges, g.All = p, all
	}
	if !ok {
		return nil
	}
	return g
}

func defaultPrivilegeKinds() []acl.Kind {
	var out []acl.Kind
	for _, k := range acl.Kinds() {
		if k.DefaultACLObjType() != 0 {
			out = append(out, k)
		}
	}
	return out
}

func (d *decoder) decodeDefaultPrivilege(b *hcl.Block) *DefaultPrivilege {
	k, kindOK := d.parseKind(b.Labels[0], b.LabelRanges[0], "default_privileges", defaultPrivilegeKinds())
	c := d.content(b.Body, defaultPrivilegesSchema)
	// With an unknown kind the rest is still checked, privileges excepted.
	dp := &DefaultPrivilege{Kind: k, DeclRange: b.DefRange}
	ok := kindOK
	for _, attr := range []string{"names", "except"} {
		if a := c.Attributes[attr]; a != nil {
			d.errorf(a.NameRange, "Invalid attribute", "Default privileges apply to every object of the kind that for_role creates; they cannot select names. Remove %s.", attr)
			ok = false
		}
	}
	if a := c.Attributes["for_role"]; a != nil {
		if s, set := d.str(a, `"app_owner"`, true); set && d.checkRefName(s, a.Expr.Range()) {
			dp.ForRole = s
		} else {
			ok = false
		}
	}
	if a := c.Attributes["schema"]; a != nil {
		if k == acl.KindSchema {
			d.errorf(a.NameRange, "Invalid attribute", "IN SCHEMA cannot be used with schemas: default privileges for schemas are always global; remove schema.")
			ok = false
		} else if s, set := d.str(a, `"public"`, false); set {
			if d.name(s, a.Expr.Range(), "schema name") {
				dp.Schema = s
				d.inScope(s, a.Expr.Range())
			} else {
				ok = false
			}
		}
	}
	if a := c.Attributes["privileges"]; a != nil {
		p, all, pok := d.privileges(a, k, false)
		ok = ok && pok
		dp.Privileges, dp.All = p, all
	}
	if !ok {
		return nil
	}
	return dp
}

func (d *decoder) decodePublic(b *hcl.Block) {
	c := d.content(b.Body, publicSchema)
	pub := &Public{MayHold: map[acl.Kind]acl.Priv{}, Ranges: map[acl.Kind]hcl.Range{}, DeclRange: b.DefRange}
	for _, k := range acl.Kinds() {
		a := c.Attributes[k.String()]
		if a == nil {
			continue
		}
		p, all, ok := d.privileges(a, k, true)
		if !ok {
			continue
		}
		if all {
			p = acl.ValidAnyVersion(k)
		}
		pub.MayHold[k] = p
		pub.Ranges[k] = a.Range
	}
	d.policy.Public = pub
}

// validTimestamp accepts the VALID UNTIL forms pgward documents.
func validTimestamp(s string) bool {
	switch strings.ToLower(s) {
	case "infinity", "-infinity":
		return true
	}
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05Z07",
		"2006-01-02T15:04:05",
	} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
