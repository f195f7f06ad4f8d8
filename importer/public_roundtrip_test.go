package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/policy"
)

// publicACLs lists every ACL item of schema app and its objects, NULL ACLs
// expanded with acldefault, as aclexplode gives them, PUBLIC by name.
const publicACLs = `
SELECT o.kind || ' ' || o.name || ': ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
       || ' ' || a.privilege_type || CASE WHEN a.is_grantable THEN ' grantable' ELSE '' END || ' by ' || a.grantor::regrole::text
FROM (
  SELECT 'schema' AS kind, nspname::text AS name, coalesce(nspacl, acldefault('n', nspowner)) AS acl FROM pg_namespace WHERE nspname = 'app'
  UNION ALL SELECT 'table', relname::text, coalesce(relacl, acldefault('r', relowner)) FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relkind = 'r'
  UNION ALL SELECT 'function', p.oid::regprocedure::text, coalesce(proacl, acldefault('f', proowner)) FROM pg_proc p WHERE pronamespace = 'app'::regnamespace
  UNION ALL SELECT 'type', typname::text, coalesce(typacl, acldefault('T', typowner)) FROM pg_type WHERE typnamespace = 'app'::regnamespace AND typtype IN ('d', 'e')
) o, aclexplode(o.acl) a
ORDER BY 1`

// publicDefaultACLs lists the rows of pg_default_acl, item by item.
const publicDefaultACLs = `
SELECT d.defaclrole::regrole::text || ' ' || coalesce(n.nspname, '(global)') || ' ' || d.defaclobjtype::text || ': '
       || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END || ' ' || a.privilege_type || ' by ' || a.grantor::regrole::text
FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
ORDER BY 1`

func queryList(t *testing.T, db *pgtest.DB, sql string) []string {
	t.Helper()
	rows, err := db.Conn(t).Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func queryBool(t *testing.T, db *pgtest.DB, sql string) bool {
	t.Helper()
	var b bool
	if err := db.Conn(t).QueryRow(context.Background(), sql).Scan(&b); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return b
}

// TestRoundTrip_public (issue 13): PUBLIC's per-object privileges
// (EXECUTE revoked from one SECURITY DEFINER function while another keeps
// it, SELECT granted on a table, USAGE revoked from one domain) and its
// default privileges (EXECUTE and USAGE taken away globally for the
// owner's future functions and types, SELECT added in one schema for its
// future tables) are imported exactly: plan against the database is empty,
// and the import, in HCL and in YAML, applied to a bare copy of the schema
// gives the same ACLs (aclexplode) and the same pg_default_acl rows, with
// has_function_privilege false on the function where the original says
// false, also for a function the owner creates afterwards.
func TestRoundTrip_public(t *testing.T) {
	a := pgtest.NewDB(t)
	owner, some := a.RoleName("app_owner"), a.RoleName("some_role")
	a.CreateRole(t, owner, "NOLOGIN")
	a.CreateRole(t, some, "LOGIN")
	q := func(s string) string {
		// {some} is a role name in a string literal (has_*_privilege).
		return strings.NewReplacer("{owner}", ident.Quote(owner), "{some}", some).Replace(s)
	}
	ddl := q(`CREATE SCHEMA app AUTHORIZATION {owner};
SET ROLE {owner};
CREATE FUNCTION app.secdef() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';
CREATE FUNCTION app.open() RETURNS int LANGUAGE sql AS 'select 1';
CREATE TABLE app.t(a int);
CREATE DOMAIN app.d AS int;
CREATE DOMAIN app.e AS int;
RESET ROLE;`)
	a.Exec(t, ddl)
	a.Exec(t, q(`SET ROLE {owner};
REVOKE EXECUTE ON FUNCTION app.secdef() FROM PUBLIC;
GRANT SELECT ON app.t TO PUBLIC;
REVOKE USAGE ON DOMAIN app.e FROM PUBLIC;
RESET ROLE;
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} REVOKE USAGE ON TYPES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;`))
	secdef := q(`SELECT has_function_privilege('{some}', 'app.secdef()', 'EXECUTE')`)
	if queryBool(t, a, secdef) {
		t.Fatal("setup: some_role can run app.secdef()")
	}

	out := roundTrip(t, a, importer.Options{Roles: []string{owner, some}, Schemas: []string{"app"}})
	for _, n := range out.im.Notes {
		if n.Reason != importer.ReasonOwnerPrivileges {
			t.Errorf("unexpected note: %s", n.Text)
		}
	}
	if !strings.Contains(string(out.hcl), `except     = ["secdef()"]`) && !strings.Contains(string(out.hcl), `names      = ["open()"]`) &&
		!strings.Contains(string(out.hcl), `names      = ["open"]`) {
		t.Errorf("the import does not single out app.secdef() for PUBLIC:\n%s", out.hcl)
	}
	if testing.Verbose() {
		t.Logf("import:\n%s", out.hcl)
	}
	wantACLs, wantDefaults := queryList(t, a, publicACLs), queryList(t, a, publicDefaultACLs)
	for _, f := range []struct {
		name string
		pol  *policy.Policy
	}{{"hcl", out.pol}, {"yaml", loadYAML(t, out.yaml)}} {
		t.Run("bare copy, "+f.name, func(t *testing.T) {
			b := pgtest.NewDBOn(t, a.Server)
			b.Exec(t, ddl)
			if !queryBool(t, b, secdef) {
				t.Fatal("the bare copy: some_role cannot run app.secdef() before apply")
			}
			applyPolicy(t, b.URL, f.pol)
			if p := livePlan(t, b, f.pol); !p.Empty() {
				t.Errorf("plan after apply is not empty:\n%s", planText(p))
			}
			diffLists(t, "ACL items (aclexplode)", wantACLs, queryList(t, b, publicACLs))
			diffLists(t, "default ACL items (pg_default_acl)", wantDefaults, queryList(t, b, publicDefaultACLs))
			if queryBool(t, b, secdef) {
				t.Error("after apply, some_role can run app.secdef(); the original says it cannot")
			}
			b.Exec(t, q(`SET ROLE {owner}; CREATE FUNCTION app.later() RETURNS int LANGUAGE sql AS 'select 1'; CREATE TABLE app.t2(a int); RESET ROLE`))
			for sql, want := range map[string]bool{
				q(`SELECT has_function_privilege('{some}', 'app.later()', 'EXECUTE')`): false,
				q(`SELECT has_table_privilege('{some}', 'app.t2', 'SELECT')`):          true,
			} {
				if got := queryBool(t, b, sql); got != want {
					t.Errorf("%s = %t, want %t", sql, got, want)
				}
			}
			if p := livePlan(t, b, f.pol); !p.Empty() {
				t.Errorf("plan after the owner creates a function and a table is not empty:\n%s", planText(p))
			}
			if t.Failed() {
				t.Logf("policy:\n%s", out.hcl)
			}
		})
	}
}
