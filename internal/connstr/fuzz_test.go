package connstr_test

import (
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/connstr"
)

// hostile seeds: quotes, escapes, stray '@', '/', '?', ':', percent signs,
// brackets, spaces, NUL, Ecto parameters and repeated password keys.
var hostile = []string{
	"",
	"postgres://u:secret@h/db",
	"ecto://u:p%40ss%3Aword@h:5433/db?ssl=true&pool_size=10",
	"postgresql://u:p@ss@h/db",
	"postgres://u:pa/ss@h/db",
	"postgres://u:123/ss@h/db",
	"postgres://u:pa?ss@h/db?x=y",
	"postgres://u:pa:ss@h/db",
	"postgres://u:%zz@h/db",
	"postgres://u:%00@h/db",
	"postgres://u: pw @h/db",
	"postgres://u:pw@[::1]:5432,[fe80::1%25eth0]:5433/db",
	"postgres://u:pw@[:5432/db",
	"postgres://u:pw@h/db?password=a&password=b&sslpassword=c",
	"postgres://u:pw@h/db?password=&x",
	"postgres://u:pw@h/db?a==b",
	"postgres://h/db?pass%77ord=q",
	"postgres://:pw@/db",
	"host=h password=secret",
	"host=h password='se cret' user=u",
	`password='a\'b\\' host=h`,
	`password=a\ b\`,
	"password='unterminated",
	"pAssword='0'0=",
	"A://?pAssword=x",
	"password= host=h",
	"PASSWORD=x password=y",
	"host=h\x00password=x",
	"=x",
	"x",
	connstr.Unparsable,
	"mysql://u:pw@h/db",
}

// FuzzRedact builds URLs and keyword/value strings around a known password
// and checks that the redacted form does not depend on the password: the
// same string with a different password redacts to the same text, so nothing
// of the password can be in it.
func FuzzRedact(f *testing.F) {
	isolate(f)
	for _, pw := range []string{"secret", "p@ss:word", "a/b?c#d", "'quoted'", `back\slash`, "x", "xxxxx", "%41", " spaced out "} {
		f.Add("u", pw, "h:5432", "sslmode=disable")
		f.Add("postgres", pw, "[::1]", "password=other")
		f.Add("user", pw, "h1,h2:1", "")
	}
	f.Fuzz(func(t *testing.T, user, password, host, extra string) {
		if password == "" {
			return
		}
		const other = "0ther-Pw"
		builders := []func(pw string) string{
			func(pw string) string {
				s := "postgres://" + percent(user) + ":" + percent(pw) + "@" + host + "/db"
				if extra != "" {
					s += "?" + extra
				}
				return s
			},
			func(pw string) string {
				return "user=" + kvQuote(user) + " password=" + kvQuote(pw) + " host=" + kvQuote(host) + " " + extra
			},
		}
		for _, build := range builders {
			s, alt := build(password), build(other)
			r := connstr.Redact(s)
			cfg, err := connstr.ParseConfig(s)
			if err != nil || cfg.Password != password {
				continue // the password did not end up where it was put
			}
			cfgAlt, err := connstr.ParseConfig(alt)
			if err != nil || cfgAlt.Password != other {
				continue
			}
			if r == connstr.Unparsable {
				t.Fatalf("Redact(%q) = Unparsable, but it parses", s)
			}
			if ra := connstr.Redact(alt); r != ra {
				t.Fatalf("redaction depends on the password:\n%q -> %q\n%q -> %q", s, r, alt, ra)
			}
		}
	})
}

// FuzzParseConfig checks on arbitrary input that nothing panics, that Redact
// is idempotent, that whatever parses also redacts and that pgx, reading the
// redacted string, finds the mask where the password was.
func FuzzParseConfig(f *testing.F) {
	isolate(f)
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := connstr.Redact(s)
		if rr := connstr.Redact(r); rr != r {
			t.Fatalf("Redact is not idempotent: %q -> %q -> %q", s, r, rr)
		}
		cfg, err := connstr.ParseConfig(s)
		if err != nil {
			// When s holds a recognised password (r differs from s and is
			// not the Unparsable marker) the raw string must not be quoted,
			// unless it is also a part of the redacted form (a password
			// "x" at the end of s is a prefix of the mask).
			if r != s && r != connstr.Unparsable && !strings.Contains(r, s) && strings.Contains(err.Error(), s) {
				t.Fatalf("error for %q quotes the raw string: %v", s, err)
			}
			return
		}
		if r == connstr.Unparsable {
			t.Fatalf("Redact(%q) = Unparsable, but ParseConfig accepts it", s)
		}
		if cfg.Password == "" {
			return
		}
		rcfg, err := connstr.ParseConfig(r)
		if err != nil {
			t.Fatalf("redacted %q of %q does not parse: %v", r, s, err)
		}
		if rcfg.Password != connstr.Mask {
			t.Fatalf("Redact(%q) = %q: pgx reads password %q from it, want the mask", s, r, rcfg.Password)
		}
	})
}

// percent encodes everything but unreserved characters.
func percent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// kvQuote quotes a keyword/value value.
func kvQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
