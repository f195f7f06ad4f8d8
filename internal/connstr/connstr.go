package connstr

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Mask replaces every password in a redacted connection string.
const Mask = "xxxxx"

// Unparsable is what [Redact] returns for a string whose structure it cannot
// follow: then it cannot tell where a password ends, so it shows nothing.
const Unparsable = "(unparsable connection string)"

// ectoOnlyParams are query parameters that Ecto (Elixir) puts into a
// DATABASE_URL for its pool and that mean nothing to libpq. pgx would send
// them to the server as runtime parameters, which the server rejects.
var ectoOnlyParams = map[string]bool{
	"pool_size":      true,
	"pool_count":     true,
	"queue_target":   true,
	"queue_interval": true,
	"idle_interval":  true,
	"timeout":        true,
	"prepare":        true,
}

// Resolve picks the connection string: explicit (from --database-url) if
// non-empty, else $DATABASE_URL (read through getenv), else "", which lets pgx
// use the libpq PG* variables and .pgpass.
func Resolve(explicit string, getenv func(string) string) string {
	if explicit != "" {
		return explicit
	}
	if getenv != nil {
		return getenv("DATABASE_URL")
	}
	return ""
}

// ParseConfig turns a URL or keyword/value connection string into a
// *pgx.ConnConfig.
//
// Besides what pgx accepts it handles the ecto:// scheme (read as postgres://),
// Ecto's ssl=true and ssl=false query parameters (sslmode=require and
// sslmode=disable; explicit sslmode and ssl parameters are applied in order,
// the last one wins) and drops Ecto's pool parameters such as pool_size. The
// empty string makes pgx read the PG* variables and .pgpass.
//
// The returned error never contains a password or the raw string: it names
// the string through [Redact] and unwraps to the pgx error.
func ParseConfig(s string) (*pgx.ConnConfig, error) {
	norm, err := normalize(s)
	if err != nil {
		// normalize's own messages never quote the input, so nothing needs
		// withholding even when s could not be parsed.
		return nil, newError("parse connection string "+Redact(s), err, append(secrets(s, ""), s))
	}
	cfg, err := pgx.ParseConfig(norm)
	if err != nil {
		return nil, newError("parse connection string "+Redact(s), err, secrets(s, norm))
	}
	return cfg, nil
}

// Connect parses s with [ParseConfig] and connects. A connection error is a
// *[ConnectError]: one line with the cause, host:port/database and the user,
// and the next step, never the password: its text is scrubbed of the
// password (also one found in .pgpass) and of the raw string, and it unwraps
// to the pgx error, so pgconn predicates such as pgconn.Timeout still work.
func Connect(ctx context.Context, s string) (*pgx.Conn, error) {
	cfg, err := ParseConfig(s)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, pinSearchPath(cfg))
	if err != nil {
		// cfg.Password may come from .pgpass or PGPASSWORD rather than s.
		return nil, explain(cfg, err, append(secrets(s, ""), cfg.Password))
	}
	return conn, nil
}

// Redact returns s with every password replaced by [Mask]: the password of a
// URL's userinfo, and password= or sslpassword= values in the keyword/value
// form or in a URL query. Everything else is left as it was. Redact never
// fails: a string whose structure it cannot follow (the strings pgx would
// reject as malformed) becomes [Unparsable].
func Redact(s string) string {
	spans, ok := secretSpans(s)
	if !ok {
		return Unparsable
	}
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.start])
		b.WriteString(Mask)
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactedError carries a message that has been scrubbed of secrets and
// unwraps to the original error, whose own text may hold them.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// quoted matches quoted fragments in pgx error texts; pgx quotes raw parts of
// the input with "..." and the whole input with `...`.
var quoted = regexp.MustCompile("\"[^\"]*\"|`[^`]*`")

// newError builds op: <scrubbed text of err>. When secrets is nil the input
// could not be parsed, so there is no telling which part of it is a
// password: then every quoted fragment of the pgx text is withheld too.
func newError(op string, err error, secrets []string) error {
	text := err.Error()
	if secrets == nil {
		text = quoted.ReplaceAllLiteralString(text, `"(withheld)"`)
	}
	return &redactedError{msg: op + ": " + scrub(text, secrets), err: err}
}

// scrub replaces every occurrence of each secret in text with Mask, longest
// first so that a raw string goes before the password inside it.
func scrub(text string, secrets []string) string {
	sec := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if s != "" && s != Mask {
			sec = append(sec, s)
		}
	}
	sort.Slice(sec, func(i, j int) bool { return len(sec[i]) > len(sec[j]) })
	for _, s := range sec {
		text = strings.ReplaceAll(text, s, Mask)
	}
	return text
}

// secrets lists what must not appear in an error about s: the raw and the
// decoded passwords and, when s holds a password, s itself and its
// normalized form norm. A nil result means s could not be parsed.
func secrets(s, norm string) []string {
	spans, ok := secretSpans(s)
	if !ok {
		return nil
	}
	out := []string{}
	if len(spans) > 0 {
		out = append(out, s, norm)
	}
	for _, sp := range spans {
		raw := s[sp.start:sp.end]
		out = append(out, raw)
		if v, ok := uriDecode(raw); ok {
			out = append(out, v)
		}
		out = append(out, unescapeKeywordValue(raw))
	}
	return out
}

// normalize rewrites the Ecto dialect of a URL into one pgx reads: the scheme
// becomes postgres:// (or stays postgresql://), ssl=true|false becomes
// sslmode=require|disable and Ecto's pool parameters are dropped.
// Keyword/value strings and the empty string are returned as they are.
// A URL that [walkURL] rejects is an error.
func normalize(s string) (string, error) {
	off := schemeEnd(s)
	if off < 0 {
		return s, nil
	}
	switch scheme := strings.ToLower(s[:off-len("://")]); scheme {
	case "postgres", "postgresql":
		s = scheme + "://" + s[off:]
	case "ecto":
		s = "postgres://" + s[off:]
	default:
		return "", fmt.Errorf("unsupported scheme %q (want postgres, postgresql or ecto)", scheme)
	}
	u, err := walkURL(s, schemeEnd(s))
	if err != nil {
		return "", err
	}
	if u.query < 0 {
		return s, nil
	}
	var pairs []string
	for _, pair := range strings.Split(s[u.query+1:], "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, _ := uriDecode(rawKey)
		switch {
		case key == "ssl":
			switch v, _ := uriDecode(rawValue); v {
			case "true":
				pair = "sslmode=require"
			case "false":
				pair = "sslmode=disable"
			default:
				return "", fmt.Errorf("invalid value %q of query parameter ssl (want true or false)", v)
			}
		case ectoOnlyParams[key]:
			continue
		}
		pairs = append(pairs, pair)
	}
	if len(pairs) == 0 {
		return s[:u.query], nil
	}
	return s[:u.query+1] + strings.Join(pairs, "&"), nil
}

// schemeEnd returns the index just after "scheme://" when s starts with a URL
// scheme, else -1. A keyword/value string cannot match: its first '=' comes
// before any "://", and '=' is not a scheme character.
func schemeEnd(s string) int {
	i := strings.Index(s, "://")
	if i <= 0 {
		return -1
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return -1
		}
	}
	return i + len("://")
}

type span struct{ start, end int }

// secretSpans returns the byte ranges of s that hold passwords, in order, and
// whether s could be parsed. It follows the grammar of pgx (which follows
// libpq) so that it finds the password exactly where pgx would read it.
func secretSpans(s string) ([]span, bool) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, false
	}
	if off := schemeEnd(s); off >= 0 {
		u, err := walkURL(s, off)
		return u.secrets, err == nil
	}
	return keywordValueSpans(s)
}

// urlParts is what walkURL finds in a URL.
type urlParts struct {
	secrets []span
	query   int // index of the '?' that starts the query, or -1
}

// walkURL follows pgx's URI parser (parse_url.go, after libpq's
// conninfo_uri_parse_options) over s[off:], the part after "scheme://".
//
// It is stricter than pgx in two ways, both about passwords that were not
// percent-encoded and so spilled out of the user info: a raw '@' after the
// user info is an error (postgres://u:p@ss@h would read password "p" and host
// "ss@h"), and so is a port that is not a number (postgres://u:pa/ss@h would
// read host "u" and port "pa"). Its error messages never quote the input.
func walkURL(s string, off int) (u urlParts, err error) {
	u.query = -1
	pos := off
	rest := func() string { return s[pos:] }
	peek := func() byte {
		if pos < len(s) {
			return s[pos]
		}
		return 0
	}
	if strings.IndexByte(s, 0) >= 0 {
		return u, errors.New("NUL byte in connection string")
	}

	// User info: like libpq, only a '/' stops the search for '@'.
	if i := strings.IndexAny(rest(), "@/"); i >= 0 && s[pos+i] == '@' {
		user, password, hasPassword := strings.Cut(s[pos:pos+i], ":")
		if _, ok := uriDecode(user); !ok {
			return u, errors.New("invalid percent-encoding or space in user name")
		}
		if hasPassword && password != "" {
			if _, ok := uriDecode(password); !ok {
				return u, errors.New("invalid percent-encoding or space in password")
			}
			start := pos + len(user) + 1
			u.secrets = append(u.secrets, span{start, pos + i})
		}
		pos += i + 1
	}
	if strings.IndexByte(rest(), '@') >= 0 {
		return u, errors.New("'@' after the user info (percent-encode '@', '/', '?' and ':' in a password: %40, %2F, %3F, %3A)")
	}

	// Comma-separated host[:port] list.
	var hosts, ports strings.Builder
	for {
		if peek() == '[' {
			end := strings.IndexByte(rest(), ']')
			if end <= 1 {
				return u, errors.New("unterminated or empty IPv6 address in brackets")
			}
			hosts.WriteString(s[pos+1 : pos+end])
			pos += end + 1
			if c := peek(); c != 0 && c != ':' && c != '/' && c != '?' && c != ',' {
				return u, errors.New("unexpected character after IPv6 address (expected ':' or '/')")
			}
		} else {
			i := strings.IndexAny(rest(), ":/?,")
			if i < 0 {
				i = len(rest())
			}
			hosts.WriteString(s[pos : pos+i])
			pos += i
		}
		if peek() == ':' {
			pos++
			i := strings.IndexAny(rest(), "/?,")
			if i < 0 {
				i = len(rest())
			}
			ports.WriteString(s[pos : pos+i])
			pos += i
		}
		if peek() != ',' {
			break
		}
		pos++
		hosts.WriteByte(',')
		ports.WriteByte(',')
	}
	if _, ok := uriDecode(hosts.String()); !ok {
		return u, errors.New("invalid percent-encoding or space in host")
	}
	portList, ok := uriDecode(ports.String())
	if !ok {
		return u, errors.New("invalid percent-encoding or space in port")
	}
	for port := range strings.SplitSeq(portList, ",") {
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return u, errors.New("port is not a number (is a '/' in the password not percent-encoded as %2F?)")
			}
		}
	}

	// Database.
	if peek() == '/' {
		pos++
		db := rest()
		if i := strings.IndexByte(db, '?'); i >= 0 {
			db = db[:i]
		}
		if _, ok := uriDecode(db); !ok {
			return u, errors.New("invalid percent-encoding or space in database name")
		}
		pos += len(db)
	}

	// Query: '&'-separated key=value pairs, exactly one '=' in each.
	if peek() == '?' {
		u.query = pos
		pos++
		for pos < len(s) {
			pair := rest()
			if i := strings.IndexByte(pair, '&'); i >= 0 {
				pair = pair[:i]
			}
			rawKey, rawValue, found := strings.Cut(pair, "=")
			if !found {
				return u, errors.New("query parameter without '='")
			}
			if strings.IndexByte(rawValue, '=') >= 0 {
				return u, errors.New("query parameter with a second '='")
			}
			key, ok := uriDecode(rawKey)
			if !ok {
				return u, errors.New("invalid percent-encoding or space in query parameter name")
			}
			if _, ok := uriDecode(rawValue); !ok {
				return u, fmt.Errorf("invalid percent-encoding or space in value of query parameter %s", safeKey(key))
			}
			if isSecretKey(key) && rawValue != "" {
				start := pos + len(rawKey) + 1
				u.secrets = append(u.secrets, span{start, start + len(rawValue)})
			}
			pos += len(pair)
			if pos < len(s) {
				pos++ // the '&'
			}
		}
	}
	return u, nil
}

// safeKey returns a parameter name for a message if it looks like one.
func safeKey(key string) string {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return "(withheld)"
		}
	}
	return key
}

// isSecretKey reports whether a parameter holds a password. It ignores case,
// which masks more than pgx reads as a password, never less.
func isSecretKey(key string) bool {
	return strings.EqualFold(key, "password") || strings.EqualFold(key, "sslpassword")
}

// keywordValueSpans follows pgx's keyword/value parser (after libpq's
// conninfo_parse) and returns the raw value tokens of password keys, without
// the quotes of a quoted value.
func keywordValueSpans(s string) ([]span, bool) {
	var spans []span
	pos := 0
	skipSpace := func() {
		for pos < len(s) && isSpace(s[pos]) {
			pos++
		}
	}
	skipSpace()
	for pos < len(s) {
		eq := strings.IndexByte(s[pos:], '=')
		if eq < 0 {
			return nil, false
		}
		key := strings.Trim(s[pos:pos+eq], " \t\n\r\v\f")
		if key == "" || strings.ContainsAny(key, " \t\n\r\v\f") {
			return nil, false
		}
		pos += eq + 1
		skipSpace()
		var value span
		switch {
		case pos == len(s):
			value = span{pos, pos}
		case s[pos] != '\'':
			end := pos
			for ; end < len(s) && !isSpace(s[end]); end++ {
				if s[end] == '\\' {
					end++
					if end == len(s) {
						break
					}
				}
			}
			value = span{pos, end}
			pos = end
		default:
			end := pos + 1
			for ; end < len(s) && s[end] != '\''; end++ {
				if s[end] == '\\' {
					end++
					if end == len(s) {
						return nil, false
					}
				}
			}
			if end >= len(s) {
				return nil, false
			}
			// Only the inside of the quotes is masked: text may follow the
			// closing quote without a space ('pw'host=h), and must stay apart.
			value = span{pos + 1, end}
			pos = end + 1
		}
		skipSpace()
		if isSecretKey(key) && value.end > value.start {
			spans = append(spans, value)
		}
	}
	return spans, true
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// unescapeKeywordValue removes the backslash escapes of a keyword/value token.
func unescapeKeywordValue(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				break
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// uriDecode percent-decodes a URI component with the rules of pgx and libpq:
// '%' and exactly two hex digits, no %00, leading and trailing spaces
// skipped, no spaces inside.
func uriDecode(raw string) (string, bool) {
	var b strings.Builder
	i := 0
	for i < len(raw) && raw[i] == ' ' {
		i++
	}
	for i < len(raw) && raw[i] != ' ' {
		if raw[i] != '%' {
			b.WriteByte(raw[i])
			i++
			continue
		}
		if i+2 >= len(raw) {
			return "", false
		}
		hi, ok1 := unhex(raw[i+1])
		lo, ok2 := unhex(raw[i+2])
		if !ok1 || !ok2 || hi<<4|lo == 0 {
			return "", false
		}
		b.WriteByte(hi<<4 | lo)
		i += 3
	}
	for i < len(raw) && raw[i] == ' ' {
		i++
	}
	return b.String(), i == len(raw)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
