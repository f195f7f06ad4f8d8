package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// read runs introspect.Read the way plan does: inside a REPEATABLE READ,
// READ ONLY transaction.
func read(t *testing.T, connURL string, scope introspect.Scope) *introspect.Catalog {
	t.Helper()
	return readWith(t, connURL, scope, nil)
}

// readWith is read with a wrapper around the transaction, for counting.
func readWith(t *testing.T, connURL string, scope introspect.Scope, wrap func(introspect.Querier) introspect.Querier) *introspect.Catalog {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer tx.Rollback(context.Background())
	var q introspect.Querier = tx
	if wrap != nil {
		q = wrap(q)
	}
	c, err := introspect.Read(ctx, q, scope)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c
}

// queryBool runs a query returning one boolean, as the superuser.
func queryBool(t *testing.T, connURL, sql string, args ...any) bool {
	t.Helper()
	return queryOne[bool](t, connURL, sql, args...)
}

// queryString runs a query returning one text value, as the superuser.
func queryString(t *testing.T, connURL, sql string, args ...any) string {
	t.Helper()
	return queryOne[string](t, connURL, sql, args...)
}

func queryOne[T any](t *testing.T, connURL, sql string, args ...any) T {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var v T
	if err := conn.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// clusterGrant runs grant as the superuser and revoke in t.Cleanup, before
// the roles are dropped: tablespaces and parameters belong to the cluster,
// so dropping the test database does not undo grants on them.
func clusterGrant(t *testing.T, db *pgtest.DB, grant, revoke string) {
	t.Helper()
	db.Exec(t, grant)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := db.Server.SuperuserConn(ctx, "")
		if err != nil {
			t.Errorf("undo %s: %v", grant, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, revoke); err != nil {
			t.Errorf("%s: %v", revoke, err)
		}
	})
}

// find returns the object, or fails the test.
func find(t *testing.T, c *introspect.Catalog, kind acl.Kind, schema, name, args string) *catalog.Object {
	t.Helper()
	if o := lookup(c, kind, schema, name, args); o != nil {
		return o
	}
	t.Fatalf("%s %s.%s(%s) not in catalog; have:\n%s", kind, schema, name, args, dump(c))
	return nil
}

func lookup(c *introspect.Catalog, kind acl.Kind, schema, name, args string) *catalog.Object {
	for _, o := range c.Objects {
		if o.Kind == kind && o.Schema == schema && o.Name == name && o.Args == args && o.Column == "" {
			return o
		}
	}
	return nil
}

// findColumn returns the column object, or fails the test.
func findColumn(t *testing.T, c *introspect.Catalog, schema, table, column string) *catalog.Object {
	t.Helper()
	if o := lookupColumn(c, schema, table, column); o != nil {
		return o
	}
	t.Fatalf("column %s.%s.%s not in catalog; have:\n%s", schema, table, column, dump(c))
	return nil
}

func lookupColumn(c *introspect.Catalog, schema, table, column string) *catalog.Object {
	for _, o := range c.Objects {
		if o.Kind == acl.KindColumn && o.Schema == schema && o.Name == table && o.Column == column {
			return o
		}
	}
	return nil
}

// absent fails when any object of the schema has the name.
func absent(t *testing.T, c *introspect.Catalog, schema, name string) {
	t.Helper()
	for _, o := range c.Objects {
		if o.Schema == schema && o.Name == name {
			t.Errorf("%s %s should not be in the catalog", o.Kind, o.Object)
		}
	}
}

func dump(c *introspect.Catalog) string {
	var b strings.Builder
	for _, o := range c.Objects {
		fmt.Fprintf(&b, "  %s %s subkind=%q owner=%s null=%v acl=%v\n", o.Kind, o.Object, o.Subkind, o.Owner, o.NullACL, o.ACL)
	}
	return b.String()
}

// letters is the aclitem text of a privilege set ("a*rw"), written here so
// that expectations do not follow the model's print order.
func letters(p acl.Privileges) string {
	order := []struct {
		letter byte
		p      acl.Priv
	}{
		{'a', acl.Insert}, {'r', acl.Select}, {'w', acl.Update}, {'d', acl.Delete}, {'D', acl.Truncate},
		{'x', acl.References}, {'t', acl.Trigger}, {'m', acl.Maintain}, {'X', acl.Execute}, {'U', acl.Usage},
		{'C', acl.Create}, {'c', acl.Connect}, {'T', acl.Temporary}, {'s', acl.Set}, {'A', acl.AlterSystem},
	}
	var b strings.Builder
	for _, l := range order {
		if p.Privs.Has(l.p) {
			b.WriteByte(l.letter)
			if p.GrantOption.Has(l.p) {
				b.WriteByte('*')
			}
		}
	}
	return b.String()
}

// itemText renders items the way aclitem text does (grantee=privs/grantor,
// PUBLIC as an empty grantee), in their order.
func itemText(items []acl.Item) []string {
	out := []string{}
	for _, i := range items {
		out = append(out, fmt.Sprintf("%s=%s/%s", string(i.Grantee), letters(i.Privs), i.Grantor))
	}
	return out
}

func acls(items []acl.Item) string { return "{" + strings.Join(itemText(items), ",") + "}" }

// wantACL compares an ACL with items in aclitem text form, as sets (order is
// tested on its own: role name prefixes decide it).
func wantACL(t *testing.T, what string, items []acl.Item, want ...string) {
	t.Helper()
	got := itemText(items)
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ACL of %s = %v, want %v", what, got, want)
	}
}

func wantObjectACL(t *testing.T, o *catalog.Object, want ...string) {
	t.Helper()
	wantACL(t, o.Kind.String()+" "+o.Object.String(), o.ACL, want...)
}

// tablePrivs is what GRANT ALL gives on a table on the server's version.
func tablePrivs(c *introspect.Catalog) string {
	return letters(acl.Privileges{Privs: acl.Valid(acl.KindTable, c.ServerVersion)})
}

func TestRead_objects(t *testing.T) {
	db := pgtest.NewDB(t)
	alice := db.RoleName("alice")
	carol := db.RoleName("carol")
	dave := db.RoleName("dave")
	mixed := db.RoleName("Mixed Case")
	db.CreateRole(t, alice, "LOGIN")
	db.CreateRole(t, carol, "LOGIN")
	db.CreateRole(t, dave, "NOLOGIN")
	db.CreateRole(t, mixed, "NOLOGIN")
	A, C, D, M := ident.Quote(alice), ident.Quote(carol), ident.Quote(dave), ident.Quote(mixed)
	db.Exec(t, `CREATE SCHEMA app AUTHORIZATION `+A)
	db.ExecAs(t, alice, `
		CREATE TABLE app.plain (id int);
		CREATE TABLE app.empty (id int);
		CREATE TABLE app.opt (id int);
		CREATE TABLE app.chain (id int);
		CREATE TABLE app.serial_t (id serial, ident int GENERATED ALWAYS AS IDENTITY);
		CREATE SEQUENCE app.plain_seq;
		CREATE VIEW app.v AS SELECT 1 AS x;
		CREATE MATERIALIZED VIEW app.mv AS SELECT 1 AS x;
		CREATE TABLE app.parted (k int) PARTITION BY RANGE (k);
		CREATE TABLE app.part1 PARTITION OF app.parted FOR VALUES FROM (0) TO (10);
		CREATE TABLE app."Weird ""Name""" (id int);
		CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'select 1';
		CREATE FUNCTION app.f(a int, b text) RETURNS int LANGUAGE sql AS 'select 2';
		CREATE FUNCTION app.closed() RETURNS int LANGUAGE sql AS 'select 3';
		CREATE PROCEDURE app.p(int) LANGUAGE sql AS 'select 1';
		CREATE AGGREGATE app.agg(int) (sfunc = int4pl, stype = int);
		CREATE TYPE app.mood AS ENUM ('sad', 'happy');
		CREATE DOMAIN app.posint AS int CHECK (VALUE > 0);
		CREATE TYPE app.pair AS (a int, b int);
		CREATE TYPE app.span AS RANGE (subtype = int4);
		REVOKE ALL ON TABLE app.empty FROM `+A+`;
		GRANT SELECT, INSERT ON app.opt TO `+M+` WITH GRANT OPTION;
		GRANT UPDATE ON app.opt TO `+M+`;
		GRANT SELECT ON app.chain TO `+C+` WITH GRANT OPTION;
		REVOKE EXECUTE ON FUNCTION app.closed() FROM PUBLIC;
		GRANT USAGE ON SCHEMA app TO `+C+`;
	`)
	db.ExecAs(t, carol, `GRANT SELECT ON app.chain TO `+D)
	// A grant made by a superuser is recorded with the owner as grantor.
	db.Exec(t, `GRANT SELECT ON app."Weird ""Name""" TO `+M)

	c := read(t, db.URL, introspect.Scope{})

	// The objects are decoded from raw values in either wire format: the
	// simple protocol sends text, the default extended protocol binary.
	t.Run("same catalog over the simple protocol", func(t *testing.T) {
		simple := read(t, db.URL+"&default_query_exec_mode=simple_protocol", introspect.Scope{})
		if len(c.Objects) == 0 || !reflect.DeepEqual(simple, c) {
			t.Errorf("the simple protocol reads another catalog:\n%s\nthe extended protocol:\n%s", dump(simple), dump(c))
		}
	})
	all := tablePrivs(c)

	t.Run("header", func(t *testing.T) {
		if c.ServerVersion < 130000 {
			t.Errorf("ServerVersion = %d", c.ServerVersion)
		}
		if c.Database == "" || c.CurrentUser == "" {
			t.Errorf("Database = %q, CurrentUser = %q", c.Database, c.CurrentUser)
		}
		if r := c.Role(c.CurrentUser); r == nil || !r.Superuser {
			t.Errorf("current user %q should be a superuser role: %+v", c.CurrentUser, r)
		}
		if !slices.Contains(c.Schemas, "app") || slices.Contains(c.Schemas, "pg_catalog") ||
			slices.Contains(c.Schemas, "information_schema") || !slices.IsSorted(c.Schemas) {
			t.Errorf("Schemas = %v", c.Schemas)
		}
	})

	own := func(privs string) string { return alice + "=" + privs + "/" + alice }

	t.Run("null ACL expanded with acldefault", func(t *testing.T) {
		f := find(t, c, acl.KindFunction, "app", "f", "integer")
		if !f.NullACL {
			t.Errorf("function NullACL = false")
		}
		wantObjectACL(t, f, "=X/"+alice, own("X"))
		if !queryBool(t, db.URL, `SELECT has_function_privilege($1, 'app.f(int)', 'EXECUTE')`, dave) {
			t.Errorf("oracle: PUBLIC cannot execute app.f(int)")
		}

		d := find(t, c, acl.KindDatabase, "", c.Database, "")
		if !d.NullACL {
			t.Errorf("fresh database NullACL = false: %s", acls(d.ACL))
		}
		wantObjectACL(t, d, "=cT/"+d.Owner, d.Owner+"=CcT/"+d.Owner)
		if !queryBool(t, db.URL, `SELECT has_database_privilege($1, current_database(), 'CONNECT, TEMPORARY')`, dave) {
			t.Errorf("oracle: PUBLIC cannot connect")
		}

		p := find(t, c, acl.KindTable, "app", "plain", "")
		if !p.NullACL || p.Owner != alice {
			t.Errorf("plain: NullACL = %v, Owner = %q", p.NullACL, p.Owner)
		}
		wantObjectACL(t, p, own(all))
		wantObjectACL(t, find(t, c, acl.KindSchema, "", "app", ""), own("UC"), carol+"=U/"+alice)
		wantObjectACL(t, find(t, c, acl.KindType, "app", "mood", ""), "=U/"+alice, own("U"))
		wantObjectACL(t, find(t, c, acl.KindType, "app", "posint", ""), "=U/"+alice, own("U"))
	})

	t.Run("empty ACL stays empty", func(t *testing.T) {
		e := find(t, c, acl.KindTable, "app", "empty", "")
		if e.NullACL || len(e.ACL) != 0 {
			t.Errorf("empty: NullACL = %v, ACL = %s; want an explicit empty ACL", e.NullACL, acls(e.ACL))
		}
		if queryBool(t, db.URL, `SELECT has_table_privilege($1, 'app.empty', 'SELECT')`, alice) {
			t.Errorf("oracle: owner still has SELECT on app.empty")
		}
		f := find(t, c, acl.KindFunction, "app", "closed", "")
		if f.NullACL {
			t.Errorf("closed: NullACL = true after REVOKE")
		}
		wantObjectACL(t, f, own("X"))
	})

	t.Run("grant option", func(t *testing.T) {
		o := find(t, c, acl.KindTable, "app", "opt", "")
		wantObjectACL(t, o, own(all), mixed+"=a*r*w/"+alice)
		for _, i := range o.ACL {
			if i.Grantee == acl.Grantee(mixed) {
				want := acl.Privileges{Privs: acl.Select | acl.Insert | acl.Update, GrantOption: acl.Select | acl.Insert}
				if i.Privs != want {
					t.Errorf("item %s, want privileges %s", i, want)
				}
			}
		}
	})

	t.Run("grantor other than the owner", func(t *testing.T) {
		o := find(t, c, acl.KindTable, "app", "chain", "")
		wantObjectACL(t, o, own(all), carol+"=r*/"+alice, dave+"=r/"+carol)
	})

	t.Run("quoted names", func(t *testing.T) {
		o := find(t, c, acl.KindTable, "app", `Weird "Name"`, "")
		wantObjectACL(t, o, own(all), mixed+"=r/"+alice)
		if c.Role(mixed) == nil {
			t.Errorf("role %q missing", mixed)
		}
	})

	t.Run("functions", func(t *testing.T) {
		f1 := find(t, c, acl.KindFunction, "app", "f", "integer")
		f2 := find(t, c, acl.KindFunction, "app", "f", "a integer, b text")
		if f1.ArgTypes != "integer" || f2.ArgTypes != "integer, text" {
			t.Errorf("ArgTypes = %q, %q", f1.ArgTypes, f2.ArgTypes)
		}
		if f1.Subkind != 'f' {
			t.Errorf("f Subkind = %q", f1.Subkind)
		}
		procArgs := "IN integer" // 14+ names the mode of procedure arguments
		if c.ServerVersion < 140000 {
			procArgs = "integer"
		}
		if p := find(t, c, acl.KindFunction, "app", "p", procArgs); p.Subkind != 'p' || p.ArgTypes != "integer" {
			t.Errorf("procedure Subkind = %q, ArgTypes = %q", p.Subkind, p.ArgTypes)
		}
		if a := find(t, c, acl.KindFunction, "app", "agg", "integer"); a.Subkind != 'a' {
			t.Errorf("aggregate Subkind = %q", a.Subkind)
		}
		// The range constructors belong to the type and its owner does not own them.
		for _, name := range []string{"span", "span_multirange"} {
			for _, o := range c.Objects {
				if o.Kind == acl.KindFunction && o.Schema == "app" && o.Name == name {
					t.Errorf("range constructor %s is in the catalog", o.Object)
				}
			}
		}
		if !queryBool(t, db.URL, `SELECT count(*) > 0 FROM pg_proc WHERE proname = 'span' AND pronamespace = 'app'::regnamespace`) {
			t.Errorf("oracle: no range constructor to filter")
		}
	})

	t.Run("relations", func(t *testing.T) {
		for name, sub := range map[string]byte{"plain": 'r', "v": 'v', "mv": 'm', "parted": 'p', "part1": 'r', "serial_t": 'r'} {
			if o := find(t, c, acl.KindTable, "app", name, ""); o.Subkind != sub {
				t.Errorf("%s Subkind = %q, want %q", name, o.Subkind, sub)
			}
		}
		for _, name := range []string{"serial_t_id_seq", "serial_t_ident_seq", "plain_seq"} {
			s := find(t, c, acl.KindSequence, "app", name, "")
			if s.Subkind != 'S' {
				t.Errorf("%s Subkind = %q", name, s.Subkind)
			}
			wantObjectACL(t, s, own("rwU")) // acldefault('s'): SELECT, UPDATE, USAGE
		}
	})

	t.Run("types", func(t *testing.T) {
		for name, sub := range map[string]byte{"mood": 'e', "posint": 'd', "pair": 'c', "span": 'r'} {
			if o := find(t, c, acl.KindType, "app", name, ""); o.Subkind != sub {
				t.Errorf("%s Subkind = %q, want %q", name, o.Subkind, sub)
			}
		}
		for _, name := range []string{"_mood", "_posint", "_pair", "_span"} {
			absent(t, c, "app", name)
		}
		// Row types of tables, views and sequences are not types a policy grants on.
		for _, name := range []string{"plain", "v", "mv", "parted", "plain_seq"} {
			if o := lookup(c, acl.KindType, "app", name, ""); o != nil {
				t.Errorf("row type %s is in the catalog", o.Object)
			}
		}
		ms := lookup(c, acl.KindType, "app", "span_multirange", "")
		switch {
		case c.ServerVersion >= 140000 && c.ServerVersion < 170000 && ms == nil:
			t.Errorf("multirange type missing on %d", c.ServerVersion)
		case c.ServerVersion >= 170000 && ms != nil:
			t.Errorf("multirange type read on %d", c.ServerVersion)
		}
	})

	t.Run("order", func(t *testing.T) {
		less := func(a, b *catalog.Object) bool {
			if a.Kind != b.Kind {
				return a.Kind < b.Kind
			}
			if a.Schema != b.Schema {
				return a.Schema < b.Schema
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			if a.Args != b.Args {
				return a.Args < b.Args
			}
			return a.Column < b.Column
		}
		for i := 1; i < len(c.Objects); i++ {
			if !less(c.Objects[i-1], c.Objects[i]) {
				t.Errorf("objects out of order: %s %s before %s %s", c.Objects[i-1].Kind, c.Objects[i-1].Object, c.Objects[i].Kind, c.Objects[i].Object)
			}
		}
		for _, o := range c.Objects {
			for i := 1; i < len(o.ACL); i++ {
				a, b := o.ACL[i-1], o.ACL[i]
				if a.Grantee > b.Grantee || (a.Grantee == b.Grantee && a.Grantor >= b.Grantor) {
					t.Errorf("ACL of %s out of order: %s", o.Object, acls(o.ACL))
				}
			}
		}
	})
}

// TestRead_matchesHasPrivilege checks every ACL read against PostgreSQL's
// own answer: for roles that belong to no other role and are not superusers,
// a privilege is held exactly when an item for the role or PUBLIC has it, and
// a grant option exactly when such an item has it (the owner keeps every
// grant option implicitly, so owners are checked without).
func TestRead_matchesHasPrivilege(t *testing.T) {
	db := pgtest.NewDB(t)
	alice, bob, carol := db.RoleName("alice"), db.RoleName("bob"), db.RoleName("carol")
	db.CreateRole(t, alice, "LOGIN")
	db.CreateRole(t, bob, "LOGIN")
	db.CreateRole(t, carol, "NOLOGIN")
	A, B, C := ident.Quote(alice), ident.Quote(bob), ident.Quote(carol)
	db.Exec(t, `CREATE SCHEMA app AUTHORIZATION `+A+`; CREATE SCHEMA "odd Schema" AUTHORIZATION `+A)
	db.ExecAs(t, alice, `
		GRANT USAGE ON SCHEMA app TO `+B+` WITH GRANT OPTION;
		GRANT CREATE ON SCHEMA "odd Schema" TO `+C+`;
		CREATE TABLE app.t1 (id serial);
		CREATE TABLE app.t2 (id int);
		CREATE TABLE "odd Schema"."Odd ""t""" (id int);
		CREATE VIEW app.v AS SELECT 1 AS x;
		CREATE TYPE app.mood AS ENUM ('a');
		CREATE DOMAIN app.d AS int;
		CREATE FUNCTION app.f(int, text) RETURNS int LANGUAGE sql AS 'select 1';
		CREATE FUNCTION "odd Schema"."F"() RETURNS int LANGUAGE sql AS 'select 1';
		CREATE PROCEDURE app.p() LANGUAGE sql AS 'select 1';
		GRANT SELECT, UPDATE ON app.t1 TO `+B+` WITH GRANT OPTION;
		GRANT INSERT ON app.t1 TO `+C+`;
		REVOKE ALL ON app.t2 FROM `+A+`;
		GRANT TRUNCATE, REFERENCES, TRIGGER ON app.t2 TO PUBLIC;
		GRANT USAGE ON SEQUENCE app.t1_id_seq TO `+C+`;
		GRANT SELECT ON "odd Schema"."Odd ""t""" TO `+C+` WITH GRANT OPTION;
		REVOKE USAGE ON TYPE app.mood FROM PUBLIC;
		GRANT USAGE ON TYPE app.mood TO `+B+`;
		REVOKE EXECUTE ON FUNCTION app.f(int, text) FROM PUBLIC;
		GRANT EXECUTE ON FUNCTION app.f(int, text) TO `+C+` WITH GRANT OPTION;
		REVOKE EXECUTE ON PROCEDURE app.p() FROM PUBLIC;
	`)
	db.ExecAs(t, bob, `GRANT SELECT ON app.t1 TO `+C)
	db.Exec(t, `REVOKE TEMPORARY ON DATABASE `+ident.Quote(db.Name)+` FROM PUBLIC`)
	// Columns, and the kinds outside schemas.
	db.ExecAs(t, alice, `
		CREATE TABLE app.cols (a int, "B b" text, c int);
		GRANT SELECT (a, "B b"), UPDATE (a) ON app.cols TO `+B+` WITH GRANT OPTION;
		GRANT INSERT (c), REFERENCES (c) ON app.cols TO PUBLIC;
		GRANT SELECT (x) ON app.v TO `+C+`;
		GRANT UPDATE (id) ON app.t1 TO `+B+`;
	`)
	db.ExecAs(t, bob, `GRANT SELECT ("B b") ON app.cols TO `+C)
	db.Exec(t, `
		CREATE TRUSTED LANGUAGE trusty HANDLER plpgsql_call_handler;
		REVOKE USAGE ON LANGUAGE trusty FROM PUBLIC;
		GRANT USAGE ON LANGUAGE trusty TO `+B+` WITH GRANT OPTION;
		CREATE FOREIGN DATA WRAPPER w;
		GRANT USAGE ON FOREIGN DATA WRAPPER w TO `+A+` WITH GRANT OPTION;
	`)
	db.ExecAs(t, alice, `
		CREATE SERVER s1 FOREIGN DATA WRAPPER w;
		GRANT USAGE ON FOREIGN SERVER s1 TO `+C+`;
		GRANT USAGE ON FOREIGN DATA WRAPPER w TO `+B+`;
	`)
	lo := queryString(t, db.URL, `SELECT lo_create(0)::text`)
	db.Exec(t, `SELECT lo_create(0); ALTER LARGE OBJECT `+lo+` OWNER TO `+A)
	db.ExecAs(t, alice, `GRANT SELECT ON LARGE OBJECT `+lo+` TO `+B+` WITH GRANT OPTION; GRANT UPDATE ON LARGE OBJECT `+lo+` TO PUBLIC`)
	clusterGrant(t, db, `GRANT CREATE ON TABLESPACE pg_default TO `+C+` WITH GRANT OPTION`,
		`REVOKE CREATE ON TABLESPACE pg_default FROM `+C+` CASCADE`)
	if queryBool(t, db.URL, `SELECT current_setting('server_version_num')::int >= 150000`) {
		custom := ident.Quote(db.RoleName("pgward") + ".custom")
		clusterGrant(t, db, `GRANT SET ON PARAMETER log_statement TO `+B+` WITH GRANT OPTION`,
			`REVOKE SET ON PARAMETER log_statement FROM `+B+` CASCADE`)
		clusterGrant(t, db, `GRANT ALTER SYSTEM ON PARAMETER `+custom+` TO PUBLIC`,
			`REVOKE ALTER SYSTEM ON PARAMETER `+custom+` FROM PUBLIC`)
	}
	c := read(t, db.URL, introspect.Scope{})
	seen := map[acl.Kind]bool{}
	for _, o := range c.Objects {
		seen[o.Kind] = true
	}
	for _, k := range acl.Kinds() {
		if !seen[k] && c.ServerVersion >= k.MinVersion() {
			t.Errorf("no %s read", k)
		}
	}

	if checked := agreesWithServer(t, db.URL, c, alice, bob, carol); checked < 200 {
		t.Errorf("only %d checks ran", checked)
	}
}

// agreesWithServer checks the ACL of every object read against PostgreSQL's
// own answer for the roles, which must belong to no other role and not be
// superusers, and returns the number of checks run. A column's privileges
// are those of its table's ACL and its own together, as has_column_privilege
// counts them. Large objects before 18 have no has_*_privilege function:
// their privileges (not grant options) are checked by opening them as the
// role, for reading (SELECT) and for writing (SELECT and UPDATE).
func agreesWithServer(t *testing.T, connURL string, c *introspect.Catalog, roles ...string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), connURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	checked := 0
	for _, o := range c.Objects {
		expr, args := oracle(o, c.ServerVersion)
		items := o.ACL
		if o.Kind == acl.KindColumn {
			items = append(slices.Clone(find(t, c, acl.KindTable, o.Schema, o.Name, "").ACL), items...)
		}
		for _, role := range roles {
			var held acl.Privileges
			for _, i := range items {
				if i.Grantee.IsPublic() || i.Grantee == acl.Grantee(role) {
					held = held.Union(i.Privs)
				}
			}
			acl.Valid(o.Kind, c.ServerVersion).Each(func(p acl.Priv) {
				for _, withOption := range []bool{false, true} {
					if withOption && (role == o.Owner || expr == "") {
						continue
					}
					priv := p.List()[0]
					want := held.Privs.Has(p)
					if withOption {
						priv += " WITH GRANT OPTION"
						want = held.GrantOption.Has(p)
					}
					var got bool
					if expr == "" {
						if p == acl.Update {
							// Opening for writing needs SELECT too.
							want = held.Privs.Has(acl.Select | acl.Update)
						}
						got = largeObjectAccess(t, conn, role, o.Name, p)
					} else if err := conn.QueryRow(t.Context(), `SELECT `+expr, append([]any{role, priv}, args...)...).Scan(&got); err != nil {
						t.Fatalf("%s with %v: %v", expr, append([]any{role, priv}, args...), err)
					}
					checked++
					if got != want {
						t.Errorf("%s %s: %s holds %s = %v, but the ACL read is %s", o.Kind, o.Object, role, priv, got, acls(items))
					}
				}
			})
		}
	}
	return checked
}

// oracle is the has_*_privilege call that answers for the object, with $1
// the role, $2 the privilege and $3… the object's arguments; "" for a large
// object before 18.
func oracle(o *catalog.Object, serverVersion int) (expr string, args []any) {
	q := ident.QuoteQualified(o.Schema, o.Name)
	switch o.Kind {
	case acl.KindDatabase:
		return "has_database_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindSchema:
		return "has_schema_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindTable:
		return "has_table_privilege($1, $3, $2)", []any{q}
	case acl.KindColumn:
		return "has_column_privilege($1, $3, $4::text, $2)", []any{q, o.Column}
	case acl.KindSequence:
		return "has_sequence_privilege($1, $3, $2)", []any{q}
	case acl.KindFunction:
		return "has_function_privilege($1, $3, $2)", []any{q + "(" + o.ArgTypes + ")"}
	case acl.KindType:
		return "has_type_privilege($1, $3, $2)", []any{q}
	case acl.KindLanguage:
		return "has_language_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindFDW:
		return "has_foreign_data_wrapper_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindServer:
		return "has_server_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindTablespace:
		return "has_tablespace_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindParameter:
		return "has_parameter_privilege($1, $3, $2)", []any{o.Name}
	case acl.KindLargeObject:
		if serverVersion >= 180000 {
			return "has_largeobject_privilege($1, $3::text::oid, $2)", []any{o.Name}
		}
		return "", nil
	}
	panic("no oracle for " + o.Kind.String())
}

// largeObjectAccess reports whether role may read (SELECT) or write (UPDATE)
// the large object, by trying as the role in a transaction rolled back.
func largeObjectAccess(t *testing.T, conn *pgx.Conn, role, oid string, p acl.Priv) bool {
	t.Helper()
	ctx := t.Context()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+ident.Quote(role)); err != nil {
		t.Fatal(err)
	}
	sql := "SELECT lo_get($1::text::oid, 0, 0)"
	if p == acl.Update {
		sql = "SELECT lo_put($1::text::oid, 0, ''::bytea)"
	}
	_, err = tx.Exec(ctx, sql, oid)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return true
	case errors.As(err, &pgErr) && pgErr.Code == "42501":
		return false
	}
	t.Fatalf("%s as %s: %v", sql, role, err)
	return false
}

func TestRead_extensionMembersAbsent(t *testing.T) {
	db := pgtest.NewDB(t)
	ext := ""
	for _, name := range []string{"citext", "hstore"} {
		if queryBool(t, db.URL, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1)`, name) {
			ext = name
			break
		}
	}
	if ext == "" {
		t.Skip("neither citext nor hstore is available on the test server")
	}
	db.Exec(t, `CREATE SCHEMA ext; CREATE EXTENSION `+ext+` SCHEMA ext; CREATE TABLE ext.mine (id int)`)
	// A schema can be an extension member too (an extension script that
	// creates its schema, here added by hand).
	db.Exec(t, `CREATE SCHEMA ext_owned; ALTER EXTENSION `+ext+` ADD SCHEMA ext_owned`)
	// So can a table (whose column grants follow it), a composite type
	// (the membership is recorded on the type, not its relation), a
	// language, a foreign-data wrapper and a server.
	db.Exec(t, `
		CREATE TABLE ext.member (a int); GRANT SELECT (a) ON ext.member TO PUBLIC;
		CREATE TYPE ext.member_t AS (a int); CREATE TYPE public.mine_t AS (a int);
		CREATE TRUSTED LANGUAGE ext_lang HANDLER plpgsql_call_handler;
		CREATE FOREIGN DATA WRAPPER ext_fdw; CREATE SERVER ext_srv FOREIGN DATA WRAPPER ext_fdw;
		ALTER EXTENSION `+ext+` ADD TABLE ext.member;
		ALTER EXTENSION `+ext+` ADD TYPE ext.member_t;
		ALTER EXTENSION `+ext+` ADD LANGUAGE ext_lang;
		ALTER EXTENSION `+ext+` ADD FOREIGN DATA WRAPPER ext_fdw;
		ALTER EXTENSION `+ext+` ADD SERVER ext_srv;
	`)
	c := read(t, db.URL, introspect.Scope{})
	if want := []string{"ext", "public"}; !slices.Equal(c.Schemas, want) {
		t.Errorf("Schemas = %q, want %q", c.Schemas, want)
	}
	for _, name := range []string{"ext_owned", "ext_lang", "ext_fdw", "ext_srv", "plpgsql"} {
		absent(t, c, "", name)
	}
	find(t, c, acl.KindSchema, "", "ext", "")
	find(t, c, acl.KindTable, "ext", "mine", "")
	find(t, c, acl.KindType, "public", "mine_t", "")
	for _, o := range c.Objects {
		if o.Schema == "ext" && o.Name != "mine" {
			t.Errorf("extension member %s %s is in the catalog", o.Kind, o.Object)
		}
	}
	if !queryBool(t, db.URL, `SELECT count(*) > 10 FROM pg_proc WHERE pronamespace = 'ext'::regnamespace`) {
		t.Errorf("oracle: the extension created no functions")
	}
	if !queryBool(t, db.URL, `SELECT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_language l ON d.objid = l.oid
		WHERE d.classid = 'pg_language'::regclass AND l.lanname = 'plpgsql' AND d.deptype = 'e')`) {
		t.Errorf("oracle: plpgsql is not an extension member")
	}
}

func TestRead_defaultPrivileges(t *testing.T) {
	db := pgtest.NewDB(t)
	owner, web := db.RoleName("owner"), db.RoleName("web")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, web, "NOLOGIN")
	O, W := ident.Quote(owner), ident.Quote(web)
	db.Exec(t, `CREATE SCHEMA app AUTHORIZATION `+O)
	db.Exec(t, `
		ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` GRANT SELECT ON TABLES TO `+W+`;
		ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` IN SCHEMA app GRANT INSERT ON TABLES TO `+W+` WITH GRANT OPTION;
		ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` IN SCHEMA app GRANT USAGE ON SEQUENCES TO `+W+`;
		ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
		ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` GRANT USAGE ON TYPES TO `+W+`;
		ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` GRANT USAGE ON SCHEMAS TO `+W+`;
	`)
	db.ExecAs(t, owner, `CREATE TABLE app.later (id int); CREATE SEQUENCE app.later_seq; CREATE FUNCTION app.later_f() RETURNS int LANGUAGE sql AS 'select 1'`)
	v18 := queryBool(t, db.URL, `SELECT current_setting('server_version_num')::int >= 180000`)
	lo := ""
	if v18 {
		// 18 stores defaults for large objects (L).
		db.Exec(t, `ALTER DEFAULT PRIVILEGES FOR ROLE `+O+` GRANT SELECT ON LARGE OBJECTS TO `+W)
		lo = queryString(t, db.RoleURL(owner), `SELECT lo_create(0)::text`)
	}
	c := read(t, db.URL, introspect.Scope{})

	type key struct {
		schema string
		kind   acl.Kind
	}
	got := map[key]*catalog.DefaultACL{}
	for _, d := range c.DefaultPrivileges {
		if d.ForRole != owner {
			t.Errorf("default privileges for unexpected role %s", d.ForRole)
			continue
		}
		got[key{d.Schema, d.Kind}] = d
	}
	n := 6
	if v18 {
		n = 7
	}
	if len(got) != n || len(c.DefaultPrivileges) != n {
		t.Fatalf("read %d default ACLs, want %d: %+v", len(c.DefaultPrivileges), n, got)
	}
	own := func(privs string) string { return owner + "=" + privs + "/" + owner }
	all := tablePrivs(c)
	want := map[key][]string{
		{"", acl.KindTable}:       {own(all), web + "=r/" + owner}, // global: the owner's own item too
		{"app", acl.KindTable}:    {web + "=a*/" + owner},          // per schema: additions only
		{"app", acl.KindSequence}: {web + "=U/" + owner},
		{"", acl.KindFunction}:    {own("X")},
		{"", acl.KindType}:        {"=U/" + owner, own("U"), web + "=U/" + owner},
		{"", acl.KindSchema}:      {own("UC"), web + "=U/" + owner},
	}
	if v18 {
		want[key{"", acl.KindLargeObject}] = []string{own("rw"), web + "=r/" + owner}
	}
	for k, items := range want {
		d := got[k]
		if d == nil {
			t.Errorf("no default ACL for schema %q kind %s", k.schema, k.kind)
			continue
		}
		wantACL(t, fmt.Sprintf("default privileges in %q on %s", k.schema, k.kind), d.ACL, items...)
	}
	for i := 1; i < len(c.DefaultPrivileges); i++ {
		a, b := c.DefaultPrivileges[i-1], c.DefaultPrivileges[i]
		if a.Schema > b.Schema || (a.Schema == b.Schema && a.Kind >= b.Kind) {
			t.Errorf("default ACLs out of order: %q %s before %q %s", a.Schema, a.Kind, b.Schema, b.Kind)
		}
	}

	// PostgreSQL as the oracle: a new object gets the hard-wired default or
	// the global entry that replaces it, plus the per-schema additions.
	merged := func(extra []string, keys ...key) []string {
		type gk struct{ grantee, grantor string }
		m := map[gk]acl.Privileges{}
		var order []gk
		for _, k := range keys {
			for _, i := range got[k].ACL {
				g := gk{string(i.Grantee), i.Grantor}
				if _, ok := m[g]; !ok {
					order = append(order, g)
				}
				m[g] = m[g].Union(i.Privs)
			}
		}
		out := slices.Clone(extra)
		for _, g := range order {
			out = append(out, fmt.Sprintf("%s=%s/%s", g.grantee, letters(m[g]), g.grantor))
		}
		return out
	}
	wantObjectACL(t, find(t, c, acl.KindTable, "app", "later", ""), merged(nil, key{"", acl.KindTable}, key{"app", acl.KindTable})...)
	wantObjectACL(t, find(t, c, acl.KindSequence, "app", "later_seq", ""), merged([]string{own("rwU")}, key{"app", acl.KindSequence})...)
	wantObjectACL(t, find(t, c, acl.KindFunction, "app", "later_f", ""), merged(nil, key{"", acl.KindFunction})...)
	if v18 {
		wantObjectACL(t, find(t, c, acl.KindLargeObject, "", lo, ""), merged(nil, key{"", acl.KindLargeObject})...)
	}
}

func TestRead_memberships(t *testing.T) {
	db := pgtest.NewDB(t)
	reader, admin, user, noinh := db.RoleName("reader"), db.RoleName("admin"), db.RoleName("user"), db.RoleName("noinherit")
	db.CreateRole(t, reader, "NOLOGIN")
	db.CreateRole(t, admin, "NOLOGIN")
	db.CreateRole(t, user, "NOLOGIN")
	db.CreateRole(t, noinh, "NOLOGIN NOINHERIT")
	R, A, U, N := ident.Quote(reader), ident.Quote(admin), ident.Quote(user), ident.Quote(noinh)
	db.Exec(t, `GRANT `+R+` TO `+A+` WITH ADMIN OPTION; GRANT `+R+` TO `+U+`; GRANT `+R+` TO `+N+`; GRANT pg_read_all_stats TO `+U)
	c := read(t, db.URL, introspect.Scope{})
	v16 := c.ServerVersion >= 160000
	if v16 {
		// 16+: options per membership, independent of rolinherit.
		db.Exec(t, `GRANT `+A+` TO `+U+` WITH INHERIT FALSE, SET FALSE`)
		c = read(t, db.URL, introspect.Scope{})
	}
	super := c.CurrentUser
	if v16 {
		super = bootstrapSuperuser(t, c)
	}

	var got []catalog.Membership
	for _, m := range c.Memberships {
		if c.Role(m.Role).Predefined() && c.Role(m.Member).Predefined() {
			t.Errorf("system membership %+v read", m)
		}
		if m.Member == admin || m.Member == user || m.Member == noinh {
			got = append(got, m)
		}
	}
	want := []catalog.Membership{
		{Role: reader, Member: admin, Grantor: super, Admin: true, Inherit: true, Set: true},
		{Role: reader, Member: noinh, Grantor: super, Inherit: false, Set: true},
		{Role: reader, Member: user, Grantor: super, Inherit: true, Set: true},
		{Role: "pg_read_all_stats", Member: user, Grantor: super, Inherit: true, Set: true},
	}
	if v16 {
		want = append(want, catalog.Membership{Role: admin, Member: user, Grantor: super})
	}
	slices.SortFunc(want, func(a, b catalog.Membership) int {
		return strings.Compare(a.Role+"\x00"+a.Member, b.Role+"\x00"+b.Member)
	})
	if !slices.Equal(got, want) {
		t.Errorf("memberships:\n got %+v\nwant %+v", got, want)
	}
	// PostgreSQL as the oracle for what Inherit means.
	for _, m := range got {
		if m.Role == "pg_read_all_stats" {
			continue
		}
		if usage := queryBool(t, db.URL, `SELECT pg_has_role($1, $2, 'USAGE')`, m.Member, m.Role); usage != m.Inherit {
			t.Errorf("pg_has_role(%s, %s, USAGE) = %v, membership read %+v", m.Member, m.Role, usage, m)
		}
	}
}

func bootstrapSuperuser(t *testing.T, c *introspect.Catalog) string {
	t.Helper()
	for _, r := range c.Roles {
		if r.OID == 10 {
			return r.Name
		}
	}
	t.Fatal("no role with OID 10")
	return ""
}

// TestRead_nonSuperuser reads as a plain LOGIN role that owns the objects,
// as pgward apply runs right after a migration.
func TestRead_nonSuperuser(t *testing.T) {
	db := pgtest.NewDB(t)
	owner, web := db.RoleName("owner"), db.RoleName("web")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, web, "NOLOGIN")
	O := ident.Quote(owner)
	db.Exec(t, `CREATE SCHEMA app AUTHORIZATION `+O+`; REVOKE ALL ON SCHEMA app FROM PUBLIC`)
	db.ExecAs(t, owner, `
		CREATE TABLE app.t (id int);
		GRANT SELECT ON app.t TO `+ident.Quote(web)+`;
		ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO `+ident.Quote(web)+`;
	`)
	db.Exec(t, `CREATE SCHEMA hidden; CREATE TABLE hidden.secret (id int); REVOKE ALL ON SCHEMA hidden FROM PUBLIC`)
	db.Exec(t, `ALTER ROLE `+O+` VALID UNTIL 'infinity'`)
	// Every other kind, granted to roles other than the reader, in catalogs
	// that are not all readable by everyone on every version.
	W := ident.Quote(web)
	db.Exec(t, `
		GRANT SELECT (id) ON hidden.secret TO `+W+`;
		CREATE TRUSTED LANGUAGE trusty HANDLER plpgsql_call_handler;
		GRANT USAGE ON LANGUAGE trusty TO `+W+`;
		CREATE FOREIGN DATA WRAPPER w; GRANT USAGE ON FOREIGN DATA WRAPPER w TO `+W+`;
		CREATE SERVER s FOREIGN DATA WRAPPER w; GRANT USAGE ON FOREIGN SERVER s TO `+W+`;
		CREATE USER MAPPING FOR `+W+` SERVER s;
		SELECT lo_create(0);
	`)
	db.Exec(t, `DO $$ BEGIN EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO %I', lo_create(0), `+ident.Literal(web)+`); END $$`)
	clusterGrant(t, db, `GRANT CREATE ON TABLESPACE pg_default TO `+W, `REVOKE CREATE ON TABLESPACE pg_default FROM `+W)
	if queryBool(t, db.URL, `SELECT current_setting('server_version_num')::int >= 150000`) {
		clusterGrant(t, db, `GRANT SET ON PARAMETER log_statement TO `+W, `REVOKE SET ON PARAMETER log_statement FROM `+W)
	}

	c := read(t, db.RoleURL(owner), introspect.Scope{})
	if c.CurrentUser != owner {
		t.Errorf("CurrentUser = %q, want %q", c.CurrentUser, owner)
	}
	if r := c.Role(owner); r == nil || r.Superuser || !r.Login || r.ValidUntil != nil {
		t.Errorf("role %s read as %+v", owner, r)
	}
	wantObjectACL(t, find(t, c, acl.KindTable, "app", "t", ""), owner+"="+tablePrivs(c)+"/"+owner, web+"=r/"+owner)
	// The catalogs show objects whatever the privileges on their schema.
	find(t, c, acl.KindTable, "hidden", "secret", "")
	wantObjectACL(t, findColumn(t, c, "hidden", "secret", "id"), web+"=r/"+find(t, c, acl.KindTable, "hidden", "secret", "").Owner)
	for _, k := range []acl.Kind{acl.KindLanguage, acl.KindFDW, acl.KindServer, acl.KindLargeObject, acl.KindTablespace, acl.KindParameter} {
		granted := false
		for _, o := range c.Objects {
			for _, i := range o.ACL {
				granted = granted || (o.Kind == k && i.Grantee == acl.Grantee(web))
			}
		}
		if !granted && c.ServerVersion >= k.MinVersion() {
			t.Errorf("no %s granted to %s read", k, web)
		}
	}
	if len(c.DefaultPrivileges) != 1 || c.DefaultPrivileges[0].ForRole != owner {
		t.Errorf("default privileges = %+v", c.DefaultPrivileges)
	}
	// Same state as the superuser sees, apart from who reads it.
	if a, b := dump(read(t, db.URL, introspect.Scope{})), dump(c); a != b {
		t.Errorf("objects differ between superuser and owner:\n%s\n%s", a, b)
	}
}

func TestRead_scope(t *testing.T) {
	db := pgtest.NewDB(t)
	owner := db.RoleName("owner")
	db.CreateRole(t, owner, "LOGIN")
	O := ident.Quote(owner)
	db.Exec(t, `CREATE SCHEMA a AUTHORIZATION `+O+`; CREATE SCHEMA b AUTHORIZATION `+O+`; CREATE SCHEMA "C d" AUTHORIZATION `+O)
	db.ExecAs(t, owner, `
		CREATE TABLE a.t (id int); CREATE TABLE b.t (id int); CREATE TABLE "C d".t (id int);
		CREATE FUNCTION a.f() RETURNS int LANGUAGE sql AS 'select 1';
		ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
		ALTER DEFAULT PRIVILEGES IN SCHEMA a GRANT INSERT ON TABLES TO PUBLIC;
		ALTER DEFAULT PRIVILEGES IN SCHEMA b GRANT UPDATE ON TABLES TO PUBLIC;
	`)

	c := read(t, db.URL, introspect.Scope{Schemas: []string{"b", "C d", "nosuch", "pg_catalog"}})
	if want := []string{"C d", "b"}; !slices.Equal(c.Schemas, want) {
		t.Errorf("Schemas = %q, want %q", c.Schemas, want)
	}
	var got []string
	for _, o := range c.Objects {
		if o.Kind == acl.KindDatabase || o.Kind == acl.KindSchema || o.Kind.InSchema() {
			got = append(got, o.Kind.String()+" "+o.Object.String())
		}
	}
	want := []string{"database " + db.Name, "schema C d", "schema b", "table C d.t", "table b.t"}
	if !slices.Equal(got, want) {
		t.Errorf("objects = %q, want %q", got, want)
	}
	// The scope limits schemas only: what lies outside them is read.
	find(t, c, acl.KindLanguage, "", "sql", "")
	find(t, c, acl.KindTablespace, "", "pg_default", "")
	var defaults []string
	for _, d := range c.DefaultPrivileges {
		defaults = append(defaults, fmt.Sprintf("%q %s", d.Schema, d.Kind))
	}
	if want := []string{`"" table`, `"b" table`}; !slices.Equal(defaults, want) {
		t.Errorf("default privileges = %q, want %q", defaults, want)
	}

	// No scope: every non-system schema.
	c = read(t, db.URL, introspect.Scope{})
	if want := []string{"C d", "a", "b", "public"}; !slices.Equal(c.Schemas, want) {
		t.Errorf("Schemas without scope = %q, want %q", c.Schemas, want)
	}
	if e := read(t, db.URL, introspect.Scope{Schemas: []string{}}); !slices.Equal(e.Schemas, c.Schemas) {
		t.Errorf("Schemas with an empty, non-nil list = %q, want %q", e.Schemas, c.Schemas)
	}
	for _, o := range c.Objects {
		if o.Schema == "pg_catalog" || o.Schema == "information_schema" || strings.HasPrefix(o.Schema, "pg_") {
			t.Errorf("system object %s %s read", o.Kind, o.Object)
		}
	}
	if len(c.DefaultPrivileges) != 3 {
		t.Errorf("default privileges without scope: %d, want 3", len(c.DefaultPrivileges))
	}
}

// countingQuerier counts round trips.
type countingQuerier struct {
	introspect.Querier
	n *int
}

func (q countingQuerier) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	*q.n++
	return q.Querier.Query(ctx, sql, args...)
}

func (q countingQuerier) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	*q.n++
	return q.Querier.QueryRow(ctx, sql, args...)
}

func TestRead_constantQueryCount(t *testing.T) {
	count := func(objects int) (int, *introspect.Catalog) {
		db := pgtest.NewDB(t)
		role := db.RoleName("grantee")
		db.CreateRole(t, role, "NOLOGIN")
		db.Exec(t, fmt.Sprintf(`
			CREATE SCHEMA app;
			DO $$ BEGIN
			  FOR i IN 1..%d LOOP
			    CASE i %% 3
			    WHEN 0 THEN EXECUTE format('CREATE TABLE app.t%%s (id int); GRANT SELECT ON app.t%%s TO %%I; GRANT UPDATE (id) ON app.t%%s TO %%I', i, i, %[2]s, i, %[2]s);
			    WHEN 1 THEN EXECUTE format('CREATE FUNCTION app.f%%s() RETURNS int LANGUAGE sql AS ''select 1''', i);
			      PERFORM lo_create(0);
			    ELSE EXECUTE format('CREATE TYPE app.e%%s AS ENUM (''x'')', i);
			    END CASE;
			  END LOOP;
			END $$`, objects, ident.Literal(role)))
		n := 0
		c := readWith(t, db.URL, introspect.Scope{}, func(q introspect.Querier) introspect.Querier {
			return countingQuerier{q, &n}
		})
		return n, c
	}
	small, cs := count(3)
	large, cl := count(300)
	// 3 objects: t3 with a column grant, f1 and a large object, e2; 300:
	// 100 of each.
	if len(cl.Objects)-len(cs.Objects) != 495 {
		t.Errorf("read %d and %d objects, want 495 more in the large database", len(cs.Objects), len(cl.Objects))
	}
	for _, k := range []acl.Kind{acl.KindColumn, acl.KindLargeObject} {
		n := 0
		for _, o := range cl.Objects {
			if o.Kind == k {
				n++
			}
		}
		if n != 100 {
			t.Errorf("read %d %s objects, want 100", n, k)
		}
	}
	if small != large || small > 7 {
		t.Errorf("Read ran %d queries for 3 objects and %d for 300; want the same, at most 7", small, large)
	}
	t.Logf("Read runs %d queries", small)
}
