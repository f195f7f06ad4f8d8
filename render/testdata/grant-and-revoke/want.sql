-- pgward plan for database appdb (PostgreSQL 16.4), as alice
GRANT USAGE ON SCHEMA "app" TO "bob";
GRANT INSERT, UPDATE, DELETE ON TABLE "app"."accounts" TO "bob";
GRANT SELECT, USAGE ON SEQUENCE "app"."accounts_id_seq" TO "bob";
GRANT EXECUTE ON PROCEDURE "app"."cleanup"(days integer) TO "bob";
GRANT EXECUTE ON FUNCTION "app"."touch"() TO "bob";
ALTER DEFAULT PRIVILEGES FOR ROLE "alice" IN SCHEMA "app" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "bob";
REVOKE TRUNCATE ON TABLE "app"."accounts" FROM "bob";
REVOKE GRANT OPTION FOR SELECT ON TABLE "app"."schema_migrations" FROM "bob";
REVOKE EXECUTE ON PROCEDURE "app"."cleanup"(days integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION "app"."touch"() FROM PUBLIC;
