// Package ident quotes SQL identifiers and literals. Every name pgward puts
// into a statement goes through it.
package ident
