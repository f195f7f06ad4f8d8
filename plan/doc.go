// Package plan turns a policy and a catalog into the changes that make the
// database match the policy.
//
// [Build] computes the desired state from a [policy.Policy] and the actual
// state from a [catalog.Catalog], diffs them into ordered [Change] values
// (one fact each, with the policy rule that asks for it) and batches them
// into [Statement] values for execution.
//
// The renderers of a Plan (text, SQL, JSON, Markdown) are the render
// package's, on the floor above: plan must not import it, print, or format
// for people beyond what a value says of itself. What they need, plan
// exports as values: [Change.Line] (a change for people), [Change.SQL] (a
// change as SQL, for messages and for the changes no statement carries),
// [Plan.Summary], [Plan.Fingerprint], [VersionString]. [WriteSaved] stays:
// a saved plan is plan's own persistence, read back by [ReadSaved].
//
// The package keeps to planning: desired state, diff, ordering, batching,
// statements. Who can reach what, and by which path, is the access
// package's: plan asks it for effective access (lockout guards, how far a
// revoke cascades), for the authority of the connecting role (access.Graph)
// and for the deny invariants before and after its changes
// (access.CheckDeny); what it keeps is the projection of its own changes
// onto the catalog that those questions are asked of. pgward explain is the
// explain package, on top of plan and access.
//
// An audit's findings are computed by the audit package, on the floor
// above; the [Finding] type stays here, since a Plan carries its Findings,
// and so does [OwnerSQL], the statement of an owner finding's fix, since
// statements are plan's.
//
// The files follow Build's steps: build.go (Build, the builder, role
// resolution, version checks), attributes.go, memberships.go, objects.go
// (object privileges, the objects in scope), columns.go (column privileges
// a table-level revoke wipes), defaults.go (default privileges),
// authority.go (what the connecting role may execute, and as which
// grantor), revokes.go (with aclsim.go, REVOKE … CASCADE simulated, and
// ownerroute.go, the owner's CASCADE to items of other grantors), guards.go, invariants.go (deny violations after
// the plan, the projection of changes), order.go and statements.go.
//
// The package is pure: no database, no files, no clock. Everything it needs
// arrives as arguments, so a plan can be tested from literals.
package plan
