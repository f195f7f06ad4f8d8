package main

import (
	"testing"

	"github.com/pgward/pgward/internal/acl"
)

// TestParseItem checks the floor's conversion of acl.ParseItem's result
// (the parser itself is tested in internal/acl).
func TestParseItem(t *testing.T) {
	it, err := parseItem(`"we""ird=x"=UC*/owner`)
	if err != nil {
		t.Fatal(err)
	}
	want := item{grantee: `we"ird=x`, grantor: "owner", privs: uint16(acl.Usage | acl.Create), options: uint16(acl.Create)}
	if it != want {
		t.Errorf("got %+v, want %+v", it, want)
	}
	if _, err := parseItem("web=q/owner"); err == nil {
		t.Error("an unknown privilege letter parsed")
	}
}
