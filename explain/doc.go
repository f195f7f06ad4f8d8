// Package explain answers, for one role and one object, why the role holds
// what it holds: the policy rules that decide it (the winning rank and the
// rules it overrides), the ACL items the role holds, its effective access
// with every path, the deny blocks that cover the object, and the changes
// a plan would make. It is the engine of pgward explain.
//
// [Object] builds an [Explanation]; [LookupObjects] finds the object a
// command-line name designates; [WriteText] renders an explanation for
// people.
//
// It sits on top of plan and access: it reuses access's rule matching and
// effective access and plan's Build, so that the answer is what plan and
// audit act on, and it must not decide anything of its own (no second
// rule matcher, no second diff). It is a package of its own because access
// must not import plan, and an explanation includes the plan's changes.
// It is pure: no database, no files, no I/O besides the io.Writer it
// renders to.
package explain
