// Package pipeline runs one command (plan, audit or apply) against one
// database: the four stages joined, as every pgward command and every
// database of a fleet run them.
//
// [ReadPlan] and [ReadAudit] read the catalog in one READ ONLY, REPEATABLE
// READ transaction ([ReadOnly]) and build the plan (and, for an audit, the
// findings); [Plan] and [Audit] also write it, in the [Format] of an
// [Output], with its diagnostics; [Apply] executes a plan the caller
// approved (or, with none, the plan it builds under apply's lock, shown
// while it runs) and writes what it did. [WritePrometheus] writes an
// audit's metrics.
//
// pipeline owns that sequence and the choice of renderer for a format. It
// must not decide anything about privileges (package plan does), write to
// the database other than through package apply, parse flags, read the
// environment, prompt, or choose exit statuses: it returns values and
// errors, and writes only to the writers of the [Output] it is given. Its
// callers are the CLI (cmd/pgward) and package fleet, which runs it over
// many databases.
package pipeline
