-- A hand-written database with uniform and exceptional grants. Runs as the
-- superuser; a name in braces is a role of the test, made unique per run.
CREATE ROLE {app} NOLOGIN;
CREATE ROLE {web} NOLOGIN;
CREATE ROLE {worker} NOLOGIN;
CREATE ROLE {reporting} NOLOGIN;
CREATE ROLE {auditor} NOLOGIN;
CREATE SCHEMA app AUTHORIZATION {app};
CREATE SCHEMA audit AUTHORIZATION {app};
CREATE FOREIGN DATA WRAPPER golden_fdw;
CREATE SERVER golden_srv FOREIGN DATA WRAPPER golden_fdw;

SET ROLE {app};
CREATE TABLE app.schema_migrations (version bigint PRIMARY KEY);
CREATE TABLE app.accounts (id bigserial PRIMARY KEY, email text, name text, password_hash text);
CREATE TABLE app.users (id bigserial PRIMARY KEY, account_id bigint, email text);
CREATE TABLE app.projects (id bigserial PRIMARY KEY, account_id bigint, name text);
CREATE TABLE app.oban_jobs (id bigserial PRIMARY KEY, state text, args jsonb);
CREATE TABLE app.oban_peers (name text PRIMARY KEY, node text);
CREATE TABLE app.report_daily (day date, total bigint);
CREATE TABLE app.report_weekly (week date, total bigint);
CREATE VIEW app.active_users AS SELECT id, email FROM app.users;
CREATE TYPE app.job_state AS ENUM ('available', 'completed');
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION app.lookup(integer) RETURNS text LANGUAGE sql AS $$ SELECT 'id' $$;
CREATE FUNCTION app.lookup(text) RETURNS text LANGUAGE sql AS $$ SELECT 'name' $$;
CREATE FUNCTION app.purge() RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE TABLE audit.log (at timestamptz, what text);
CREATE TABLE audit.log_archive (at timestamptz, what text);
SELECT lo_create(424242);

-- web: DML on every table of app but schema_migrations, which it reads;
-- every sequence; the schema and the database.
GRANT CONNECT ON DATABASE {db} TO {web};
GRANT USAGE ON SCHEMA app TO {web}, {worker}, {reporting};
GRANT USAGE ON SCHEMA audit TO {auditor}, {reporting};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO {web};
REVOKE INSERT, UPDATE, DELETE ON app.schema_migrations FROM {web};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA app TO {web};
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {web};
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE, SELECT ON SEQUENCES TO {web};

-- worker: the job tables, two lookups, one sequence, one overload.
GRANT SELECT, INSERT, UPDATE, DELETE ON app.oban_jobs, app.oban_peers TO {worker};
GRANT SELECT ON app.accounts, app.projects TO {worker};
GRANT USAGE, SELECT ON SEQUENCE app.oban_jobs_id_seq TO {worker};
REVOKE EXECUTE ON FUNCTION app.lookup(integer), app.purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.lookup(integer) TO {worker};
GRANT USAGE ON TYPE app.job_state TO {worker};

-- reporting: reads everything in app but accounts; may pass the reports on.
GRANT SELECT ON ALL TABLES IN SCHEMA app TO {reporting};
REVOKE SELECT ON app.accounts FROM {reporting};
GRANT SELECT ON app.report_daily, app.report_weekly TO {reporting} WITH GRANT OPTION;
GRANT SELECT (id, email, name) ON app.accounts TO {reporting};
GRANT SELECT ON LARGE OBJECT 424242 TO {reporting};

-- auditor: reads the audit schema and may pass it on; appends to the log.
GRANT SELECT ON ALL TABLES IN SCHEMA audit TO {auditor} WITH GRANT OPTION;
GRANT INSERT ON audit.log TO {auditor};
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO {auditor};
RESET ROLE;

GRANT USAGE ON FOREIGN SERVER golden_srv TO {reporting};

-- A grant by someone other than the owner: auditor passes SELECT on.
SET ROLE {auditor};
GRANT SELECT ON audit.log TO {reporting};
RESET ROLE;
