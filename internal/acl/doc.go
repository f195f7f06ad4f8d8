// Package acl is pgward's privilege model: object kinds, privilege sets with
// their grant-option bits, grantees and ACL items, and which privileges each
// kind accepts on which server version.
//
// It is a leaf package of plain values shared by policy, introspect, plan and
// apply. It performs no I/O and imports nothing from pgward.
package acl
