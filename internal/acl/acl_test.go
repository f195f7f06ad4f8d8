package acl

import "testing"

func TestParsePriv(t *testing.T) {
	tests := map[string]Priv{
		"SELECT": Select, "select": Select, " Insert ": Insert, "TEMP": Temporary, "TEMPORARY": Temporary,
		"ALTER SYSTEM": AlterSystem, "alter_system": AlterSystem, "MAINTAIN": Maintain,
	}
	for in, want := range tests {
		if got, ok := ParsePriv(in); !ok || got != want {
			t.Errorf("ParsePriv(%q) = %v, %t; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "SELEKT", "ALL", "SELECT, INSERT", "ſelect", "ınsert", "SELECT\u200b"} {
		if _, ok := ParsePriv(bad); ok {
			t.Errorf("ParsePriv(%q) accepted", bad)
		}
	}
}

// What GRANT ALL stores per kind and version (pg-privileges.md §1.3).
func TestValid(t *testing.T) {
	tests := []struct {
		kind    Kind
		version int
		letters string
	}{
		{KindTable, 160000, "rawdDxt"},
		{KindTable, 170000, "rawdDxtm"},
		{KindSequence, 130000, "rwU"},
		{KindFunction, 130000, "X"},
		{KindType, 130000, "U"},
		{KindSchema, 130000, "UC"},
		{KindDatabase, 130000, "CcT"},
	}
	for _, tt := range tests {
		if got := Valid(tt.kind, tt.version).Letters(); got != tt.letters {
			t.Errorf("Valid(%s, %d) = %s, want %s", tt.kind, tt.version, got, tt.letters)
		}
	}
}

func TestPrivilegesString(t *testing.T) {
	p := Privileges{Privs: Select | Update, GrantOption: Select}
	if got := p.String(); got != "r*w" {
		t.Errorf("got %s, want r*w", got)
	}
}
