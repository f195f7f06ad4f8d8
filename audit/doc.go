// Package audit finds what the catalog and the server's activity show that
// the policy does not expect, beyond the changes, drift and broken
// invariants of a plan: objects owned by a role other than the creator the
// policy declares, so that default privileges did not fire
// (plan.FindingOwner), and sessions of an owner role from an application
// that is not a migration (plan.FindingSession). It also counts what an
// audit reports, by kind and role, for pgward audit's Prometheus output
// ([CountFindings]).
//
// [Audit] returns [plan.Finding] values, which a plan.Plan carries in its
// Findings and the render package writes; the Finding type and the ALTER …
// OWNER TO statement of its fix (plan.OwnerSQL) stay in plan, which owns
// the data of a Plan and every statement. [Creators] names the owner roles
// a policy declares.
//
// It sits on the floor above plan and must not be imported by it. It is
// pure: the sessions arrive as [Session] values (pipeline reads them from
// pg_stat_activity); no database, no files, no clock, and no rendering.
package audit
