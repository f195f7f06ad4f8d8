// Package progress shows how far long work has come on a terminal: one
// [Line] on standard error, rewritten in place (a carriage return and
// "erase line") at most a few times a second with what its caller reports
// and the time since it started, and cleared when the work ends.
//
// It is a leaf: it knows nothing of what the work is. Whoever does the
// work reports through a callback of its own (apply's statement loop,
// fleet.Run); the CLI turns those reports into the line's text, and
// starts a Line only when standard error is a terminal, so that no other
// output changes. Other output to the same terminal goes through
// [Line.Above], which clears the line before it writes.
package progress
