package plan

import (
	"cmp"
	"slices"
)

// finish orders the changes and starts batching them into statements;
// the function it returns waits for them.
func (b *builder) finish() (statements func() []Statement) {
	// compareChanges's order; the position breaks the last ties, as a
	// stable sort would, without the stable sort's extra log factor.
	type indexed struct {
		c *Change
		i int
	}
	ks := make([]indexed, len(b.plan.Changes))
	for i, c := range b.plan.Changes {
		ks[i] = indexed{c, i}
	}
	slices.SortFunc(ks, func(x, y indexed) int { return cmp.Or(compareChanges(x.c, y.c), cmp.Compare(x.i, y.i)) })
	for i := range ks {
		b.plan.Changes[i] = ks[i].c
	}
	run := executable(b.plan.Changes)
	// The statements are rendered while invariants projects the plan:
	// both only read the changes (batch reads none of the fields
	// invariants caches in them), and a large plan spends a fifth of its
	// time in each.
	done := make(chan []Statement, 1)
	go func() { done <- batch(run, b.cat.ServerVersion) }()
	return func() []Statement { return <-done }
}

// executable is the changes that get statements: those not blocked.
func executable(changes []*Change) []*Change {
	run := make([]*Change, 0, len(changes))
	for _, c := range changes {
		if c.Blocked == "" {
			run = append(run, c)
		}
	}
	return run
}
