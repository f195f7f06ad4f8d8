-- pgward plan for database appdb (PostgreSQL 14.10), as alice
REVOKE GRANT OPTION FOR SELECT ON TABLE "app"."t" FROM "carol" CASCADE;
GRANT SELECT ON TABLE "app"."t" TO "carol" WITH GRANT OPTION;
-- not executable by alice, so left out (1):
--   REVOKE CREATE ON SCHEMA "public" FROM PUBLIC: schema public is owned by postgres, and alice is neither that role, a member of it with INHERIT, nor a superuser. Run pgward as postgres, or ALTER SCHEMA "public" OWNER TO alice.
