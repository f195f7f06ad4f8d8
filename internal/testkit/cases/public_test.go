package cases

import "testing"

// TestPublicCases: PUBLIC as a grantee like any role (issue 13, points 1
// and 2): grant rules in the public block, with a role's precedence, and
// PUBLIC's default privileges, including PostgreSQL's built-in defaults.
func TestPublicCases(t *testing.T) {
	for _, c := range publicCases {
		t.Run(c.id+" "+c.name, func(t *testing.T) { run(t, c) })
	}
}

const threeFunctions = `SET ROLE {alice};
CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'select 1';
CREATE FUNCTION s.g(int) RETURNS int LANGUAGE sql AS 'select 1';
CREATE FUNCTION s.secdef() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';
RESET ROLE`

var publicCases = []pgCase{
	{
		id: "P01", name: "EXECUTE revoked from PUBLIC on one SECURITY DEFINER function, the others keep it",
		setup: threeFunctions,
		policy: scopeS + `public {
  grant "function" {
    schema     = "s"
    except     = ["secdef()"]
    privileges = ["EXECUTE"]
  }
}`,
		want: []string{`REVOKE EXECUTE ON FUNCTION "s"."secdef"() FROM PUBLIC`},
		after: []check{
			{"SELECT has_function_privilege('{carol}', 's.secdef()', 'EXECUTE')", false},
			{"SELECT has_function_privilege('{carol}', 's.f()', 'EXECUTE')", true},
			{"SELECT has_function_privilege('{carol}', 's.g(int)', 'EXECUTE')", true},
		},
	},
	{
		id: "P02", name: "PUBLIC's rules rank as a role's: exact name > pattern > no names; undeclared privileges revoked, declared ones granted",
		setup: `SET ROLE {alice};
CREATE TABLE s.t_a(a int); CREATE TABLE s.t_log(a int); CREATE TABLE s.other(a int);
GRANT UPDATE ON s.other TO PUBLIC; GRANT SELECT, DELETE ON s.t_log TO PUBLIC;
RESET ROLE`,
		policy: scopeS + `public {
  grant "table" {
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["t_*"]
    privileges = ["SELECT", "INSERT"]
  }
  grant "table" {
    names      = ["t_log"]
    privileges = ["INSERT"]
  }
}`,
		want: []string{
			`GRANT SELECT ON TABLE "s"."other" TO PUBLIC`,
			`GRANT SELECT, INSERT ON TABLE "s"."t_a" TO PUBLIC`,
			`GRANT INSERT ON TABLE "s"."t_log" TO PUBLIC`,
			`REVOKE UPDATE ON TABLE "s"."other" FROM PUBLIC`,
			`REVOKE SELECT, DELETE ON TABLE "s"."t_log" FROM PUBLIC`,
		},
		after: []check{
			{"SELECT has_table_privilege('{carol}', 's.other', 'SELECT')", true},
			{"SELECT has_table_privilege('{carol}', 's.other', 'UPDATE')", false},
			{"SELECT has_table_privilege('{carol}', 's.t_a', 'INSERT')", true},
			{"SELECT has_table_privilege('{carol}', 's.t_log', 'INSERT')", true},
			{"SELECT has_table_privilege('{carol}', 's.t_log', 'SELECT')", false},
			{"SELECT has_table_privilege('{carol}', 's.t_log', 'DELETE')", false},
		},
	},
	{
		id: "P03", name: "PUBLIC loses EXECUTE on the functions the owner creates from now on: a global entry",
		setup: threeFunctions,
		policy: scopeS + `role "{bob}" {
  grant "function" {
    privileges = ["EXECUTE"]
  }
  default_privileges "function" {
    for_role   = "{alice}"
    privileges = ["EXECUTE"]
  }
}
public {
  function = []
  default_privileges "function" {
    for_role   = "{alice}"
    privileges = []
  }
}`,
		want: []string{
			`GRANT EXECUTE ON FUNCTION "s"."f"(), "s"."g"(integer), "s"."secdef"() TO "{bob}"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" GRANT EXECUTE ON FUNCTIONS TO "{bob}"`,
			`REVOKE EXECUTE ON FUNCTION "s"."f"(), "s"."g"(integer), "s"."secdef"() FROM PUBLIC`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`,
		},
		later: "SET ROLE {alice}; CREATE FUNCTION s.later() RETURNS int LANGUAGE sql AS 'select 1'; RESET ROLE",
		after: []check{
			{"SELECT has_function_privilege('{carol}', 's.later()', 'EXECUTE')", false},
			{"SELECT has_function_privilege('{bob}', 's.later()', 'EXECUTE')", true},
			{"SELECT NOT EXISTS (SELECT FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE d.defaclrole = '{alice}'::regrole AND a.grantee = 0)", true},
		},
	},
	{
		id: "P04", name: "PUBLIC's USAGE on future types: a global entry; a per-schema entry gives it back in one schema",
		setup: "CREATE SCHEMA s2 AUTHORIZATION {alice}",
		policy: `scope {
  schemas = ["s", "s2"]
}
public {
  default_privileges "type" {
    for_role   = "{alice}"
    privileges = []
  }
  default_privileges "type" {
    for_role   = "{alice}"
    schema     = "s2"
    privileges = ["USAGE"]
  }
}`,
		want: []string{
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" IN SCHEMA "s2" GRANT USAGE ON TYPES TO PUBLIC`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" REVOKE USAGE ON TYPES FROM PUBLIC`,
		},
		later: "SET ROLE {alice}; CREATE DOMAIN s.d AS int; CREATE DOMAIN s2.d AS int; RESET ROLE",
		after: []check{
			{"SELECT has_type_privilege('{carol}', 's.d', 'USAGE')", false},
			{"SELECT has_type_privilege('{carol}', 's2.d', 'USAGE')", true},
		},
	},
	{
		id: "P05", name: "PUBLIC's default privileges: an undeclared per-schema entry is revoked, the built-in global one restored",
		setup: `ALTER DEFAULT PRIVILEGES FOR ROLE {alice} IN SCHEMA s GRANT SELECT ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE {alice} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE {dev} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`,
		policy: scopeS + `public {
  default_privileges "table" {
    for_role   = "{alice}"
    privileges = []
  }
  default_privileges "function" {
    for_role   = "{alice}"
    schema     = "s"
    privileges = ["EXECUTE"]
  }
}`,
		want: []string{
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" GRANT EXECUTE ON FUNCTIONS TO PUBLIC`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" IN SCHEMA "s" GRANT EXECUTE ON FUNCTIONS TO PUBLIC`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "{alice}" IN SCHEMA "s" REVOKE SELECT ON TABLES FROM PUBLIC`,
		},
		later: "SET ROLE {alice}; CREATE TABLE s.later(a int); CREATE FUNCTION s.later() RETURNS int LANGUAGE sql AS 'select 1'; RESET ROLE",
		after: []check{
			{"SELECT has_table_privilege('{carol}', 's.later', 'SELECT')", false},
			{"SELECT has_function_privilege('{carol}', 's.later()', 'EXECUTE')", true},
			// dev's entry is not declared: left alone.
			{"SELECT EXISTS (SELECT FROM pg_default_acl WHERE defaclrole = '{dev}'::regrole)", true},
		},
	},
	{
		id: "P06", name: "PUBLIC's column privileges by rule; the table-level revoke re-grants the declared columns",
		setup: `SET ROLE {alice}; CREATE TABLE s.t(a int, b int);
GRANT SELECT ON s.t TO PUBLIC; GRANT SELECT (b) ON s.t TO PUBLIC; RESET ROLE`,
		policy: scopeS + `public {
  table = []
  grant "table" {
    names      = ["t"]
    columns    = ["a"]
    privileges = ["SELECT"]
  }
}`,
		// A table-level REVOKE runs before the column grants of its table
		// (it wipes them), so the declared column is granted last.
		want: []string{
			`REVOKE SELECT ON TABLE "s"."t" FROM PUBLIC`,
			`REVOKE SELECT ("b") ON TABLE "s"."t" FROM PUBLIC`,
			`GRANT SELECT ("a") ON TABLE "s"."t" TO PUBLIC`,
		},
		after: []check{
			{"SELECT has_column_privilege('{carol}', 's.t', 'a', 'SELECT')", true},
			{"SELECT has_column_privilege('{carol}', 's.t', 'b', 'SELECT')", false},
			{"SELECT has_table_privilege('{carol}', 's.t', 'SELECT')", false},
		},
	},
}
