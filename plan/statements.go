package plan

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

// maxObjectsPerStatement bounds the object list of one batched GRANT so
// that a statement stays readable in logs and small on the wire.
const maxObjectsPerStatement = 500

// phase orders changes so that each statement is valid when it runs:
// roles, memberships, grants from the database down, default privileges,
// then revokes.
func phase(c *Change) int {
	switch c.Target {
	case TargetRole:
		if c.Action == Grant {
			return 0 // CREATE ROLE before anything names the role
		}
		return 1
	case TargetSetting:
		return 1 // after CREATE ROLE
	case TargetMembership:
		if c.Action == Revoke {
			return 12
		}
		return 2
	case TargetObject:
		if c.Object.Kind == acl.KindColumn && c.Action == Grant {
			// After table-level revokes, which wipe column grants.
			return 10
		}
		// Grants go from the database down; revokes from the objects up,
		// so that a grantor revoking as itself (SET ROLE) still has USAGE
		// on the schema when it names the object. A grant that gives back
		// what a CASCADE took runs with the object's revokes, ranked after
		// them (see ownerRoute).
		depth := 2
		switch c.Object.Kind {
		case acl.KindDatabase, acl.KindTablespace, acl.KindParameter:
			depth = 0
		case acl.KindSchema, acl.KindLanguage, acl.KindFDW, acl.KindServer:
			depth = 1
		}
		if c.Action == Revoke || c.afterRevokes {
			return 7 + (2 - depth)
		}
		return 3 + depth
	case TargetDefault:
		if c.Action == Revoke {
			return 11
		}
		return 6
	}
	return 99
}

// compareChanges is the order a plan's changes run in: by phase, rank,
// what they are on (sortKey's order), then grantee. Changes on objects
// compare their objects field by field, which is sortKey's order without
// building it: a large plan sorts hundreds of thousands of them.
func compareChanges(a, b *Change) int {
	if r := cmp.Or(cmp.Compare(phase(a), phase(b)), cmp.Compare(a.rank, b.rank)); r != 0 {
		return r
	}
	var r int
	if a.Target == TargetObject && b.Target == TargetObject {
		x, y := &a.Object, &b.Object
		r = cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Schema, y.Schema), cmp.Compare(x.Name, y.Name),
			cmp.Compare(x.Args, y.Args), cmp.Compare(x.Column, y.Column))
	} else {
		r = cmp.Compare(sortKey(a), sortKey(b))
	}
	return cmp.Or(r, cmp.Compare(a.Grantee, b.Grantee))
}

func lessChange(a, b *Change) bool { return compareChanges(a, b) < 0 }

func sortKey(c *Change) string {
	switch c.Target {
	case TargetObject:
		return twoDigits(int(c.Object.Kind)) + "\x00" + c.Object.Schema + "\x00" + c.Object.Name + "\x00" + c.Object.Args + "\x00" + c.Object.Column
	case TargetDefault:
		return c.Default.ForRole + "\x00" + c.Default.Schema + "\x00" + twoDigits(int(c.Default.Kind))
	case TargetMembership:
		return string(c.Grantee) + "\x00" + c.Membership.Role + "\x00" + c.Membership.Grantor
	case TargetSetting:
		return string(c.Grantee) + "\x01" + c.Setting.Database + "\x00" + c.Setting.Name
	}
	return string(c.Grantee)
}

// twoDigits formats a small number so that keys sort numerically.
func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// keyword is the object class keyword of GRANT … ON <keyword>.
func keyword(o acl.Object) string {
	switch o.Kind {
	case acl.KindDatabase:
		return "DATABASE"
	case acl.KindSchema:
		return "SCHEMA"
	case acl.KindTable:
		return "TABLE"
	case acl.KindSequence:
		return "SEQUENCE"
	case acl.KindFunction:
		if o.Subkind == 'p' {
			return "PROCEDURE"
		}
		return "FUNCTION"
	case acl.KindType:
		return "TYPE"
	case acl.KindColumn:
		return "TABLE"
	case acl.KindLanguage:
		return "LANGUAGE"
	case acl.KindFDW:
		return "FOREIGN DATA WRAPPER"
	case acl.KindServer:
		return "FOREIGN SERVER"
	case acl.KindLargeObject:
		return "LARGE OBJECT"
	case acl.KindParameter:
		return "PARAMETER"
	case acl.KindTablespace:
		return "TABLESPACE"
	}
	return "?"
}

// objectSQL is the quoted name of an object as GRANT expects it.
func objectSQL(o acl.Object) string {
	switch o.Kind {
	case acl.KindLargeObject:
		return o.Name // an OID: digits only, checked by policy and catalog
	case acl.KindParameter:
		// Parameter names are dotted paths of identifiers (my.custom).
		parts := strings.Split(o.Name, ".")
		for i, p := range parts {
			parts[i] = ident.Quote(p)
		}
		return strings.Join(parts, ".")
	case acl.KindColumn:
		return ident.QuoteQualified(o.Schema, o.Name)
	case acl.KindFunction:
		// pg_get_function_identity_arguments already quotes what needs it.
		return ident.QuoteQualified(o.Schema, o.Name) + "(" + o.Args + ")"
	}
	return ident.QuoteQualified(o.Schema, o.Name)
}

func granteeSQL(g acl.Grantee) string {
	if g.IsPublic() {
		return "PUBLIC"
	}
	return ident.Quote(string(g))
}

func quoteLiteral(s string) string { return ident.Literal(s) }

// objectStatement describes an object GRANT/REVOKE by the list item this
// change adds (an object, or a column) and a key: changes with equal keys
// share one statement, which build writes for the collected items.
func objectStatement(c *Change) (key, item string, build func(items []string) string) {
	privs := c.Privs.Privs.List()
	verb := "GRANT "
	to := " TO " + granteeSQL(c.Grantee)
	switch {
	case c.Action == Grant:
		if c.Privs.GrantOption != 0 {
			to += " WITH GRANT OPTION"
		}
	case c.GrantOptionOnly:
		verb, to = "REVOKE GRANT OPTION FOR ", " FROM "+granteeSQL(c.Grantee)
	default:
		verb, to = "REVOKE ", " FROM "+granteeSQL(c.Grantee)
	}
	if c.Action == Revoke && c.Cascade {
		to += " CASCADE"
	}
	if c.Object.Kind == acl.KindColumn {
		// Each privilege takes its own column list: "SELECT, UPDATE (a)"
		// would mean SELECT on the whole table.
		on := " ON TABLE " + objectSQL(c.Object) + to
		build = func(cols []string) string {
			list := " (" + strings.Join(cols, ", ") + ")"
			parts := make([]string, len(privs))
			for i, p := range privs {
				parts[i] = p + list
			}
			return verb + strings.Join(parts, ", ") + on
		}
		return verb + strings.Join(privs, ",") + "\x00" + on, ident.Quote(c.Object.Column), build
	}
	head := verb + strings.Join(privs, ", ") + " ON " + keyword(c.Object) + " "
	build = func(objects []string) string { return head + strings.Join(objects, ", ") + to }
	return head + "\x00" + to, objectSQL(c.Object), build
}

// statementShapes caches objectStatement's key and build function by
// what they depend on: a large plan has a few dozen shapes (privileges,
// grantee, kind, action) for hundreds of thousands of changes, and
// rendering them for every change was most of batch's time. Columns,
// whose key names their table, are not cached.
type statementShapes map[statementShape]statementShapeSQL

type statementShape struct {
	action          Action
	gOnly, cascade  bool
	privs           acl.Privileges
	grantee         acl.Grantee
	keyword, asRole string
}

type statementShapeSQL struct {
	key   string // objectStatement's key and the AsRole
	build func([]string) string
}

// statement is objectStatement, with the key extended by c.AsRole.
func (s statementShapes) statement(c *Change) (key, item string, build func([]string) string) {
	if c.Object.Kind == acl.KindColumn {
		key, item, build = objectStatement(c)
		return key + "\x00" + c.AsRole, item, build
	}
	k := statementShape{c.Action, c.GrantOptionOnly, c.Cascade, c.Privs, c.Grantee, keyword(c.Object), c.AsRole}
	if sh, ok := s[k]; ok {
		return sh.key, objectSQL(c.Object), sh.build
	}
	key, item, build = objectStatement(c)
	sh := statementShapeSQL{key: key + "\x00" + c.AsRole, build: build}
	s[k] = sh
	return sh.key, item, sh.build
}

// statementsFor renders the statements of one change on its own.
func statementsFor(c *Change, version int) []string {
	switch c.Target {
	case TargetObject:
		_, item, build := objectStatement(c)
		return []string{build([]string{item})}
	case TargetDefault:
		d := c.Default
		s := "ALTER DEFAULT PRIVILEGES FOR ROLE " + ident.Quote(d.ForRole)
		if d.Schema != "" {
			s += " IN SCHEMA " + ident.Quote(d.Schema)
		}
		privs := strings.Join(c.Privs.Privs.List(), ", ")
		if c.Action == Grant {
			opt := ""
			if c.Privs.GrantOption != 0 {
				opt = " WITH GRANT OPTION"
			}
			return []string{fmt.Sprintf("%s GRANT %s ON %s TO %s%s", s, privs, d.Kind.DefaultACLKeyword(), granteeSQL(c.Grantee), opt)}
		}
		verb := "REVOKE"
		if c.GrantOptionOnly {
			verb = "REVOKE GRANT OPTION FOR"
		}
		return []string{fmt.Sprintf("%s %s %s ON %s FROM %s", s, verb, privs, d.Kind.DefaultACLKeyword(), granteeSQL(c.Grantee))}
	case TargetMembership:
		return membershipSQL(c, version)
	case TargetSetting:
		return []string{settingSQL(c)}
	case TargetRole:
		parts := make([]string, len(c.Attributes))
		for i, a := range c.Attributes {
			parts[i] = a.SQL
		}
		if c.Action == Grant {
			s := "CREATE ROLE " + ident.Quote(string(c.Grantee))
			if len(parts) > 0 {
				s += " WITH " + strings.Join(parts, " ")
			}
			return []string{s}
		}
		return []string{"ALTER ROLE " + ident.Quote(string(c.Grantee)) + " WITH " + strings.Join(parts, " ")}
	}
	return nil
}

func membershipSQL(c *Change, version int) []string {
	m := c.Membership
	role, member := ident.Quote(m.Role), ident.Quote(string(c.Grantee))
	v16 := version >= 160000
	switch c.Action {
	case Grant:
		s := "GRANT " + role + " TO " + member
		if !v16 {
			if m.Admin != nil && *m.Admin {
				s += " WITH ADMIN OPTION"
			}
			return []string{s}
		}
		var opts []string
		for _, o := range []struct {
			name string
			v    *bool
		}{{"ADMIN", m.Admin}, {"INHERIT", m.Inherit}, {"SET", m.Set}} {
			if o.v != nil {
				opts = append(opts, fmt.Sprintf("%s %s", o.name, strings.ToUpper(fmt.Sprint(*o.v))))
			}
		}
		if len(opts) > 0 {
			s += " WITH " + strings.Join(opts, ", ")
		}
		return []string{s}
	case Alter:
		// Options change in place: GRANT … WITH x TRUE turns one on,
		// REVOKE x OPTION FOR turns one off. Never revoke and re-grant.
		var out []string
		for _, o := range []struct {
			name string
			v    *bool
		}{{"ADMIN", m.Admin}, {"INHERIT", m.Inherit}, {"SET", m.Set}} {
			switch {
			case o.v == nil:
			case *o.v && v16:
				out = append(out, fmt.Sprintf("GRANT %s TO %s WITH %s TRUE", role, member, o.name))
			case *o.v:
				out = append(out, fmt.Sprintf("GRANT %s TO %s WITH %s OPTION", role, member, o.name))
			default:
				out = append(out, fmt.Sprintf("REVOKE %s OPTION FOR %s FROM %s", o.name, role, member))
			}
		}
		return out
	case Revoke:
		s := "REVOKE " + role + " FROM " + member
		if v16 && m.Grantor != "" {
			// 16+ keeps one row per grantor; a REVOKE removes only the row
			// of the named grantor.
			s += " GRANTED BY " + ident.Quote(m.Grantor)
		}
		return []string{s}
	}
	return nil
}

// SQL is the change as the statements that make it on PostgreSQL version
// (server_version_num), joined by "; ", unbatched: for messages, and for
// the changes no statement carries (the blocked ones).
func (c *Change) SQL(version int) string {
	return strings.Join(statementsFor(c, version), "; ")
}

// batch turns ordered changes into statements: object GRANTs and REVOKEs
// with the same privileges, grantee and object class share one statement.
func batch(changes []*Change, version int) []Statement {
	type group struct {
		build   func([]string) string
		asRole  string
		items   []string
		changes []*Change
	}
	var out []Statement
	var groups []*group
	index := map[string]*group{}
	shapes := statementShapes{}
	flush := func() {
		for _, g := range groups {
			for start := 0; start < len(g.items); start += maxObjectsPerStatement {
				end := min(start+maxObjectsPerStatement, len(g.items))
				out = append(out, Statement{SQL: g.build(g.items[start:end]), AsRole: g.asRole, Changes: g.changes[start:end]})
			}
		}
		groups, index = nil, map[string]*group{}
	}
	type step struct{ phase, rank int }
	last := step{-1, -1}
	for _, c := range changes {
		// A statement never spans phases or ranks: its items would run
		// together, before what must precede some of them.
		if s := (step{phase(c), int(c.rank)}); s != last {
			flush()
			last = s
		}
		if c.Target != TargetObject {
			for _, sql := range statementsFor(c, version) {
				out = append(out, Statement{SQL: sql, AsRole: c.AsRole, Changes: []*Change{c}})
			}
			continue
		}
		key, item, build := shapes.statement(c)
		g := index[key]
		if g == nil {
			g = &group{build: build, asRole: c.AsRole}
			index[key] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, item)
		g.changes = append(g.changes, c)
	}
	flush()
	return out
}

// describe is a one-line description of a change for messages.
func describe(c *Change) string {
	switch c.Target {
	case TargetObject:
		return fmt.Sprintf("%s %s on %s %s %s %s", c.Action, c.Privs.Privs, c.Object.Kind, c.Object, toFrom(c.Action), c.Grantee)
	case TargetDefault:
		return fmt.Sprintf("%s %s on %s %s %s", c.Action, c.Privs.Privs, c.Default, toFrom(c.Action), c.Grantee)
	case TargetMembership:
		return fmt.Sprintf("%s membership of %s in %s", c.Action, c.Grantee, c.Membership.Role)
	case TargetRole:
		if c.Action == Grant {
			return fmt.Sprintf("create role %s", c.Grantee) // as the plan line says
		}
		return fmt.Sprintf("alter role %s", c.Grantee)
	case TargetSetting:
		return fmt.Sprintf("alter setting %s of role %s", c.Setting.what(), c.Grantee)
	}
	return "change"
}

func toFrom(a Action) string {
	if a == Revoke {
		return "from"
	}
	return "to"
}
