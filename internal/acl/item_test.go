package acl

import (
	"strings"
	"testing"
)

func TestParseItem(t *testing.T) {
	tests := []struct {
		in               string
		grantee, grantor string
		want             Privileges
		wantErr          string
	}{
		{in: "alice=arwdDxt/owner", grantee: "alice", grantor: "owner", want: Privileges{Privs: Select | Insert | Update | Delete | Truncate | References | Trigger}},
		{in: "=Tc/owner", grantee: "", grantor: "owner", want: Privileges{Privs: Temporary | Connect}},
		{in: "bob=r*w/alice", grantee: "bob", grantor: "alice", want: Privileges{Privs: Select | Update, GrantOption: Select}},
		{in: `"we""ird=/x"=X*/"my owner"`, grantee: `we"ird=/x`, grantor: "my owner", want: Privileges{Privs: Execute, GrantOption: Execute}},
		{in: "p=sA/postgres", grantee: "p", grantor: "postgres", want: Privileges{Privs: Set | AlterSystem}},
		{in: "m=m/o", grantee: "m", grantor: "o", want: Privileges{Privs: Maintain}},
		{in: "16999=U/10", grantee: "16999", grantor: "10", want: Privileges{Privs: Usage}},
		{in: "a=/o", grantee: "a", grantor: "o"},
		{in: "alice=arw", wantErr: "want '/' before the grantor"},
		{in: "alice", wantErr: "want '=' after the grantee"},
		{in: "alice=q/o", wantErr: "unknown privilege letter"},
		{in: `"alice=r/o`, wantErr: "unterminated quoted name"},
		{in: "alice=r/", wantErr: "want one grantor name"},
		{in: `alice=r/"o"x`, wantErr: "want one grantor name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			grantee, grantor, got, err := ParseItem(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if grantee != tt.grantee || grantor != tt.grantor || got != tt.want {
				t.Errorf("got (%q, %q, %v), want (%q, %q, %v)", grantee, grantor, got, tt.grantee, tt.grantor, tt.want)
			}
		})
	}
}

// FuzzParseItem: no input panics, and what parses prints back (names
// quoted the way PostgreSQL quotes them) to an item that parses the same.
func FuzzParseItem(f *testing.F) {
	for _, s := range []string{"alice=arwdDxt/owner", "=Tc/owner", `"a""b"=r*/"c d"`, "x=sAm/y", "", "=", "/", `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		grantee, grantor, p, err := ParseItem(s)
		if err != nil {
			return
		}
		again := quoteForTest(grantee) + "=" + p.String() + "/" + quoteForTest(grantor)
		g2, r2, p2, err := ParseItem(again)
		if err != nil || g2 != grantee || r2 != grantor || p2 != p {
			t.Fatalf("%q parsed to (%q, %q, %v), printed as %q, which parses to (%q, %q, %v, %v)", s, grantee, grantor, p, again, g2, r2, p2, err)
		}
	})
}

func quoteForTest(name string) string {
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		}
	}
	return name
}

// BenchmarkParseItem: introspection parses one aclitem per grantee of every
// object it reads.
func BenchmarkParseItem(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := ParseItem(`"my web"=arwd*/owner_role`); err != nil {
			b.Fatal(err)
		}
	}
}
