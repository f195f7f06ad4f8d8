package synth

// ReadFloorQuery is the read floor's catalog query: what pgward needs to
// plan, with nothing else: one row per schema, relation, routine and
// pg_default_acl entry outside the system schemas, extension members left
// out, giving its class (1 relation, 2 routine, 3 schema, 4 default ACL),
// subkind (relkind, prokind, defaclobjtype), schema, name, identity
// arguments, owner OID and ACL array as text (NULL when the ACL is the
// default). bench/readfloor runs it with pgx, and the bench runs it with
// psql.
const ReadFloorQuery = `WITH ns AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname !~ '^pg_(toast|temp_)'
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
)
SELECT 1, c.relkind::text, ns.nspname::text, c.relname::text, '', c.relowner, c.relacl::text[]
FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 2, p.prokind::text, ns.nspname::text, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid),
       p.proowner, p.proacl::text[]
FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 3, '', '', ns.nspname::text, '', ns.nspowner, ns.nspacl::text[]
FROM ns
UNION ALL
SELECT 4, da.defaclobjtype::text, COALESCE(ns.nspname::text, ''), '', '', da.defaclrole, da.defaclacl::text[]
FROM pg_catalog.pg_default_acl da LEFT JOIN ns ON ns.oid = da.defaclnamespace
WHERE da.defaclnamespace = 0 OR ns.oid IS NOT NULL`
