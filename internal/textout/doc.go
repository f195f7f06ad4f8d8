// Package textout holds what the text renderers of plan, access and
// explain share: a buffered [Writer] that keeps the first error, ANSI
// colours the caller switches on, [Padding] that aligns columns by runes,
// and [ObjectLabel], the kind and name of an object as people read it.
//
// It is a leaf: it imports the standard library and internal/acl only,
// never a top-level package of the module, and it decides nothing about
// what is written: renderers choose the text, the caller chooses colour.
package textout
