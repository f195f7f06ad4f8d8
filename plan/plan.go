package plan

import (
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// Action is what a change does. Its value is the symbol the text plan
// prints. The zero value is NoOp.
type Action rune

const (
	NoOp   Action = 0
	Grant  Action = '+'
	Revoke Action = '-'
	Alter  Action = '~'
)

func (a Action) String() string {
	switch a {
	case Grant:
		return "grant"
	case Revoke:
		return "revoke"
	case Alter:
		return "alter"
	}
	return "no-op"
}

// Target says what a change acts on, and therefore which fields of Change
// are set. The zero value is invalid.
type Target uint8

const (
	TargetInvalid Target = iota
	// TargetObject: a privilege on Object for Grantee (GRANT/REVOKE … ON).
	TargetObject
	// TargetDefault: a default privilege in Default for Grantee (ALTER
	// DEFAULT PRIVILEGES).
	TargetDefault
	// TargetMembership: Grantee's membership in Membership.Role.
	TargetMembership
	// TargetRole: attributes of the role Grantee (ALTER ROLE).
	TargetRole
	// TargetSetting: a parameter value of the role Grantee, in Setting
	// (ALTER ROLE … [IN DATABASE …] SET or RESET). Its Action is Alter.
	TargetSetting
)

// DefaultTarget names one pg_default_acl row: objects of Kind that ForRole
// creates in Schema (every schema when Schema is empty).
type DefaultTarget struct {
	ForRole string
	Schema  string
	Kind    acl.Kind
}

func (d DefaultTarget) String() string {
	s := fmt.Sprintf("default privileges for role %s on %ss", d.ForRole, d.Kind)
	if d.Schema != "" {
		s += " in schema " + d.Schema
	}
	return s
}

// MembershipChange describes the membership a change grants, revokes or
// alters. Inherit and Set are nil when the policy does not declare them or
// the server predates PostgreSQL 16.
type MembershipChange struct {
	Role    string
	Grantor string // the row's grantor, for revokes on 16+
	Admin   *bool
	Inherit *bool
	Set     *bool
}

// AttributeChange is one role attribute going from Before to After, both in
// SQL spelling (LOGIN / NOLOGIN, CONNECTION LIMIT 5, …).
type AttributeChange struct {
	Name   string
	Before string
	After  string
	SQL    string
}

// Authority is what the connecting role needs to execute a change.
type Authority uint8

const (
	AuthorityNone Authority = iota
	// AuthorityOwner: be the object's owner, a member of it, or a superuser.
	AuthorityOwner
	// AuthorityGrantor: act as the role that granted the privilege (SET ROLE).
	AuthorityGrantor
	// AuthorityForRole: act for the creating role of default privileges.
	AuthorityForRole
	// AuthorityAdmin: CREATEROLE or ADMIN OPTION on the granted role.
	AuthorityAdmin
	// AuthoritySuperuser: only a superuser may do it.
	AuthoritySuperuser
)

func (a Authority) String() string {
	switch a {
	case AuthorityOwner:
		return "owner"
	case AuthorityGrantor:
		return "grantor"
	case AuthorityForRole:
		return "for-role"
	case AuthorityAdmin:
		return "admin"
	case AuthoritySuperuser:
		return "superuser"
	}
	return "none"
}

// Reason says why a change is planned: the policy rule that asks for it, or
// that nothing declares what the database holds.
type Reason struct {
	// Rule is the range of the policy block that asks for the change; nil
	// for revokes of what nothing declares.
	Rule *hcl.Range
	// Text is a short explanation ("not declared", "exceeds what PUBLIC may
	// hold").
	Text string
}

func (r Reason) String() string {
	if r.Rule != nil {
		return fmt.Sprintf("%s:%d", r.Rule.Filename, r.Rule.Start.Line)
	}
	return r.Text
}

// Change is one fact to change: one grantee, one object (or default ACL
// row, membership, role), one set of privileges. Which fields are set
// depends on Target.
type Change struct {
	// The small fields come first, packed together: a plan of a large
	// database holds hundreds of thousands of changes, and the padding
	// between fields of one byte was a tenth of each.
	Action Action
	Target Target
	// Authority is what lets the connecting role make the change.
	Authority Authority
	// GrantOptionOnly: a revoke that takes away only the grant option of
	// Privs.
	GrantOptionOnly bool
	// Cascade: the grantee passed these privileges on; the revoke removes
	// those grants too (REVOKE … CASCADE).
	Cascade bool
	// Privs is what is granted or revoked.
	Privs acl.Privileges
	// rank orders the revokes of one object that must run before others:
	// a grant whose grantor is about to lose the grant option, and that a
	// CASCADE would not reach, is revoked first (rank 0 before 1 …).
	rank int32
	// afterRevokes marks a grant that gives back what a CASCADE of the
	// owner's (see ownerRoute) took: it runs with the object's revokes,
	// after the last of them (phase, rank).
	afterRevokes bool

	Object  acl.Object     // TargetObject
	Owner   string         // TargetObject: the object's owner
	Default *DefaultTarget // TargetDefault

	// Grantee receives or loses the privileges; for TargetMembership it is
	// the member, for TargetRole the altered role.
	Grantee acl.Grantee
	// Grantor is the grantor of the ACL item a revoke removes.
	Grantor string

	Membership *MembershipChange // TargetMembership
	Attributes []AttributeChange // TargetRole
	Setting    *SettingChange    // TargetSetting

	// AsRole is the role the statement runs as (SET ROLE) when the
	// connecting role must act as another grantor; empty: as itself.
	AsRole string
	// Blocked explains why the connecting role cannot execute the change,
	// with the fix. A plan with a blocked change cannot be applied.
	Blocked string

	Reason Reason

	// noRoute says why the owner cannot take this item of another grantor
	// by a CASCADE either; classify adds it to Blocked.
	noRoute string
	// key caches Object.Key() (see objectKey): a plan of a large database
	// has one change per object and grantee, each looked up several times.
	key string
}

// objectKey is c.Object.Key(), computed once.
func (c *Change) objectKey() string {
	if c.key == "" {
		c.key = c.Object.Key()
	}
	return c.key
}

// Statement is one SQL statement of the plan, with the changes it carries.
// Apply executes statements exactly as given.
type Statement struct {
	SQL string
	// AsRole, when set, is the role the statement must run as: apply wraps
	// it in SET ROLE / RESET ROLE.
	AsRole  string
	Changes []*Change
}

// Drift is a difference pgward reports but never changes: attributes,
// memberships and settings of external roles.
type Drift struct {
	Role   string
	What   string // "inherit", "member of pg_read_all_data", "setting statement_timeout", …
	Want   string
	Have   string
	Reason Reason
}

// Plan is the outcome of Build.
type Plan struct {
	Database       string
	ServerVersion  int
	ConnectingRole string
	// state is the catalog state the plan was computed from, summed up
	// on first use: see Fingerprint and State.
	state *planState

	Changes    []*Change
	Statements []Statement
	Drift      []Drift
	// Skipped lists declared roles that do not exist and whose if_missing
	// is "skip".
	Skipped []string
	// Kept lists the revokes an additive policy or role does not make:
	// what the database holds beyond the policy, left alone.
	Kept []*Change
	// Violations lists the deny invariants the database would still break
	// once the plan is applied (plan and audit exit 2 on them).
	// ViolationsNow lists those it breaks now, before any change.
	Violations    []access.Violation
	ViolationsNow []access.Violation
	// Findings are what Audit found beyond the changes (objects owned by
	// another role, owner sessions); pgward audit sets them, Build never
	// does. Nil: not an audit (JSON leaves "findings" out).
	Findings []Finding
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Summary counts changes by kind of action; Blocked counts those (among
// them) that the connecting role cannot execute.
type Summary struct {
	Grant, Revoke, Alter int
	Blocked              int
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		if c.Blocked != "" {
			s.Blocked++
		}
		switch c.Action {
		case Grant:
			s.Grant++
		case Revoke:
			s.Revoke++
		case Alter:
			s.Alter++
		}
	}
	return s
}

// Blocked lists the changes the connecting role cannot execute.
func (p *Plan) Blocked() []*Change {
	var out []*Change
	for _, c := range p.Changes {
		if c.Blocked != "" {
			out = append(out, c)
		}
	}
	return out
}

// VersionString formats server_version_num for people: 150018 → "15.18".
func VersionString(v int) string {
	return fmt.Sprintf("%d.%d", v/10000, v%10000)
}

// planState computes a plan's fingerprint and state lines once, when first
// asked: a text plan never needs them, and at 50,000 tables they took a
// third of an in-sync plan's CPU. A saved plan carries them ready-made.
type planState struct {
	once        sync.Once
	cat         *catalog.Catalog
	fingerprint string
	lines       []string
}

func (s *planState) get() *planState {
	s.once.Do(func() {
		if s.cat != nil {
			s.lines = StateLines(s.cat)
			s.fingerprint = hashLines(s.lines)
			s.cat = nil
		}
	})
	return s
}

// Fingerprint identifies the catalog state the plan was computed from
// ([Fingerprint] of that catalog); empty for a plan with no state.
func (p *Plan) Fingerprint() string {
	if p.state == nil {
		return ""
	}
	return p.state.get().fingerprint
}

// State is that catalog state as [StateLines], kept so that a saved plan
// can say what changed since.
func (p *Plan) State() []string {
	if p.state == nil {
		return nil
	}
	return p.state.get().lines
}

// Line is the change for people, as the text plan prints it after the
// action's symbol and under its object's header: "GRANT SELECT TO web",
// "member of readers (admin = true)", "inherit: INHERIT → NOINHERIT".
func (c *Change) Line() string {
	switch c.Target {
	case TargetObject, TargetDefault:
		privs := c.Privs.Privs.String()
		if c.GrantOptionOnly {
			privs = "GRANT OPTION FOR " + privs
		}
		s := c.Action.String() + " " + privs + " " + toFrom(c.Action) + " " + c.Grantee.String()
		if c.Action == Grant && c.Privs.GrantOption != 0 {
			s += " WITH GRANT OPTION"
		}
		if c.AsRole != "" {
			s += " (granted by " + c.AsRole + ")"
		}
		if c.Cascade {
			s += ", CASCADE to the grants " + string(c.Grantee) + " made"
		}
		return s
	case TargetMembership:
		m := c.Membership
		switch c.Action {
		case Grant:
			return "member of " + m.Role + membershipOptions(m)
		case Alter:
			return "member of " + m.Role + ":" + membershipOptions(m)
		default:
			return "member of " + m.Role + " (granted by " + m.Grantor + ")"
		}
	case TargetRole:
		if c.Action == Grant {
			parts := []string{"create role"}
			for _, a := range c.Attributes {
				parts = append(parts, a.SQL)
			}
			return strings.Join(parts, " ")
		}
		parts := make([]string, len(c.Attributes))
		for i, a := range c.Attributes {
			parts[i] = fmt.Sprintf("%s: %s → %s", a.Name, a.Before, a.After)
		}
		return strings.Join(parts, ", ")
	case TargetSetting:
		s := c.Setting
		return fmt.Sprintf("setting %s: %s → %s", s.what(), orNotSet(s.Before, !s.WasSet), orNotSet(s.After, s.Reset()))
	}
	return ""
}

func membershipOptions(m *MembershipChange) string {
	var opts []string
	for _, o := range []struct {
		name string
		v    *bool
	}{{"admin", m.Admin}, {"inherit", m.Inherit}, {"set", m.Set}} {
		if o.v != nil {
			opts = append(opts, fmt.Sprintf("%s = %t", o.name, *o.v))
		}
	}
	if len(opts) == 0 {
		return ""
	}
	return " (" + strings.Join(opts, ", ") + ")"
}
