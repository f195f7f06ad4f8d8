package apply

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/jackc/pgx/v5"
	"github.com/zclconf/go-cty/cty"

	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

// The hostile-name property test (docs/safety.md, section 3): roles,
// schemas, tables, columns and functions whose names hold quotes,
// semicolons, backslashes, spaces, newlines, unicode, $$, --, keywords and
// up to 63 bytes, a policy written in HCL that grants and revokes on them,
// an apply; then PostgreSQL's own ACLs must be exactly the ones the test
// expects, and every statement pgward sent must have the expected shape.

const envHostileCases = "PGWARD_HOSTILE_CASES" // random cases besides the fixed one

// fixedNames are the hostile names every run tries. Each is a legal
// PostgreSQL identifier of at most 63 bytes.
func fixedNames() []string {
	return []string{
		`a"b`,
		`"`,
		`""`,
		`x"; DROP TABLE t; --`,
		`semi;colon`,
		`back\slash`,
		`\`,
		`with space`,
		` lead and trail `,
		"new\nline",
		"tab\tand\rcr",
		`$$`,
		`$$; SELECT 1; $$`,
		`$tag$`,
		`-- comment`,
		`/* c */`,
		`select`,
		`GRANT`,
		`all`,
		`Robert'); DROP TABLE Students;--`,
		`'single'`,
		`élève`,
		`日本語の名前`,
		`emoji 😀`,
		`%s%d%v`,
		`${var.x}`,
		`%{ if true }x%{ endif }`,
		`a.b`,
		`a,b`,
		`f(x)`,
		`glob*?`,
		`[bracket]`,
		`{brace}`,
		`#hash // slash`,
		`NULL`,
		`current_user`,
		strings.Repeat("x", 63),
		strings.Repeat("é", 31) + "z",
		strings.Repeat(`"`, 63),
		strings.Repeat("日", 21),
		"Mixed Case",
		"mixed case",
		" ",
		"ctl\x01\x7f",
		"nfd e\u0301 vs nfc \u00e9",
	}
}

// hostileFragments are what random names are made of.
func hostileFragments() []string {
	return []string{`"`, `""`, `'`, `;`, `\`, ` `, "\n", "\t", `$$`, `$`, `--`, `/*`, `*/`, `select`, `DROP TABLE x`,
		`é`, `日本`, `😀`, `%s`, `${x}`, `%{y}`, `()`, `(`, `)`, `,`, `.`, `=`, `[`, `]`, `{`, `}`, `#`, `//`, `NULL`, `grant`,
		`to`, `*`, `?`, `a`, `B`, `z`, `0`, `9`, `_`, "\r", `ö`, `ß`, `Σ`}
}

// randomName builds a name of at most maxBytes bytes from hostile fragments;
// one in four is padded to exactly maxBytes.
func randomName(rng *rand.Rand, maxBytes int) string {
	frags := hostileFragments()
	var b strings.Builder
	for n := 1 + rng.IntN(8); n > 0; n-- {
		f := frags[rng.IntN(len(frags))]
		if b.Len()+len(f) > maxBytes {
			break
		}
		b.WriteString(f)
	}
	if rng.IntN(4) == 0 {
		for b.Len() < maxBytes {
			b.WriteByte("xyz\"; "[rng.IntN(6)])
		}
	}
	if b.Len() == 0 {
		b.WriteString("q")
	}
	return b.String()
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// hostileCase is one database's worth of names.
type hostileCase struct {
	r1, r2, owner string
	schemas       [2]string
	tables        [2][]string // per schema
	columns       map[string][2]string
	funcs         [2]string
}

// namer hands out names: the fixed ones in order, then random ones; next
// skips those ok refuses (taken, or reserved for the kind).
type namer struct {
	rng   *rand.Rand
	fixed []string
}

func (n *namer) next(maxBytes int, ok func(string) bool) string {
	for {
		var s string
		if len(n.fixed) > 0 {
			s, n.fixed = cut(n.fixed[0], maxBytes), n.fixed[1:]
		} else {
			s = randomName(n.rng, maxBytes)
		}
		if s != "" && ok(s) {
			return s
		}
	}
}

// newHostileCase draws the names of one case: from fixed first (in order),
// then at random.
func newHostileCase(db *pgtest.DB, rng *rand.Rand, fixed []string) hostileCase {
	n := &namer{rng: rng, fixed: fixed}
	suffixLen := len(db.RoleName(""))
	used := map[string]bool{}
	unique := func(s string) bool {
		if used[s] {
			return false
		}
		used[s] = true
		return true
	}
	roleOK := func(s string) bool {
		r := s + db.RoleName("")
		return !strings.HasPrefix(r, "pg_") && unique(r)
	}
	c := hostileCase{columns: map[string][2]string{}}
	c.r1 = n.next(63-suffixLen, roleOK) + db.RoleName("")
	c.r2 = n.next(63-suffixLen, roleOK) + db.RoleName("")
	c.owner = db.RoleName("howner")
	notPublic := func(s string) bool { return !strings.HasPrefix(s, "pg_") && s != "public" && unique("schema "+s) }
	for i := range 2 {
		c.schemas[i] = n.next(63, notPublic)
		for range 3 {
			t := n.next(63, func(s string) bool { return unique(c.schemas[i] + "\x00table " + s) })
			c.tables[i] = append(c.tables[i], t)
			col1 := n.next(63, func(s string) bool { return !systemColumn(s) && unique(c.schemas[i]+"\x00"+t+"\x00col "+s) })
			col2 := n.next(63, func(s string) bool { return !systemColumn(s) && unique(c.schemas[i]+"\x00"+t+"\x00col "+s) })
			c.columns[c.schemas[i]+"\x00"+t] = [2]string{col1, col2}
		}
		c.funcs[i] = n.next(63, func(s string) bool { return unique(c.schemas[i] + "\x00func " + s) })
	}
	return c
}

func systemColumn(s string) bool {
	switch s {
	case "tableoid", "cmax", "xmax", "cmin", "xmin", "ctid", "oid":
		return true
	}
	return false
}

// q quotes with pgx's own quoting, not pgward's: the test's DDL and
// statements do not depend on the code under test.
func q(names ...string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(parts, ".")
}

// exact reports whether a name can stand as itself in a rule's names: it
// holds no wildcard (patterns have no escape for * and ?), and for a
// function signature no parenthesis or comma and no white space at either
// end (the signature parser trims the name: a function named "f " cannot be
// named by "f (integer)").
func exact(name string, function bool) bool {
	if strings.ContainsAny(name, "*?") {
		return false
	}
	if !function {
		return true
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	return !strings.ContainsAny(name, "(),") && !unicode.IsSpace(first) && !unicode.IsSpace(last)
}

// ddl creates the case's roles and objects, then the strays: privileges the
// policy does not ask for, which the apply must revoke.
func (c hostileCase) create(t *testing.T, db *pgtest.DB) {
	t.Helper()
	db.CreateRole(t, c.owner, "NOLOGIN")
	db.CreateRole(t, c.r1, "NOLOGIN")
	db.CreateRole(t, c.r2, "NOLOGIN")
	var b strings.Builder
	for i, s := range c.schemas {
		fmt.Fprintf(&b, "CREATE SCHEMA %s AUTHORIZATION %s;\n", q(s), q(c.owner))
		for _, tb := range c.tables[i] {
			cols := c.columns[s+"\x00"+tb]
			fmt.Fprintf(&b, "CREATE TABLE %s (%s integer, %s text);\nALTER TABLE %s OWNER TO %s;\n", q(s, tb), q(cols[0]), q(cols[1]), q(s, tb), q(c.owner))
		}
		fmt.Fprintf(&b, "CREATE FUNCTION %s(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';\nALTER FUNCTION %s(integer) OWNER TO %s;\n", q(s, c.funcs[i]), q(s, c.funcs[i]), q(c.owner))
	}
	s1, s2 := c.schemas[0], c.schemas[1]
	fmt.Fprintf(&b, "GRANT TRUNCATE, REFERENCES ON ALL TABLES IN SCHEMA %s TO %s;\n", q(s1), q(c.r2))
	for _, tb := range c.tables[1] {
		fmt.Fprintf(&b, "GRANT UPDATE (%s) ON %s TO %s;\n", q(c.columns[s2+"\x00"+tb][1]), q(s2, tb), q(c.r1))
	}
	fmt.Fprintf(&b, "GRANT CREATE ON SCHEMA %s TO %s;\n", q(s1), q(c.r2))
	fmt.Fprintf(&b, "GRANT EXECUTE ON FUNCTION %s(integer) TO %s;\n", q(s2, c.funcs[1]), q(c.r1))
	fmt.Fprintf(&b, "ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA %s GRANT INSERT ON TABLES TO %s;\n", q(c.owner), q(s1), q(c.r2))
	db.Exec(t, b.String())
}

// policy writes the case's policy in HCL with hclwrite, which escapes
// quotes, backslashes, control characters and the template introducers
// "${" and "%{" in strings and block labels.
func (c hostileCase) policy() string {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	list := func(ss ...string) cty.Value {
		vs := make([]cty.Value, len(ss))
		for i, s := range ss {
			vs[i] = cty.StringVal(s)
		}
		return cty.ListVal(vs)
	}
	s1, s2 := c.schemas[0], c.schemas[1]
	body.AppendNewBlock("scope", nil).Body().SetAttributeValue("schemas", list(s1, s2))

	r1 := body.AppendNewBlock("role", []string{c.r1}).Body()
	r1.AppendNewBlock("member_of", []string{c.r2})
	g := r1.AppendNewBlock("grant", []string{"schema"}).Body()
	g.SetAttributeValue("names", list(s1, s2))
	g.SetAttributeValue("privileges", list("USAGE"))
	g = r1.AppendNewBlock("grant", []string{"table"}).Body()
	g.SetAttributeValue("schema", cty.StringVal(s1))
	g.SetAttributeValue("privileges", list("SELECT"))
	if t, ok := c.exactTable(1); ok {
		g = r1.AppendNewBlock("grant", []string{"table"}).Body()
		g.SetAttributeValue("schema", cty.StringVal(s2))
		g.SetAttributeValue("names", list(t))
		g.SetAttributeValue("privileges", list("INSERT"))
	}
	if t, col, ok := c.columnRule(); ok {
		g = r1.AppendNewBlock("grant", []string{"table"}).Body()
		g.SetAttributeValue("schema", cty.StringVal(s1))
		g.SetAttributeValue("names", list(t))
		g.SetAttributeValue("columns", list(col))
		g.SetAttributeValue("privileges", list("UPDATE"))
	}
	g = r1.AppendNewBlock("grant", []string{"function"}).Body()
	g.SetAttributeValue("schema", cty.StringVal(s1))
	g.SetAttributeValue("privileges", list("EXECUTE"))
	d := r1.AppendNewBlock("default_privileges", []string{"table"}).Body()
	d.SetAttributeValue("for_role", cty.StringVal(c.owner))
	d.SetAttributeValue("schema", cty.StringVal(s2))
	d.SetAttributeValue("privileges", list("SELECT"))

	r2 := body.AppendNewBlock("role", []string{c.r2}).Body()
	g = r2.AppendNewBlock("grant", []string{"table"}).Body()
	g.SetAttributeValue("schema", cty.StringVal(s2))
	g.SetAttributeValue("privileges", list("SELECT", "DELETE"))
	if exact(c.funcs[1], true) {
		g = r2.AppendNewBlock("grant", []string{"function"}).Body()
		g.SetAttributeValue("schema", cty.StringVal(s2))
		g.SetAttributeValue("names", list(c.funcs[1]+"(integer)"))
		g.SetAttributeValue("privileges", list("EXECUTE"))
	}
	return string(f.Bytes())
}

// exactTable is the first table of schema i that a names rule can name.
func (c hostileCase) exactTable(i int) (string, bool) {
	for _, t := range c.tables[i] {
		if exact(t, false) {
			return t, true
		}
	}
	return "", false
}

// columnRule is the first table of the first schema and column of it that
// a rule with columns can name: policy columns are exact names and refuse
// the wildcard characters * and ? outright.
func (c hostileCase) columnRule() (table, column string, ok bool) {
	s1 := c.schemas[0]
	for _, t := range c.tables[0] {
		if !exact(t, false) {
			continue
		}
		for _, col := range c.columns[s1+"\x00"+t] {
			if exact(col, false) {
				return t, col, true
			}
		}
	}
	return "", "", false
}

// aclFact is one privilege of r1 or r2 as PostgreSQL stores it.
type aclFact struct {
	kind, schema, object, column, grantee, privilege string
}

func (a aclFact) String() string {
	return fmt.Sprintf("%s %q.%q col %q: %q %s", a.kind, a.schema, a.object, a.column, a.grantee, a.privilege)
}

// want is what the policy asks for, computed by the test from the names.
func (c hostileCase) want() []aclFact {
	s1, s2 := c.schemas[0], c.schemas[1]
	var w []aclFact
	w = append(w, aclFact{"schema", "", s1, "", c.r1, "USAGE"}, aclFact{"schema", "", s2, "", c.r1, "USAGE"})
	for _, t := range c.tables[0] {
		w = append(w, aclFact{"table", s1, t, "", c.r1, "SELECT"})
	}
	if t, ok := c.exactTable(1); ok {
		w = append(w, aclFact{"table", s2, t, "", c.r1, "INSERT"})
	}
	if t, col, ok := c.columnRule(); ok {
		w = append(w, aclFact{"column", s1, t, col, c.r1, "UPDATE"})
	}
	w = append(w, aclFact{"function", s1, c.funcs[0], "", c.r1, "EXECUTE"})
	w = append(w, aclFact{"default", s2, "r", "", c.r1, "SELECT"})
	for _, t := range c.tables[1] {
		w = append(w, aclFact{"table", s2, t, "", c.r2, "SELECT"}, aclFact{"table", s2, t, "", c.r2, "DELETE"})
	}
	if exact(c.funcs[1], true) {
		w = append(w, aclFact{"function", s2, c.funcs[1], "", c.r2, "EXECUTE"})
	}
	w = append(w, aclFact{"membership", "", c.r2, "", c.r1, "MEMBER"})
	return sortFacts(w)
}

func sortFacts(fs []aclFact) []aclFact {
	slices.SortFunc(fs, func(a, b aclFact) int { return strings.Compare(a.String(), b.String()) })
	return fs
}

// sqlGranted reads every privilege of the roles $1 in the schemas $2, by
// raw catalog names: the oracle is PostgreSQL's ACLs.
const sqlGranted = `
WITH r AS (SELECT oid, rolname FROM pg_roles WHERE rolname = ANY($1)),
nsp AS (SELECT oid, nspname, nspacl FROM pg_namespace WHERE nspname = ANY($2)),
objects AS (
  SELECT 'schema' AS kind, '' AS schema, nspname AS object, '' AS col, nspacl AS acl FROM nsp
  UNION ALL
  SELECT 'table', n.nspname, c.relname, '', c.relacl FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
  UNION ALL
  SELECT 'column', n.nspname, c.relname, a.attname, a.attacl
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN nsp n ON n.oid = c.relnamespace
    WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'function', n.nspname, p.proname, '', p.proacl FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
  UNION ALL
  SELECT 'default', coalesce(n.nspname, ''), d.defaclobjtype::text, '', d.defaclacl
    FROM pg_default_acl d LEFT JOIN nsp n ON n.oid = d.defaclnamespace
)
SELECT o.kind, o.schema, o.object, o.col, r.rolname, e.privilege_type || CASE WHEN e.is_grantable THEN '*' ELSE '' END
FROM objects o CROSS JOIN LATERAL aclexplode(o.acl) e JOIN r ON r.oid = e.grantee
UNION ALL
SELECT 'membership', '', g.rolname, '', m.rolname, 'MEMBER'
FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid
WHERE m.rolname = ANY($1) OR g.rolname = ANY($1)`

func granted(t *testing.T, conn *pgx.Conn, roles, schemas []string) []aclFact {
	t.Helper()
	rows, err := conn.Query(context.Background(), sqlGranted, roles, schemas)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (aclFact, error) {
		var a aclFact
		return a, r.Scan(&a.kind, &a.schema, &a.object, &a.column, &a.grantee, &a.privilege)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sortFacts(facts)
}

// The shape of a generated statement: what is outside double quotes.
var (
	generatedStart = regexp.MustCompile(`^(GRANT|REVOKE|ALTER DEFAULT PRIVILEGES|ALTER ROLE|SET ROLE|RESET ROLE)\b`)
	unquotedText   = regexp.MustCompile(`^[A-Za-z0-9_ ,.()\[\]]*$`)
)

// checkShape splits a generated statement into its quoted identifiers and
// the text around them, and says what is wrong with it, or "". Outside the
// quotes only keywords, type names, spaces, commas, dots, parentheses and
// brackets may appear (no ;, ', $, -, / or \ to end, comment or smuggle
// anything), and every identifier must be one of names.
func checkShape(sql string, names map[string]bool) string {
	if !generatedStart.MatchString(sql) {
		return "not a GRANT, REVOKE, ALTER DEFAULT PRIVILEGES, ALTER ROLE, SET ROLE or RESET ROLE"
	}
	var outside strings.Builder
	for i := 0; i < len(sql); {
		if sql[i] != '"' {
			outside.WriteByte(sql[i])
			i++
			continue
		}
		var id strings.Builder
		j := i + 1
		for {
			if j >= len(sql) {
				return "an identifier is not closed"
			}
			if sql[j] == '"' {
				if j+1 < len(sql) && sql[j+1] == '"' {
					id.WriteByte('"')
					j += 2
					continue
				}
				break
			}
			id.WriteByte(sql[j])
			j++
		}
		if !names[id.String()] {
			return fmt.Sprintf("identifier %q is none of the case's names", id.String())
		}
		outside.WriteString(" ID ")
		i = j + 1
	}
	if !unquotedText.MatchString(outside.String()) {
		return fmt.Sprintf("unexpected characters outside identifiers: %q", outside.String())
	}
	return ""
}

// allowedTags are the CommandComplete tags of an apply: what the server
// says it executed.
var allowedTags = regexp.MustCompile(`^(BEGIN|COMMIT|ROLLBACK|SET|RESET|SELECT \d+|GRANT|REVOKE|GRANT ROLE|REVOKE ROLE|ALTER DEFAULT PRIVILEGES|ALTER ROLE)$`)

// TestHostileNames applies, per case, a policy over hostile names to a
// database of its own: the fixed names first, then $PGWARD_HOSTILE_CASES
// random cases (default 3) from the logged seed.
func TestHostileNames(t *testing.T) {
	cases := envInt(t, envHostileCases, 3)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x6057))

	// The statements of an apply that are not generated from names (the
	// transaction, settings, lock and catalog reads), from a run with
	// plain names: a hostile run may send nothing else, byte for byte, so
	// no name ever enters them.
	reads := plainReads(t)

	// The fixed names first, as many cases as they fill (a case takes 24
	// names), then random cases.
	var uses [][]string
	for f := fixedNames(); len(f) > 0; {
		n := min(len(f), 24)
		uses, f = append(uses, f[:n]), f[n:]
	}
	for range cases {
		uses = append(uses, nil)
	}
	for i, use := range uses {
		t.Run(fmt.Sprintf("case%d", i), func(t *testing.T) {
			db := pgtest.NewDB(t)
			c := newHostileCase(db, rng, use)
			c.create(t, db)
			src := c.policy()
			pol := loadHCL(t, src)
			if want := []string{c.schemas[0], c.schemas[1]}; !slices.Equal(pol.Schemas, want) {
				t.Fatalf("the policy's schemas read back as %q, want %q\n%s", pol.Schemas, want, src)
			}
			cfg, err := connstr.ParseConfig(db.URL)
			if err != nil {
				t.Fatal(err)
			}
			var w wire
			w.install(cfg)
			res, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}})
			if err != nil {
				t.Fatalf("apply: %v\npolicy:\n%s", err, src)
			}

			conn := db.Conn(t)
			got := granted(t, conn, []string{c.r1, c.r2}, c.schemas[:])
			if want := c.want(); !slices.Equal(got, want) {
				t.Errorf("PostgreSQL's ACLs after apply differ from the policy:\n got: %q\nwant: %q\npolicy:\n%s", got, want, src)
			}

			names := map[string]bool{c.r1: true, c.r2: true, c.owner: true}
			for i, s := range c.schemas {
				names[s] = true
				for _, tb := range c.tables[i] {
					names[tb] = true
					for _, col := range c.columns[s+"\x00"+tb] {
						names[col] = true
					}
				}
				names[c.funcs[i]] = true
			}
			generated := 0
			for _, sql := range w.statements() {
				if reads[sql] {
					continue
				}
				generated++
				if why := checkShape(sql, names); why != "" {
					t.Errorf("statement %q: %s", sql, why)
				}
			}
			if generated == 0 || generated < len(res.Plan.Statements) {
				t.Errorf("saw %d generated statements for a plan of %d", generated, len(res.Plan.Statements))
			}
			for _, tag := range w.tags() {
				if !allowedTags.MatchString(tag) {
					t.Errorf("the server executed %q", tag)
				}
			}
			if p := planThrough(t, cfg, pol); !p.Empty() {
				t.Errorf("plan after apply: %d changes, want none", len(p.Changes))
			}
		})
	}
}

// plainReads applies a policy with plain names and returns the statements
// it sent that are not generated ones.
func plainReads(t *testing.T) map[string]bool {
	t.Helper()
	_, cfg, pol, _ := setup(t)
	var w wire
	cfg = cfg.Copy()
	w.install(cfg)
	if _, err := Run(context.Background(), cfg, pol, Options{Scope: introspect.Scope{Schemas: pol.Schemas}}); err != nil {
		t.Fatal(err)
	}
	reads := map[string]bool{}
	for _, sql := range w.statements() {
		if !generatedStart.MatchString(sql) {
			reads[sql] = true
		}
	}
	if len(reads) < 4 {
		t.Fatalf("only %d non-generated statements in a plain run: %q", len(reads), w.statements())
	}
	return reads
}
