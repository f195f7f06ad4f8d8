// Package apply executes a plan: it is the only pgward package that writes
// to the database.
//
// [Run] opens one transaction for the whole run, takes a transaction-level
// advisory lock so that concurrent runs queue, sets lock_timeout and
// statement_timeout, reads the catalog again under the lock, rebuilds the
// plan and refuses to go on if it differs from the one the user approved
// (unless the database already matches the policy, which another run made
// it do), executes the statements, treats PostgreSQL's "nothing happened"
// warnings as errors, reads the catalog once more and commits only when the
// database then matches the policy. Anything else rolls back: a run is all
// or nothing. A run that meets another session's lock fails after
// lock_timeout with an error that names the blocking backends (see
// [Blocker]), seen while it waited.
//
// apply makes no decisions about privileges (that is package plan) and
// prints nothing (it returns a [Result] and logs through the logger it is
// given).
package apply
