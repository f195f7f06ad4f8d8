package effectivetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is the roles of one test database, by short name.
type world struct {
	db    *pgtest.DB
	roles map[string]string // short name → role name
	order []string          // short names in creation order
}

func (w *world) create(t *testing.T, short, options string) {
	t.Helper()
	name := w.db.RoleName(short)
	w.db.CreateRole(t, name, options)
	w.roles[short] = name
	w.order = append(w.order, short)
}

// sql replaces {short} with the quoted role name.
func (w *world) sql(s string) string {
	for short, name := range w.roles {
		s = strings.ReplaceAll(s, "{"+short+"}", pgx.Identifier{name}.Sanitize())
	}
	return strings.ReplaceAll(s, "{db}", pgx.Identifier{w.db.Name}.Sanitize())
}

// TestEffective_matchesPostgres builds a database with every source of
// access the model knows and compares access.Effective with has_*_privilege
// for every role, object and privilege, and the membership helpers with
// pg_has_role. PostgreSQL is the oracle: any difference fails.
func TestEffective_matchesPostgres(t *testing.T) {
	db := pgtest.NewDB(t)
	v := db.Server.Version()
	w := &world{db: db, roles: map[string]string{}}

	w.create(t, "owner", "LOGIN")
	w.create(t, "ownmem", "")         // INHERIT member of the owner
	w.create(t, "readers", "")        // holds grants
	w.create(t, "mid", "")            // INHERIT member of readers
	w.create(t, "nested", "")         // member of mid: readers through two hops
	w.create(t, "noinh", "NOINHERIT") // member of readers, inherits nothing
	w.create(t, "midnoinh", "NOINHERIT")
	w.create(t, "vianoinh", "") // member of midnoinh: its grants, not readers'
	w.create(t, "colr", "")     // column grants
	w.create(t, "grantor", "LOGIN")
	w.create(t, "other", "") // granted by grantor, not by the owner
	w.create(t, "su", "SUPERUSER")
	w.create(t, "ofsu", "") // member of a superuser: not a superuser
	w.create(t, "nothing", "")
	setup := []string{
		`ALTER DATABASE {db} OWNER TO {owner}`,
		`GRANT {readers} TO {mid}`, `GRANT {mid} TO {nested}`, `GRANT {readers} TO {noinh}`,
		`GRANT {readers} TO {midnoinh}`, `GRANT {midnoinh} TO {vianoinh}`,
		`GRANT {owner} TO {ownmem}`, `GRANT {su} TO {ofsu}`,
		`CREATE SCHEMA s AUTHORIZATION {owner}`,
		`CREATE FOREIGN DATA WRAPPER w`, `CREATE SERVER srv FOREIGN DATA WRAPPER w`,
		`GRANT USAGE ON FOREIGN DATA WRAPPER w TO {mid}`, `GRANT USAGE ON FOREIGN SERVER srv TO {readers}`,
		`GRANT USAGE ON LANGUAGE sql TO {mid}`,
		`SELECT lo_create(4242)`, `ALTER LARGE OBJECT 4242 OWNER TO {owner}`,
	}
	if v >= 140000 {
		w.create(t, "ops", "")
		w.create(t, "opsnoinh", "NOINHERIT")
		w.create(t, "writer", "")
		w.create(t, "viaops", "") // pg_read_all_data through ops
		setup = append(setup, `GRANT pg_read_all_data TO {ops}`, `GRANT pg_read_all_data TO {opsnoinh}`,
			`GRANT pg_write_all_data TO {writer}`, `GRANT {ops} TO {viaops}`)
	}
	if v >= 150000 {
		setup = append(setup, `GRANT SET ON PARAMETER work_mem TO {mid}`, `GRANT ALTER SYSTEM ON PARAMETER work_mem TO {noinh}`)
	}
	if v >= 160000 {
		w.create(t, "inhfalse", "")
		w.create(t, "noinh16", "NOINHERIT")
		w.create(t, "setfalse", "") // may neither inherit nor SET ROLE: reaches nothing of readers
		setup = append(setup, `GRANT {readers} TO {inhfalse} WITH INHERIT FALSE`, `GRANT {readers} TO {noinh16} WITH INHERIT TRUE`,
			`GRANT {readers} TO {setfalse} WITH INHERIT FALSE, SET FALSE`)
	}
	if v >= 170000 {
		w.create(t, "maint", "")
		setup = append(setup, `GRANT pg_maintain TO {maint}`)
	}
	for _, s := range setup {
		db.Exec(t, w.sql(s))
	}
	asOwner := []string{
		`CREATE TABLE s.a (c1 int, c2 text, c3 int)`,
		`CREATE TABLE s.b (x int)`,
		`CREATE TABLE s.pub (x int)`,
		`CREATE TABLE s.c (x int)`,
		`CREATE SEQUENCE s.seq`,
		`CREATE TABLE s.ser (id serial, v text)`,
		`CREATE VIEW s.v AS SELECT c1 FROM s.a`,
		`CREATE MATERIALIZED VIEW s.mv AS SELECT 1 AS one`,
		`CREATE TABLE s.p (k int) PARTITION BY RANGE (k)`,
		`CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM (0) TO (10)`,
		`CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
		`CREATE FUNCTION s.g(x integer, y text) RETURNS int LANGUAGE sql AS 'SELECT 1'`,
		`CREATE PROCEDURE s.pr() LANGUAGE sql AS 'SELECT 1'`,
		`CREATE TYPE s.mood AS ENUM ('a', 'b')`,
		`CREATE DOMAIN s.dom AS int`,
		`CREATE TYPE s.comp AS (a int)`,
		`CREATE TYPE s.rng AS RANGE (subtype = int4)`,
		`CREATE TABLE public.pt (x int)`,
		`GRANT USAGE ON SCHEMA s TO {readers}, {grantor}`,
		`GRANT SELECT ON s.a TO {readers}`,
		`GRANT INSERT ON s.a TO {midnoinh}`,
		`GRANT SELECT (c1), UPDATE (c2) ON s.a TO {colr}`,
		`GRANT INSERT (c3) ON s.a TO PUBLIC`,
		`GRANT REFERENCES (c1) ON s.a TO {readers}`,
		`GRANT SELECT (x) ON s.b TO {nested}`,
		`GRANT SELECT ON s.pub TO PUBLIC`,
		`REVOKE ALL ON s.b FROM {owner}`,
		`GRANT SELECT ON s.v TO {mid}`,
		`GRANT SELECT ON s.p TO {nested}`,
		`GRANT SELECT, UPDATE ON s.c TO {grantor} WITH GRANT OPTION`,
		`GRANT USAGE ON SEQUENCE s.seq TO {colr}`,
		`GRANT UPDATE ON SEQUENCE s.seq TO {readers}`,
		`REVOKE EXECUTE ON FUNCTION s.g(integer, text) FROM PUBLIC`,
		`GRANT EXECUTE ON FUNCTION s.g(integer, text) TO {readers}`,
		`REVOKE EXECUTE ON PROCEDURE s.pr() FROM PUBLIC`,
		`REVOKE USAGE ON DOMAIN s.dom FROM PUBLIC`,
		`GRANT USAGE ON DOMAIN s.dom TO {mid}`,
		`GRANT USAGE ON TYPE s.mood TO {noinh}`,
		`REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC`,
		`GRANT CREATE ON DATABASE {db} TO {mid}`,
		`GRANT SELECT ON LARGE OBJECT 4242 TO {readers}`,
	}
	db.ExecAs(t, w.roles["owner"], w.sql(strings.Join(asOwner, ";\n")))
	db.ExecAs(t, w.roles["grantor"], w.sql(`GRANT SELECT ON s.c TO {other}; GRANT UPDATE ON s.c TO PUBLIC`))
	db.Exec(t, w.sql(`CREATE FOREIGN TABLE s.ft (x int) SERVER srv; ALTER FOREIGN TABLE s.ft OWNER TO {owner}; GRANT SELECT ON s.ft TO {colr}`))

	subjects := []string{db.Server.Superuser(), ""}
	for _, short := range w.order {
		subjects = append(subjects, w.roles[short])
	}
	// NOINHERIT members (and, on 16+, members WITH INHERIT FALSE) reach
	// readers' grants by SET ROLE, a member of a superuser everything.
	if compare(t, db, subjects) == 0 {
		t.Error("no privilege is reached by SET ROLE alone: the test covers nothing of Reach's own")
	}
}

// TestEffective_noinheritDatabaseOwner: the database owner's implicit
// membership in pg_database_owner follows its NOINHERIT attribute on 14
// and 15; on 16+ it always carries the privileges.
func TestEffective_noinheritDatabaseOwner(t *testing.T) {
	db := pgtest.NewDB(t)
	if db.Server.Version() < 140000 {
		t.Skip("pg_database_owner exists from PostgreSQL 14")
	}
	w := &world{db: db, roles: map[string]string{}}
	w.create(t, "dbo", "NOINHERIT")
	w.create(t, "dbomem", "") // INHERIT member of the NOINHERIT owner
	db.Exec(t, w.sql(`ALTER DATABASE {db} OWNER TO {dbo}; GRANT {dbo} TO {dbomem}; CREATE TABLE public.t (x int); GRANT SELECT ON public.t TO pg_database_owner`))
	compare(t, db, []string{w.roles["dbo"], w.roles["dbomem"], "", db.Server.Superuser()})
}

// check is one question: may role use priv on obj?
type check struct {
	role string
	obj  *catalog.Object
	priv acl.Priv
}

// oracle is the has_*_privilege call per kind; r, s, n, x, p are the role
// ('public' for PUBLIC), schema, name, extra (column or argument types) and
// privilege keyword.
var oracle = map[acl.Kind]string{
	acl.KindDatabase:    `has_database_privilege(r, n, p)`,
	acl.KindSchema:      `has_schema_privilege(r, n, p)`,
	acl.KindTable:       `has_table_privilege(r, format('%I.%I', s, n)::regclass, p)`,
	acl.KindColumn:      `has_column_privilege(r, format('%I.%I', s, n)::regclass, x, p)`,
	acl.KindSequence:    `has_sequence_privilege(r, format('%I.%I', s, n)::regclass, p)`,
	acl.KindFunction:    `has_function_privilege(r, format('%I.%I(%s)', s, n, x)::regprocedure, p)`,
	acl.KindType:        `has_type_privilege(r, format('%I.%I', s, n)::regtype, p)`,
	acl.KindLanguage:    `has_language_privilege(r, n, p)`,
	acl.KindFDW:         `has_foreign_data_wrapper_privilege(r, n, p)`,
	acl.KindServer:      `has_server_privilege(r, n, p)`,
	acl.KindTablespace:  `has_tablespace_privilege(r, n, p)`,
	acl.KindParameter:   `has_parameter_privilege(r, n, p)`,        // 15+; absent before
	acl.KindLargeObject: `has_largeobject_privilege(r, n::oid, p)`, // 18+
}

// compare reads the database and checks every (subject, object,
// privilege) and every (subject, role) membership against PostgreSQL. It
// returns how many privileges a subject reaches by SET ROLE alone.
func compare(t *testing.T, db *pgtest.DB, subjects []string) (bySetRole int) {
	t.Helper()
	ctx := context.Background()
	conn := db.Conn(t)
	v := db.Server.Version()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	cat, err := introspect.Read(ctx, tx, introspect.Scope{})
	if err != nil {
		t.Fatalf("introspect.Read: %v", err)
	}
	objects := append([]*catalog.Object(nil), cat.Objects...)
	objects = append(objects, columnsWithoutGrants(t, tx, cat)...)
	for _, r := range []string{"pg_read_all_data", "pg_write_all_data", "pg_maintain", "pg_database_owner"} {
		if cat.Role(r) != nil {
			subjects = append(subjects, r)
		}
	}

	e := access.NewEffectiveAccess(cat)
	byKind := map[acl.Kind][]check{}
	kinds := map[acl.Kind]int{}
	for _, o := range objects {
		if o.Kind == acl.KindLargeObject && v < 180000 {
			continue // no has_largeobject_privilege before 18
		}
		kinds[o.Kind]++
		acl.Valid(o.Kind, v).Each(func(p acl.Priv) {
			for _, r := range subjects {
				byKind[o.Kind] = append(byKind[o.Kind], check{r, o, p})
			}
		})
	}
	total, agree, granted := 0, 0, 0
	for _, k := range acl.Kinds() {
		checks := byKind[k]
		if len(checks) == 0 {
			continue
		}
		want := ask(t, tx, k, checks, false, v)
		wantReach := ask(t, tx, k, checks, true, v)
		for i, c := range checks {
			total++
			got, paths := e.Of(c.role, c.obj)
			reached, reachPaths := e.Reach(c.role, c.obj)
			if want[i] {
				granted++
			}
			if wantReach[i] && !want[i] {
				bySetRole++
			}
			who := c.role
			if who == "" {
				who = "PUBLIC"
			}
			if reached.Has(c.priv) != wantReach[i] {
				t.Errorf("%s: %s on %s %s: PostgreSQL says a session reaches it (SET ROLE included): %t, Reach says %t (paths: %s)",
					who, c.priv, c.obj.Kind, c.obj.Object, wantReach[i], !wantReach[i], pathList(reachPaths))
			}
			if got.Has(c.priv) == want[i] {
				agree++
				continue
			}
			t.Errorf("%s: %s on %s %s: PostgreSQL says %t, Effective says %t (paths: %s)",
				who, c.priv, c.obj.Kind, c.obj.Object, want[i], !want[i], pathList(paths))
		}
	}
	var summary []string
	for _, k := range acl.Kinds() {
		if n := kinds[k]; n > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", n, k))
		}
	}
	t.Logf("PostgreSQL %d: %d of %d has_*_privilege answers agree, %d of them true, %d more reached only by SET ROLE (%d roles incl. PUBLIC; objects: %s)",
		v, agree, total, granted, bySetRole, len(subjects), strings.Join(summary, ", "))

	// pg_has_role: MEMBER is IsMemberOf, USAGE is HasPrivilegesOf.
	others := append([]string(nil), subjects...)
	sort.Strings(others)
	var rs, obs, ms []string
	for _, r := range subjects {
		for _, o := range others {
			if r == "" || o == "" {
				continue
			}
			for _, m := range []string{"MEMBER", "USAGE"} {
				rs, obs, ms = append(rs, r), append(obs, o), append(ms, m)
			}
		}
	}
	rows, err := tx.Query(ctx, `SELECT pg_has_role(r, o, m) FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(r, o, m, i) ORDER BY i`, rs, obs, ms)
	if err != nil {
		t.Fatal(err)
	}
	answers, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, want := range answers {
		got := e.HasPrivilegesOf(rs[i], obs[i])
		if ms[i] == "MEMBER" {
			got = e.IsMemberOf(rs[i], obs[i])
		}
		if got != want {
			bad++
			t.Errorf("pg_has_role(%s, %s, %s) = %t, model says %t", rs[i], obs[i], ms[i], want, got)
		}
	}
	t.Logf("PostgreSQL %d: %d of %d pg_has_role answers agree", v, len(answers)-bad, len(answers))
	return bySetRole
}

// ask runs the oracle of one kind for every check, in one query. With
// reach, the question is what a session of the role can use: the role
// itself or any role it may SET ROLE to has the privilege
// (pg_has_role(role, other, 'SET') on 16+, 'MEMBER' before).
func ask(t *testing.T, tx pgx.Tx, k acl.Kind, checks []check, reach bool, version int) []bool {
	t.Helper()
	expr, ok := oracle[k]
	if !ok {
		t.Fatalf("no oracle for %s", k)
	}
	if reach {
		mode := "SET"
		if version < 160000 {
			mode = "MEMBER"
		}
		expr = `EXISTS (SELECT 1 FROM (SELECT q.r UNION SELECT o.rolname::text FROM pg_catalog.pg_roles o
		         WHERE q.r <> 'public' AND pg_has_role(q.r, o.oid, '` + mode + `')) AS a(r)
		       WHERE ` + expr + `)`
	}
	var r, s, n, x, p []string
	for _, c := range checks {
		role := c.role
		if role == "" {
			role = "public"
		}
		extra := c.obj.Column
		if k == acl.KindFunction {
			extra = c.obj.ArgTypes
		}
		r, s, n, x, p = append(r, role), append(s, c.obj.Schema), append(n, c.obj.Name), append(x, extra), append(p, c.priv.String())
	}
	q := `SELECT ` + expr + ` FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS q(r, s, n, x, p, i) ORDER BY i`
	rows, err := tx.Query(context.Background(), q, r, s, n, x, p)
	if err != nil {
		t.Fatalf("oracle for %s: %v", k, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		t.Fatalf("oracle for %s: %v", k, err)
	}
	if len(out) != len(checks) {
		t.Fatalf("oracle for %s: %d answers for %d questions", k, len(out), len(checks))
	}
	return out
}

func pathList(paths []access.Path) string {
	var ps []string
	for _, p := range paths {
		ps = append(ps, p.String())
	}
	return strings.Join(ps, "; ")
}

// columnsWithoutGrants lists the columns introspect does not read (their
// attacl is NULL) of every table-kind relation in the catalog, as objects
// with no ACL: has_column_privilege still answers for them, from the
// table-level privileges.
func columnsWithoutGrants(t *testing.T, tx pgx.Tx, cat *catalog.Catalog) []*catalog.Object {
	t.Helper()
	rows, err := tx.Query(context.Background(), `
SELECT n.nspname::text, c.relname::text, a.attname::text, c.relkind::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tables := map[string]bool{}
	for _, o := range cat.Objects {
		if o.Kind == acl.KindTable {
			tables[o.Key()] = true
		}
	}
	var out []*catalog.Object
	for rows.Next() {
		var schema, table, column, relkind string
		if err := rows.Scan(&schema, &table, &column, &relkind); err != nil {
			t.Fatal(err)
		}
		o := &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: schema, Name: table, Column: column, Subkind: relkind[0]}}
		if tables[o.Table().Key()] {
			out = append(out, o)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
