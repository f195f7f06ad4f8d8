package oracle

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
)

// hasPrivilege is PostgreSQL's answer to "may role use privilege u.p on
// the object (u.k, u.o, u.a)?", for the role the SQL expression role names:
// has_*_privilege per kind (see largeObjectPrivilege for large objects).
func hasPrivilege(role string, version int) string {
	return strings.NewReplacer("ROLE", role, "LARGE", largeObjectPrivilege(role, version)).Replace(`CASE u.k
  WHEN 'database' THEN pg_catalog.has_database_privilege(ROLE::name, u.o, u.p)
  WHEN 'schema'   THEN pg_catalog.has_schema_privilege(ROLE::name, u.o, u.p)
  WHEN 'table'    THEN pg_catalog.has_table_privilege(ROLE::name, u.o, u.p)
  WHEN 'sequence' THEN pg_catalog.has_sequence_privilege(ROLE::name, u.o, u.p)
  WHEN 'function' THEN pg_catalog.has_function_privilege(ROLE::name, u.o, u.p)
  WHEN 'type'     THEN pg_catalog.has_type_privilege(ROLE::name, u.o, u.p)
  WHEN 'column'   THEN pg_catalog.has_column_privilege(ROLE::name, u.o, u.a, u.p)
  WHEN 'language' THEN pg_catalog.has_language_privilege(ROLE::name, u.o, u.p)
  WHEN 'foreign_data_wrapper' THEN pg_catalog.has_foreign_data_wrapper_privilege(ROLE::name, u.o, u.p)
  WHEN 'foreign_server' THEN pg_catalog.has_server_privilege(ROLE::name, u.o, u.p)
  WHEN 'large_object' THEN LARGE
END`)
}

// sqlHasPrivilege asks, for each (role, kind, oid, attnum, privilege),
// what has_*_privilege answers; with reach, whether the role or a role of
// $6 it may SET ROLE to has it (pg_has_role(role, other, 'SET') on 16+, where
// membership options decide; 'MEMBER' before, where every membership
// allows SET ROLE).
func sqlHasPrivilege(version int, reach bool) string {
	answer := hasPrivilege("u.r", version)
	if reach {
		mode := "SET"
		if version < 160000 {
			mode = "MEMBER"
		}
		// $6 lists the roles a case's role may become: the case's own and
		// the predefined ones (not every role of pg_roles: other cases drop
		// theirs while this query runs).
		answer = `EXISTS (SELECT FROM (SELECT u.r UNION SELECT c FROM unnest($6::text[]) AS c
    WHERE u.r <> 'public' AND pg_catalog.pg_has_role(u.r::name, c::name, '` + mode + `')) AS s(r)
  WHERE ` + hasPrivilege("s.r", version) + `)`
	}
	return `SELECT ` + answer + `
FROM unnest($1::text[], $2::text[], $3::oid[], $4::int2[], $5::text[]) WITH ORDINALITY AS u(r, k, o, a, p, i)
ORDER BY u.i`
}

// largeObjectPrivilege is the large-object answer of hasPrivilege.
// has_largeobject_privilege is 18+. Before, PostgreSQL still answers: the
// role is a superuser, or an item of the ACL (expanded with acldefault and
// exploded, as the desired and grant-option checks read it) is PUBLIC's or
// of a role whose privileges the role has (pg_has_role USAGE), which is
// what the server's ACL check does with lo_compat_privileges off.
func largeObjectPrivilege(role string, version int) string {
	if version >= 180000 {
		return "pg_catalog.has_largeobject_privilege(" + role + "::name, u.o, u.p)"
	}
	return strings.ReplaceAll(`(COALESCE((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = ROLE), false) OR EXISTS (
    SELECT FROM pg_catalog.pg_largeobject_metadata m,
      LATERAL pg_catalog.aclexplode(COALESCE(m.lomacl, pg_catalog.acldefault('L', m.lomowner))) e
    WHERE m.oid = u.o AND e.privilege_type = u.p
      AND CASE WHEN e.grantee = 0 THEN true WHEN ROLE = 'public' THEN false
               ELSE pg_catalog.pg_has_role(ROLE::name, e.grantee, 'USAGE') END))`, "ROLE", role)
}

// sqlHasRole asks pg_has_role for each (role, other role, mode).
const sqlHasRole = `
SELECT pg_catalog.pg_has_role(u.r::name, u.o::name, u.m)
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(r, o, m, i)
ORDER BY u.i`

// checkEffective compares package introspect's catalog with st, and what
// access.EffectiveAccess computes from it with has_*_privilege and
// pg_has_role, for every role of the case, PUBLIC and the superuser.
func (k *checker) checkEffective(ctx context.Context, st *State, when string) error {
	cat, err := readCatalog(ctx, k.super, "", k.schemas)
	if err != nil {
		return fmt.Errorf("introspect %s: %w", when, err)
	}
	// Tablespaces and parameters are cluster-wide: the oracle leaves them
	// out (cases run in parallel on one cluster).
	checked := map[acl.Kind]bool{acl.KindDatabase: true, acl.KindSchema: true, acl.KindTable: true, acl.KindSequence: true,
		acl.KindFunction: true, acl.KindType: true, acl.KindColumn: true,
		acl.KindLanguage: true, acl.KindFDW: true, acl.KindServer: true, acl.KindLargeObject: true}
	byKey := map[string]*catalog.Object{}
	for _, o := range cat.Objects {
		if !checked[o.Kind] {
			continue
		}
		byKey[o.Key()] = o
		if so := st.ByKey[o.Key()]; so == nil {
			k.r.fail("introspect", "%s: introspect reads %s %s, which the oracle does not find", when, o.Kind, o.Object)
		} else if so.Extension {
			k.r.fail("introspect", "%s: introspect reads %s, an extension's member", when, so)
		}
	}
	roles := []string{"", k.superuser}
	for i, name := range k.m.RoleNames {
		if k.m.Case.roleOn(i) {
			roles = append(roles, name)
		}
	}
	eff := access.NewEffectiveAccess(cat)

	type query struct {
		role      string
		obj       *Obj
		priv      acl.Priv
		want      bool
		path      []access.Path
		wantReach bool
		reachPath []access.Path
	}
	var qs []query
	var qRole, qKind, qPriv []string
	var qOID []uint32
	var qAtt []int16
	for _, o := range st.Objects {
		if o.Extension {
			continue // not read by introspect, so unknown to EffectiveAccess
		}
		co := byKey[o.Key()]
		switch {
		case co == nil && o.Kind != acl.KindColumn:
			k.r.fail("introspect", "%s: introspect does not read %s", when, o)
			continue
		case co == nil && len(o.Items) > 0:
			k.r.fail("introspect", "%s: introspect does not read the column privileges of %s", when, o)
			continue
		case co == nil:
			// A column without column privileges: has_column_privilege
			// answers from the table.
			co = &catalog.Object{Object: acl.Object{Kind: acl.KindColumn, Schema: o.Schema, Name: o.Name, Column: o.Column, Subkind: o.Subkind}, Owner: o.Owner}
		default:
			k.compareACL(o, co, when)
		}
		for _, role := range roles {
			got, paths := eff.Of(role, co)
			reached, reachPaths := eff.Reach(role, co)
			acl.Valid(o.Kind, k.v).Each(func(p acl.Priv) {
				qs = append(qs, query{role: role, obj: o, priv: p, want: got.Has(p), path: paths, wantReach: reached.Has(p), reachPath: reachPaths})
				r := role
				if r == "" {
					r = "public"
				}
				qRole = append(qRole, r)
				qKind = append(qKind, o.Kind.String())
				qOID = append(qOID, o.OID)
				qAtt = append(qAtt, o.AttNum)
				qPriv = append(qPriv, p.String())
			})
		}
	}
	targets := slices.Clone(roles[2:]) // the case's roles
	for _, p := range []struct {
		name  string
		since int
	}{{"pg_database_owner", 140000}, {"pg_read_all_data", 140000}, {"pg_write_all_data", 140000}, {"pg_maintain", 170000}} {
		if k.v >= p.since {
			targets = append(targets, p.name)
		}
	}
	for _, reach := range []bool{false, true} {
		args := []any{qRole, qKind, qOID, qAtt, qPriv}
		if reach {
			args = append(args, targets)
		}
		rows, err := k.super.Query(ctx, sqlHasPrivilege(k.v, reach), args...)
		if err != nil {
			return fmt.Errorf("has_*_privilege %s: %w", when, err)
		}
		i := 0
		for rows.Next() {
			var has bool
			if err := rows.Scan(&has); err != nil {
				rows.Close()
				return err
			}
			q := qs[i]
			if reach && has && !q.want {
				k.r.BySetRole++
			}
			switch {
			case !reach && has != q.want:
				k.r.fail("effective", "%s: has_%s_privilege(%s, %s, %s) is %t; pgward computes %t (paths: %v)",
					when, hasKind(q.obj.Kind), granteeName(q.role), q.obj, q.priv, has, q.want, q.path)
			case reach && has != q.wantReach:
				k.r.fail("effective", "%s: %s, or a role it may SET ROLE to, has %s on %s: %t; pgward's Reach computes %t (paths: %v)",
					when, granteeName(q.role), q.priv, q.obj, has, q.wantReach, q.reachPath)
			}
			i++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("has_*_privilege %s: %w", when, err)
		}
	}
	return k.checkMembership(ctx, eff, roles[1:], when)
}

func hasKind(k acl.Kind) string {
	if k == acl.KindColumn {
		return "column"
	}
	return k.String()
}

// compareACL compares introspect's ACL of an object with the oracle's.
func (k *checker) compareACL(o *Obj, co *catalog.Object, when string) {
	var got []ACLItem
	for _, it := range co.ACL {
		got = append(got, ACLItem{Grantee: string(it.Grantee), Grantor: it.Grantor, Privs: it.Privs.Privs, GrantOption: it.Privs.GrantOption})
	}
	want := slices.Clone(o.Items)
	less := func(a, b ACLItem) int {
		if a.Grantee != b.Grantee {
			return strings.Compare(a.Grantee, b.Grantee)
		}
		return strings.Compare(a.Grantor, b.Grantor)
	}
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		k.r.fail("introspect", "%s: introspect reads the ACL of %s as %v; aclexplode gives %v", when, o, got, want)
	}
	if co.Owner != o.Owner {
		k.r.fail("introspect", "%s: introspect reads the owner of %s as %s; it is %s", when, o, co.Owner, o.Owner)
	}
}

// checkMembership compares pg_has_role with EffectiveAccess for each pair
// of roles (and a few predefined ones as the second).
func (k *checker) checkMembership(ctx context.Context, eff *access.EffectiveAccess, roles []string, when string) error {
	others := slices.Clone(roles[1:]) // the case's roles, without the superuser
	if k.v >= 140000 {
		others = append(others, "pg_database_owner", "pg_read_all_data", "pg_write_all_data")
	}
	var qr, qo, qm []string
	var want []bool
	for _, r := range roles {
		for _, o := range others {
			qr, qo, qm = append(qr, r, r), append(qo, o, o), append(qm, "MEMBER", "USAGE")
			want = append(want, eff.IsMemberOf(r, o), eff.HasPrivilegesOf(r, o))
		}
	}
	rows, err := k.super.Query(ctx, sqlHasRole, qr, qo, qm)
	if err != nil {
		return fmt.Errorf("pg_has_role %s: %w", when, err)
	}
	i := 0
	for rows.Next() {
		var has bool
		if err := rows.Scan(&has); err != nil {
			rows.Close()
			return err
		}
		if has != want[i] {
			k.r.fail("member", "%s: pg_has_role(%s, %s, %s) is %t; pgward computes %t", when, qr[i], qo[i], qm[i], has, want[i])
		}
		i++
	}
	return rows.Err()
}
