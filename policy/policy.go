package policy

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
)

// Policy is a fully evaluated policy: no HCL expressions remain, every
// variable and local has been substituted. Ranges point back to the source
// so that a plan can say which rule asked for a change.
type Policy struct {
	// Schemas is the managed scope. Empty means every non-system schema of
	// the database.
	Schemas []string
	// SystemSchemas lists the system schemas (pg_catalog,
	// information_schema) whose own ACL the policy manages
	// (scope { system_schemas = [...] }): declared roles hold on them what
	// rules naming them exactly grant, and nothing else. Their contents stay
	// out of scope, and PUBLIC is never managed on them.
	SystemSchemas []string
	// Roles in declaration order (files in name order, blocks in file order).
	Roles []*Role
	// Public says what PUBLIC may hold, per kind. Nil: PUBLIC is not managed.
	Public *Public
	// Additive makes the whole policy grant-only: nothing is ever revoked
	// (scope { additive = true }), the safe first step on a live database.
	Additive bool
}

// IfMissing says what to do when a declared role does not exist.
type IfMissing uint8

const (
	// IfMissingError makes plan fail. It is the default.
	IfMissingError IfMissing = iota
	// IfMissingSkip makes plan warn and plan nothing for the role.
	IfMissingSkip
	// IfMissingCreate makes plan create the role (CREATE ROLE with the
	// declared attributes, never a password).
	IfMissingCreate
)

func (m IfMissing) String() string {
	switch m {
	case IfMissingSkip:
		return "skip"
	case IfMissingCreate:
		return "create"
	}
	return "error"
}

// Ensure says whether a declared role should exist with its grants, or be
// retired: every privilege it holds in scope revoked (dropping the role is a
// separate, explicit step).
type Ensure uint8

const (
	// EnsurePresent is the default.
	EnsurePresent Ensure = iota
	// EnsureAbsent retires the role: no grants, no default privileges, no
	// memberships in scope.
	EnsureAbsent
)

// Role is a declared, therefore managed, role.
type Role struct {
	Name string
	// External roles are created and altered by another system: their
	// attributes and memberships are compared and reported, never changed.
	External  bool
	IfMissing IfMissing
	Ensure    Ensure
	// Additive roles only receive grants: what they hold beyond the policy
	// is left alone.
	Additive bool
	// Deny lists invariants on the role's effective access, checked by
	// plan and audit whatever the grants say.
	Deny []*Deny
	// Attributes holds the declared attributes; nil fields are not managed.
	Attributes Attributes
	// Settings lists the parameter values the role's sessions start with
	// (omitted from JSON when nil, so that saved plans of policies without
	// settings keep their digest),
	// one entry per database (the settings attribute first, for every
	// database, then database_settings in database name order). Only the
	// (role, database) pairs listed are managed; nil: none is.
	Settings []*RoleSettings `json:",omitempty"`
	// MemberOf lists the roles this role must be a member of.
	MemberOf []*Membership
	// Grants lists the grant rules in declaration order.
	Grants []*Grant
	// DefaultPrivileges lists what objects created later receive.
	DefaultPrivileges []*DefaultPrivilege
	// DeclRange is the range of the block header (`role "name"`).
	DeclRange hcl.Range
}

// Attributes are role attributes; a nil field is not declared.
type Attributes struct {
	Login           *bool
	Inherit         *bool
	CreateDB        *bool
	CreateRole      *bool
	Replication     *bool
	BypassRLS       *bool
	ConnectionLimit *int
	// ValidUntil is the timestamp text as written ("infinity" allowed).
	ValidUntil *string
	// Ranges of each declared attribute, keyed by its policy name
	// ("login", "connection_limit", …).
	Ranges map[string]hcl.Range
}

// Membership is one `member_of` entry. Inherit and Set are nil when not
// declared; they exist on PostgreSQL 16+ only.
type Membership struct {
	Role    string
	Inherit *bool
	Set     *bool
	Admin   bool
	Range   hcl.Range
}

// Grant is one `grant "<kind>"` block.
//
// Precedence (documented in docs/policy.md): for one role and one object,
// the matching rules of the most specific rank win and add up; ranks are
// exact name > pattern with wildcards > no names (every object of the kind).
type Grant struct {
	Kind acl.Kind
	// Schema restricts schema-scoped kinds to one schema; empty means every
	// managed schema. For KindSchema, Names select the schemas.
	Schema string
	// Names selects objects. Empty: every object of the kind in scope. A
	// function name may carry a signature: "f(integer, text)".
	Names []Pattern
	// Except removes objects from this rule only.
	Except []Pattern
	// Owner, when set, restricts the rule to objects owned by that role.
	Owner string
	// Columns, for KindTable rules only, turns the rule into column
	// privileges on these columns of each matched table (SELECT, INSERT,
	// UPDATE, REFERENCES).
	Columns []string
	// Privileges to grant; with All set, every privilege the kind has on
	// the server (resolved by plan, which knows the version).
	Privileges acl.Priv
	All        bool
	// WithGrantOption grants the privileges WITH GRANT OPTION.
	WithGrantOption bool
	DeclRange       hcl.Range
}

// Pattern is an object name, or a glob with * (any run of characters) and
// ? (one character).
type Pattern struct {
	Text  string
	Range hcl.Range
}

// DefaultPrivilege is one `default_privileges "<kind>"` block: objects that
// ForRole creates later (in Schema, or anywhere when Schema is empty)
// receive Privileges for the enclosing role.
type DefaultPrivilege struct {
	Kind            acl.Kind
	ForRole         string
	Schema          string
	Privileges      acl.Priv
	All             bool
	WithGrantOption bool
	DeclRange       hcl.Range
}

// Deny is an invariant on a role's effective access: whatever the grants,
// memberships, PUBLIC, ownership or predefined roles give it, the role must
// never be able to use these privileges on objects of these kinds.
//
//	deny {
//	  kinds      = ["table"]            # optional; every kind when omitted
//	  schema     = "public"             # optional
//	  names      = ["*"]                # optional, like grant
//	  privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
//	}
type Deny struct {
	Kinds      []acl.Kind // empty: every kind
	Schema     string
	Names      []Pattern
	Privileges acl.Priv
	All        bool
	DeclRange  hcl.Range
}

// Public is the `public` block: what PUBLIC, every role, holds. It has two
// forms, which may be mixed for different kinds:
//
//   - MayHold, the short form (public { function = [] }): per kind, the
//     privileges PUBLIC may keep on objects of that kind in scope; anything
//     more is revoked, nothing is granted.
//   - Grants, grant rules as a role has them: the kinds they name are
//     managed exactly for PUBLIC (what the rules select is granted, the
//     rest revoked), with a role's precedence.
//
// Kinds neither form names are not managed for PUBLIC. DefaultPrivileges
// manage PUBLIC's default privileges for each (for_role, kind) they name:
// the global entry (PostgreSQL's built-in default where none is declared)
// and the per-schema entries (nothing where none is declared).
type Public struct {
	MayHold map[acl.Kind]acl.Priv
	Ranges  map[acl.Kind]hcl.Range
	// Grants are the public block's grant rules; never WithGrantOption
	// (PUBLIC cannot hold a grant option).
	Grants []*Grant
	// DefaultPrivileges are the public block's default_privileges blocks;
	// their Privileges may be empty (PUBLIC gets nothing), and a per-schema
	// one keeps PostgreSQL's built-in default of its kind.
	DefaultPrivileges []*DefaultPrivilege
	DeclRange         hcl.Range
}

// Exact reports whether grant rules manage kind k for PUBLIC; a table rule
// with columns manages acl.KindColumn, one without acl.KindTable.
func (p *Public) Exact(k acl.Kind) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.RuleKind() == k {
			return true
		}
	}
	return false
}

// ManagesDefaults reports whether the public block's default_privileges
// manage PUBLIC's default privileges for objects of kind k that forRole
// creates.
func (p *Public) ManagesDefaults(forRole string, k acl.Kind) bool {
	if p == nil {
		return false
	}
	for _, d := range p.DefaultPrivileges {
		if d.ForRole == forRole && d.Kind == k {
			return true
		}
	}
	return false
}

// RuleKind is the kind of object a grant rule grants on: acl.KindColumn for
// a table rule with columns, else its Kind.
func (g *Grant) RuleKind() acl.Kind {
	if g.Kind == acl.KindTable && len(g.Columns) > 0 {
		return acl.KindColumn
	}
	return g.Kind
}
