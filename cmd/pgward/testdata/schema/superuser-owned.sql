-- A pg_dump -s of a database where a migration ran as the superuser: the
-- table audit_log belongs to postgres, and its constraint follows later.
CREATE TABLE public.accounts (id bigint NOT NULL);

CREATE TABLE public.audit_log (id bigint NOT NULL, note text);

ALTER TABLE public.audit_log OWNER TO postgres;

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);
