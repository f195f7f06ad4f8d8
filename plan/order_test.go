package plan

import (
	"cmp"
	"testing"

	"github.com/pgward/pgward/internal/acl"
)

// TestCompareChanges_sortKeyOrder: changes on objects compare field by
// field in the order their sortKey texts would, prefixes and all.
func TestCompareChanges_sortKeyOrder(t *testing.T) {
	var changes []*Change
	for _, k := range []acl.Kind{acl.KindSchema, acl.KindTable, acl.KindColumn, acl.KindFunction} {
		for _, schema := range []string{"", "a", "ab", "a b", "B"} {
			for _, name := range []string{"t", "t1", "T", "t 1"} {
				for _, args := range []string{"", "integer", "integer, text"} {
					for _, col := range []string{"", "c", "c2"} {
						for _, g := range []acl.Grantee{"", "web", "ops"} {
							changes = append(changes, &Change{Target: TargetObject, Action: Grant, Grantee: g,
								Object: acl.Object{Kind: k, Schema: schema, Name: name, Args: args, Column: col}})
						}
					}
				}
			}
		}
	}
	for i, a := range changes {
		for _, b := range changes[i:] {
			want := cmp.Or(cmp.Compare(sortKey(a), sortKey(b)), cmp.Compare(a.Grantee, b.Grantee))
			if got := compareChanges(a, b); got != want || compareChanges(b, a) != -want {
				t.Fatalf("compareChanges(%v %q, %v %q) = %d, sortKey order %d", a.Object, a.Grantee, b.Object, b.Grantee, got, want)
			}
		}
	}
}
