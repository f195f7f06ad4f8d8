// Package synth builds synthetic databases for benchmarks and tests: many
// tables spread over schemas, with sequences, views and functions, owned by
// one role and granted to three others (the four-role model: owner, web,
// worker, ops), and the pgward policy that describes them.
//
// A [Spec] names the size. [Create] makes the schemas and objects with a
// few set-based statements (DO blocks over generate_series, one transaction
// per chunk of tables so that the locks of the new relations fit in the lock
// table; no round trip per object). [Reset] then puts the privileges into a
// [State]: [Bare] (nothing granted), [Half] (a half-converged database: some
// grants present, some missing, some stray) or [Converged] (exactly what
// [PolicyHCL] asks for). Reset is set-based too (REVOKE ALL … IN SCHEMA,
// then one GRANT per privilege set, grantee and object kind), so a
// benchmark restores the half state between runs without rebuilding.
//
// [FloorSQL] is the hand-written script that takes [Half] to [Converged]:
// one statement per privilege set × grantee × object kind, the write floor
// pgward's apply is measured against.
//
// Everything is deterministic: an object's name encodes its index, and the
// index alone decides which privileges each state gives it.
//
// synth writes only through the connection it is given and only in the
// database that connection names (and the roles of [RolesSQL], which the
// caller runs). It is internal: tests and the bench program use it.
package synth
