package prcheck

import (
	"fmt"
	"strings"
	"unicode"
)

// Statement is one SQL statement of a schema dump.
type Statement struct {
	// SQL is the statement's text, without the terminating semicolon.
	SQL string
	// Line is the 1-based line of the dump where the statement starts.
	Line int
	// tokens are its words, quoted identifiers and punctuation, with
	// comments and the contents of string literals left out.
	tokens []token
}

type token struct {
	text   string // unquoted words lower-cased; quoted identifiers as written
	quoted bool   // a "quoted identifier"
	word   bool   // a bare word or a quoted identifier (not punctuation, not a literal)
}

// Split cuts a schema dump (pg_dump -s output, a Rails structure.sql) into
// statements. It understands what can hide a semicolon: comments (nested
// block comments included), string literals ('…', E'…'), quoted
// identifiers and dollar-quoted bodies. Lines that are psql meta-commands
// (\restrict, \connect, …) are skipped. A dump that carries table data
// (COPY … FROM stdin) is an error: a schema dump holds none.
func Split(src string) ([]Statement, error) {
	var (
		out   []Statement
		cur   strings.Builder
		start = 0 // line where cur's first significant character is; 0: none yet
		line  = 1
		toks  []token
	)
	flush := func() error {
		text := strings.TrimSpace(cur.String())
		if start != 0 && text != "" {
			st := Statement{SQL: text, Line: start, tokens: toks}
			if st.is("copy") && st.has("stdin") {
				return fmt.Errorf("line %d: COPY … FROM stdin: the file holds table data; give a schema-only dump (pg_dump --schema-only)", start)
			}
			out = append(out, st)
		}
		cur.Reset()
		start, toks = 0, nil
		return nil
	}
	mark := func() {
		if start == 0 {
			start = line
		}
	}
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == '\n':
			line++
			cur.WriteByte(c)
			i++
		case c == '\\' && start == 0 && lineStart(src, i):
			// A psql meta-command: up to the end of the line.
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = n - i
			}
			i += j
		case c == '-' && i+1 < n && src[i+1] == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = n - i
			}
			i += j
		case c == '/' && i+1 < n && src[i+1] == '*':
			depth, j := 1, i+2
			for j < n && depth > 0 {
				switch {
				case src[j] == '/' && j+1 < n && src[j+1] == '*':
					depth++
					j += 2
				case src[j] == '*' && j+1 < n && src[j+1] == '/':
					depth--
					j += 2
				default:
					if src[j] == '\n' {
						line++
					}
					j++
				}
			}
			if depth > 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
			cur.WriteByte(' ')
			i = j
		case c == '\'':
			mark()
			escapes := i > 0 && (src[i-1] == 'E' || src[i-1] == 'e') && (i < 2 || !isIdentByte(src[i-2]))
			if escapes && len(toks) > 0 && toks[len(toks)-1].text == "e" {
				toks = toks[:len(toks)-1] // the E prefix is part of the literal
			}
			j, lines, ok := scanQuoted(src, i, '\'', escapes)
			if !ok {
				return nil, fmt.Errorf("line %d: unterminated string literal", line)
			}
			cur.WriteString(src[i:j])
			toks = append(toks, token{text: "'"})
			line += lines
			i = j
		case c == '"':
			mark()
			j, lines, ok := scanQuoted(src, i, '"', false)
			if !ok {
				return nil, fmt.Errorf("line %d: unterminated quoted identifier", line)
			}
			cur.WriteString(src[i:j])
			toks = append(toks, token{text: strings.ReplaceAll(src[i+1:j-1], `""`, `"`), quoted: true, word: true})
			line += lines
			i = j
		case c == '$' && (i == 0 || !isIdentByte(src[i-1])):
			tag, ok := dollarTag(src[i:])
			if !ok {
				mark()
				cur.WriteByte(c)
				i++
				continue
			}
			mark()
			end := strings.Index(src[i+len(tag):], tag)
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated dollar-quoted string %s", line, tag)
			}
			j := i + len(tag) + end + len(tag)
			body := src[i:j]
			cur.WriteString(body)
			toks = append(toks, token{text: "'"})
			line += strings.Count(body, "\n")
			i = j
		case c == ';':
			if err := flush(); err != nil {
				return nil, err
			}
			i++
		case isIdentByte(c):
			mark()
			j := i
			for j < n && isIdentByte(src[j]) {
				j++
			}
			cur.WriteString(src[i:j])
			toks = append(toks, token{text: strings.ToLower(src[i:j]), word: true})
			i = j
		default:
			if !unicode.IsSpace(rune(c)) {
				mark()
				toks = append(toks, token{text: string(c)})
			}
			cur.WriteByte(c)
			i++
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// lineStart reports whether only spaces precede position i on its line.
func lineStart(src string, i int) bool {
	for j := i - 1; j >= 0 && src[j] != '\n'; j-- {
		if src[j] != ' ' && src[j] != '\t' && src[j] != '\r' {
			return false
		}
	}
	return true
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// scanQuoted returns the end (exclusive) of the quoted text starting at i,
// and the newlines it holds. A doubled quote stands for one; with escapes
// (E'…'), so does a backslash-escaped one.
func scanQuoted(src string, i int, q byte, escapes bool) (end, lines int, ok bool) {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\n':
			lines++
		case '\\':
			if escapes {
				j++
				if j < len(src) && src[j] == '\n' {
					lines++
				}
			}
		case q:
			if j+1 < len(src) && src[j+1] == q {
				j++
				continue
			}
			return j + 1, lines, true
		}
	}
	return 0, 0, false
}

// dollarTag returns the opening $tag$ at the start of s, if any.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
		case c >= '0' && c <= '9' && j > 1:
		default:
			return "", false
		}
	}
	return "", false
}

// is reports whether the statement starts with these words.
func (s Statement) is(words ...string) bool {
	if len(s.tokens) < len(words) {
		return false
	}
	for i, w := range words {
		if t := s.tokens[i]; !t.word || t.quoted || t.text != w {
			return false
		}
	}
	return true
}

// has reports whether the statement holds the bare word w at any depth.
func (s Statement) has(w string) bool {
	for _, t := range s.tokens {
		if t.word && !t.quoted && t.text == w {
			return true
		}
	}
	return false
}
