package oracle

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/acl"
)

// Obj is an object as the oracle reads it, with its own queries (not
// package introspect's): the ACL expanded with acldefault and exploded.
type Obj struct {
	Kind     acl.Kind
	Subkind  byte
	Schema   string // "" for the database and schemas
	Name     string // the schema's name for a schema; the table's for a column
	Args     string // pg_get_function_identity_arguments
	ArgTypes string // oidvectortypes(proargtypes)
	Column   string
	OID      uint32 // the relation's for a column
	AttNum   int16
	Owner    string
	// Extension: an extension's member (plpgsql), which pgward neither
	// reads nor manages.
	Extension bool
	// Items are the ACL's privileges, one per (grantee, grantor); Grantee
	// "" is PUBLIC.
	Items []ACLItem
}

// ACLItem is what one grantee holds by the grant of one grantor.
type ACLItem struct {
	Grantee, Grantor string
	Privs            acl.Priv
	GrantOption      acl.Priv
}

// Key identifies an object the way acl.Object.Key does.
func (o *Obj) Key() string {
	return acl.Object{Kind: o.Kind, Schema: o.Schema, Name: o.Name, Args: o.Args, Column: o.Column}.Key()
}

// String is a readable name: kind schema.name(args).column.
func (o *Obj) String() string {
	return o.Kind.String() + " " + acl.Object{Kind: o.Kind, Schema: o.Schema, Name: o.Name, Args: o.Args, Column: o.Column}.String()
}

// held sums the items of grantee, split by whether the object's owner
// granted them.
func (o *Obj) held(grantee string) (fromOwner, fromOthers ACLItem) {
	for _, it := range o.Items {
		if it.Grantee != grantee {
			continue
		}
		t := &fromOthers
		if it.Grantor == o.Owner {
			t = &fromOwner
		}
		t.Privs |= it.Privs
		t.GrantOption |= it.GrantOption
	}
	return fromOwner, fromOthers
}

// DefaultKey names one grantee's entry in one pg_default_acl row.
type DefaultKey struct {
	ForRole string
	Schema  string // "" for a global row
	Kind    acl.Kind
	Grantee string // "" for PUBLIC
}

// State is what the oracle reads of a database: the objects of the given
// schemas (all their columns included), the database itself, its
// languages, foreign-data wrappers, foreign servers and large objects
// (extension members too, marked), and every
// pg_default_acl row, global rows missing for a (role, kind) seen anywhere
// expanded to the built-in default.
type State struct {
	Objects  []*Obj
	ByKey    map[string]*Obj
	Defaults map[DefaultKey]Want
	globals  map[DefaultKey]bool
}

const sqlState = `
WITH sch AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY ($1::text[])
), objs AS (
  SELECT 'database' AS kind, '' AS subkind, '' AS schema, d.datname::text AS name, '' AS args, '' AS argtypes, '' AS col,
         d.oid AS oid, 0::int2 AS attnum, d.datdba AS owner, COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba)) AS acl,
         false AS ext
  FROM pg_catalog.pg_database d WHERE d.datname = current_database()
  UNION ALL
  SELECT 'schema', '', '', s.nspname::text, '', '', '', s.oid, 0::int2, s.nspowner, COALESCE(s.nspacl, pg_catalog.acldefault('n', s.nspowner)), false
  FROM sch s
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, c.relkind::text, s.nspname::text, c.relname::text, '', '', '',
         c.oid, 0::int2, c.relowner,
         COALESCE(c.relacl, pg_catalog.acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner)), false
  FROM pg_catalog.pg_class c JOIN sch s ON s.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  UNION ALL
  SELECT 'column', c.relkind::text, s.nspname::text, c.relname::text, '', '', a.attname::text, c.oid, a.attnum, c.relowner, a.attacl, false
  FROM pg_catalog.pg_class c JOIN sch s ON s.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
  SELECT 'function', p.prokind::text, s.nspname::text, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid),
         pg_catalog.oidvectortypes(p.proargtypes), '', p.oid, 0::int2, p.proowner, COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner)), false
  FROM pg_catalog.pg_proc p JOIN sch s ON s.oid = p.pronamespace
  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
  UNION ALL
  SELECT 'type', t.typtype::text, s.nspname::text, t.typname::text, '', '', '', t.oid, 0::int2, t.typowner,
         COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner)), false
  FROM pg_catalog.pg_type t JOIN sch s ON s.oid = t.typnamespace
  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
    AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
    AND (t.typtype <> 'm' OR current_setting('server_version_num')::int < 170000)
  UNION ALL
  SELECT 'language', CASE WHEN l.lanpltrusted THEN 't' ELSE 'u' END, '', l.lanname::text, '', '', '', l.oid, 0::int2, l.lanowner,
         COALESCE(l.lanacl, pg_catalog.acldefault('l', l.lanowner)),
         EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_language'::regclass AND d.objid = l.oid AND d.deptype = 'e')
  FROM pg_catalog.pg_language l
  UNION ALL
  SELECT 'foreign_data_wrapper', '', '', w.fdwname::text, '', '', '', w.oid, 0::int2, w.fdwowner,
         COALESCE(w.fdwacl, pg_catalog.acldefault('F', w.fdwowner)), false
  FROM pg_catalog.pg_foreign_data_wrapper w
  UNION ALL
  SELECT 'foreign_server', '', '', f.srvname::text, '', '', '', f.oid, 0::int2, f.srvowner,
         COALESCE(f.srvacl, pg_catalog.acldefault('S', f.srvowner)), false
  FROM pg_catalog.pg_foreign_server f
  UNION ALL
  SELECT 'large_object', '', '', m.oid::text, '', '', '', m.oid, 0::int2, m.lomowner,
         COALESCE(m.lomacl, pg_catalog.acldefault('L', m.lomowner)), false
  FROM pg_catalog.pg_largeobject_metadata m
)
SELECT o.kind, o.subkind, o.schema, o.name, o.args, o.argtypes, o.col, o.oid, o.attnum, ow.rolname::text, o.ext,
       CASE WHEN e.grantee = 0 THEN '' ELSE ge.rolname::text END, gr.rolname::text, e.privilege_type, e.is_grantable
FROM objs o
JOIN pg_catalog.pg_roles ow ON ow.oid = o.owner
LEFT JOIN LATERAL pg_catalog.aclexplode(o.acl) e ON true
LEFT JOIN pg_catalog.pg_roles ge ON ge.oid = e.grantee
LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = e.grantor`

const sqlDefaults = `
SELECT r.rolname::text, COALESCE(n.nspname::text, ''), d.defaclobjtype::text,
       CASE WHEN e.grantee = 0 THEN '' ELSE ge.rolname::text END, e.privilege_type, e.is_grantable
FROM pg_catalog.pg_default_acl d
JOIN pg_catalog.pg_roles r ON r.oid = d.defaclrole
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) e
LEFT JOIN pg_catalog.pg_roles ge ON ge.oid = e.grantee`

// ReadState reads the state of the database q is connected to; schemas
// names the schemas to read.
func ReadState(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, schemas []string) (*State, error) {
	st := &State{ByKey: map[string]*Obj{}, Defaults: map[DefaultKey]Want{}}
	rows, err := q.Query(ctx, sqlState, schemas)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	for rows.Next() {
		var (
			kind, subkind              string
			o                          Obj
			grantee, grantor, privName *string
			grantable                  *bool
		)
		if err := rows.Scan(&kind, &subkind, &o.Schema, &o.Name, &o.Args, &o.ArgTypes, &o.Column, &o.OID, &o.AttNum, &o.Owner, &o.Extension,
			&grantee, &grantor, &privName, &grantable); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read state: %w", err)
		}
		o.Kind, _ = acl.ParseKind(kind)
		if subkind != "" {
			o.Subkind = subkind[0]
		}
		obj := st.ByKey[o.Key()]
		if obj == nil {
			obj = &o
			st.ByKey[o.Key()] = obj
			st.Objects = append(st.Objects, obj)
		}
		if privName == nil {
			continue
		}
		p, ok := acl.ParsePriv(*privName)
		if !ok {
			rows.Close()
			return nil, fmt.Errorf("read state: unknown privilege %q", *privName)
		}
		obj.add(*grantee, *grantor, p, *grantable)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	sort.Slice(st.Objects, func(i, j int) bool { return st.Objects[i].Key() < st.Objects[j].Key() })

	rows, err = q.Query(ctx, sqlDefaults)
	if err != nil {
		return nil, fmt.Errorf("read default privileges: %w", err)
	}
	globals := map[DefaultKey]bool{} // (for_role, kind) of existing global rows
	for rows.Next() {
		var k DefaultKey
		var objtype, privName string
		var grantable bool
		if err := rows.Scan(&k.ForRole, &k.Schema, &objtype, &k.Grantee, &privName, &grantable); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read default privileges: %w", err)
		}
		k.Kind = defaultKind(objtype)
		p, _ := acl.ParsePriv(privName)
		w := st.Defaults[k]
		w.Privs |= p
		if grantable {
			w.GrantOption |= p
		}
		st.Defaults[k] = w
		if k.Schema == "" {
			globals[DefaultKey{ForRole: k.ForRole, Kind: k.Kind}] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read default privileges: %w", err)
	}
	st.globals = globals
	return st, nil
}

func (o *Obj) add(grantee, grantor string, p acl.Priv, grantable bool) {
	for i := range o.Items {
		if it := &o.Items[i]; it.Grantee == grantee && it.Grantor == grantor {
			it.Privs |= p
			if grantable {
				it.GrantOption |= p
			}
			return
		}
	}
	it := ACLItem{Grantee: grantee, Grantor: grantor, Privs: p}
	if grantable {
		it.GrantOption = p
	}
	o.Items = append(o.Items, it)
}

func defaultKind(objtype string) acl.Kind {
	for _, k := range defaultKinds {
		if string(k.DefaultACLObjType()) == objtype {
			return k
		}
	}
	return acl.KindInvalid
}

// DefaultOf is what a grantee holds in a default-privileges row, a missing
// global row read as the built-in default (the for_role's own rights, and
// PUBLIC's on functions and types).
func (st *State) DefaultOf(k DefaultKey, version int) Want {
	if k.Schema != "" || st.globals[DefaultKey{ForRole: k.ForRole, Kind: k.Kind}] {
		return st.Defaults[k]
	}
	switch {
	case k.Grantee == k.ForRole:
		return Want{Privs: acl.Valid(k.Kind, version)}
	case k.Grantee == "" && (k.Kind == acl.KindFunction || k.Kind == acl.KindType):
		return Want{Privs: acl.Valid(k.Kind, version)}
	}
	return Want{}
}
