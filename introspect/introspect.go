package introspect

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
)

// Catalog is the state Read returns; see [catalog.Catalog].
type Catalog = catalog.Catalog

// Scope limits which schemas Read looks at. The zero value means every
// non-system schema of the database.
type Scope struct {
	// Schemas lists the schemas to read, by exact catalog name. Empty: every
	// schema except pg_catalog, information_schema, pg_toast and the
	// temporary schemas. Names that do not exist are ignored; system schemas
	// and schemas that belong to an extension are never read.
	Schemas []string
}

// Querier is what Read needs from a connection. *pgx.Conn, pgx.Tx and
// *pgxpool.Pool satisfy it; pass a transaction so that all queries share one
// snapshot.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Read reads the state of the connected database within scope.
//
// It runs five queries whatever the number of objects (server settings,
// roles, memberships, objects with their ACLs, default privileges) and
// neither begins nor ends a transaction: call it inside one, REPEATABLE READ
// and READ ONLY for a plan, so that the queries see one snapshot, and so
// that the search_path it pins (ident.SearchPath) holds for all of them:
// function signatures are then named the same through every connection. It needs
// no privilege beyond what every role has on the system catalogs.
//
// Scope limits the schemas, and so the relations, columns, functions and
// types read. The own ACL of the system schemas pg_catalog and
// information_schema is read whatever the scope, into
// Catalog.SystemSchemas (never their contents). The row types of tables,
// views, materialized views, foreign tables and partitioned tables are not
// managed (docs/policy.md, "Row types"): only those whose typacl is not
// NULL are read, into Catalog.RowTypes, so that plan and import can say
// so; one row type per table would double the objects read. The database itself, its languages, foreign-data wrappers,
// foreign servers and large objects, and the cluster's tablespaces and
// parameters are read whatever the scope:
//
//   - Columns are read only when their attacl is not NULL: a NULL attacl
//     means no column grants (there is no acldefault for columns), so such
//     columns are absent. Dropped columns are never read (13–16 keep their
//     attacl). Subkind is the table's relkind, Owner the table's owner.
//   - Languages: Subkind 't' for trusted ones, 'u' for untrusted ones (which
//     accept no GRANT; built-in c and internal are untrusted). plpgsql is an
//     extension member and, like every extension member, is not read.
//   - Large objects are named by their OID in decimal.
//   - Tablespaces include pg_default and pg_global (PostgreSQL accepts
//     grants on both).
//   - Parameters (PostgreSQL 15+; none before) are the pg_parameter_acl
//     rows: a parameter whose ACL is the default has no row and is absent.
//     Parameters have no owner; Owner is the bootstrap superuser, which the
//     default ACL (acldefault('p', 10)) grants everything.
//
// The result is deterministic: objects are sorted by (Kind, Schema, Name,
// Args, Column), names compared as strings (large object "10" sorts before
// "9"), ACL items by (Grantee, Grantor), default privileges by (ForRole,
// Schema, Kind), memberships by (Role, Member, Grantor). A membership grantor
// that no longer exists (possible before PostgreSQL 16, which does not track
// it) is read as "". A role VALID UNTIL 'infinity' reads as no expiry (nil),
// '-infinity' as the zero time.
//
// Errors wrap the failed query's error; there are no sentinels.
func Read(ctx context.Context, q Querier, scope Scope) (*Catalog, error) {
	c := &Catalog{Roles: map[string]*catalog.Role{}}
	if err := q.QueryRow(ctx, sqlSettings).Scan(&c.ServerVersion, &c.Database, &c.CurrentUser, nil, nil, nil); err != nil {
		return nil, fmt.Errorf("read server settings: %w", err)
	}

	names, err := readRoles(ctx, q, c)
	if err != nil {
		return nil, err
	}
	if err := readMemberships(ctx, q, c, names); err != nil {
		return nil, err
	}
	if err := readRoleSettings(ctx, q, c, names); err != nil {
		return nil, err
	}
	if err := readObjects(ctx, q, c, names, scope.Schemas); err != nil {
		return nil, err
	}
	if err := readDefaultACLs(ctx, q, c, names, scope.Schemas); err != nil {
		return nil, err
	}
	return c, nil
}

// roleNames maps role OIDs to names, as read in the same snapshot.
type roleNames map[uint32]string

func (m roleNames) name(oid uint32) (string, error) {
	n, ok := m[oid]
	if !ok {
		return "", fmt.Errorf("role with OID %d does not exist", oid)
	}
	return n, nil
}

// sqlSettings also turns parallel query and JIT compilation off for the
// rest of the transaction (set_config's is_local): the catalog queries
// that follow take tens to hundreds of milliseconds, and starting parallel
// workers or compiling them cost more than it saved (at 50,000 tables on 2
// cores the objects query took 0.76 s with both, 0.56 s without parallel
// workers, 0.36 s without either). It also pins search_path to
// ident.SearchPath, so that the signatures PostgreSQL formats
// (pg_get_function_identity_arguments, oidvectortypes) qualify the same
// types whatever the connection's own search_path, and so that statements
// the caller runs later in the transaction (apply's) resolve types the same
// way. Outside a transaction block all three last for this statement only:
// harmless for the first two, and the reason Read must run in a
// transaction (connstr's connections are pinned from their start anyway).
//
// The query is parsed under the connection's own search_path, before its pin
// takes effect, so every name in it is qualified: a schema ahead of
// pg_catalog could otherwise supply a "text" or a current_database() of its
// own (a domain named text turned this query into an error).
const sqlSettings = `SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4,
       pg_catalog.current_database()::pg_catalog.text, current_user::pg_catalog.text,
       pg_catalog.set_config('max_parallel_workers_per_gather', '0', true), pg_catalog.set_config('jit', 'off', true),
       pg_catalog.set_config('search_path', '` + ident.SearchPath + `', true)`

const sqlRoles = `
SELECT r.oid, r.rolname::text, r.rolsuper, r.rolcanlogin, r.rolinherit, r.rolcreatedb,
       r.rolcreaterole, r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil
FROM pg_catalog.pg_roles r`

func readRoles(ctx context.Context, q Querier, c *Catalog) (roleNames, error) {
	rows, err := q.Query(ctx, sqlRoles)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rows.Close()
	names := roleNames{}
	for rows.Next() {
		r := &catalog.Role{}
		var validUntil pgtype.Timestamptz
		if err := rows.Scan(&r.OID, &r.Name, &r.Superuser, &r.Login, &r.Inherit, &r.CreateDB,
			&r.CreateRole, &r.Replication, &r.BypassRLS, &r.ConnectionLimit, &validUntil); err != nil {
			return nil, fmt.Errorf("read roles: %w", err)
		}
		r.ValidUntil = expiry(validUntil)
		c.Roles[r.Name] = r
		names[r.OID] = r.Name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	return names, nil
}

// expiry maps rolvaliduntil to the model: NULL and 'infinity' never expire
// (nil); '-infinity' has always expired (the zero time).
func expiry(ts pgtype.Timestamptz) *time.Time {
	if !ts.Valid {
		return nil
	}
	switch ts.InfinityModifier {
	case pgtype.Infinity:
		return nil
	case pgtype.NegativeInfinity:
		return &time.Time{}
	}
	t := ts.Time
	return &t
}

// sqlMemberships reads pg_auth_members as OIDs, named with the roles read
// in the same snapshot: joining pg_roles (a view over two catalogs) three
// times made it the slowest of the small queries. inherit_option and
// set_option exist on 16+ only; before, the member's rolinherit applies to
// every membership and SET is always allowed (sqlMemberships15).
const sqlMemberships = `
SELECT am.roleid, am.member, am.grantor, am.admin_option, am.inherit_option, am.set_option
FROM pg_catalog.pg_auth_members am
WHERE NOT (am.roleid < 16384 AND am.member < 16384)`

const sqlMemberships15 = `
SELECT am.roleid, am.member, am.grantor, am.admin_option, NULL::bool, true
FROM pg_catalog.pg_auth_members am
WHERE NOT (am.roleid < 16384 AND am.member < 16384)`

func readMemberships(ctx context.Context, q Querier, c *Catalog, names roleNames) error {
	query := sqlMemberships
	if c.ServerVersion < 160000 {
		query = sqlMemberships15
	}
	rows, err := q.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("read memberships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			role, member, grantor uint32
			m                     catalog.Membership
			inherit               *bool
		)
		if err := rows.Scan(&role, &member, &grantor, &m.Admin, &inherit, &m.Set); err != nil {
			return fmt.Errorf("read memberships: %w", err)
		}
		var okRole, okMember bool
		m.Role, okRole = names[role]
		m.Member, okMember = names[member]
		if !okRole || !okMember {
			continue // not possible within one snapshot; the join this replaced skipped such rows
		}
		// A grantor that no longer exists (possible before 16) reads as "".
		m.Grantor = names[grantor]
		if inherit != nil {
			m.Inherit = *inherit
		} else {
			m.Inherit = c.Roles[m.Member].Inherit
		}
		c.Memberships = append(c.Memberships, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read memberships: %w", err)
	}
	slices.SortFunc(c.Memberships, func(a, b catalog.Membership) int {
		return cmp.Or(cmp.Compare(a.Role, b.Role), cmp.Compare(a.Member, b.Member), cmp.Compare(a.Grantor, b.Grantor))
	})
	return nil
}

// sqlRoleSettings reads the roles' pg_db_role_setting rows (setrole 0
// holds ALTER DATABASE … SET, which is not a role's) and, as rows of
// setrole 0 in the same round trip, the context of every parameter the
// server knows: whether ALTER ROLE … SET may set it, and who may; and,
// with no setconfig, the names of the cluster's databases (IN DATABASE
// names one).
const sqlRoleSettings = `
SELECT s.setrole, COALESCE(d.datname::pg_catalog.text, ''), s.setconfig
FROM pg_catalog.pg_db_role_setting s
LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
WHERE s.setrole <> 0
UNION ALL
SELECT 0::pg_catalog.oid, pg_catalog.lower(p.name), ARRAY[p.context]
FROM pg_catalog.pg_settings p
UNION ALL
SELECT 0::pg_catalog.oid, d.datname::pg_catalog.text, NULL
FROM pg_catalog.pg_database d`

func readRoleSettings(ctx context.Context, q Querier, c *Catalog, names roleNames) error {
	rows, err := q.Query(ctx, sqlRoleSettings)
	if err != nil {
		return fmt.Errorf("read role settings: %w", err)
	}
	defer rows.Close()
	c.ParameterContexts = map[string]string{}
	for rows.Next() {
		var (
			role     uint32
			database string
			config   []string
		)
		if err := rows.Scan(&role, &database, &config); err != nil {
			return fmt.Errorf("read role settings: %w", err)
		}
		switch {
		case role == 0 && config == nil:
			c.Databases = append(c.Databases, database)
			continue
		case role == 0:
			if len(config) == 1 {
				c.ParameterContexts[database] = config[0]
			}
			continue
		}
		r := c.Roles[names[role]]
		if r == nil {
			continue // not possible within one snapshot
		}
		for _, item := range config {
			// PostgreSQL writes each entry as name=value; a name holds no '='.
			name, value, ok := strings.Cut(item, "=")
			if !ok {
				return fmt.Errorf("read role settings of role %s: entry %q has no '='", r.Name, item)
			}
			r.Settings = append(r.Settings, catalog.Setting{Database: database, Name: strings.ToLower(name), Value: value})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read role settings: %w", err)
	}
	slices.Sort(c.Databases)
	for _, r := range c.Roles {
		slices.SortFunc(r.Settings, func(a, b catalog.Setting) int {
			return cmp.Or(cmp.Compare(a.Database, b.Database), cmp.Compare(a.Name, b.Name))
		})
	}
	return nil
}

// sqlExt is the common table expression of the extension members: every
// pg_depend row of deptype 'e' references the extension (refclassid
// pg_extension), so pg_depend's index on the referenced object finds them
// all, usually a handful. Each branch anti-joins on it instead of probing
// or scanning pg_depend, which holds several rows for every table (a hash
// of pg_depend for pg_class alone took 30 ms at 50,000 tables).
const sqlExt = `
ext AS MATERIALIZED (
  SELECT d.classid, d.objid
  FROM pg_catalog.pg_depend d
  WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
)`

// sqlScope is the common table expression of the schemas in scope: $1 is a
// text[] of schema names, empty or NULL for every non-system schema. Schemas created
// by an extension are extension members and are left out like the rest.
const sqlScope = `
scope AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname !~ '^pg_(toast|temp_)'
    AND (COALESCE(cardinality($1::text[]), 0) = 0 OR n.nspname = ANY ($1::text[]))
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_namespace'::regclass AND ext.objid = n.oid)
)`

// sqlRels is the common table expression of the relations in scope that
// carry privileges, extension members excluded: the table and sequence rows
// of sqlObjects, the tables of their column ACLs, and the relations of
// composite types (relkind 'c'), whose types the type branch reads from
// here. pg_class is the largest catalog a plan reads; one scan of it is
// shared by those three branches.
const sqlRels = `
rels AS (
  SELECT c.oid, c.relkind, s.nspname, c.relname, c.relowner, c.relacl, c.reltype
  FROM pg_catalog.pg_class c
  JOIN scope s ON s.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::regclass AND ext.objid = c.oid)
)`

// sqlCols is the common table expression of the column ACLs. Few columns
// have one, and every table has several columns: one pass over
// pg_attribute that keeps the rare non-NULL attacl costs far less than
// looking up the columns of every relation (MATERIALIZED keeps the
// planner from doing that).
const sqlCols = `
cols AS MATERIALIZED (
  SELECT a.attrelid, a.attname, a.attacl
  FROM pg_catalog.pg_attribute a
  WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
)`

// sqlObjectsBase reads the database, the schemas in scope, the objects in
// them, the column ACLs of their relations, the objects of the database
// outside schemas and the tablespaces. The first column names the kind as
// [objectKind] reads it. Each branch yields the acldefault of its
// kind for a NULL ACL and keeps an empty ACL empty, except columns: a NULL
// attacl means no column grants, so those columns are not read at all. The
// filters follow pg-privileges.md §3. [objectsQuery] completes the text
// for the server version.
const sqlObjectsBase = `
WITH ` + sqlExt + `,` + sqlScope + `,` + sqlRels + `,` + sqlCols + `,
objects AS (
  SELECT 'database' AS kind, '' AS subkind, '' AS schema, d.datname::text AS name, '' AS args, '' AS argtypes,
         '' AS col, d.datdba AS owner, d.datacl IS NULL AS nullacl,
         COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba)) AS acl
  FROM pg_catalog.pg_database d
  WHERE d.datname = current_database()
UNION ALL
  SELECT 'schema', '', '', s.nspname::text, '', '', '',
         s.nspowner, s.nspacl IS NULL, COALESCE(s.nspacl, pg_catalog.acldefault('n', s.nspowner))
  FROM scope s
UNION ALL
  SELECT 'system_schema', 's', '', n.nspname::text, '', '', '',
         n.nspowner, n.nspacl IS NULL, COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname IN ('pg_catalog', 'information_schema')
UNION ALL
  SELECT CASE WHEN r.relkind = 'S' THEN 'sequence' ELSE 'table' END, r.relkind::text, r.nspname::text, r.relname::text,
         '', '', '', r.relowner, r.relacl IS NULL,
         COALESCE(r.relacl, pg_catalog.acldefault(CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END::"char", r.relowner))
  FROM rels r
  WHERE r.relkind <> 'c'
UNION ALL
  SELECT 'column', r.relkind::text, r.nspname::text, r.relname::text, '', '', a.attname::text,
         r.relowner, false, a.attacl
  FROM cols a
  JOIN rels r ON r.oid = a.attrelid
  WHERE r.relkind NOT IN ('S', 'c')
UNION ALL
  SELECT 'function', p.prokind::text, s.nspname::text, p.proname::text,
         pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.oidvectortypes(p.proargtypes), '',
         p.proowner, p.proacl IS NULL, COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))
  FROM pg_catalog.pg_proc p
  JOIN scope s ON s.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p', 'a', 'w')
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::regclass AND ext.objid = p.oid)
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'i' AND d.refclassid = 'pg_catalog.pg_type'::regclass)
UNION ALL
  SELECT CASE WHEN t.typtype = 'c' THEN 'row_type' ELSE 'type' END, t.typtype::text, s.nspname::text, t.typname::text, '', '', '',
         t.typowner, t.typacl IS NULL, COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner))
  FROM pg_catalog.pg_type t
  JOIN scope s ON s.oid = t.typnamespace
  WHERE (t.typtype IN ('b', 'd', 'e', 'r')
         OR (t.typtype = 'm' AND current_setting('server_version_num')::int < 170000)
         OR (t.typtype = 'c' AND t.typacl IS NOT NULL
             AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) <> 'c'))
    AND NOT (` + trueArray + `)
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
  SELECT 'type', 'c', r.nspname::text, t.typname::text, '', '', '',
         t.typowner, t.typacl IS NULL, COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner))
  FROM rels r
  JOIN pg_catalog.pg_type t ON t.oid = r.reltype
  WHERE r.relkind = 'c'
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
  SELECT 'language', CASE WHEN l.lanpltrusted THEN 't' ELSE 'u' END, '', l.lanname::text, '', '', '',
         l.lanowner, l.lanacl IS NULL, COALESCE(l.lanacl, pg_catalog.acldefault('l', l.lanowner))
  FROM pg_catalog.pg_language l
  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_language'::regclass AND ext.objid = l.oid)
UNION ALL
  SELECT 'foreign_data_wrapper', '', '', w.fdwname::text, '', '', '',
         w.fdwowner, w.fdwacl IS NULL, COALESCE(w.fdwacl, pg_catalog.acldefault('F', w.fdwowner))
  FROM pg_catalog.pg_foreign_data_wrapper w
  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_foreign_data_wrapper'::regclass AND ext.objid = w.oid)
UNION ALL
  SELECT 'foreign_server', '', '', f.srvname::text, '', '', '',
         f.srvowner, f.srvacl IS NULL, COALESCE(f.srvacl, pg_catalog.acldefault('S', f.srvowner))
  FROM pg_catalog.pg_foreign_server f
  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_foreign_server'::regclass AND ext.objid = f.oid)
UNION ALL
  SELECT 'large_object', '', '', m.oid::text, '', '', '',
         m.lomowner, m.lomacl IS NULL, COALESCE(m.lomacl, pg_catalog.acldefault('L', m.lomowner))
  FROM pg_catalog.pg_largeobject_metadata m
UNION ALL
  SELECT 'tablespace', '', '', ts.spcname::text, '', '', '',
         ts.spcowner, ts.spcacl IS NULL, COALESCE(ts.spcacl, pg_catalog.acldefault('t', ts.spcowner))
  FROM pg_catalog.pg_tablespace ts`

// sqlParameters is the branch of parameters, for PostgreSQL 15+ only: 13
// and 14 have neither pg_parameter_acl nor acldefault('p'). A parameter has
// a row only while its ACL differs from the default, and no owner: the
// default grants everything to the bootstrap superuser (OID 10), which is
// read as the owner.
const sqlParameters = `
UNION ALL
  SELECT 'parameter', '', '', pa.parname::text, '', '', '',
         10::oid, pa.paracl IS NULL, COALESCE(pa.paracl, pg_catalog.acldefault('p', 10::oid))
  FROM pg_catalog.pg_parameter_acl pa`

const sqlObjectsEnd = `
)
SELECT o.kind, o.subkind, o.schema, o.name, o.args, o.argtypes, o.col, o.owner, o.nullacl, o.acl::text[]
FROM objects o`

// trueArray is PostgreSQL's IsTrueArrayType for pg_type t: the array
// types it makes for every type, which accept no GRANT of their own (their
// element type's ACL applies). 14+ tells them by their subscript handler;
// 13 by a variable length with an element type. A placeholder: each version
// gets its own text.
const trueArray = "{{true array}}"

// objectsQuery is the objects query for a server version
// (server_version_num).
func objectsQuery(serverVersion int) string {
	q := sqlObjectsBase
	if serverVersion >= acl.KindParameter.MinVersion() {
		q += sqlParameters
	}
	array := "t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc"
	if serverVersion < 140000 {
		array = "t.typelem <> 0 AND t.typlen = -1"
	}
	return strings.Replace(q+sqlObjectsEnd, trueArray, array, 1)
}

// objectKind maps the kind column of the objects query to the model. The
// names are the query's own (PostgreSQL's words), independent of how
// policies spell kinds.
func objectKind(name string) acl.Kind {
	switch name {
	case "database":
		return acl.KindDatabase
	case "schema", "system_schema":
		return acl.KindSchema
	case "table":
		return acl.KindTable
	case "column":
		return acl.KindColumn
	case "sequence":
		return acl.KindSequence
	case "function":
		return acl.KindFunction
	case "type", "row_type":
		return acl.KindType
	case "language":
		return acl.KindLanguage
	case "foreign_data_wrapper":
		return acl.KindFDW
	case "foreign_server":
		return acl.KindServer
	case "large_object":
		return acl.KindLargeObject
	case "parameter":
		return acl.KindParameter
	case "tablespace":
		return acl.KindTablespace
	}
	return acl.KindInvalid
}

func readObjects(ctx context.Context, q Querier, c *Catalog, names roleNames, schemas []string) error {
	rows, err := q.Query(ctx, objectsQuery(c.ServerVersion), schemas)
	if err != nil {
		return fmt.Errorf("read objects: %w", err)
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	if len(fields) != 10 {
		// A query that failed (a cancel, a lost connection) has no
		// columns: its error is the one to report.
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read objects: %w", err)
		}
		return fmt.Errorf("read objects: %d columns, want 10", len(fields))
	}
	// The rows are decoded from their raw values: at tens of thousands of
	// objects, scanning every column through pgx was most of the client's
	// time. Strings repeated from row to row are shared: each schema's
	// name, and each distinct ACL, which is parsed once (a database in
	// sync has a few dozen distinct ACLs for any number of objects; role
	// names in them are the roles' own copies, see parseACL). At tens of
	// thousands of objects the catalog is most of a plan's memory.
	var (
		schemaNames = map[string]string{}
		acls        = aclCache{roles: c.Roles, typeMap: typeMap(rows)}
		slab        []catalog.Object
	)
	for rows.Next() {
		v := rows.RawValues()
		if len(slab) == cap(slab) {
			slab = make([]catalog.Object, 0, 512)
		}
		slab = slab[:len(slab)+1]
		o := &slab[len(slab)-1]
		kind := objectKind(string(v[0]))
		if kind == acl.KindInvalid {
			return fmt.Errorf("read objects: unknown kind %q", v[0])
		}
		o.Kind = kind
		if len(v[1]) > 0 {
			o.Subkind = v[1][0]
		}
		if name, ok := schemaNames[string(v[2])]; ok {
			o.Schema = name
		} else {
			o.Schema = string(v[2])
			schemaNames[o.Schema] = o.Schema
		}
		o.Name, o.Args, o.ArgTypes, o.Column = string(v[3]), string(v[4]), string(v[5]), string(v[6])
		owner, err := rawOID(fields[7], v[7])
		if err != nil {
			return fmt.Errorf("read owner of %s %s: %w", o.Kind, o.Object, err)
		}
		if o.Owner, err = names.name(owner); err != nil {
			return fmt.Errorf("read owner of %s %s: %w", o.Kind, o.Object, err)
		}
		if o.NullACL, err = rawBool(fields[8], v[8]); err != nil {
			return fmt.Errorf("read ACL of %s %s: %w", o.Kind, o.Object, err)
		}
		if o.ACL, err = acls.parse(fields[9], v[9]); err != nil {
			return fmt.Errorf("read ACL of %s %s: %w", o.Kind, o.Object, err)
		}
		switch string(v[0]) {
		case "system_schema":
			c.SystemSchemas = append(c.SystemSchemas, o)
			continue
		case "row_type":
			c.RowTypes = append(c.RowTypes, o)
			continue
		}
		c.Objects = append(c.Objects, o)
		if o.Kind == acl.KindSchema {
			c.Schemas = append(c.Schemas, o.Name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read objects: %w", err)
	}
	slices.SortFunc(c.Objects, func(a, b *catalog.Object) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Schema, b.Schema),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.Args, b.Args), cmp.Compare(a.Column, b.Column))
	})
	slices.Sort(c.Schemas)
	slices.SortFunc(c.SystemSchemas, func(a, b *catalog.Object) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(c.RowTypes, func(a, b *catalog.Object) int {
		return cmp.Or(cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Name, b.Name))
	})
	return nil
}

// typeMap is the type map of the connection rows came from, or a new one.
func typeMap(rows pgx.Rows) *pgtype.Map {
	if conn := rows.Conn(); conn != nil {
		return conn.TypeMap()
	}
	return pgtype.NewMap()
}

// rawOID decodes an oid column in either wire format.
func rawOID(f pgconn.FieldDescription, b []byte) (uint32, error) {
	if f.Format == pgx.BinaryFormatCode {
		if len(b) != 4 {
			return 0, fmt.Errorf("oid of %d bytes", len(b))
		}
		return binary.BigEndian.Uint32(b), nil
	}
	n, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("oid %q: %w", b, err)
	}
	return uint32(n), nil
}

// rawBool decodes a bool column in either wire format.
func rawBool(f pgconn.FieldDescription, b []byte) (bool, error) {
	if len(b) != 1 {
		return false, fmt.Errorf("bool of %d bytes", len(b))
	}
	if f.Format == pgx.BinaryFormatCode {
		return b[0] == 1, nil
	}
	return b[0] == 't', nil
}

// aclCache parses each distinct ACL value once: objects with the same
// ACL share one slice, which nothing modifies (see catalog.Object.ACL).
type aclCache struct {
	roles   map[string]*catalog.Role
	typeMap *pgtype.Map
	parsed  map[string][]acl.Item
}

func (a *aclCache) parse(f pgconn.FieldDescription, raw []byte) ([]acl.Item, error) {
	if items, ok := a.parsed[string(raw)]; ok {
		return items, nil
	}
	var texts []string
	if raw != nil {
		if err := a.typeMap.Scan(f.DataTypeOID, f.Format, raw, &texts); err != nil {
			return nil, err
		}
	}
	items, err := parseACL(texts, a.roles)
	if err != nil {
		return nil, err
	}
	if a.parsed == nil {
		a.parsed = map[string][]acl.Item{}
	}
	a.parsed[string(raw)] = items
	return items, nil
}

// sqlDefaultACLs reads pg_default_acl rows that are global or belong to a
// schema in scope. defaclacl is never NULL.
const sqlDefaultACLs = `
WITH ` + sqlExt + `,` + sqlScope + `,
objects AS (
  SELECT da.defaclrole AS role, COALESCE(s.nspname::text, '') AS schema, da.defaclobjtype::text AS objtype,
         da.defaclacl AS acl
  FROM pg_catalog.pg_default_acl da
  LEFT JOIN scope s ON s.oid = da.defaclnamespace
  WHERE da.defaclnamespace = 0 OR s.oid IS NOT NULL
)
SELECT o.role, o.schema, o.objtype, o.acl::text[]
FROM objects o`

func readDefaultACLs(ctx context.Context, q Querier, c *Catalog, names roleNames, schemas []string) error {
	rows, err := q.Query(ctx, sqlDefaultACLs, schemas)
	if err != nil {
		return fmt.Errorf("read default privileges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			role    uint32
			objtype string
			items   []string
			d       = &catalog.DefaultACL{}
		)
		if err := rows.Scan(&role, &d.Schema, &objtype, &items); err != nil {
			return fmt.Errorf("read default privileges: %w", err)
		}
		if d.ForRole, err = names.name(role); err != nil {
			return fmt.Errorf("read default privileges: %w", err)
		}
		if d.Kind, err = defaultACLKind(objtype); err != nil {
			return fmt.Errorf("read default privileges for role %s: %w", d.ForRole, err)
		}
		if d.ACL, err = parseACL(items, c.Roles); err != nil {
			return fmt.Errorf("read default privileges for role %s on %s in schema %q: %w",
				d.ForRole, d.Kind.DefaultACLKeyword(), d.Schema, err)
		}
		c.DefaultPrivileges = append(c.DefaultPrivileges, d)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read default privileges: %w", err)
	}
	slices.SortFunc(c.DefaultPrivileges, func(a, b *catalog.DefaultACL) int {
		return cmp.Or(cmp.Compare(a.ForRole, b.ForRole), cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Kind, b.Kind))
	})
	return nil
}

func defaultACLKind(objtype string) (acl.Kind, error) {
	for _, k := range acl.Kinds() {
		if b := k.DefaultACLObjType(); b != 0 && objtype == string(b) {
			return k, nil
		}
	}
	return acl.KindInvalid, fmt.Errorf("unknown defaclobjtype %q", objtype)
}

// parseACL parses an ACL read as text[] (one aclitem each, as the server
// prints it) into items sorted by grantee and grantor name. Every name must
// be a role of the same snapshot: a role that no longer exists prints as
// its OID, which is an error, as it would be for PostgreSQL's own checks.
func parseACL(items []string, roles map[string]*catalog.Role) ([]acl.Item, error) {
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]acl.Item, 0, len(items))
	for _, text := range items {
		grantee, grantor, p, err := acl.ParseItem(text)
		if err != nil {
			return nil, err
		}
		for _, name := range []*string{&grantee, &grantor} {
			if *name == "" {
				continue
			}
			r, ok := roles[*name]
			if !ok {
				return nil, fmt.Errorf("aclitem %q: role %q does not exist (a role dropped while its grants remain prints as its OID)", text, *name)
			}
			*name = r.Name // the role's own copy, shared by every item
		}
		out = append(out, acl.Item{Grantee: acl.Grantee(grantee), Grantor: grantor, Privs: p})
	}
	slices.SortFunc(out, func(a, b acl.Item) int {
		return cmp.Or(cmp.Compare(a.Grantee, b.Grantee), cmp.Compare(a.Grantor, b.Grantor))
	})
	return out, nil
}
