-- pgward plan for database appdb (PostgreSQL 14.10), as alice
SET ROLE "carol";
REVOKE SELECT ON TABLE "app"."t" FROM "bob";
RESET ROLE;
REVOKE CREATE ON SCHEMA "public" FROM PUBLIC;
