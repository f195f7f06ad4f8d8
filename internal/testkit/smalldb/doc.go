// Package smalldb builds the small catalog that the effective-access
// tests of access and plan share (see [DB]). It holds test fixtures only:
// no database, and nothing the binary links.
package smalldb
