package apply

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/policy"
)

// sqlPrivilegeState lists, one fact a line, every privilege an apply can
// change in the current database: the ACL items of relations, columns,
// schemas, functions and types of every non-system schema, of the database
// and of every default ACL (through aclexplode, a NULL ACL as the word NULL,
// so that "never granted" and "granted then revoked" differ), and the
// memberships and attributes of the roles $1. Lines are sorted bytewise, so
// two states are equal exactly when their texts are.
const sqlPrivilegeState = `
WITH nsp AS (
  SELECT oid, nspname, nspacl, nspowner FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
),
objects AS (
  SELECT 'relation ' || c.oid::regclass::text AS what, c.relacl AS acl FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
  UNION ALL
  SELECT 'column ' || a.attrelid::regclass::text || '.' || quote_ident(a.attname), a.attacl
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN nsp ON nsp.oid = c.relnamespace
    WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'schema ' || quote_ident(nspname), nspacl FROM nsp
  UNION ALL
  SELECT 'function ' || p.oid::regprocedure::text, p.proacl FROM pg_proc p JOIN nsp ON nsp.oid = p.pronamespace
  UNION ALL
  SELECT 'type ' || t.oid::regtype::text, t.typacl FROM pg_type t JOIN nsp ON nsp.oid = t.typnamespace
  UNION ALL
  SELECT 'database ' || quote_ident(datname), datacl FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT format('default %s %s %s', d.defaclrole::regrole, CASE WHEN d.defaclnamespace = 0 THEN '(global)' ELSE d.defaclnamespace::regnamespace::text END, d.defaclobjtype),
         d.defaclacl
    FROM pg_default_acl d
),
lines AS (
  SELECT o.what || CASE
           WHEN o.acl IS NULL THEN ' NULL'
           WHEN e.grantee IS NULL THEN ' {}'
           ELSE format(' %s=%s%s/%s', CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE e.grantee::regrole::text END,
                       e.privilege_type, CASE WHEN e.is_grantable THEN '*' ELSE '' END, e.grantor::regrole)
         END AS line
  FROM objects o LEFT JOIN LATERAL aclexplode(o.acl) e ON true
  UNION ALL
  SELECT format('membership %s in %s %s', m.member::regrole, m.roleid::regrole, to_jsonb(m) - 'oid' - 'roleid' - 'member')
    FROM pg_auth_members m
    WHERE m.member IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1))
       OR m.roleid IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1))
  UNION ALL
  SELECT format('role %s %s', quote_ident(r.rolname), to_jsonb(r) - 'oid' - 'rolname' - 'rolpassword')
    FROM pg_roles r WHERE r.rolname = ANY($1)
)
SELECT coalesce(string_agg(line, E'\n' ORDER BY line COLLATE "C"), '') FROM lines`

// privilegeState is sqlPrivilegeState of the database conn is connected to.
func privilegeState(ctx context.Context, conn *pgx.Conn, roles []string) (string, error) {
	var s string
	if err := conn.QueryRow(ctx, sqlPrivilegeState, roles).Scan(&s); err != nil {
		return "", fmt.Errorf("read the privilege state: %w", err)
	}
	return s, nil
}

// stateDiff shows the lines only one of two states has.
func stateDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// loadHCL loads one HCL policy file from memory.
func loadHCL(t testing.TB, src string) *policy.Policy {
	t.Helper()
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("%s\npolicy:\n%s", policy.FormatDiagnostics(diags), src)
	}
	return pol
}
