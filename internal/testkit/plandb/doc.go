// Package plandb builds the small database that the pure tests of plan,
// explain, render and audit share: owner alice (connecting), grantees bob
// and carol, superuser postgres, and schema app with the objects a test
// adds (see [Fixture]), and the database of the audit tests, where each
// object is owned by whom the test says ([OwnersCatalog], [Owned]). It holds test fixtures only: no database, and
// nothing the binary links.
//
// It is the one definition of that fixture; a test package may alias its
// names (type fixture = plandb.Fixture) to keep its cases short.
package plandb
