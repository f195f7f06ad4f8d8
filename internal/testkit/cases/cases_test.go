package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/pipeline"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// pgCase is one scenario. Text fields may name the case's roles as
// {alice}, {bob}, {carol}, {dave}, {app_owner}, {dev}, {tool} and the
// database as {db}; each test gets roles of its own.
type pgCase struct {
	id         string // the facts sheet's case number
	name       string
	minVersion int // server_version_num; 0: every version
	maxVersion int // exclusive; 0: no limit
	// setup runs as the superuser in the case's database, after the
	// standard setup: roles, database owned by alice, schema s owned by
	// alice.
	setup string
	// as is the role pgward connects as; "" means alice, "superuser" the
	// bootstrap superuser.
	as     string
	policy string
	// want lists the plan's statements in order (AsRole shown as
	// "SET ROLE x; stmt").
	want []string
	// blocked, when set, is a substring of the plan error: the plan must
	// refuse, apply must change nothing.
	blocked string
	// later runs as the superuser after apply, before the checks: objects
	// created after the run (default privileges apply to them); the plan
	// must stay empty.
	later string
	// after holds boolean SQL checks run as the superuser after apply
	// (for a blocked case, after the partial apply).
	after []check
	// violations lists the deny invariants the plan must report, as
	// "role: privileges on object via path".
	violations []string
	// cleanup runs as the superuser when the case ends (cluster-wide
	// grants outlive the database).
	cleanup string
}

type check struct {
	sql  string
	want bool
}

var roleKeys = []string{"alice", "bob", "carol", "dave", "app_owner", "dev", "tool"}

type env struct {
	db    *pgtest.DB
	names map[string]string
}

func (e *env) expand(s string) string {
	for k, v := range e.names {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func setupEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.NewDB(t)
	e := &env{db: db, names: map[string]string{"db": db.Name}}
	for _, k := range roleKeys {
		e.names[k] = db.RoleName(k)
	}
	for _, k := range roleKeys {
		opts := "LOGIN"
		if k == "app_owner" {
			opts = "NOLOGIN"
		}
		db.CreateRole(t, e.names[k], opts)
	}
	db.Exec(t, e.expand(`GRANT {app_owner} TO {dev}; ALTER DATABASE "{db}" OWNER TO {alice}; CREATE SCHEMA s AUTHORIZATION {alice}`))
	return e
}

func (e *env) loadPolicy(t *testing.T, src string) *policy.Policy {
	t.Helper()
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(e.expand(src))}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("policy: %s", policy.FormatDiagnostics(diags))
	}
	return pol
}

func (e *env) config(t *testing.T, as string) *pgx.ConnConfig {
	t.Helper()
	url := e.db.Server.URL(e.db.Name, "")
	if as != "superuser" {
		if as == "" {
			as = "alice"
		}
		url = e.db.RoleURL(e.names[as])
	}
	cfg, err := connstr.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func buildPlan(t *testing.T, cfg *pgx.ConnConfig, pol *policy.Policy) (*plan.Plan, string) {
	t.Helper()
	p, diags := readPlanDiags(t, cfg, pol, plan.Options{})
	return p, errorsOf(diags.Errs())
}

func readPlan(t *testing.T, cfg *pgx.ConnConfig, pol *policy.Policy, o plan.Options) *plan.Plan {
	t.Helper()
	p, diags := readPlanDiags(t, cfg, pol, o)
	if diags.HasErrors() {
		t.Fatalf("plan errors: %s", diags.Error())
	}
	return p
}

// readPlanDiags plans as pgward plan does (pipeline.ReadPlan: one READ
// ONLY, REPEATABLE READ transaction).
func readPlanDiags(t *testing.T, cfg *pgx.ConnConfig, pol *policy.Policy, o plan.Options) (*plan.Plan, hcl.Diagnostics) {
	t.Helper()
	p, diags, err := pipeline.ReadPlan(context.Background(), cfg, pol, o)
	if err != nil {
		t.Fatal(err)
	}
	return p, diags
}

func errorsOf(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return strings.Join(s, "\n")
}

func statementList(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Statements {
		if s.AsRole != "" {
			out = append(out, "SET ROLE "+s.AsRole+"; "+s.SQL)
			continue
		}
		out = append(out, s.SQL)
	}
	return out
}

// snapshot is every ACL of the database, to prove a refused run changed
// nothing.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	conn := e.db.Conn(t)
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(context.Background(), `SELECT concat_ws(E'\n',
  (SELECT string_agg(oid::regclass::text || coalesce(relacl::text, '-'), E'\n' ORDER BY oid) FROM pg_class WHERE relnamespace::regnamespace::text NOT IN ('pg_catalog','information_schema','pg_toast')),
  (SELECT string_agg(oid::regprocedure::text || coalesce(proacl::text, '-'), E'\n' ORDER BY oid) FROM pg_proc WHERE pronamespace::regnamespace::text NOT IN ('pg_catalog','information_schema')),
  (SELECT string_agg(nspname || coalesce(nspacl::text, '-'), E'\n' ORDER BY oid) FROM pg_namespace),
  (SELECT coalesce(datacl::text, '-') FROM pg_database WHERE datname = current_database()),
  (SELECT string_agg(defaclacl::text, E'\n' ORDER BY oid) FROM pg_default_acl))`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) ask(t *testing.T, sql string) bool {
	t.Helper()
	conn := e.db.Conn(t)
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(context.Background(), e.expand(sql)).Scan(&ok); err != nil {
		t.Fatalf("%s: %v", e.expand(sql), err)
	}
	return ok
}

func run(t *testing.T, c pgCase) {
	e := setupEnv(t)
	v := e.db.Server.Version()
	if (c.minVersion != 0 && v < c.minVersion) || (c.maxVersion != 0 && v >= c.maxVersion) {
		t.Skipf("%s applies to PostgreSQL [%d, %d); the server is %d (the version matrix runs it where it applies)", c.id, c.minVersion, c.maxVersion, v)
	}
	// 14+ print a procedure's argument modes (procedures may have OUT
	// arguments from 14 on).
	e.names["proc_in"] = ""
	if v >= 140000 {
		e.names["proc_in"] = "IN "
	}
	if c.setup != "" {
		e.db.Exec(t, e.expand(c.setup))
	}
	if c.cleanup != "" {
		t.Cleanup(func() { e.db.Exec(t, e.expand(c.cleanup)) })
	}
	pol := e.loadPolicy(t, c.policy)
	cfg := e.config(t, c.as)
	p, errs := buildPlan(t, cfg, pol)

	want := make([]string, len(c.want))
	for i, w := range c.want {
		want[i] = e.expand(w)
	}
	if got := statementList(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan statements:\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	var got []string
	for _, v := range p.Violations {
		got = append(got, v.Role+": "+v.Privilege+" on "+v.Object+" via "+v.Path)
	}
	wantV := make([]string, len(c.violations))
	for i, v := range c.violations {
		wantV[i] = e.expand(v)
	}
	if strings.Join(got, "\n") != strings.Join(wantV, "\n") {
		t.Errorf("violations:\n got %q\nwant %q", got, wantV)
	}
	if c.blocked != "" {
		if !strings.Contains(errs, e.expand(c.blocked)) {
			t.Fatalf("plan errors %q do not contain %q", errs, e.expand(c.blocked))
		}
		before := e.snapshot(t)
		_, err := apply.Run(context.Background(), cfg, pol, apply.Options{Scope: introspect.Scope{Schemas: pol.Schemas}})
		if !errors.Is(err, apply.ErrPlanInvalid) {
			t.Errorf("apply of a blocked plan: got %v, want ErrPlanInvalid", err)
		}
		if after := e.snapshot(t); after != before {
			t.Errorf("a refused apply changed privileges:\n%s\n---\n%s", before, after)
		}
		// With plan.Options.Partial (the command line's default) apply runs
		// the rest and leaves the blocked changes, and only them.
		partial := plan.Options{Partial: true}
		if _, err := apply.Run(context.Background(), cfg, pol, apply.Options{Scope: introspect.Scope{Schemas: pol.Schemas}, Plan: partial}); err != nil {
			t.Fatalf("partial apply: %v", err)
		}
		again := readPlan(t, cfg, pol, partial)
		if len(again.Statements) != 0 || len(again.Blocked()) == 0 || len(again.Blocked()) != len(again.Changes) {
			t.Errorf("after a partial apply: %d statements, %d changes of which %d blocked; want only blocked changes", len(again.Statements), len(again.Changes), len(again.Blocked()))
		}
		e.checkAfter(t, c.after)
		return
	}
	if errs != "" {
		t.Fatalf("plan errors: %s", errs)
	}
	if _, err := apply.Run(context.Background(), cfg, pol, apply.Options{Scope: introspect.Scope{Schemas: pol.Schemas}}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if again, errs := buildPlan(t, cfg, pol); !again.Empty() || errs != "" {
		t.Errorf("second plan not empty: %q %s", statementList(again), errs)
	}
	if c.later != "" {
		e.db.Exec(t, e.expand(c.later))
		if again, errs := buildPlan(t, cfg, pol); !again.Empty() || errs != "" {
			t.Errorf("plan after %q not empty: %q %s", c.later, statementList(again), errs)
		}
	}
	e.checkAfter(t, c.after)
}

// checkAfter runs a case's after checks (after apply, or after the partial
// apply of a blocked case).
func (e *env) checkAfter(t *testing.T, checks []check) {
	t.Helper()
	for _, ch := range checks {
		if got := e.ask(t, ch.sql); got != ch.want {
			t.Errorf("%s = %t, want %t", e.expand(ch.sql), got, ch.want)
		}
	}
}

const scopeS = "scope {\n  schemas = [\"s\"]\n}\n"

// carolUsage opens carol's role block with USAGE on schema s, which she
// holds in the grantor cases; the case adds its rules and the closing brace.
const carolUsage = `role "{carol}" {
  grant "schema" {
    names      = ["s"]
    privileges = ["USAGE"]
  }`

// aclHas is a check that s.<table>'s ACL holds privilege for grantee from
// grantor, with or without the grant option, as aclexplode reads it.
func aclHas(table, grantee, grantor, privilege string, grantable bool) string {
	return fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 's.%s'::regclass AND a.grantee = '{%s}'::regrole AND a.grantor = '{%s}'::regrole AND a.privilege_type = '%s' AND a.is_grantable = %t)",
		table, grantee, grantor, privilege, grantable)
}

func TestCases(t *testing.T) {
	for _, c := range cases {
		t.Run(c.id+" "+c.name, func(t *testing.T) { run(t, c) })
	}
}

var cases = []pgCase{
	{
		id: "C01", name: "NULL ACL, nothing declared: nothing to do",
		setup:  "SET ROLE {alice}; CREATE TABLE s.t(a int); RESET ROLE",
		policy: scopeS + `role "{bob}" {}`,
		after:  []check{{"SELECT has_table_privilege('{alice}', 's.t', 'SELECT')", true}},
	},
	{
		id: "C02", name: "explicit ACL equal to the default",
		setup:  "SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {bob}; REVOKE SELECT ON s.t FROM {bob}; RESET ROLE",
		policy: scopeS + `role "{bob}" {}`,
	},
	{
		id: "C03", name: "functions are executable by PUBLIC by default",
		setup: "SET ROLE {alice}; CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'select 1'; RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "function" {
    privileges = ["EXECUTE"]
  }
}
public {
  function = []
}`,
		want: []string{`GRANT EXECUTE ON FUNCTION "s"."f"() TO "{bob}"`, `REVOKE EXECUTE ON FUNCTION "s"."f"() FROM PUBLIC`},
		after: []check{
			{"SELECT has_function_privilege('{bob}', 's.f()', 'EXECUTE')", true},
			{"SELECT has_function_privilege('{carol}', 's.f()', 'EXECUTE')", false},
		},
	},
	{
		id: "C04", name: "types and domains are usable by PUBLIC by default",
		setup:  "SET ROLE {alice}; CREATE DOMAIN s.d AS int; CREATE TYPE s.e AS ENUM ('a'); RESET ROLE",
		policy: scopeS + "public {\n  type = []\n}",
		want:   []string{`REVOKE USAGE ON TYPE "s"."d", "s"."e" FROM PUBLIC`},
		after: []check{
			{"SELECT has_type_privilege('{bob}', 's.d', 'USAGE')", false},
			{"SELECT has_type_privilege('{bob}', 's.e', 'USAGE')", false},
		},
	},
	{
		id: "C05", name: "database: only bob connects",
		policy: scopeS + `role "{bob}" {
  grant "database" {
    privileges = ["CONNECT"]
  }
}
public {
  database = []
}`,
		want: []string{`GRANT CONNECT ON DATABASE "{db}" TO "{bob}"`, `REVOKE CONNECT, TEMPORARY ON DATABASE "{db}" FROM PUBLIC`},
		after: []check{
			{"SELECT has_database_privilege('{bob}', current_database(), 'CONNECT')", true},
			{"SELECT has_database_privilege('{carol}', current_database(), 'CONNECT')", false},
		},
	},
	{
		id: "C05b", name: "PUBLIC never holds CREATE on a database: planned as nothing",
		policy: scopeS + "public {\n  database = [\"CONNECT\", \"TEMPORARY\"]\n}",
	},
	{
		id: "C06", name: "public schema on 13/14: the owner role cannot revoke PUBLIC's CREATE",
		maxVersion: 150000,
		policy:     "scope {\n  schemas = [\"public\"]\n}\npublic {\n  schema = [\"USAGE\"]\n}",
		want:       nil, // the revoke is left out, with its fix
		blocked:    "owned by postgres",
	},
	{
		id: "C06b", name: "public schema on 13/14: a superuser revokes PUBLIC's CREATE",
		maxVersion: 150000, as: "superuser",
		policy: "scope {\n  schemas = [\"public\"]\n}\npublic {\n  schema = [\"USAGE\"]\n}",
		want:   []string{`REVOKE CREATE ON SCHEMA "public" FROM PUBLIC`},
		after:  []check{{"SELECT has_schema_privilege('{bob}', 'public', 'CREATE')", false}},
	},
	{
		id: "C06c", name: "public schema on 15+: already right, grants go through pg_database_owner",
		minVersion: 150000,
		policy: "scope {\n  schemas = [\"public\"]\n}\npublic {\n  schema = [\"USAGE\"]\n}\n" + `role "{bob}" {
  grant "schema" {
    names      = ["public"]
    privileges = ["USAGE"]
  }
}`,
		want:  []string{`GRANT USAGE ON SCHEMA "public" TO "{bob}"`},
		after: []check{{"SELECT has_schema_privilege('{bob}', 'public', 'CREATE')", false}},
	},
	{
		id: "C07", name: "owner revoked its own rights: the owner's item is not managed",
		setup:  "SET ROLE {alice}; CREATE TABLE s.t(a int); REVOKE ALL ON s.t FROM {alice}; RESET ROLE",
		policy: scopeS + `role "{bob}" {}`,
		after:  []check{{"SELECT has_table_privilege('{alice}', 's.t', 'SELECT')", false}},
	},
	{
		id: "C08", name: "large objects: owner rw by default; a grant adds to it",
		setup: "SET ROLE {alice}; SELECT lo_create(424242); RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "large_object" {
    names      = ["424242"]
    privileges = ["SELECT"]
  }
}`,
		want:  []string{`GRANT SELECT ON LARGE OBJECT 424242 TO "{bob}"`},
		after: []check{{"SELECT lomacl::text LIKE '%{bob}=r/{alice}%' FROM pg_largeobject_metadata WHERE oid = 424242", true}},
	},
	{
		id: "C09", name: "a superuser's grant is recorded with the owner as grantor",
		setup: "SET ROLE {alice}; CREATE TABLE s.t(a int); RESET ROLE; GRANT INSERT ON s.t TO {bob}",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["INSERT"]
  }
}`,
	},
	{
		id: "C10", name: "privilege granted by another grantor: revoked as that grantor by a superuser",
		as: "superuser",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy: scopeS + `role "{dave}" {}`,
		want:   []string{`SET ROLE {carol}; REVOKE SELECT ON TABLE "s"."t" FROM "{dave}"`},
		after:  []check{{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", false}},
	},
	{
		id: "C10b", name: "privilege granted by another grantor: the owner takes carol's grant option with CASCADE and gives it back",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy: scopeS + `role "{dave}" {}`,
		want: []string{
			`REVOKE GRANT OPTION FOR SELECT ON TABLE "s"."t" FROM "{carol}" CASCADE`,
			`GRANT SELECT ON TABLE "s"."t" TO "{carol}" WITH GRANT OPTION`,
		},
		after: []check{
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", false},
			// carol, undeclared, holds exactly what she held: SELECT WITH
			// GRANT OPTION from alice, and nothing else.
			{aclHas("t", "carol", "alice", "SELECT", true), true},
			{"SELECT count(*) = 1 FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 's.t'::regclass AND a.grantee = '{carol}'::regrole", true},
		},
	},
	{
		id: "C10c", name: "owner's cascade: carol is wanted WITH GRANT OPTION, dave's item still goes",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy: scopeS + carolUsage + `
  grant "table" {
    privileges        = ["SELECT"]
    with_grant_option = true
  }
}
role "{dave}" {}`,
		want: []string{
			`REVOKE GRANT OPTION FOR SELECT ON TABLE "s"."t" FROM "{carol}" CASCADE`,
			`GRANT SELECT ON TABLE "s"."t" TO "{carol}" WITH GRANT OPTION`,
		},
		after: []check{
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", false},
			{"SELECT has_table_privilege('{carol}', 's.t', 'SELECT WITH GRANT OPTION')", true},
			{aclHas("t", "carol", "alice", "SELECT", true), true},
		},
	},
	{
		id: "C10d", name: "owner's cascade over two hops: alice → carol → bob → dave; bob keeps SELECT from alice",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}, {bob}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {bob} WITH GRANT OPTION; RESET ROLE;
SET ROLE {bob}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy: scopeS + carolUsage + `
  grant "table" {
    privileges        = ["SELECT"]
    with_grant_option = true
  }
}
role "{bob}" {
  grant "schema" {
    names      = ["s"]
    privileges = ["USAGE"]
  }
  grant "table" {
    privileges = ["SELECT"]
  }
}
role "{dave}" {}`,
		want: []string{
			`GRANT SELECT ON TABLE "s"."t" TO "{bob}"`,
			`REVOKE GRANT OPTION FOR SELECT ON TABLE "s"."t" FROM "{carol}" CASCADE`,
			`GRANT SELECT ON TABLE "s"."t" TO "{carol}" WITH GRANT OPTION`,
		},
		after: []check{
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", false},
			{"SELECT has_table_privilege('{bob}', 's.t', 'SELECT')", true},
			{"SELECT has_table_privilege('{bob}', 's.t', 'SELECT WITH GRANT OPTION')", false},
			{aclHas("t", "bob", "carol", "SELECT", true), false},
			{aclHas("t", "carol", "alice", "SELECT", true), true},
		},
	},
	{
		id: "C10e", name: "owner's cascade would take an undeclared role's grant: not cascaded, blocked with the reason",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}, {bob}; RESET ROLE`,
		policy:  scopeS + `role "{dave}" {}`,
		want:    nil, // the revoke is left out, with its fix
		blocked: "Nor does the owner take it by REVOKE GRANT OPTION FOR … FROM {carol} CASCADE: that would also take {bob}'s SELECT granted by {carol}",
		after: []check{
			{"SELECT has_table_privilege('{bob}', 's.t', 'SELECT')", true},
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", true},
			{aclHas("t", "carol", "alice", "SELECT", true), true},
		},
	},
	{
		id: "C10e2", name: "owner's cascade would reach column grants (PostgreSQL applies a table-level revoke to every column): not cascaded, blocked with the reason",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int, b int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION;
GRANT SELECT (b) ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; GRANT SELECT (b) ON s.t TO {bob}; RESET ROLE`,
		policy:  scopeS + `role "{dave}" {}`,
		want:    nil, // the revoke is left out, with its fix
		blocked: "Nor does the owner take it by REVOKE GRANT OPTION FOR … FROM {carol} CASCADE: on a table that also takes {bob}'s SELECT on column b granted by {carol}",
		after: []check{
			{"SELECT has_column_privilege('{bob}', 's.t', 'b', 'SELECT')", true},
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", true},
		},
	},
	{
		id: "C10f", name: "owner's cascade run by a member of the owner",
		as: "tool",
		setup: `GRANT {alice} TO {tool}; GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy: scopeS + `role "{dave}" {}`,
		want: []string{
			`REVOKE GRANT OPTION FOR SELECT ON TABLE "s"."t" FROM "{carol}" CASCADE`,
			`GRANT SELECT ON TABLE "s"."t" TO "{carol}" WITH GRANT OPTION`,
		},
		after: []check{
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", false},
			{aclHas("t", "carol", "alice", "SELECT", true), true},
		},
	},
	{
		id: "C10g", name: "a role that is neither the grantor, the owner nor a member of it: stays not executable",
		as: "tool",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}, {tool}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy:  scopeS + `role "{dave}" {}`,
		want:    nil,
		blocked: "Nor can {tool} take it as the owner would",
		after:   []check{{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", true}},
	},
	{
		id: "C12", name: "grant option drift",
		setup: "SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {bob} WITH GRANT OPTION; RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
		want:  []string{`REVOKE GRANT OPTION FOR SELECT ON TABLE "s"."t" FROM "{bob}"`},
		after: []check{{"SELECT has_table_privilege('{bob}', 's.t', 'SELECT WITH GRANT OPTION')", false}, {"SELECT has_table_privilege('{bob}', 's.t', 'SELECT')", true}},
	},
	{
		id: "C13", name: "revoking a role that has dependants cascades; the dependant is re-granted by the owner",
		setup: `GRANT USAGE ON SCHEMA s TO {carol}; SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT ON s.t TO {carol} WITH GRANT OPTION; RESET ROLE;
SET ROLE {carol}; GRANT SELECT ON s.t TO {dave}; RESET ROLE`,
		policy: scopeS + `role "{carol}" {}
role "{dave}" {
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
		want: []string{`GRANT SELECT ON TABLE "s"."t" TO "{dave}"`, `REVOKE SELECT ON TABLE "s"."t" FROM "{carol}" CASCADE`, `REVOKE USAGE ON SCHEMA "s" FROM "{carol}"`},
		after: []check{
			{"SELECT has_table_privilege('{carol}', 's.t', 'SELECT')", false},
			{"SELECT has_table_privilege('{dave}', 's.t', 'SELECT')", true},
		},
	},
	{
		id: "C14", name: "a non-superuser member of the owner grants as the owner",
		as:    "tool",
		setup: "GRANT {alice} TO {tool}; SET ROLE {alice}; CREATE TABLE s.t(a int); RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["UPDATE"]
  }
}`,
		want:  []string{`GRANT UPDATE ON TABLE "s"."t" TO "{bob}"`},
		after: []check{{"SELECT has_table_privilege('{bob}', 's.t', 'UPDATE')", true}},
	},
	{
		id: "C18", name: "object created by a member of the FOR ROLE role is not covered by default privileges: granted explicitly",
		as:    "superuser",
		setup: "GRANT CREATE ON SCHEMA s TO {app_owner}; ALTER DEFAULT PRIVILEGES FOR ROLE {app_owner} IN SCHEMA s GRANT SELECT ON TABLES TO {bob}; SET ROLE {dev}; CREATE TABLE s.t_dev(a int); RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["SELECT"]
  }
  default_privileges "table" {
    for_role   = "{app_owner}"
    schema     = "s"
    privileges = ["SELECT"]
  }
}`,
		want:  []string{`GRANT SELECT ON TABLE "s"."t_dev" TO "{bob}"`},
		after: []check{{"SELECT has_table_privilege('{bob}', 's.t_dev', 'SELECT')", true}},
	},
	{
		id: "C25", name: "16+: managing another role's default privileges needs INHERIT",
		minVersion: 160000, as: "tool",
		setup: "GRANT {app_owner} TO {tool} WITH INHERIT FALSE, SET TRUE",
		policy: scopeS + `role "{bob}" {
  default_privileges "table" {
    for_role   = "{app_owner}"
    privileges = ["SELECT"]
  }
}`,
		want:    nil, // left out, with its fix
		blocked: "only {app_owner}, a member of it with INHERIT, or a superuser",
	},
	{
		id: "C27", name: "serial and identity sequences get the sequence default privileges",
		setup: `ALTER DEFAULT PRIVILEGES FOR ROLE {alice} IN SCHEMA s GRANT USAGE ON SEQUENCES TO {bob};
SET ROLE {alice}; CREATE TABLE s.ser(id serial, id2 int GENERATED ALWAYS AS IDENTITY); RESET ROLE`,
		policy: scopeS + `role "{bob}" {
  grant "sequence" {
    privileges = ["USAGE"]
  }
  default_privileges "sequence" {
    for_role   = "{alice}"
    schema     = "s"
    privileges = ["USAGE"]
  }
}`,
		after: []check{{"SELECT has_sequence_privilege('{bob}', 's.ser_id_seq', 'USAGE')", true}, {"SELECT has_sequence_privilege('{bob}', 's.ser_id2_seq', 'USAGE')", true}},
	},
	{
		id: "C29", name: "every relkind is a table; sequences are not",
		setup: `SET ROLE {alice}; CREATE TABLE s.r(a int); CREATE TABLE s.p(a int) PARTITION BY RANGE (a);
CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM (0) TO (10); CREATE VIEW s.v AS SELECT 1 AS x;
CREATE MATERIALIZED VIEW s.m AS SELECT 1 AS x; CREATE SEQUENCE s.q; RESET ROLE`,
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
		want: []string{`GRANT SELECT ON TABLE "s"."m", "s"."p", "s"."p1", "s"."r", "s"."v" TO "{bob}"`},
		after: []check{
			{"SELECT has_table_privilege('{bob}', 's.p1', 'SELECT')", true},
			{"SELECT has_sequence_privilege('{bob}', 's.q', 'SELECT')", false},
		},
	},
	{
		id: "C32", name: "column privileges: has_any_column_privilege without has_table_privilege",
		setup: "SET ROLE {alice}; CREATE TABLE s.r(pub int, secret int); RESET ROLE",
		policy: scopeS + `role "{carol}" {
  grant "table" {
    names      = ["r"]
    columns    = ["pub"]
    privileges = ["SELECT", "UPDATE"]
  }
}`,
		want: []string{`GRANT SELECT ("pub"), UPDATE ("pub") ON TABLE "s"."r" TO "{carol}"`},
		after: []check{
			{"SELECT has_table_privilege('{carol}', 's.r', 'SELECT')", false},
			{"SELECT has_any_column_privilege('{carol}', 's.r', 'SELECT')", true},
			{"SELECT has_column_privilege('{carol}', 's.r', 'secret', 'SELECT')", false},
		},
	},
	{
		id: "C33", name: "a table-level revoke wipes column grants: the plan grants them again after it",
		setup: "SET ROLE {alice}; CREATE TABLE s.r(pub int, secret int); GRANT SELECT ON s.r TO {carol}; GRANT SELECT (pub) ON s.r TO {carol}; RESET ROLE",
		policy: scopeS + `role "{carol}" {
  grant "table" {
    names      = ["r"]
    columns    = ["pub"]
    privileges = ["SELECT"]
  }
}`,
		want: []string{`REVOKE SELECT ON TABLE "s"."r" FROM "{carol}"`, `GRANT SELECT ("pub") ON TABLE "s"."r" TO "{carol}"`},
		after: []check{
			{"SELECT has_column_privilege('{carol}', 's.r', 'pub', 'SELECT')", true},
			{"SELECT has_column_privilege('{carol}', 's.r', 'secret', 'SELECT')", false},
			{"SELECT has_table_privilege('{carol}', 's.r', 'SELECT')", false},
		},
	},
	{
		id: "C34", name: "a column grant not declared is revoked; the table-level grant stays",
		setup: "SET ROLE {alice}; CREATE TABLE s.r(pub int); GRANT SELECT ON s.r TO {carol}; GRANT SELECT (pub), UPDATE (pub) ON s.r TO {carol}; RESET ROLE",
		policy: scopeS + `role "{carol}" {
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
		want:  []string{`REVOKE SELECT ("pub"), UPDATE ("pub") ON TABLE "s"."r" FROM "{carol}"`},
		after: []check{{"SELECT has_column_privilege('{carol}', 's.r', 'pub', 'SELECT')", true}, {"SELECT has_column_privilege('{carol}', 's.r', 'pub', 'UPDATE')", false}},
	},
	{
		id: "C36", name: "overloaded functions by signature",
		setup: "SET ROLE {alice}; CREATE FUNCTION s.f(int) RETURNS int LANGUAGE sql AS 'select 1'; CREATE FUNCTION s.f(text) RETURNS int LANGUAGE sql AS 'select 2'; RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "function" {
    names      = ["f(integer)"]
    privileges = ["EXECUTE"]
  }
}`,
		want: []string{`GRANT EXECUTE ON FUNCTION "s"."f"(integer) TO "{bob}"`},
	},
	{
		id: "C37", name: "procedures need ON PROCEDURE; aggregates are functions",
		setup: `SET ROLE {alice}; CREATE PROCEDURE s.p(a int) LANGUAGE sql AS 'select 1';
CREATE AGGREGATE s.ag(int) (SFUNC = int4pl, STYPE = int); RESET ROLE`,
		policy: scopeS + `role "{bob}" {
  grant "function" {
    privileges = ["EXECUTE"]
  }
}
public {
  function = []
}`,
		want: []string{
			`GRANT EXECUTE ON FUNCTION "s"."ag"(integer) TO "{bob}"`,
			`GRANT EXECUTE ON PROCEDURE "s"."p"({proc_in}a integer) TO "{bob}"`,
			`REVOKE EXECUTE ON FUNCTION "s"."ag"(integer) FROM PUBLIC`,
			`REVOKE EXECUTE ON PROCEDURE "s"."p"({proc_in}a integer) FROM PUBLIC`,
		},
		after: []check{{"SELECT has_function_privilege('{carol}', 's.p(int)', 'EXECUTE')", false}},
	},
	{
		id: "C41", name: "extension members are left alone",
		as:    "superuser",
		setup: "CREATE EXTENSION citext SCHEMA s",
		policy: scopeS + `role "{bob}" {}
public {
  function = []
  type     = []
}`,
	},
	{
		id: "C42", name: "languages, foreign-data wrappers and servers",
		as:    "superuser",
		setup: "CREATE FOREIGN DATA WRAPPER w; CREATE SERVER srv FOREIGN DATA WRAPPER w; ALTER SERVER srv OWNER TO {alice}; CREATE TRUSTED LANGUAGE lang HANDLER plpgsql_call_handler",
		policy: scopeS + `role "{bob}" {
  grant "foreign_data_wrapper" {
    names      = ["w"]
    privileges = ["USAGE"]
  }
  grant "foreign_server" {
    names      = ["srv"]
    privileges = ["USAGE"]
  }
}
public {
  language = []
}`,
		want: []string{
			`GRANT USAGE ON FOREIGN DATA WRAPPER "w" TO "{bob}"`,
			`GRANT USAGE ON FOREIGN SERVER "srv" TO "{bob}"`,
			`REVOKE USAGE ON LANGUAGE "lang", "sql" FROM PUBLIC`,
		},
		after: []check{
			{"SELECT has_foreign_data_wrapper_privilege('{bob}', 'w', 'USAGE')", true},
			{"SELECT has_server_privilege('{bob}', 'srv', 'USAGE')", true},
			{"SELECT has_language_privilege('{carol}', 'lang', 'USAGE')", false},
		},
	},
	{
		id: "C44", name: "17+: ALL on tables includes MAINTAIN",
		minVersion: 170000,
		setup:      "SET ROLE {alice}; CREATE TABLE s.t(a int); RESET ROLE",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["ALL"]
  }
}`,
		want:  []string{`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN ON TABLE "s"."t" TO "{bob}"`},
		after: []check{{"SELECT has_table_privilege('{bob}', 's.t', 'MAINTAIN')", true}},
	},
	{
		id: "C45", name: "effective privileges outside the ACL break a deny invariant",
		minVersion: 140000,
		setup:      "SET ROLE {alice}; CREATE TABLE s.t(a int); RESET ROLE; GRANT pg_write_all_data TO {bob}",
		policy: scopeS + `role "{bob}" {
  external = true
  member_of "pg_write_all_data" {}
  deny {
    kinds      = ["table"]
    privileges = ["INSERT"]
  }
}`,
		violations: []string{"{bob}: INSERT on table s.t via {bob} → member of pg_write_all_data"},
	},
	{
		id: "C45b", name: "SET ROLE breaks a deny: a NOINHERIT member can SET ROLE to the role that holds the grant",
		setup: "SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT USAGE ON SCHEMA s TO {carol}; GRANT INSERT ON s.t TO {carol}; RESET ROLE; " +
			"ALTER ROLE {bob} NOINHERIT; GRANT {carol} TO {bob}",
		policy: scopeS + `role "{bob}" {
  external = true
  deny {
    kinds      = ["table"]
    privileges = ["INSERT"]
  }
}`,
		violations: []string{"{bob}: INSERT on table s.t via {bob} → SET ROLE {carol}"},
		after: []check{
			// PostgreSQL's own answer: bob holds nothing, but may become carol, who does.
			{"SELECT has_table_privilege('{bob}', 's.t', 'INSERT')", false},
			{"SELECT pg_has_role('{bob}', '{carol}', 'MEMBER') AND has_table_privilege('{carol}', 's.t', 'INSERT')", true},
		},
	},
	{
		id: "C45c", name: "16+: SET ROLE breaks a deny through a membership WITH INHERIT FALSE, SET TRUE; SET FALSE keeps it",
		minVersion: 160000,
		setup: "SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT USAGE ON SCHEMA s TO {carol}, {dave}; GRANT INSERT ON s.t TO {carol}, {dave}; RESET ROLE; " +
			"GRANT {carol} TO {bob} WITH INHERIT FALSE, SET TRUE; GRANT {dave} TO {bob} WITH INHERIT FALSE, SET FALSE",
		policy: scopeS + `role "{bob}" {
  external = true
  member_of "{carol}" {
    inherit = false
  }
  member_of "{dave}" {
    inherit = false
    set     = false
  }
  deny {
    kinds      = ["table"]
    privileges = ["INSERT"]
  }
}`,
		violations: []string{"{bob}: INSERT on table s.t via {bob} → SET ROLE {carol}"},
		after: []check{
			{"SELECT has_table_privilege('{bob}', 's.t', 'INSERT')", false},
			{"SELECT pg_has_role('{bob}', '{carol}', 'SET')", true},
			{"SELECT pg_has_role('{bob}', '{dave}', 'SET')", false},
		},
	},
	{
		id: "C46", name: "15+: parameters, case-folded; cluster-wide, so the case revokes them afterwards",
		minVersion: 150000, as: "superuser",
		policy: scopeS + `role "{bob}" {
  grant "parameter" {
    names      = ["Log_Statement"]
    privileges = ["SET"]
  }
}`,
		want:    []string{`GRANT SET ON PARAMETER "log_statement" TO "{bob}"`},
		after:   []check{{"SELECT has_parameter_privilege('{bob}', 'log_statement', 'SET')", true}},
		cleanup: `REVOKE SET ON PARAMETER log_statement FROM {bob}`,
	},
	{
		id: "C48", name: "case and quoting: MixedCase and mixedcase are two tables",
		setup: `SET ROLE {alice}; CREATE TABLE s."MixedCase"(a int); CREATE TABLE s.mixedcase(a int); CREATE TABLE s."we""ird; name"(a int); RESET ROLE`,
		policy: scopeS + `role "{bob}" {
  grant "table" {
    names      = ["MixedCase", "we\"ird; name"]
    privileges = ["SELECT"]
  }
}`,
		want: []string{`GRANT SELECT ON TABLE "s"."MixedCase", "s"."we""ird; name" TO "{bob}"`},
		after: []check{
			{`SELECT has_table_privilege('{bob}', 's."MixedCase"', 'SELECT')`, true},
			{`SELECT has_table_privilege('{bob}', 's.mixedcase', 'SELECT')`, false},
		},
	},
	{
		id: "C51", name: "16+: membership options change in place",
		minVersion: 160000, as: "superuser",
		setup: "GRANT {carol} TO {bob}",
		policy: scopeS + `role "{bob}" {
  member_of "{carol}" {
    inherit = false
  }
}`,
		want:  []string{`REVOKE INHERIT OPTION FOR "{carol}" FROM "{bob}"`},
		after: []check{{"SELECT pg_has_role('{bob}', '{carol}', 'USAGE')", false}, {"SELECT pg_has_role('{bob}', '{carol}', 'MEMBER')", true}},
	},
	{
		id: "C56", name: "a retired role loses everything it holds in scope",
		setup: `SET ROLE {alice}; CREATE TABLE s.t(a int); GRANT SELECT, INSERT ON s.t TO {bob};
ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO {bob}; RESET ROLE; GRANT CONNECT ON DATABASE "{db}" TO {bob}`,
		policy: scopeS + `role "{bob}" {
  ensure = "absent"
}`,
		want: []string{
			`REVOKE SELECT, INSERT ON TABLE "s"."t" FROM "{bob}"`,
			`REVOKE CONNECT ON DATABASE "{db}" FROM "{bob}"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" IN SCHEMA "s" REVOKE SELECT ON TABLES FROM "{bob}"`,
		},
		after: []check{{"SELECT has_table_privilege('{bob}', 's.t', 'SELECT')", false}},
	},
	{
		id: "C60", name: "one superuser-owned object does not abort the schema: it is reported at plan time",
		as:    "alice",
		setup: "SET ROLE {alice}; CREATE TABLE s.mine(a int); RESET ROLE; CREATE TABLE s.b_other(a int)",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    privileges = ["SELECT"]
  }
}`,
		want:    []string{`GRANT SELECT ON TABLE "s"."mine" TO "{bob}"`},
		blocked: "owned by postgres",
	},
	{
		id: "C60b", name: "the owner selector leaves the foreign-owned object out",
		setup: "SET ROLE {alice}; CREATE TABLE s.mine(a int); RESET ROLE; CREATE TABLE s.b_other(a int)",
		policy: scopeS + `role "{bob}" {
  grant "table" {
    owner      = "{alice}"
    privileges = ["SELECT"]
  }
}`,
		want:  []string{`GRANT SELECT ON TABLE "s"."mine" TO "{bob}"`},
		after: []check{{"SELECT has_table_privilege('{bob}', 's.mine', 'SELECT')", true}},
	},
}
