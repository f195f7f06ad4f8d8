package main

import "testing"

func TestParseItem(t *testing.T) {
	tests := []struct {
		in               string
		grantee, grantor string
		privs, options   uint16
	}{
		{"=r/owner", "", "owner", 1, 0},
		{"web=arwd/owner", "web", "owner", 0b1111, 0},
		{`"we""ird=x"=r*w/"o/wner"`, `we"ird=x`, "o/wner", 0b101, 0b001},
		{"ops=UC*/owner", "ops", "owner", 1<<9 | 1<<10, 1 << 10},
	}
	for _, tt := range tests {
		it, err := parseItem(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if it.grantee != tt.grantee || it.grantor != tt.grantor || it.privs != tt.privs || it.options != tt.options {
			t.Errorf("%s: got %+v", tt.in, it)
		}
	}
	for _, bad := range []string{"web", "web=r", `"web=r/owner`, "web=q/owner"} {
		if _, err := parseItem(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
