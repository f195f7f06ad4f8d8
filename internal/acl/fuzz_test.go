package acl

import (
	"strings"
	"testing"
)

// The privilege and kind keywords of policies, and the letter form of
// privilege sets that the model prints.

// FuzzParseKeywords: ParsePriv and ParseKind never panic, and what they
// accept is exactly one privilege (or kind) that prints back to a keyword
// they accept again as the same value.
func FuzzParseKeywords(f *testing.F) {
	for _, s := range append(Keywords(), "", "TEMP", "temp", " Insert ", "alter_system", "Alter System", "ALL",
		"SELECT, INSERT", "SELEKT", "select\x00", "\u017felect", "\u0131nsert", "table", "TABLE", "foreign_data_wrapper",
		"invalid", "kind(99)", "column ", "ALTER  SYSTEM", "_ALTER_SYSTEM_") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, ok := ParsePriv(s); ok {
			if p.Len() != 1 {
				t.Fatalf("ParsePriv(%q) = %v: want exactly one privilege", s, p)
			}
			for _, form := range []string{p.String(), strings.ToLower(p.String()), strings.ReplaceAll(p.String(), " ", "_")} {
				if back, ok := ParsePriv(form); !ok || back != p {
					t.Fatalf("ParsePriv(%q) = %v, but %q reads back as %v, %t", s, p, form, back, ok)
				}
			}
			if len(p.Letters()) != 1 {
				t.Fatalf("ParsePriv(%q) = %v has letters %q", s, p, p.Letters())
			}
			valid := false
			for _, k := range Kinds() {
				valid = valid || ValidAnyVersion(k).Has(p)
			}
			if !valid {
				t.Fatalf("ParsePriv(%q) = %v, which no kind accepts", s, p)
			}
		} else if p != 0 {
			t.Fatalf("ParsePriv(%q) rejected it but returned %v", s, p)
		}
		if k, ok := ParseKind(s); ok {
			if k == KindInvalid || k.String() != s {
				t.Fatalf("ParseKind(%q) = %v: want the kind spelled exactly %q", s, k, s)
			}
		} else if k != KindInvalid {
			t.Fatalf("ParseKind(%q) rejected it but returned %v", s, k)
		}
	})
}

// FuzzPrivilegesString: the aclitem letter form of any privilege set
// (Privileges.String, as aclitem prints it: "arw*") reads back to the same
// set with the letters of the single privileges, so no two privileges
// share a letter and no grant option is lost.
func FuzzPrivilegesString(f *testing.F) {
	f.Add(uint16(0), uint16(0))
	f.Add(uint16(Select|Insert), uint16(Select))
	f.Add(uint16(0xffff), uint16(0xffff))
	f.Add(uint16(Maintain|AlterSystem|Set), uint16(AlterSystem))
	var all Priv
	for _, k := range Kinds() {
		all |= ValidAnyVersion(k)
	}
	letter := map[byte]Priv{}
	for _, kw := range Keywords() {
		p, _ := ParsePriv(kw)
		l := p.Letters()
		if len(l) != 1 || letter[l[0]] != 0 {
			f.Fatalf("privilege %s has letters %q, or its letter is taken", kw, l)
		}
		letter[l[0]] = p
	}
	f.Fuzz(func(t *testing.T, privs, grant uint16) {
		in := Privileges{Privs: Priv(privs) & all}
		in.GrantOption = Priv(grant) & in.Privs
		s := in.String()
		var back Privileges
		var last Priv
		for i := 0; i < len(s); i++ {
			if s[i] == '*' {
				if last == 0 || back.GrantOption.Has(last) {
					t.Fatalf("%+v prints as %q: a stray *", in, s)
				}
				back.GrantOption |= last
				continue
			}
			p, ok := letter[s[i]]
			if !ok || back.Privs.Has(p) {
				t.Fatalf("%+v prints as %q: unknown or repeated letter %q", in, s, s[i])
			}
			back.Privs |= p
			last = p
		}
		if back != in {
			t.Fatalf("%+v prints as %q, which reads back as %+v", in, s, back)
		}
		if in.Privs.Letters() != strings.ReplaceAll(s, "*", "") {
			t.Fatalf("Letters %q and String %q disagree", in.Privs.Letters(), s)
		}
		if in.IsZero() != (s == "") {
			t.Fatalf("%+v: IsZero %t but prints as %q", in, in.IsZero(), s)
		}
	})
}
