package plan

import (
	"fmt"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

// FindingKind says what an audit finding is about. Its value is the kind
// label of pgward audit's Prometheus output.
type FindingKind string

// The kinds of audit findings. Drift, External and Violation count what a
// Plan already holds (Changes, Drift, ViolationsNow); Owner and Session are
// the findings of audit.Audit.
const (
	// FindingDrift: a change apply would make (a grant, revoke or alter).
	FindingDrift FindingKind = "drift"
	// FindingExternal: an attribute or membership of an external role that
	// differs from the policy.
	FindingExternal FindingKind = "external"
	// FindingViolation: a deny invariant broken now.
	FindingViolation FindingKind = "violation"
	// FindingOwner: an object in scope owned by a role other than the
	// creator the policy declares, so default privileges did not fire.
	FindingOwner FindingKind = "owner"
	// FindingSession: the creator (owner) role connected from an
	// application that is not one of the expected ones.
	FindingSession FindingKind = "session"
)

// FindingKinds lists every kind, in the order reports write them.
func FindingKinds() []FindingKind {
	return []FindingKind{FindingDrift, FindingExternal, FindingViolation, FindingOwner, FindingSession}
}

// Finding is one result of audit.Audit: something the catalog or the
// server's activity shows that the policy does not expect, and that no
// GRANT or REVOKE fixes. A [Plan] carries the findings of an audit.
type Finding struct {
	Kind FindingKind
	// Role is the role the finding is about: for FindingOwner the object's
	// actual owner (the role that created it), for FindingSession the
	// connected role.
	Role string

	// FindingOwner: the object, and the owner the policy declares for it
	// (the for_role of its default privileges).
	Object    acl.Object
	WantOwner string

	// FindingSession: the application_name ("" when the client set none)
	// and how many sessions the role has open from it.
	ApplicationName string
	Sessions        int

	// Message says what is wrong, for people.
	Message string
	// Fix is what resolves it: the SQL for FindingOwner, advice for
	// FindingSession.
	Fix string
	// Reason is the policy rule that declares the expected owner.
	Reason Reason
}

// OwnerSQL is the statement that gives obj to owner: ALTER <kind> <name>
// OWNER TO <owner>, with the keyword of the object's subkind (VIEW,
// PROCEDURE, DOMAIN, …).
func OwnerSQL(obj acl.Object, owner string) string {
	kw := keyword(obj)
	switch obj.Kind {
	case acl.KindTable:
		switch obj.Subkind {
		case 'v':
			kw = "VIEW"
		case 'm':
			kw = "MATERIALIZED VIEW"
		case 'f':
			kw = "FOREIGN TABLE"
		}
	case acl.KindFunction:
		if obj.Subkind == 'a' {
			kw = "AGGREGATE"
		}
	case acl.KindType:
		if obj.Subkind == 'd' {
			kw = "DOMAIN"
		}
	}
	return fmt.Sprintf("ALTER %s %s OWNER TO %s", kw, objectSQL(obj), ident.Quote(owner))
}
