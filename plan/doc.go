// Package plan turns a policy and a catalog into the changes that make the
// database match the policy, and renders them.
//
// [Build] computes the desired state from a [policy.Policy] and the actual
// state from a [catalog.Catalog], diffs them into ordered [Change] values
// (one fact each, with the policy rule that asks for it) and batches them
// into [Statement] values for execution. [WriteText], [WriteJSON] and
// [WriteSQL] render a [Plan].
//
// The package is pure: no database, no files, no clock. Everything it needs
// arrives as arguments, so a plan can be tested from literals.
package plan
