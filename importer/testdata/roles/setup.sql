-- Roles with attributes and memberships (PostgreSQL 16+: per-membership
-- INHERIT and SET), imported with --attributes and --external=false. Runs
-- as the superuser; a name in braces is a role of the test.
CREATE ROLE {app} NOLOGIN;
CREATE ROLE {readers} NOLOGIN;
CREATE ROLE {writers} NOLOGIN;
CREATE ROLE {web} LOGIN NOINHERIT CONNECTION LIMIT 20;
CREATE ROLE {ops} LOGIN CREATEDB VALID UNTIL '2030-06-30 00:00:00+00';
GRANT {readers} TO {writers};
GRANT {writers} TO {web} WITH INHERIT TRUE, SET FALSE;
GRANT {readers} TO {ops} WITH ADMIN TRUE, INHERIT FALSE;
GRANT pg_read_all_stats TO {ops};
CREATE SCHEMA app AUTHORIZATION {app};
SET ROLE {app};
CREATE TABLE app.accounts (id int);
CREATE TABLE app.events (id int);
CREATE TABLE app.users (id int);
GRANT USAGE ON SCHEMA app TO {readers}, {writers};
GRANT SELECT ON ALL TABLES IN SCHEMA app TO {readers};
GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO {writers};
REVOKE DELETE ON app.events FROM {writers};
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO {readers};
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT INSERT, UPDATE, DELETE ON TABLES TO {writers};
RESET ROLE;
