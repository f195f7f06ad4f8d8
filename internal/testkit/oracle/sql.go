package oracle

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/policy"
)

// Materialized is a case made concrete for one database: role names, the
// setup SQL and the policy.
type Materialized struct {
	Case     *Case
	Database string
	// RoleNames holds the name of each role of the case, by index.
	RoleNames []string
	// Roles are the CREATE ROLE statements, for the caller to run (so that
	// its harness drops the roles afterwards).
	Roles []RoleDDL
	// Steps are run in order by [Materialized.Setup].
	Steps  []Step
	Policy *policy.Policy
	// HCL is Policy printed as HCL; the policy's ranges point into it
	// (file "oracle.hcl").
	HCL string
}

// RoleDDL is one role to create: CREATE ROLE Name Options.
type RoleDDL struct {
	Name    string
	Options string
}

// Step is one setup statement, run as the superuser, or as As through
// SET ROLE when As is set.
type Step struct {
	As  string
	SQL string
}

// Owner is the name of the role that owns everything and applies the policy.
func (m *Materialized) Owner() string { return m.RoleNames[0] }

// Materialize renders the case for database db, naming each role with
// roleName(base) (nil: the base itself).
func (c *Case) Materialize(db string, roleName func(base string) string) *Materialized {
	if roleName == nil {
		roleName = func(b string) string { return b }
	}
	m := &Materialized{Case: c, Database: db}
	for i, r := range c.Roles {
		name := roleName(r.Base)
		m.RoleNames = append(m.RoleNames, name)
		if !c.roleOn(i) {
			continue
		}
		opts := "NOLOGIN"
		if r.Login {
			opts = "LOGIN"
		}
		if r.NoInherit {
			opts += " NOINHERIT"
		}
		m.Roles = append(m.Roles, RoleDDL{Name: name, Options: opts})
	}
	m.steps()
	m.Policy = m.policy()
	m.HCL = formatHCL(m.Policy, true)
	return m
}

func (m *Materialized) role(i int) string {
	if i == -1 {
		return "PUBLIC"
	}
	return ident.Quote(m.RoleNames[i])
}

func (m *Materialized) add(as int, format string, args ...any) {
	s := Step{SQL: fmt.Sprintf(format, args...)}
	if as >= 0 {
		s.As = m.RoleNames[as]
	}
	m.Steps = append(m.Steps, s)
}

func (m *Materialized) schema(i int) string { return ident.Quote(m.Case.schemaName(i)) }

// qname is the object's name as SQL takes it: schema-qualified in a
// schema, the OID of a large object.
func (m *Materialized) qname(o *Object) string {
	switch {
	case o.Kind == OLargeObject:
		return o.Name
	case !o.Kind.InSchema():
		return ident.Quote(o.Name)
	}
	return m.schema(o.Schema) + "." + ident.Quote(o.Name)
}

// signature is the routine's name with its argument types, as GRANT takes it.
func (m *Materialized) signature(o *Object) string { return m.qname(o) + "(" + o.ArgTypes() + ")" }

func (m *Materialized) steps() {
	c := m.Case
	for i := range c.Memberships {
		ms := &c.Memberships[i]
		if !c.membershipOn(ms) {
			continue
		}
		role := ""
		if ms.Predefined != "" {
			role = ident.Quote(ms.Predefined)
		} else {
			role = m.role(ms.Role)
		}
		s := "GRANT " + role + " TO " + m.role(ms.Member)
		if c.Version >= 160000 {
			var opts []string
			if ms.Admin {
				opts = append(opts, "ADMIN TRUE")
			}
			if ms.Inherit != nil {
				opts = append(opts, fmt.Sprintf("INHERIT %t", *ms.Inherit))
			}
			if ms.Set != nil {
				opts = append(opts, fmt.Sprintf("SET %t", *ms.Set))
			}
			if len(opts) > 0 {
				s += " WITH " + strings.Join(opts, ", ")
			}
		} else if ms.Admin {
			s += " WITH ADMIN OPTION"
		}
		m.add(-1, "%s", s)
	}
	m.add(-1, "ALTER DATABASE %s OWNER TO %s", ident.Quote(m.Database), m.role(0))
	for i := range c.Schemas {
		if c.schemaOn(i) {
			m.add(-1, "CREATE SCHEMA %s AUTHORIZATION %s", m.schema(i), m.role(0))
		}
	}
	for i := range c.Defaults {
		if d := &c.Defaults[i]; d.Early && c.defaultOn(d) {
			m.defaultStep(d)
		}
	}
	for i := range c.Objects {
		if c.objectOn(i) {
			m.create(&c.Objects[i])
		}
	}
	for i := range c.Objects {
		if o := &c.Objects[i]; c.objectOn(i) && o.Owner > 0 {
			m.add(-1, "ALTER %s %s OWNER TO %s", alterKeyword(o.Kind), m.objectRef(o), m.role(o.Owner))
		}
	}
	for i := range c.Grants {
		if g := &c.Grants[i]; c.grantOn(g) {
			m.grantStep(g)
		}
	}
	for i := range c.Defaults {
		if d := &c.Defaults[i]; !d.Early && c.defaultOn(d) {
			m.defaultStep(d)
		}
	}
}

func alterKeyword(k ObjKind) string {
	switch k {
	case OView:
		return "VIEW"
	case OMatView:
		return "MATERIALIZED VIEW"
	case OSequence:
		return "SEQUENCE"
	case OFunction:
		return "FUNCTION"
	case OProcedure:
		return "PROCEDURE"
	case OAggregate:
		return "AGGREGATE"
	case ODomain:
		return "DOMAIN"
	case OEnum, OComposite, ORange:
		return "TYPE"
	case OForeignTable:
		return "FOREIGN TABLE"
	case OServer:
		return "SERVER"
	case OLanguage:
		return "LANGUAGE"
	case OLargeObject:
		return "LARGE OBJECT"
	}
	return "TABLE"
}

// objectRef names the object as ALTER and GRANT take it.
func (m *Materialized) objectRef(o *Object) string {
	if o.Kind.Routine() {
		return m.signature(o)
	}
	return m.qname(o)
}

func (m *Materialized) columnDefs(o *Object) string {
	var defs []string
	for _, col := range o.Columns {
		if col.Off {
			continue
		}
		typ := "text"
		switch {
		case col.Serial:
			typ = "serial"
		case col.Identity:
			typ = "integer GENERATED BY DEFAULT AS IDENTITY"
		case col.Name == "id":
			typ = "integer"
		}
		defs = append(defs, ident.Quote(col.Name)+" "+typ)
	}
	return strings.Join(defs, ", ")
}

func (m *Materialized) selectList(o *Object) string {
	var cols []string
	for i, col := range o.Columns {
		if col.Off {
			continue
		}
		v := "'x'::text"
		if i == 0 {
			v = "1"
		}
		cols = append(cols, v+" AS "+ident.Quote(col.Name))
	}
	return strings.Join(cols, ", ")
}

func (m *Materialized) create(o *Object) {
	c := m.Case
	q := m.qname(o)
	switch o.Kind {
	case OTable:
		m.add(0, "CREATE TABLE %s (%s)", q, m.columnDefs(o))
	case OPartitioned:
		m.add(0, "CREATE TABLE %s (%s) PARTITION BY RANGE (%s)", q, m.columnDefs(o), ident.Quote("id"))
	case OPartition:
		// Bounds from the partition's position among its siblings.
		n := 0
		for i := range c.Objects {
			if &c.Objects[i] == o {
				break
			}
			if c.Objects[i].Parent == o.Parent && c.Objects[i].Kind == OPartition {
				n++
			}
		}
		m.add(0, "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%d) TO (%d)", q, m.qname(&c.Objects[o.Parent]), n*100, n*100+100)
	case OView:
		m.add(0, "CREATE VIEW %s AS SELECT %s", q, m.selectList(o))
	case OMatView:
		m.add(0, "CREATE MATERIALIZED VIEW %s AS SELECT %s", q, m.selectList(o))
	case OSequence:
		if !o.Implicit {
			m.add(0, "CREATE SEQUENCE %s", q)
		}
	case OFunction:
		var args []string
		for _, a := range o.Args {
			if a.Name != "" {
				args = append(args, ident.Quote(a.Name)+" "+a.Type)
			} else {
				args = append(args, a.Type)
			}
		}
		m.add(0, "CREATE FUNCTION %s(%s) RETURNS integer LANGUAGE sql AS 'SELECT 1'", q, strings.Join(args, ", "))
	case OProcedure:
		m.add(0, "CREATE PROCEDURE %s(%s) LANGUAGE sql AS 'SELECT 1'", q, o.ArgTypes())
	case OAggregate:
		sfunc := "int4pl"
		if o.Args[0].Type == "bigint" {
			sfunc = "int8pl"
		}
		m.add(0, "CREATE AGGREGATE %s(%s) (SFUNC = pg_catalog.%s, STYPE = %s)", q, o.Args[0].Type, sfunc, o.Args[0].Type)
	case OEnum:
		m.add(0, "CREATE TYPE %s AS ENUM ('a', 'b')", q)
	case ODomain:
		m.add(0, "CREATE DOMAIN %s AS integer CHECK (VALUE > 0)", q)
	case OComposite:
		m.add(0, "CREATE TYPE %s AS (a integer, b text)", q)
	case ORange:
		m.add(0, "CREATE TYPE %s AS RANGE (SUBTYPE = float8)", q)
	case OForeignTable:
		m.add(0, "CREATE FOREIGN TABLE %s (%s) SERVER %s", q, m.columnDefs(o), m.qname(&c.Objects[o.Parent]))
	case OFDW:
		m.add(-1, "CREATE FOREIGN DATA WRAPPER %s", q)
	case OServer:
		// CREATE SERVER needs USAGE on the wrapper, which the owner lacks;
		// the owner then owns it, so that it can create foreign tables on
		// it (the ALTER … OWNER TO of another owner comes after those).
		m.add(-1, "CREATE SERVER %s FOREIGN DATA WRAPPER %s", q, m.qname(&c.Objects[o.Parent]))
		m.add(-1, "ALTER SERVER %s OWNER TO %s", q, m.role(0))
	case OLanguage:
		if o.Builtin {
			return
		}
		// plpgsql's handler under another name: a trusted language that is
		// no extension's member (plpgsql itself is one).
		m.add(-1, "CREATE TRUSTED LANGUAGE %s HANDLER pg_catalog.plpgsql_call_handler", q)
		if o.Owner != SuperOwner {
			m.add(-1, "ALTER LANGUAGE %s OWNER TO %s", q, m.role(0))
		}
	case OLargeObject:
		m.add(0, "SELECT pg_catalog.lo_create(%s)", q)
	}
}

// targetSQL is the ON clause of a grant (and, for a column, the column list).
func (m *Materialized) targetSQL(t Target) (cols, on string) {
	c := m.Case
	switch t.Kind {
	case TDatabase:
		return "", "DATABASE " + ident.Quote(m.Database)
	case TSchema:
		return "", "SCHEMA " + m.schema(t.Schema)
	case TColumn:
		o := &c.Objects[t.Object]
		return " (" + ident.Quote(o.Columns[t.Column].Name) + ")", "TABLE " + m.qname(o)
	}
	o := &c.Objects[t.Object]
	switch o.Kind {
	case OSequence:
		return "", "SEQUENCE " + m.qname(o)
	case OFunction, OAggregate:
		return "", "FUNCTION " + m.signature(o)
	case OProcedure:
		return "", "PROCEDURE " + m.signature(o)
	case OEnum, ODomain, OComposite, ORange:
		return "", "TYPE " + m.qname(o)
	case OFDW:
		return "", "FOREIGN DATA WRAPPER " + m.qname(o)
	case OServer:
		return "", "FOREIGN SERVER " + m.qname(o)
	case OLanguage:
		return "", "LANGUAGE " + m.qname(o)
	case OLargeObject:
		return "", "LARGE OBJECT " + m.qname(o)
	}
	return "", "TABLE " + m.qname(o)
}

func privList(p acl.Priv, cols string) string {
	list := p.List()
	for i := range list {
		list[i] += cols
	}
	return strings.Join(list, ", ")
}

func (m *Materialized) grantStep(g *Grant) {
	cols, on := m.targetSQL(g.Target)
	if g.Revoke {
		m.add(g.Grantor, "REVOKE %s ON %s FROM %s", privList(g.Privs, cols), on, m.role(g.Grantee))
		return
	}
	opt := ""
	if g.GrantOption {
		opt = " WITH GRANT OPTION"
	}
	m.add(g.Grantor, "GRANT %s ON %s TO %s%s", privList(g.Privs, cols), on, m.role(g.Grantee), opt)
}

func (m *Materialized) defaultStep(d *Default) {
	s := "ALTER DEFAULT PRIVILEGES FOR ROLE " + m.role(d.ForRole)
	if d.Schema != NoSchema {
		s += " IN SCHEMA " + m.schema(d.Schema)
	}
	if d.Revoke {
		m.add(-1, "%s REVOKE %s ON %s FROM %s", s, d.Privs, d.Kind.DefaultACLKeyword(), m.role(d.Grantee))
		return
	}
	opt := ""
	if d.GrantOption {
		opt = " WITH GRANT OPTION"
	}
	m.add(-1, "%s GRANT %s ON %s TO %s%s", s, d.Privs, d.Kind.DefaultACLKeyword(), m.role(d.Grantee), opt)
}

// policy builds the policy literal.
func (m *Materialized) policy() *policy.Policy {
	c := m.Case
	p := &policy.Policy{}
	if c.Policy.Scope != nil {
		for _, s := range c.Policy.Scope {
			if c.schemaOn(s) {
				p.Schemas = append(p.Schemas, c.schemaName(s))
			}
		}
		if len(p.Schemas) == 0 {
			p.Schemas = []string{"public"} // a scope is never empty
		}
	}
	schemaOK := func(s int) bool {
		return s == NoSchema || (c.schemaOn(s) && (c.Policy.Scope == nil || c.inScope(s)))
	}
	for _, pr := range c.Policy.Roles {
		if pr.Off || !c.roleOn(pr.Role) {
			continue
		}
		r := &policy.Role{Name: m.RoleNames[pr.Role], External: pr.External}
		r.Attributes.Login, r.Attributes.Inherit = pr.Login, pr.Inherit
		for _, pm := range pr.MemberOf {
			if pm.Off || (pm.Predefined == "" && !c.roleOn(pm.Role)) {
				continue
			}
			name := pm.Predefined
			if name == "" {
				name = m.RoleNames[pm.Role]
			}
			r.MemberOf = append(r.MemberOf, &policy.Membership{Role: name, Admin: pm.Admin, Inherit: pm.Inherit, Set: pm.Set})
		}
		for _, ru := range pr.Rules {
			if ru.Off || !schemaOK(ru.Schema) || (ru.Owner >= 0 && !c.roleOn(ru.Owner)) {
				continue
			}
			g := &policy.Grant{Kind: ru.Kind, Privileges: ru.Privs, All: ru.All, WithGrantOption: ru.GrantOption}
			if ru.Kind == acl.KindColumn {
				g.Kind, g.Columns = acl.KindTable, append([]string(nil), ru.Columns...)
			}
			if ru.Schema != NoSchema {
				g.Schema = c.schemaName(ru.Schema)
			}
			if ru.Owner >= 0 {
				g.Owner = m.RoleNames[ru.Owner]
			}
			for _, n := range ru.Names {
				g.Names = append(g.Names, policy.Pattern{Text: n})
			}
			for _, n := range ru.Except {
				g.Except = append(g.Except, policy.Pattern{Text: n})
			}
			r.Grants = append(r.Grants, g)
		}
		for _, d := range pr.Defaults {
			if d.Off || !c.roleOn(d.ForRole) || !schemaOK(d.Schema) {
				continue
			}
			dp := &policy.DefaultPrivilege{Kind: d.Kind, ForRole: m.RoleNames[d.ForRole], Privileges: d.Privs, All: d.All, WithGrantOption: d.GrantOption}
			if d.Schema != NoSchema {
				dp.Schema = c.schemaName(d.Schema)
			}
			r.DefaultPrivileges = append(r.DefaultPrivileges, dp)
		}
		p.Roles = append(p.Roles, r)
	}
	if len(c.Policy.Public) > 0 {
		p.Public = &policy.Public{MayHold: map[acl.Kind]acl.Priv{}, Ranges: map[acl.Kind]hcl.Range{}}
		for _, pc := range c.Policy.Public {
			if !pc.Off {
				p.Public.MayHold[pc.Kind] = pc.Privs
			}
		}
	}
	return p
}

// SQL is the whole setup as one script: roles, then each step (wrapped in
// SET ROLE / RESET ROLE when it runs as a role), for bug reports.
func (m *Materialized) SQL() string {
	var b strings.Builder
	for _, r := range m.Roles {
		fmt.Fprintf(&b, "CREATE ROLE %s %s;\n", ident.Quote(r.Name), r.Options)
	}
	for _, s := range m.Steps {
		fmt.Fprintf(&b, "%s;\n", stepSQL(s))
	}
	return b.String()
}

// Setup runs the steps on conn, a superuser connection to the database, in
// one transaction. Roles must exist already.
func (m *Materialized) Setup(ctx context.Context, conn *pgx.Conn) error {
	var script []string
	for _, s := range m.Steps {
		script = append(script, stepSQL(s))
	}
	// One round trip; a multi-statement query is one transaction.
	if _, err := conn.Exec(ctx, strings.Join(script, ";\n")); err == nil {
		return nil
	}
	// Find the statement that failed, and change nothing.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, sql := range script {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("setup: %s: %w", sql, err)
		}
	}
	return fmt.Errorf("setup failed as one script, not step by step")
}

func stepSQL(s Step) string {
	if s.As != "" {
		return "SET ROLE " + ident.Quote(s.As) + "; " + s.SQL + "; RESET ROLE"
	}
	return s.SQL
}
