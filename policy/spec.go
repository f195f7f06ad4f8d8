package policy

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

// The policy's structure is declared once, here: every block, its labels,
// its attributes, what each holds and what it means. The decoder's
// hcl.BodySchema values (fileSchema, roleSchema, ...) are built from these
// specs, and so is the JSON Schema that editors read (JSONSchema), so an
// attribute added here is known to both and the two cannot drift. What a
// value must be beyond its shape (a role that exists, a privilege of the
// block's kind on this server version) stays in the decoder's code; the
// JSON Schema says what a schema can (see jsonschema.go).

// valueKind is the shape of an attribute's value, after the conversions
// the decoder makes (a number where a string is wanted is its text, the
// strings "true" and "1" are true).
type valueKind int

const (
	valString           valueKind = iota // a string; a number or a boolean is converted
	valText                              // a string and nothing else, not evaluated (a variable's description)
	valBool                              // true or false
	valInt                               // a whole number that fits in 32 bits
	valStrings                           // a list of strings
	valStringMap                         // a mapping of names to strings
	valAny                               // any value (a variable's default, a local)
	valSettings                          // a mapping of parameter names to a string, number, boolean or a non-empty list of them
	valDatabaseSettings                  // a mapping of database names to valSettings
)

// nameRule is the check the decoder makes of a name: a block label, a
// string value, or each element of a list.
type nameRule int

const (
	nameFree    nameRule = iota // any string
	nameIdent                   // ident.Check: an identifier PostgreSQL keeps whole
	nameRole                    // checkRoleName: a role a role block declares
	nameRoleRef                 // checkRefName: a role named by member_of, for_role, owner
)

// strSpec constrains a string: an attribute's value, or each element of a
// list attribute, or a block label.
type strSpec struct {
	name nameRule
	// enum lists the only values accepted, spelled exactly.
	enum []string
	// privileges, when set, makes the value a privilege keyword (any case,
	// or ALL) of the privileges it returns for the block's label.
	privileges func(label string) acl.Priv
}

// attrSpec declares one attribute of a body.
type attrSpec struct {
	name     string
	kind     valueKind
	required bool
	// nonEmpty: the decoder rejects an empty list.
	nonEmpty bool
	// nullIsError: the attribute may be left out, but not set to null.
	nullIsError bool
	// min is the least whole number accepted (valInt).
	min *int
	str strSpec
	doc string
	// example is a value the decoder accepts, shown by editors (and
	// used by the tests); without it, one is made from the spec.
	example any
	// explainOnly: the decoder accepts the name only to explain why it
	// does not belong there; it is always an error, and the JSON Schema
	// leaves it out.
	explainOnly bool
}

// blockSpec declares a block type inside a body.
type blockSpec struct {
	typ string
	// label is the block's one label; nil for a block without one.
	label *labelSpec
	body  *bodySpec
	doc   string
}

// labelSpec declares a block's label.
type labelSpec struct {
	name string
	str  strSpec
}

// bodySpec declares what a body holds.
type bodySpec struct {
	// id names the body's definition in the JSON Schema.
	id     string
	attrs  []attrSpec
	blocks []blockSpec
	// anyAttrs: the body holds attributes of any name and value (locals);
	// the decoder reads it with JustAttributes.
	anyAttrs bool
	doc      string
}

// hclSchema is the body's schema for hcl's Content: names, labels and
// which attributes are required.
func (b *bodySpec) hclSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range b.attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.name, Required: a.required})
	}
	for _, bl := range b.blocks {
		h := hcl.BlockHeaderSchema{Type: bl.typ}
		if bl.label != nil {
			h.LabelNames = []string{bl.label.name}
		}
		s.Blocks = append(s.Blocks, h)
	}
	return s
}

// hasRequired reports whether the body has a required attribute, so that
// an empty body is an error.
func (b *bodySpec) hasRequired() bool {
	for _, a := range b.attrs {
		if a.required && !a.explainOnly {
			return true
		}
	}
	return false
}

func intPtr(n int) *int { return &n }

// privilegesOfKind returns the privileges of the kind a label names
// (every privilege pgward knows on the newest server).
func privilegesOfKind(label string) acl.Priv {
	k, ok := acl.ParseKind(label)
	if !ok {
		return 0
	}
	return acl.ValidAnyVersion(k)
}

// privilegesOfEveryKind is what a deny may list.
func privilegesOfEveryKind(string) acl.Priv {
	var p acl.Priv
	for _, k := range acl.Kinds() {
		p |= acl.ValidAnyVersion(k)
	}
	return p
}

var variableBody = &bodySpec{
	id:  "variable",
	doc: "A variable: a value set by --var NAME=VALUE, the environment variable PGWARD_VAR_<name>, or its default; used as var.<name>.",
	attrs: []attrSpec{
		{name: "default", kind: valAny, doc: "The value when neither --var nor PGWARD_VAR_<name> sets one. A constant: it cannot refer to other variables."},
		{name: "description", kind: valText, doc: "What the variable is for."},
	},
}

var localsBody = &bodySpec{
	id:       "locals",
	doc:      "Named values, used as local.<name>: each may refer to variables and other locals.",
	anyAttrs: true,
}

var scopeBody = &bodySpec{
	id:  "scope",
	doc: "What the policy manages: which schemas, and whether it may revoke.",
	attrs: []attrSpec{
		{name: "schemas", kind: valStrings, nonEmpty: true, str: strSpec{name: nameIdent}, doc: "The managed schemas; without it, every schema that is not a system schema."},
		{name: "additive", kind: valBool, doc: "true: pgward grants what is missing and never revokes."},
		{name: "system_schemas", kind: valStrings, str: strSpec{enum: acl.SystemSchemas()}, doc: "System schemas whose own privileges (USAGE, CREATE) the policy manages for declared roles."},
	},
}

// grantBody and defaultPrivilegesBody are shared by roles, profiles and
// the public block.
var grantBody = &bodySpec{
	id:  "grant",
	doc: "Privileges on the objects of one kind (the label) that the rule selects.",
	attrs: []attrSpec{
		{name: "schema", kind: valString, str: strSpec{name: nameIdent}, doc: "The schema whose objects the rule selects; without it, every managed schema. Only kinds that live in a schema."},
		{name: "names", kind: valStrings, nonEmpty: true, doc: "Names or patterns (* and ?) of the objects; without it, every object of the kind. Functions may carry a signature: \"f(integer)\"."},
		{name: "except", kind: valStrings, doc: "Names or patterns taken out of what names selects."},
		{name: "owner", kind: valString, str: strSpec{name: nameRoleRef}, doc: "Only objects this role owns."},
		{name: "columns", kind: valStrings, nonEmpty: true, str: strSpec{name: nameIdent}, doc: "Column privileges on these columns (grant \"table\" only)."},
		{name: "privileges", kind: valStrings, required: true, nonEmpty: true, str: strSpec{privileges: privilegesOfKind}, doc: "The privileges, or [\"ALL\"]."},
		{name: "with_grant_option", kind: valBool, doc: "true: the grantee may grant these privileges on (not allowed for PUBLIC)."},
		{name: "schemas", kind: valStrings, nonEmpty: true, nullIsError: true, str: strSpec{name: nameIdent}, doc: "The rule once per schema of this list; instead of schema."},
	},
}

var defaultPrivilegesBody = &bodySpec{
	id:  "default_privileges",
	doc: "Privileges that objects of one kind (the label) get when for_role creates them: ALTER DEFAULT PRIVILEGES.",
	attrs: []attrSpec{
		{name: "for_role", kind: valString, required: true, str: strSpec{name: nameRoleRef}, doc: "The role whose new objects get the privileges."},
		{name: "schema", kind: valString, str: strSpec{name: nameIdent}, doc: "Only objects created in this schema; without it, in every schema."},
		{name: "schemas", kind: valStrings, nonEmpty: true, nullIsError: true, str: strSpec{name: nameIdent}, doc: "The rule once per schema of this list; instead of schema."},
		// Empty only in the public block, where it takes a built-in
		// default away; the JSON Schema cannot tell where it is used, so
		// nonEmpty stays false and the decoder says the rest.
		{name: "privileges", kind: valStrings, required: true, str: strSpec{privileges: privilegesOfKind}, doc: "The privileges, or [\"ALL\"]; [] only in the public block."},
		{name: "with_grant_option", kind: valBool, doc: "true: the grantee may grant these privileges on (not allowed for PUBLIC)."},
		{name: "names", kind: valStrings, explainOnly: true},
		{name: "except", kind: valStrings, explainOnly: true},
	},
}

var denyBody = &bodySpec{
	id:  "deny",
	doc: "Privileges the role must never hold, by any path: plan fails if a rule, a membership or an ownership gives them.",
	attrs: []attrSpec{
		{name: "kinds", kind: valStrings, nonEmpty: true, str: strSpec{enum: kindNames(acl.Kinds())}, doc: "The kinds covered; without it, every kind."},
		{name: "schema", kind: valString, str: strSpec{name: nameIdent}, doc: "Only this schema and the objects inside it."},
		{name: "names", kind: valStrings, nonEmpty: true, doc: "Only the objects of these names or patterns."},
		{name: "privileges", kind: valStrings, required: true, nonEmpty: true, str: strSpec{privileges: privilegesOfEveryKind}, doc: "The privileges denied, or [\"ALL\"]."},
	},
}

var memberOfBody = &bodySpec{
	id:  "member_of",
	doc: "Membership in another role (the label): GRANT role TO this role.",
	attrs: []attrSpec{
		{name: "inherit", kind: valBool, doc: "Whether the member uses the role's privileges without SET ROLE (PostgreSQL 16+ per membership)."},
		{name: "set", kind: valBool, doc: "Whether the member may SET ROLE to the role (PostgreSQL 16+)."},
		{name: "admin", kind: valBool, doc: "Whether the member may grant the role to others."},
	},
}

var (
	grantBlock = blockSpec{typ: "grant", body: grantBody, doc: grantBody.doc,
		label: &labelSpec{name: "kind", str: strSpec{enum: kindNames(grantKinds())}}}
	defaultPrivilegesBlock = blockSpec{typ: "default_privileges", body: defaultPrivilegesBody, doc: defaultPrivilegesBody.doc,
		label: &labelSpec{name: "kind", str: strSpec{enum: kindNames(defaultPrivilegeKinds())}}}
	denyBlock = blockSpec{typ: "deny", body: denyBody, doc: denyBody.doc}
)

// profileBody is the part of a role body a profile can hold: rules that
// several roles share.
var profileBody = &bodySpec{
	id:     "profile",
	doc:    "Rules that several roles share: a role includes them with profiles = [...].",
	blocks: []blockSpec{grantBlock, defaultPrivilegesBlock, denyBlock},
}

var roleBody = &bodySpec{
	id:  "role",
	doc: "A role pgward manages: its attributes, memberships and privileges. What the policy does not grant it is revoked.",
	attrs: []attrSpec{
		{name: "external", kind: valBool, doc: "true: another system creates the role and sets its attributes; pgward manages its privileges only."},
		{name: "if_missing", kind: valString, str: strSpec{enum: []string{"error", "skip", "create"}}, doc: "When the role does not exist: \"error\" (the default), \"skip\" (warn, grant nothing) or \"create\" (CREATE ROLE, without a password)."},
		{name: "ensure", kind: valString, str: strSpec{enum: []string{"present", "absent"}}, doc: "\"absent\": the role is retired and everything it holds in scope is revoked."},
		{name: "login", kind: valBool, doc: "LOGIN or NOLOGIN."},
		{name: "inherit", kind: valBool, doc: "INHERIT or NOINHERIT."},
		{name: "createdb", kind: valBool, doc: "CREATEDB or NOCREATEDB."},
		{name: "createrole", kind: valBool, doc: "CREATEROLE or NOCREATEROLE."},
		{name: "replication", kind: valBool, doc: "REPLICATION or NOREPLICATION."},
		{name: "bypassrls", kind: valBool, doc: "BYPASSRLS or NOBYPASSRLS."},
		{name: "connection_limit", kind: valInt, min: intPtr(-1), doc: "CONNECTION LIMIT: -1 for no limit."},
		{name: "valid_until", kind: valString, example: "2027-01-01T00:00:00Z", doc: "VALID UNTIL: RFC 3339 (\"2027-01-01T00:00:00Z\"), a date (\"2027-01-01\") or \"infinity\"."},
		{name: "additive", kind: valBool, doc: "true: pgward grants what this role is missing and revokes nothing from it."},
		{name: "profiles", kind: valStrings, doc: "Profiles whose rules the role includes."},
		{name: "settings", kind: valSettings, doc: "ALTER ROLE … SET: parameter values the role gets in every database, such as { statement_timeout = \"5s\" }; {} resets every one. Undeclared, the role's settings are left alone."},
		{name: "database_settings", kind: valDatabaseSettings, doc: "ALTER ROLE … IN DATABASE … SET: per database, parameter values the role gets there; {} for a database resets every one there."},
	},
	blocks: []blockSpec{
		{typ: "member_of", body: memberOfBody, doc: memberOfBody.doc, label: &labelSpec{name: "role", str: strSpec{name: nameRoleRef}}},
		grantBlock, defaultPrivilegesBlock, denyBlock,
	},
}

// publicBody is the short form (one attribute per kind: what PUBLIC may
// keep) and the rule form (grant and default_privileges blocks, as in a
// role).
var publicBody = func() *bodySpec {
	b := &bodySpec{
		id:     "public",
		doc:    "What PUBLIC (every role) holds: a ceiling per kind (table = [...]), or grant and default_privileges rules.",
		blocks: []blockSpec{grantBlock, defaultPrivilegesBlock},
	}
	for _, k := range acl.Kinds() {
		b.attrs = append(b.attrs, attrSpec{
			name: k.String(), kind: valStrings,
			str: strSpec{privileges: func(string) acl.Priv { return acl.ValidAnyVersion(k) }},
			doc: "The most PUBLIC may keep on every " + k.String() + "; [] for nothing.",
		})
	}
	return b
}()

var fileBody = &bodySpec{
	id:  "file",
	doc: "A pgward policy file.",
	blocks: []blockSpec{
		{typ: "variable", body: variableBody, doc: variableBody.doc, label: &labelSpec{name: "name"}},
		{typ: "locals", body: localsBody, doc: localsBody.doc},
		{typ: "scope", body: scopeBody, doc: scopeBody.doc},
		{typ: "role", body: roleBody, doc: roleBody.doc, label: &labelSpec{name: "name", str: strSpec{name: nameRole}}},
		{typ: "profile", body: profileBody, doc: profileBody.doc, label: &labelSpec{name: "name"}},
		{typ: "public", body: publicBody, doc: publicBody.doc},
	},
}

// The decoder's schemas.
var (
	fileSchema              = fileBody.hclSchema()
	scopeSchema             = scopeBody.hclSchema()
	profileSchema           = profileBody.hclSchema()
	roleSchema              = roleBody.hclSchema()
	memberOfSchema          = memberOfBody.hclSchema()
	grantSchema             = grantBody.hclSchema()
	defaultPrivilegesSchema = defaultPrivilegesBody.hclSchema()
	publicSchema            = publicBody.hclSchema()
	denySchema              = denyBody.hclSchema()
	variableSchema          = variableBody.hclSchema()
)

// maxNameLen is ident.MaxLen, for the JSON Schema: a schema counts
// characters, not bytes, so a name of non-ASCII characters can pass it
// and still be too long for the decoder.
const maxNameLen = ident.MaxLen
