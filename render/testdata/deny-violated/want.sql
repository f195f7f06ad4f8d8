-- pgward plan for database appdb (PostgreSQL 16.4), as alice
GRANT SELECT ON TABLE "app"."t" TO "bob";
REVOKE INSERT ON TABLE "app"."t" FROM "bob";
