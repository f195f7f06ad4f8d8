package synth

import (
	"fmt"
	"strings"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/ident"
)

// State is a state of the privileges of a synthetic database. The zero
// value is invalid.
type State uint8

const (
	StateInvalid State = iota
	// Bare: the grantee roles hold nothing; the owner holds its default
	// privileges, written out (no NULL ACLs).
	Bare
	// Half: a half-converged database. Objects are in four classes by
	// index: all granted; nothing granted; partly granted (web holds only
	// SELECT, USAGE or EXECUTE, the worker nothing); all granted plus stray
	// grants (TRUNCATE to web, INSERT to ops and SELECT to PUBLIC on
	// tables, UPDATE to web and USAGE to ops on sequences, EXECUTE to ops
	// on functions, CREATE to web on schemas). The database, schemas and
	// default privileges are half done the same way.
	Half
	// Converged: exactly what the policy of [PolicyHCL] asks for.
	Converged
)

func (s State) String() string {
	switch s {
	case Bare:
		return "bare"
	case Half:
		return "half"
	case Converged:
		return "converged"
	}
	return "invalid"
}

// grantee is one of the roles privileges are given to.
type grantee uint8

const (
	web grantee = iota
	worker
	ops
	public
	numGrantees
)

func (g grantee) sql(r Roles) string {
	switch g {
	case web:
		return ident.Quote(r.Web)
	case worker:
		return ident.Quote(r.Worker)
	case ops:
		return ident.Quote(r.Ops)
	}
	return "PUBLIC"
}

// holding is what each grantee holds on one object.
type holding [numGrantees]acl.Priv

const dml = acl.Select | acl.Insert | acl.Update | acl.Delete

// tableHolding is the holding of a table (job says whether it is a q_
// table) or view of class c (its index mod 4).
func tableHolding(st State, c int, job bool) holding {
	want := holding{web: dml, worker: acl.Select, ops: acl.Select}
	if job {
		want[worker] = dml
	}
	switch {
	case st == Bare:
		return holding{}
	case st == Converged, c == 0:
		return want
	case c == 1:
		return holding{}
	case c == 2:
		return holding{web: acl.Select, ops: acl.Select}
	}
	want[web] |= acl.Truncate
	want[ops] |= acl.Insert
	want[public] = acl.Select
	return want
}

func sequenceHolding(st State, c int) holding {
	want := holding{web: acl.Usage | acl.Select, worker: acl.Usage | acl.Select | acl.Update, ops: acl.Select}
	switch {
	case st == Bare:
		return holding{}
	case st == Converged, c == 0:
		return want
	case c == 1:
		return holding{}
	case c == 2:
		return holding{web: acl.Usage, ops: acl.Select}
	}
	want[web] |= acl.Update
	want[ops] |= acl.Usage
	return want
}

func functionHolding(st State, c int) holding {
	want := holding{web: acl.Execute, worker: acl.Execute}
	switch {
	case st == Bare:
		return holding{}
	case st == Converged, c == 0:
		return want
	case c == 1:
		return holding{}
	case c == 2:
		return holding{web: acl.Execute}
	}
	want[ops] = acl.Execute
	return want
}

func schemaHolding(st State, c int) holding {
	want := holding{web: acl.Usage, worker: acl.Usage, ops: acl.Usage}
	switch {
	case st == Bare:
		return holding{}
	case st == Converged, c == 0:
		return want
	case c == 1:
		return holding{}
	case c == 2:
		return holding{ops: acl.Usage}
	}
	want[web] |= acl.Create
	return want
}

func databaseHolding(st State) holding {
	switch st {
	case Converged:
		return holding{web: acl.Connect, worker: acl.Connect, ops: acl.Connect}
	case Half:
		return holding{web: acl.Connect, ops: acl.Connect | acl.Temporary}
	}
	return holding{}
}

// defaultHolding is what the owner's global default privileges give on
// objects of kind k created later.
func defaultHolding(st State, k acl.Kind) holding {
	switch {
	case st == Bare:
		return holding{}
	case k == acl.KindTable && st == Half:
		return holding{web: dml, ops: acl.Insert}
	case k == acl.KindTable:
		return holding{web: dml}
	case k == acl.KindSequence && st == Half:
		return holding{}
	case k == acl.KindSequence:
		return holding{web: acl.Usage | acl.Select}
	case k == acl.KindFunction:
		return holding{web: acl.Execute}
	}
	return holding{}
}

// object is one object of the synthetic database, as GRANT names it.
type object struct {
	keyword string // TABLE, SEQUENCE, FUNCTION, SCHEMA
	sql     string // quoted name, with the argument types of a function
	hold    func(State) holding
}

// eachObject calls f for every schema, table, view, sequence and function,
// in that order.
func (s Spec) eachObject(f func(object)) {
	for k := 1; k <= s.Schemas(); k++ {
		c := k % 4
		f(object{"SCHEMA", ident.Quote(SchemaName(k)), func(st State) holding { return schemaHolding(st, c) }})
	}
	first := 1
	if s.Partitioned {
		first = 0 // the parent, granted like a table
	}
	for i := first; i <= s.Tables; i++ {
		c, job := i%4, isJobTable(i)
		f(object{"TABLE", ident.QuoteQualified(SchemaName(s.schemaOf(i)), TableName(i)), func(st State) holding { return tableHolding(st, c, job) }})
	}
	for j := 1; j <= s.Extras(); j++ {
		c := j % 4
		f(object{"TABLE", ident.QuoteQualified(SchemaName(s.extraSchemaOf(j)), ViewName(j)), func(st State) holding { return tableHolding(st, c, false) }})
	}
	for j := 1; j <= s.Extras(); j++ {
		c := j % 4
		f(object{"SEQUENCE", ident.QuoteQualified(SchemaName(s.extraSchemaOf(j)), SequenceName(j)), func(st State) holding { return sequenceHolding(st, c) }})
	}
	for j := 1; j <= s.Extras(); j++ {
		c := j % 4
		f(object{"FUNCTION", ident.QuoteQualified(SchemaName(s.extraSchemaOf(j)), FunctionName(j)) + "(integer)", func(st State) holding { return functionHolding(st, c) }})
	}
}

// statements collects GRANT and REVOKE statements, one per verb, object
// keyword, grantee and privilege set, in the order their first object
// comes.
type statements struct {
	roles Roles
	keys  []groupKey
	names map[groupKey][]string
}

type groupKey struct {
	revoke  bool
	keyword string
	grantee grantee
	privs   acl.Priv
}

func newStatements(r Roles) *statements {
	return &statements{roles: r, names: map[groupKey][]string{}}
}

func (b *statements) add(revoke bool, keyword string, g grantee, p acl.Priv, name string) {
	if p == 0 {
		return
	}
	k := groupKey{revoke, keyword, g, p}
	if _, ok := b.names[k]; !ok {
		b.keys = append(b.keys, k)
	}
	b.names[k] = append(b.names[k], name)
}

func (b *statements) sql() []string {
	out := make([]string, 0, len(b.keys))
	for _, k := range b.keys {
		privs := strings.Join(k.privs.List(), ", ")
		names := strings.Join(b.names[k], ", ")
		if k.revoke {
			out = append(out, fmt.Sprintf("REVOKE %s ON %s %s FROM %s", privs, k.keyword, names, k.grantee.sql(b.roles)))
		} else {
			out = append(out, fmt.Sprintf("GRANT %s ON %s %s TO %s", privs, k.keyword, names, k.grantee.sql(b.roles)))
		}
	}
	return out
}

// defaultKinds are the kinds of the owner's default privileges.
var defaultKinds = []acl.Kind{acl.KindTable, acl.KindSequence, acl.KindFunction}

// ResetSQL is the statements [Reset] runs on database to reach state.
func ResetSQL(s Spec, database string, state State) ([]string, error) {
	s, err := s.normalized()
	if err != nil {
		return nil, err
	}
	if state < Bare || state > Converged {
		return nil, fmt.Errorf("synth: invalid state %d", state)
	}
	r := s.Roles()
	schemas := make([]string, s.Schemas())
	for k := range schemas {
		schemas[k] = ident.Quote(SchemaName(k + 1))
	}
	in := strings.Join(schemas, ", ")
	roles := ident.Quote(r.Web) + ", " + ident.Quote(r.Worker) + ", " + ident.Quote(r.Ops)
	out := []string{
		"REVOKE ALL ON ALL TABLES IN SCHEMA " + in + " FROM " + roles + ", PUBLIC",
		"REVOKE ALL ON ALL SEQUENCES IN SCHEMA " + in + " FROM " + roles,
		"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA " + in + " FROM " + roles,
		"REVOKE ALL ON SCHEMA " + in + " FROM " + roles + ", PUBLIC",
		"REVOKE ALL ON DATABASE " + ident.Quote(database) + " FROM " + roles,
	}
	for _, k := range defaultKinds {
		out = append(out, fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE ALL ON %s FROM %s", ident.Quote(r.Owner), k.DefaultACLKeyword(), roles))
	}
	b := newStatements(r)
	for g, p := range databaseHolding(state) {
		b.add(false, "DATABASE", grantee(g), p, ident.Quote(database))
	}
	s.eachObject(func(o object) {
		for g, p := range o.hold(state) {
			b.add(false, o.keyword, grantee(g), p, o.sql)
		}
	})
	out = append(out, b.sql()...)
	for _, k := range defaultKinds {
		for g, p := range defaultHolding(state, k) {
			if p != 0 {
				out = append(out, fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s GRANT %s ON %s TO %s",
					ident.Quote(r.Owner), strings.Join(p.List(), ", "), k.DefaultACLKeyword(), grantee(g).sql(r)))
			}
		}
	}
	return out, nil
}

// FloorSQL is the write floor: a hand-written script that takes database
// from [Half] to [Converged] with exactly the needed changes, one statement
// per privilege set × grantee × object kind (and one ALTER DEFAULT
// PRIVILEGES per such change), for psql to run in one transaction
// (psql -1). It is written from the model, not from a pgward plan.
func FloorSQL(s Spec, database string) (string, error) {
	s, err := s.normalized()
	if err != nil {
		return "", err
	}
	r := s.Roles()
	b := newStatements(r)
	diff := func(keyword, name string, from, to holding) {
		for g := range from {
			b.add(false, keyword, grantee(g), to[g]&^from[g], name)
		}
		for g := range from {
			b.add(true, keyword, grantee(g), from[g]&^to[g], name)
		}
	}
	diff("DATABASE", ident.Quote(database), databaseHolding(Half), databaseHolding(Converged))
	s.eachObject(func(o object) { diff(o.keyword, o.sql, o.hold(Half), o.hold(Converged)) })
	stmts := b.sql()
	for _, k := range defaultKinds {
		from, to := defaultHolding(Half, k), defaultHolding(Converged, k)
		for g := range from {
			if p := to[g] &^ from[g]; p != 0 {
				stmts = append(stmts, fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s GRANT %s ON %s TO %s",
					ident.Quote(r.Owner), strings.Join(p.List(), ", "), k.DefaultACLKeyword(), grantee(g).sql(r)))
			}
			if p := from[g] &^ to[g]; p != 0 {
				stmts = append(stmts, fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE %s ON %s FROM %s",
					ident.Quote(r.Owner), strings.Join(p.List(), ", "), k.DefaultACLKeyword(), grantee(g).sql(r)))
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "-- The write floor: %s from half-converged to converged, %d statements.\n", database, len(stmts))
	for _, q := range stmts {
		out.WriteString(q)
		out.WriteString(";\n")
	}
	return out.String(), nil
}
