// Package access answers what roles can actually use in one database, from
// a [catalog.Catalog], the way PostgreSQL's checks answer it: who reaches
// what, and by which path.
//
// It owns:
//
//   - effective access: [EffectiveAccess] (and [Effective] for one
//     question) gives what has_*_privilege would report, with every
//     [Path]: ACL items of the role, of PUBLIC and of the roles whose
//     privileges it has, predefined roles that act outside ACLs, and
//     superuser status; [EffectiveAccess.HasPrivilegesOf] and
//     [EffectiveAccess.IsMemberOf] answer pg_has_role;
//   - the membership graph: [Graph] says whether a role may act as
//     another (GRANT on its objects, ALTER DEFAULT PRIVILEGES, SET ROLE)
//     and which grantor PostgreSQL records ([Graph.GrantorFor]);
//   - which objects a policy rule selects: [Rule], [MatchName] and the
//     [Rank] of a match, shared by plan's desired state, the deny checks
//     and explain, so that all three select the same objects;
//   - the deny invariants: [CheckDeny] evaluates every deny block of a
//     policy on effective access and returns each [Violation];
//     [RecheckDeny] does it again after a change of object ACLs only.
//
// plan asks this package what a role holds before and after its changes
// (to guard against lockouts, to know how far a revoke cascades, to report
// violations); explain and prcheck's access report use it to show paths.
//
// The package is pure: no database, no files, no clock, no I/O besides
// the io.Writer of a renderer, and it must not import plan (plan imports
// it) nor know about changes or statements. Everything arrives as a
// policy and a catalog, so every answer can be tested from literals; the
// oracle tests (internal/testkit/effectivetest, internal/testkit/oracle)
// compare it with PostgreSQL itself.
package access
