package prcheck

import (
	"testing"

	"github.com/pgward/pgward/internal/acl"
)

func TestLineDiff(t *testing.T) {
	tests := []struct{ name, a, b, want string }{
		{"equal", "x\ny\n", "x\ny\n", ""},
		{"added line with context", "a\nb\nc\nd\ne\nf\n", "a\nb\nc\nnew\nd\ne\nf\n", "  b\n  c\n+ new\n  d\n  e\n"},
		{"removed and distant hunks", "1\n2\n3\n4\n5\n6\n7\n8\n", "2\n3\n4\n5\n6\n7\n", "- 1\n  2\n  3\n@@\n  6\n  7\n- 8\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lineDiff(tt.a, tt.b); got != tt.want {
				t.Errorf("lineDiff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tbl := func(name string, access ...Access) Object {
		return Object{Object: acl.Object{Kind: acl.KindTable, Schema: "public", Name: name}, Owner: "app", Access: access}
	}
	web := func(p acl.Priv) Access { return Access{Role: "web", Privs: p} }
	jobs := func(p acl.Priv, unclassified bool) Access {
		return Access{Role: "jobs", Privs: p, Unclassified: unclassified}
	}
	base := &Report{Roles: []string{"web", "jobs"}, Objects: []Object{
		tbl("accounts", web(acl.Select), jobs(acl.Select, false)),
		tbl("old", web(acl.Select), jobs(0, true)),
		tbl("users", web(acl.Select), jobs(0, true)),
	}}
	head := &Report{Roles: []string{"web", "jobs"}, Objects: []Object{
		tbl("accounts", web(acl.Select|acl.Insert), jobs(acl.Select, false)),
		tbl("api_tokens", web(acl.Select), jobs(0, true)),
		tbl("users", web(acl.Select), jobs(0, true)),
	}}
	d := Compare(base, head)
	tests := []struct {
		name      string
		got, want int
	}{
		{"added", len(d.Added), 1},
		{"removed", len(d.Removed), 1},
		{"changed", len(d.Changed), 1},
		{"unclassified (new only, users was already)", len(d.Unclassified), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	if !d.AccessChanged() || d.Unclassified[0].Object.Name != "api_tokens" || d.Changed[0].Roles[0].After.Privs != acl.Select|acl.Insert {
		t.Errorf("diff: %+v", d)
	}
	if Compare(base, base).AccessChanged() {
		t.Error("a report compared with itself changed")
	}
}
