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

// decoder turns evaluated blocks into a Policy, collecting diagnostics.
type decoder struct {
	ev     *evaluator
	diags  hcl.Diagnostics
	policy *Policy
	// scope is the set of managed schemas; nil when every schema is.
	scope map[string]bool
	// systemScope is the set of system schemas whose own ACL is managed.
	systemScope map[string]bool
	// profiles holds the decoded profile blocks by name.
	profiles map[string]*profile
}

// profile is a named set of rules that roles include with profiles = [...].
type profile struct {
	grants   []*Grant
	defaults []*DefaultPrivilege
	denies   []*Deny
	rng      hcl.Range
}

func decode(bodies []hcl.Body, o LoadOptions) (*Policy, hcl.Diagnostics) {
	d := &decoder{ev: newEvaluator(), policy: &Policy{}}
	var vars, locals, scopes, roles, publics, profiles []*hcl.Block
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
			case "profile":
				profiles = append(profiles, b)
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

	d.profiles = map[string]*profile{}
	for _, b := range profiles {
		name := b.Labels[0]
		if first, dup := d.profiles[name]; dup {
			d.errorf(b.DefRange, "Duplicate profile", "Profile %q is already declared at %s; merge the two profile blocks.", name, pos(first.rng))
			continue
		}
		d.profiles[name] = d.decodeProfile(b)
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

	for i, b := range publics {
		if i > 0 {
			d.errorf(b.DefRange, "Duplicate public block", "The public block is already declared at %s; a policy has at most one.", pos(publics[0].DefRange))
			continue
		}
		d.decodePublic(b)
	}
	d.checkRoleRefs(declared)
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
	return fmt.Sprintf("it would never match the truncated name PostgreSQL stores, so the plan would never converge. Use a name of at most %d bytes (a character outside ASCII takes 2 to 4)", ident.MaxLen)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (d *decoder) decodeScope(b *hcl.Block) {
	c := d.content(b.Body, scopeSchema)
	if v, ok := d.boolean(c.Attributes["additive"]); ok {
		d.policy.Additive = v
	}
	d.decodeSystemSchemas(c.Attributes["system_schemas"])
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

// decodeSystemSchemas reads scope.system_schemas: the system schemas whose
// own ACL the policy manages.
func (d *decoder) decodeSystemSchemas(a *hcl.Attribute) {
	if a == nil {
		return
	}
	names, ranges, ok := d.strList(a, `["pg_catalog"]`, false)
	if !ok {
		return
	}
	d.systemScope = map[string]bool{}
	for i, n := range names {
		switch {
		case !acl.IsSystemSchema(n):
			d.errorf(ranges[i], "Not a system schema", "system_schemas lists the system schemas whose own privileges the policy manages: %s. %q is not one; list it in scope.schemas instead.%s",
				quoteList(acl.SystemSchemas()), n, didYouMean(n, acl.SystemSchemas()))
		case d.systemScope[n]:
			d.warnf(ranges[i], "Duplicate schema", "Schema %q is listed twice in scope.system_schemas.", n)
		default:
			d.systemScope[n] = true
			d.policy.SystemSchemas = append(d.policy.SystemSchemas, n)
		}
	}
}

// inSystemScope checks that a system schema a schema rule names is listed
// in scope.system_schemas.
func (d *decoder) inSystemScope(s string, r hcl.Range) {
	if d.systemScope[s] {
		return
	}
	d.errorf(r, "System schema not in scope", "%q is a system schema: a rule may grant on its own ACL (never on its contents) once scope lists it, as in scope { system_schemas = [%q] }. pgward then manages what every declared role (never PUBLIC) holds on it.", s, s)
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
	if v, ok := d.boolean(c.Attributes["additive"]); ok {
		r.Additive = v
	}
	if a := c.Attributes["if_missing"]; a != nil {
		if v, ok := d.str(a, `"skip"`, false); ok {
			switch v {
			case "error":
				r.IfMissing = IfMissingError
			case "skip":
				r.IfMissing = IfMissingSkip
			case "create":
				r.IfMissing = IfMissingCreate
			default:
				d.errorf(a.Expr.Range(), "Invalid if_missing", "if_missing is \"error\" (the default: plan fails), \"skip\" (plan warns and grants nothing until the role exists) or \"create\" (plan creates the role, without a password), not %q.%s",
					v, didYouMean(v, []string{"error", "skip", "create"}))
			}
		}
	}
	ensureAttr := c.Attributes["ensure"]
	if ensureAttr != nil {
		if v, ok := d.str(ensureAttr, `"absent"`, false); ok {
			switch v {
			case "present":
				r.Ensure = EnsurePresent
			case "absent":
				r.Ensure = EnsureAbsent
			default:
				d.errorf(ensureAttr.Expr.Range(), "Invalid ensure", "ensure is \"present\" (the default: the role holds what its rules grant) or \"absent\" (the role is retired: everything it holds in scope is revoked), not %q.%s",
					v, didYouMean(v, []string{"present", "absent"}))
			}
		}
	}
	if r.IfMissing == IfMissingCreate {
		a := c.Attributes["if_missing"]
		switch {
		case r.External:
			d.errorf(a.Expr.Range(), "Cannot create an external role", "An external role is created by another system, so pgward never creates it. Use if_missing = \"skip\" to wait for that system, or remove external = true to let pgward own the role.")
		case r.Ensure == EnsureAbsent:
			d.errorf(a.Expr.Range(), "Cannot create a retired role", "if_missing = \"create\" with ensure = \"absent\" would create the role only to retire it. Remove if_missing, or set it to \"skip\" once the role has been dropped.")
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

	d.decodeSettings(r, c)

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
			r.Grants = append(r.Grants, d.grantsOf(blk, false)...)
		case "default_privileges":
			r.DefaultPrivileges = append(r.DefaultPrivileges, d.defaultsOf(blk, false)...)
		case "deny":
			if dn := d.decodeDeny(blk); dn != nil {
				r.Deny = append(r.Deny, dn)
			}
		}
	}
	if a := c.Attributes["profiles"]; a != nil {
		names, ranges, _ := d.strList(a, `["reader"]`, false)
		known := make([]string, 0, len(d.profiles))
		for n := range d.profiles {
			known = append(known, n)
		}
		for i, n := range names {
			pr := d.profiles[n]
			if pr == nil {
				d.errorf(ranges[i], "Unknown profile", "There is no profile %q.%s Declare it with a profile %q block.", n, didYouMean(n, known), n)
				continue
			}
			r.Grants = append(r.Grants, pr.grants...)
			r.DefaultPrivileges = append(r.DefaultPrivileges, pr.defaults...)
			r.Deny = append(r.Deny, pr.denies...)
		}
	}
	if r.Ensure == EnsureAbsent {
		for _, blk := range c.Blocks {
			if blk.Type == "deny" {
				continue
			}
			d.errorf(blk.DefRange, "Rule in a retired role", "Role %q has ensure = \"absent\" (at %s): a retired role holds nothing; remove this %s block, or remove ensure = \"absent\".",
				r.Name, pos(ensureAttr.Range), blk.Type)
		}
	}
	d.checkDenies(r)
	if !nameOK {
		return nil
	}
	return r
}

// decodeProfile decodes a profile's rules once; every role that includes
// the profile shares them.
func (d *decoder) decodeProfile(b *hcl.Block) *profile {
	pr := &profile{rng: b.DefRange}
	c := d.content(b.Body, profileSchema)
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "grant":
			pr.grants = append(pr.grants, d.grantsOf(blk, false)...)
		case "default_privileges":
			pr.defaults = append(pr.defaults, d.defaultsOf(blk, false)...)
		case "deny":
			if dn := d.decodeDeny(blk); dn != nil {
				pr.denies = append(pr.denies, dn)
			}
		}
	}
	return pr
}

// schemasList reads a rule's schemas attribute: the rule applies to each of
// these schemas, as if written once per schema.
func (d *decoder) schemasList(blk *hcl.Block) ([]string, bool) {
	attrs, _ := blk.Body.JustAttributes()
	a := attrs["schemas"]
	if a == nil {
		return nil, true
	}
	if attrs["schema"] != nil {
		d.errorf(a.NameRange, "Both schema and schemas", "Write schema = \"x\" for one schema or schemas = [\"x\", \"y\"] for several, not both.")
		return nil, false
	}
	names, ranges, ok := d.strList(a, `["app", "billing"]`, true)
	if !ok {
		return nil, false
	}
	if len(names) == 0 {
		d.errorf(a.Expr.Range(), "Empty schemas", "schemas = [] selects nothing; list schemas, or remove the attribute to select every managed schema.")
		return nil, false
	}
	for i, n := range names {
		if !d.name(n, ranges[i], "schema name") {
			return nil, false
		}
		d.inScope(n, ranges[i])
	}
	return names, true
}

// grantsOf decodes a grant block, once per schema of its schemas list;
// public says the block is in the public block.
func (d *decoder) grantsOf(blk *hcl.Block, public bool) []*Grant {
	schemas, ok := d.schemasList(blk)
	g := d.decodeGrant(blk, public)
	if g == nil || !ok {
		return nil
	}
	if len(schemas) == 0 {
		return []*Grant{g}
	}
	if !g.Kind.InSchema() {
		d.errorf(blk.DefRange, "Invalid attribute", "%s do not live in a schema; grant %q takes no schemas.", capitalize(plural(g.Kind)), g.Kind.String())
		return nil
	}
	out := make([]*Grant, len(schemas))
	for i, s := range schemas {
		cp := *g
		cp.Schema = s
		out[i] = &cp
	}
	return out
}

// defaultsOf decodes a default_privileges block, once per schema of its
// schemas list; public says the block is in the public block.
func (d *decoder) defaultsOf(blk *hcl.Block, public bool) []*DefaultPrivilege {
	schemas, ok := d.schemasList(blk)
	dp := d.decodeDefaultPrivilege(blk, public)
	if dp == nil || !ok {
		return nil
	}
	if len(schemas) == 0 {
		return []*DefaultPrivilege{dp}
	}
	out := make([]*DefaultPrivilege, len(schemas))
	for i, s := range schemas {
		cp := *dp
		cp.Schema = s
		out[i] = &cp
	}
	return out
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

// checkRoleRefs warns about member_of, for_role and owner names that no
// role block declares but that look like a typo of one that is declared. An
// undeclared role is legal (it exists in the database), hence a warning.
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
		for _, g := range r.Grants {
			if g.Owner != "" {
				check(g.Owner, g.DeclRange, "owner in a grant of "+r.Name)
			}
		}
	}
	if pub := d.policy.Public; pub != nil {
		for _, dp := range pub.DefaultPrivileges {
			check(dp.ForRole, dp.DeclRange, "for_role of PUBLIC")
		}
		for _, g := range pub.Grants {
			if g.Owner != "" {
				check(g.Owner, g.DeclRange, "owner in a grant of PUBLIC")
			}
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
