package prcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/pgserver"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// ErrNoServer is returned by [Start] when there is no way to get a
// PostgreSQL server: no server URL, no PostgreSQL binaries, no Docker. The
// error wrapping it says what was tried.
var ErrNoServer = pgserver.ErrNoServer

// Options says where [Start] gets its server. The zero value looks for
// local PostgreSQL binaries, then Docker.
type Options struct {
	Server pgserver.Options
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Sandbox is a PostgreSQL server in which schemas are built and policies
// applied. Close removes what it created.
type Sandbox struct {
	srv   *pgserver.Server
	log   *slog.Logger
	roles []string // roles it created, in creation order
	dbs   []string // databases it created
}

// Start starts (or, with Options.Server.URL, connects to) a server. It
// returns an error wrapping [ErrNoServer] when none can be had.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	so := o.Server
	so.Logf = func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }
	if so.Container == nil {
		so.Container = pgserver.RunDocker
	}
	srv, err := pgserver.Start(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("start a throwaway PostgreSQL: %w", err)
	}
	return &Sandbox{srv: srv, log: log}, nil
}

// Version is the server's server_version_num.
func (s *Sandbox) Version() int { return s.srv.Version() }

// Close drops the databases and roles the sandbox created and stops the
// server it started. On a server it started it drops nothing: stopping
// removes the server and everything in it.
func (s *Sandbox) Close(ctx context.Context) error {
	var errs []error
	if !s.srv.Throwaway() {
		errs = append(errs, s.dropCreated(ctx))
	}
	if err := s.srv.Stop(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// dropCreated drops the databases and roles the sandbox created.
func (s *Sandbox) dropCreated(ctx context.Context) error {
	conn, err := s.srv.SuperuserConn(ctx, "")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var errs []error
	for _, db := range s.dbs {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident.Quote(db)+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", db, err))
		}
	}
	for i := len(s.roles) - 1; i >= 0; i-- {
		if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident.Quote(s.roles[i])); err != nil {
			errs = append(errs, fmt.Errorf("drop role %s: %w", s.roles[i], err))
		}
	}
	return errors.Join(errs...)
}

// Schema is a schema dump cut into statements.
type Schema struct {
	File       string // for messages
	Statements []Statement
}

// ParseSchema splits the dump read from file.
func ParseSchema(file string, src []byte) (*Schema, error) {
	if !utf8.Valid(src) {
		return nil, fmt.Errorf("schema dump %s: not UTF-8 text", file)
	}
	stmts, err := Split(string(src))
	if err != nil {
		return nil, fmt.Errorf("schema dump %s: %w", file, err)
	}
	return &Schema{File: file, Statements: stmts}, nil
}

// Roles returns the roles the dump names (see [Statement.RoleNames]).
func (sc *Schema) Roles() []string {
	var out []string
	for _, st := range sc.Statements {
		for _, r := range st.RoleNames() {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// InferOwner returns the policy's owner role: the one role its
// default_privileges blocks name in for_role. It is an error when they
// name none or several; the caller then needs to be told (--owner).
func InferOwner(pol *policy.Policy) (string, error) {
	var owners []string
	for _, r := range pol.Roles {
		for _, d := range r.DefaultPrivileges {
			if !slices.Contains(owners, d.ForRole) {
				owners = append(owners, d.ForRole)
			}
		}
	}
	switch len(owners) {
	case 1:
		return owners[0], nil
	case 0:
		return "", errors.New("cannot tell which role owns the schema: no default_privileges block names a for_role")
	}
	slices.Sort(owners)
	return "", fmt.Errorf("cannot tell which role owns the schema: default_privileges name several for_role roles (%s)", strings.Join(owners, ", "))
}

// CreateRoles creates, as the superuser, the roles that the policy and the
// dumps name and the server lacks: the declared roles with their declared
// attributes and memberships (as a database operator would), the owner,
// the roles named by member_of, for_role and owner, and those the dumps
// name (NOLOGIN). Roles that exist are left as they are; a membership is
// granted only when it involves a role created here. Memberships of
// predefined roles the server lacks (pg_read_all_data before 14) are left
// out: the plan reports the policy error.
func (s *Sandbox) CreateRoles(ctx context.Context, pol *policy.Policy, owner string, dumps ...*Schema) error {
	conn, err := s.srv.SuperuserConn(ctx, "")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	exists := func(name string) (bool, error) {
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("look up role %s: %w", name, err)
		}
		return n > 0, nil
	}
	created := map[string]bool{}
	create := func(name, options string) error {
		if strings.HasPrefix(name, "pg_") {
			return nil
		}
		if err := ident.Check(name); err != nil {
			return fmt.Errorf("role %q: %w", name, err)
		}
		ok, err := exists(name)
		if err != nil || ok {
			return err
		}
		if _, err := conn.Exec(ctx, "CREATE ROLE "+ident.Quote(name)+" "+options); err != nil {
			return fmt.Errorf("create role %s: %w", name, err)
		}
		s.roles = append(s.roles, name)
		created[name] = true
		s.log.Info("created role " + name)
		return nil
	}
	for _, r := range pol.Roles {
		if r.Ensure != policy.EnsurePresent {
			continue
		}
		if err := create(r.Name, roleOptions(r.Attributes)); err != nil {
			return err
		}
	}
	var others []string
	others = append(others, owner)
	for _, r := range pol.Roles {
		for _, m := range r.MemberOf {
			others = append(others, m.Role)
		}
		for _, d := range r.DefaultPrivileges {
			others = append(others, d.ForRole)
		}
		for _, g := range r.Grants {
			if g.Owner != "" {
				others = append(others, g.Owner)
			}
		}
	}
	for _, d := range dumps {
		others = append(others, d.Roles()...)
	}
	for _, name := range others {
		if err := create(name, "NOLOGIN"); err != nil {
			return err
		}
	}
	for _, r := range pol.Roles {
		if r.Ensure != policy.EnsurePresent {
			continue
		}
		for _, m := range r.MemberOf {
			if !created[r.Name] && !created[m.Role] {
				continue
			}
			if ok, err := exists(m.Role); err != nil {
				return err
			} else if !ok {
				s.log.Info(fmt.Sprintf("role %s does not exist on PostgreSQL %d: %s is not made a member", m.Role, s.Version(), r.Name))
				continue
			}
			if _, err := conn.Exec(ctx, "GRANT "+ident.Quote(m.Role)+" TO "+ident.Quote(r.Name)+membershipOptions(m, s.Version())); err != nil {
				return fmt.Errorf("make %s a member of %s: %w", r.Name, m.Role, err)
			}
		}
	}
	return nil
}

func roleOptions(a policy.Attributes) string {
	opts := []string{"NOLOGIN"}
	flag := func(v *bool, yes, no string) {
		if v != nil {
			opts = append(opts, map[bool]string{true: yes, false: no}[*v])
		}
	}
	if a.Login != nil && *a.Login {
		opts[0] = "LOGIN"
	}
	flag(a.Inherit, "INHERIT", "NOINHERIT")
	flag(a.CreateDB, "CREATEDB", "NOCREATEDB")
	flag(a.CreateRole, "CREATEROLE", "NOCREATEROLE")
	flag(a.Replication, "REPLICATION", "NOREPLICATION")
	flag(a.BypassRLS, "BYPASSRLS", "NOBYPASSRLS")
	if a.ConnectionLimit != nil {
		opts = append(opts, fmt.Sprintf("CONNECTION LIMIT %d", *a.ConnectionLimit))
	}
	if a.ValidUntil != nil {
		opts = append(opts, "VALID UNTIL "+ident.Literal(*a.ValidUntil))
	}
	return strings.Join(opts, " ")
}

func membershipOptions(m *policy.Membership, version int) string {
	if version < 160000 {
		if m.Admin {
			return " WITH ADMIN OPTION"
		}
		return ""
	}
	opts := []string{fmt.Sprintf("ADMIN %t", m.Admin)}
	if m.Inherit != nil {
		opts = append(opts, fmt.Sprintf("INHERIT %t", *m.Inherit))
	}
	if m.Set != nil {
		opts = append(opts, fmt.Sprintf("SET %t", *m.Set))
	}
	return " WITH " + strings.Join(opts, ", ")
}

// BuildOptions says how [Sandbox.Build] loads and applies.
type BuildOptions struct {
	// Owner is the role that owns the database, loads the dump and applies
	// the policy; see [InferOwner].
	Owner string
	// Plan holds the options of the plan applied (and of the one built
	// after).
	Plan plan.Options
}

// Result is a schema built and the policy applied.
type Result struct {
	// Catalog is read after the policy was applied.
	Catalog *catalog.Catalog
	// Answers are PostgreSQL's has_*_privilege answers for every role the
	// policy declares and every object the report covers.
	Answers Answers
	// Plan is the plan of the policy after it was applied, as the owner:
	// it holds no change unless something could not be applied; its
	// Violations are the deny invariants still broken.
	Plan  *plan.Plan
	Diags hcl.Diagnostics
}

// Build creates a database owned by o.Owner, loads the dump into it
// (superuser statements as the superuser, the rest as the owner or as the
// role the dump switches to), applies the policy as the owner, and reads
// the result. The roles must exist ([Sandbox.CreateRoles]). A statement of
// the dump that fails is reported with its file and line. An apply that
// the plan forbids returns an *apply.PlanError.
func (s *Sandbox) Build(ctx context.Context, sc *Schema, pol *policy.Policy, o BuildOptions) (*Result, error) {
	db := "pgward_sandbox_" + pgserver.RandomHex(6)
	admin, err := s.srv.SuperuserConn(ctx, "")
	if err != nil {
		return nil, err
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE "+ident.Quote(db)+" OWNER "+ident.Quote(o.Owner)+" TEMPLATE template0")
	admin.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("create database %s owned by %s: %w", db, o.Owner, err)
	}
	s.dbs = append(s.dbs, db)

	if err := s.load(ctx, db, sc, o.Owner); err != nil {
		return nil, err
	}

	cfg, err := pgx.ParseConfig(s.srv.URL(db, ""))
	if err != nil {
		return nil, fmt.Errorf("sandbox database %s: %w", db, err)
	}
	// Connect as the superuser, then become the owner for the session:
	// every role works so, whatever the server's authentication.
	owner := o.Owner
	cfg.AfterConnect = func(ctx context.Context, pc *pgconn.PgConn) error {
		return pc.Exec(ctx, "SET SESSION AUTHORIZATION "+ident.Quote(owner)).Close()
	}
	s.log.Info(fmt.Sprintf("applying the policy to %s as %s", sc.File, owner))
	if _, err := apply.Run(ctx, cfg, pol, apply.Options{Scope: introspect.Scope{Schemas: pol.Schemas}, Plan: o.Plan, Logger: s.log}); err != nil {
		return nil, fmt.Errorf("apply the policy to %s as %s: %w", sc.File, owner, err)
	}

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to sandbox database %s as %s: %w", db, owner, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction in %s: %w", db, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	cat, err := introspect.Read(ctx, tx, introspect.Scope{Schemas: pol.Schemas})
	if err != nil {
		return nil, fmt.Errorf("read the catalog of %s: %w", sc.File, err)
	}
	p, diags := plan.Build(pol, cat, o.Plan)
	var roles []string
	for _, r := range pol.Roles {
		if r.Ensure == policy.EnsurePresent && cat.Role(r.Name) != nil {
			roles = append(roles, r.Name)
		}
	}
	ans, err := askPostgres(ctx, tx, cat, roles)
	if err != nil {
		return nil, fmt.Errorf("ask PostgreSQL what the roles can do in %s: %w", sc.File, err)
	}
	return &Result{Catalog: cat, Answers: ans, Plan: p, Diags: diags}, nil
}

// load runs the dump's statements in database db.
func (s *Sandbox) load(ctx context.Context, db string, sc *Schema, owner string) error {
	conn, err := s.srv.SuperuserConn(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if s.Version() < 150000 {
		// Before 15 the public schema belongs to the bootstrap superuser,
		// so the owner could not grant on it; the database operator hands
		// it over (examples/tuist/README.md).
		if _, err := conn.Exec(ctx, "ALTER SCHEMA public OWNER TO "+ident.Quote(owner)); err != nil {
			return fmt.Errorf("hand schema public to %s: %w", owner, err)
		}
	}
	become := func(role string) error {
		_, err := conn.Exec(ctx, "SET SESSION AUTHORIZATION "+ident.Quote(role))
		return err
	}
	current := owner
	if err := become(current); err != nil {
		return fmt.Errorf("load %s: become %s: %w", sc.File, owner, err)
	}
	s.log.Info(fmt.Sprintf("loading %s (%d statements) as %s", sc.File, len(sc.Statements), owner))
	var handed []Statement // the statements that gave an object to another role
	for _, st := range sc.Statements {
		step, role := classify(st, owner)
		as := current
		switch step {
		case stepSwitch:
			current = role
			err = become(role)
		case stepReset:
			current = owner
			err = become(owner)
		case stepSuperuser:
			as = "the superuser"
			if len(st.namesAfter([]string{"owner", "to"}, 1)) > 0 {
				handed = append(handed, st)
			}
			if _, err = conn.Exec(ctx, "RESET SESSION AUTHORIZATION"); err == nil {
				if _, err = conn.Exec(ctx, st.SQL); err == nil {
					err = become(current)
				}
			}
		default:
			_, err = conn.Exec(ctx, st.SQL)
		}
		if err != nil {
			return &StatementError{File: sc.File, Line: errorLine(st, err), Statement: st.SQL, Role: as, Err: err, Hint: notOwnerHint(err, as, handed)}
		}
	}
	return nil
}

// notOwnerHint explains "must be owner of" (SQLSTATE 42501) for a dump
// that gave the object to another role (pg_dump writes ALTER … OWNER TO
// after each object, and the object's constraints and indexes later): the
// role the dump is loaded as, which also applies the policy, may neither
// alter the object nor grant on it. "" for other errors.
func notOwnerHint(err error, as string, handed []Statement) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" || !strings.HasPrefix(pe.Message, "must be owner of ") {
		return ""
	}
	words := strings.Fields(pe.Message)
	name := words[len(words)-1]
	for i := len(handed) - 1; i >= 0; i-- {
		st := handed[i]
		if !slices.ContainsFunc(st.tokens, func(t token) bool { return t.word && t.text == name }) {
			continue
		}
		to := st.namesAfter([]string{"owner", "to"}, 1)[0]
		return fmt.Sprintf("line %d gives %s to %s, and the rest of the dump runs as %s, which does not own it (nor could it grant on it when applying the policy): "+
			"make %s its owner in the database (ALTER … OWNER TO %s) and dump again, dump with pg_dump --no-owner to check the policy as if %s owned everything, or name the role that loads the dump with --owner",
			st.Line, name, to, as, as, as, as)
	}
	return fmt.Sprintf("%s, which loads the dump, does not own it: name the role that should with --owner, or dump with pg_dump --no-owner", as)
}

// StatementError is a statement of a dump that failed to load.
type StatementError struct {
	File      string
	Line      int    // of the error, when PostgreSQL gave a position; else of the statement
	Statement string // the statement's text
	Role      string // the role it ran as
	Err       error
	// Hint, when set, says why the statement failed and what to do.
	Hint string
}

func (e *StatementError) Error() string {
	first, _, _ := strings.Cut(e.Statement, "\n")
	if len(first) > 60 {
		first = first[:60] + "…"
	}
	hint := ""
	if e.Hint != "" {
		hint = "; " + e.Hint
	}
	return fmt.Sprintf("%s:%d: %v (statement %q, run as %s)%s", e.File, e.Line, e.Err, first, e.Role, hint)
}

func (e *StatementError) Unwrap() error { return e.Err }

// errorLine is the dump line PostgreSQL's error position points to, or the
// statement's first line.
func errorLine(st Statement, err error) int {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Position <= 0 {
		return st.Line
	}
	runes := []rune(st.SQL)
	pos := min(int(pe.Position)-1, len(runes))
	return st.Line + strings.Count(string(runes[:pos]), "\n")
}

// privilegeFunction is the has_*_privilege call for objects of kind k,
// over the columns of askPostgres's unnest, or "" for kinds not reported.
func privilegeFunction(k acl.Kind) string {
	switch k {
	case acl.KindDatabase:
		return "has_database_privilege(t.r, current_database(), t.p)"
	case acl.KindSchema:
		return "has_schema_privilege(t.r, t.o, t.p)"
	case acl.KindTable:
		return "has_table_privilege(t.r, t.o, t.p)"
	case acl.KindSequence:
		return "has_sequence_privilege(t.r, t.o, t.p)"
	case acl.KindFunction:
		return "has_function_privilege(t.r, t.o, t.p)"
	case acl.KindType:
		return "has_type_privilege(t.r, t.o, t.p)"
	case acl.KindColumn:
		return "has_column_privilege(t.r, t.o, t.c, t.p)"
	}
	return ""
}

// askPostgres asks has_*_privilege, in one query per kind, what each role
// can use on each reported object, and what a session of it reaches, SET
// ROLE included.
func askPostgres(ctx context.Context, q pgx.Tx, cat *catalog.Catalog, roles []string) (Answers, error) {
	ans := Answers{}
	type ask struct {
		roles, objs, cols, privs []string
		keys                     []string
		bits                     []acl.Priv
	}
	asks := map[acl.Kind]*ask{}
	for _, o := range cat.Objects {
		fn := privilegeFunction(o.Kind)
		if fn == "" || !Reported(o.Kind) {
			continue
		}
		a := asks[o.Kind]
		if a == nil {
			a = &ask{}
			asks[o.Kind] = a
		}
		ref := ident.QuoteQualified(o.Schema, o.Name)
		switch o.Kind {
		case acl.KindSchema:
			ref = o.Name
		case acl.KindFunction:
			ref += "(" + o.ArgTypes + ")"
		}
		for _, role := range roles {
			key := AnswerKey(role, o.Object)
			ans[key] = Answer{}
			acl.Valid(o.Kind, cat.ServerVersion).Each(func(p acl.Priv) {
				a.roles = append(a.roles, role)
				a.objs = append(a.objs, ref)
				a.cols = append(a.cols, o.Column)
				a.privs = append(a.privs, p.String())
				a.keys = append(a.keys, key)
				a.bits = append(a.bits, p)
			})
		}
	}
	// What a session of the role reaches: the role, or a role it may SET
	// ROLE to, has the privilege.
	mode := "SET"
	if cat.ServerVersion < 160000 {
		mode = "MEMBER"
	}
	others := make([]string, 0, len(cat.Roles))
	for name := range cat.Roles {
		others = append(others, name)
	}
	for _, k := range acl.Kinds() {
		a := asks[k]
		if a == nil {
			continue
		}
		fn := privilegeFunction(k)
		reach := "EXISTS (SELECT FROM (SELECT t.r UNION SELECT x FROM unnest($5::text[]) AS x WHERE pg_has_role(t.r, x, '" + mode + "')) AS s(r) WHERE " +
			strings.ReplaceAll(fn, "t.r", "s.r") + ")"
		rows, err := q.Query(ctx, "SELECT "+fn+", "+reach+" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(r, o, c, p, i) ORDER BY t.i",
			a.roles, a.objs, a.cols, a.privs, others)
		if err != nil {
			return nil, fmt.Errorf("has_%s_privilege: %w", k, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Has, Reach bool }])
		if err != nil {
			return nil, fmt.Errorf("has_%s_privilege: %w", k, err)
		}
		for i, g := range got {
			an := ans[a.keys[i]]
			if g.Has {
				an.Privs |= a.bits[i]
			}
			if g.Reach {
				an.Reach |= a.bits[i]
			}
			ans[a.keys[i]] = an
		}
	}
	return ans, nil
}
