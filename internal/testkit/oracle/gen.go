package oracle

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/pgward/pgward/internal/acl"
)

// Generate builds the case of a seed for a server version
// (server_version_num): the same seed and version always give the same
// case.
func Generate(seed uint64, version int) *Case {
	g := &gen{
		r:    rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		c:    &Case{Seed: seed, Version: version},
		used: map[string]bool{},
	}
	g.weird = g.chance(0.3)
	g.roles()
	g.memberships()
	g.schemas()
	g.objects()
	g.grants()
	g.defaults()
	g.policy()
	return g.c
}

type gen struct {
	r     *rand.Rand
	c     *Case
	weird bool            // this case uses names that need quoting
	used  map[string]bool // every object, schema and role base name
	order []int           // grantee roles in membership order: members come later
	added []Membership    // memberships the policy adds (member_of without a row)
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// between returns a number in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *gen) v16() bool { return g.c.Version >= 160000 }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) optBool(pNil float64) *bool {
	if g.chance(pNil) {
		return nil
	}
	v := g.chance(0.5)
	return &v
}

// privSubset is a random non-empty subset of privs.
func (g *gen) privSubset(privs acl.Priv) acl.Priv {
	var bits []acl.Priv
	privs.Each(func(p acl.Priv) { bits = append(bits, p) })
	if len(bits) == 0 {
		return 0
	}
	var out acl.Priv
	for out == 0 {
		for _, b := range bits {
			if g.chance(0.4) {
				out |= b
			}
		}
	}
	return out
}

// name returns a unique name derived from plain; in a weird case it may
// need quoting: upper case, spaces, quotes, non-ASCII, a keyword, a dollar.
func (g *gen) name(plain string) string {
	n := plain
	if g.weird && g.chance(0.45) {
		switch g.r.IntN(8) {
		case 0:
			n = strings.ToUpper(plain)
		case 1:
			n = "My " + plain
		case 2:
			n = `q"` + plain
		case 3:
			n = "é" + plain
		case 4:
			rs := []rune(plain)
			n = "Ünï " + strings.ToUpper(string(rs[:1])) + string(rs[1:])
		case 5:
			n = plain + "$"
		case 6:
			for _, kw := range []string{"select", "order", "user", "group", "table"} {
				if !g.used[kw] {
					n = kw
					break
				}
			}
		case 7:
			n = "a.b" + plain // a dot: not a qualified name
		}
	}
	for g.used[n] {
		n += "x"
	}
	g.used[n] = true
	return n
}

func (g *gen) roles() {
	g.c.Roles = append(g.c.Roles, Role{Base: g.name("owner"), Login: true, NoInherit: g.chance(0.1)})
	n := g.between(2, 5)
	for i := 1; i <= n; i++ {
		g.c.Roles = append(g.c.Roles, Role{Base: g.name(fmt.Sprintf("g%d", i)), Login: g.chance(0.5), NoInherit: g.chance(0.3)})
		g.order = append(g.order, i)
	}
	g.r.Shuffle(len(g.order), func(i, j int) { g.order[i], g.order[j] = g.order[j], g.order[i] })
}

func (g *gen) membershipOptions(m *Membership) {
	m.Admin = g.chance(0.2)
	if g.v16() {
		m.Inherit = g.optBool(0.4)
		m.Set = g.optBool(0.4)
	}
}

func (g *gen) memberships() {
	// Members come later in g.order than the roles they belong to: no cycles.
	for i := 0; i < len(g.order); i++ {
		for j := i + 1; j < len(g.order); j++ {
			if g.chance(0.25) {
				m := Membership{Role: g.order[i], Member: g.order[j]}
				g.membershipOptions(&m)
				g.c.Memberships = append(g.c.Memberships, m)
			}
		}
	}
	// The owner may SET ROLE to a grantee: the grantor route of a revoke.
	if g.chance(0.25) {
		m := Membership{Role: pick(g, g.order), Member: 0}
		g.membershipOptions(&m)
		m.Admin = false
		g.c.Memberships = append(g.c.Memberships, m)
	}
	for _, gr := range g.order {
		for _, p := range []struct {
			name   string
			since  int
			chance float64
		}{{"pg_read_all_data", 140000, 0.08}, {"pg_write_all_data", 140000, 0.05}, {"pg_maintain", 170000, 0.05}} {
			if g.c.Version >= p.since && g.chance(p.chance) {
				m := Membership{Role: -1, Predefined: p.name, Member: gr}
				g.membershipOptions(&m)
				g.c.Memberships = append(g.c.Memberships, m)
			}
		}
	}
}

func (g *gen) schemas() {
	n := g.between(1, 3)
	for i := 1; i <= n; i++ {
		g.c.Schemas = append(g.c.Schemas, Schema{Name: g.name(fmt.Sprintf("s%d", i))})
	}
}

var argPool = [][]Arg{
	{},
	{{Type: "integer"}},
	{{Type: "text"}},
	{{Type: "integer"}, {Type: "text"}},
	{{Type: "bigint"}},
	{{Type: "boolean"}, {Type: "integer[]"}},
	{{Type: "timestamp with time zone"}},
}

func (g *gen) add(o Object) int {
	g.c.Objects = append(g.c.Objects, o)
	return len(g.c.Objects) - 1
}

func (g *gen) columns(extra int) []Column {
	cols := []Column{{Name: "id"}}
	for i := 1; i <= extra; i++ {
		cols = append(cols, Column{Name: g.colName(fmt.Sprintf("c%d", i), cols)})
	}
	return cols
}

// colName is a column name unique within its relation (not in g.used).
func (g *gen) colName(plain string, cols []Column) string {
	n := plain
	if g.weird && g.chance(0.4) {
		n = pick(g, []string{"Col " + plain, `c"` + plain, "ç" + plain, strings.ToUpper(plain)})
	}
	for _, c := range cols {
		if c.Name == n {
			n += "x"
		}
	}
	return n
}

// outsideObjects adds the objects that live outside schemas, and returns
// the servers (for foreign tables).
func (g *gen) outsideObjects(next func(string) string) (servers []int) {
	// plpgsql is an extension member: pgward must leave its grants alone.
	if g.chance(0.2) {
		g.add(Object{Kind: OLanguage, Schema: NoSchema, Name: "plpgsql", Builtin: true, Owner: SuperOwner, Parent: -1})
	}
	// sql is trusted, no extension's, and owned by the bootstrap superuser.
	// Grants on what the superuser owns block the owner's plan, and a
	// blocked case takes twice as long: those objects are rarer.
	if g.chance(0.08) {
		g.add(Object{Kind: OLanguage, Schema: NoSchema, Name: "sql", Builtin: true, Owner: SuperOwner, Parent: -1})
	}
	// A trusted language of the database (plpgsql's handler under another
	// name), which pgward manages.
	if g.chance(0.2) {
		owner := 0
		if g.chance(0.2) {
			owner = SuperOwner
		}
		g.add(Object{Kind: OLanguage, Schema: NoSchema, Name: g.name(next("l")), Owner: owner, Parent: -1})
	}
	if g.chance(0.15) {
		for range g.between(1, 2) {
			w := g.add(Object{Kind: OFDW, Schema: NoSchema, Name: g.name(next("w")), Owner: SuperOwner, Parent: -1})
			for range g.between(0, 2) {
				servers = append(servers, g.add(Object{Kind: OServer, Schema: NoSchema, Name: g.name(next("srv")), Parent: w}))
			}
		}
	}
	if g.chance(0.25) {
		for range g.between(1, 2) {
			// A fixed OID rather than lo_create(0): the policy names large
			// objects by OID, and the printed setup must reproduce them.
			// OIDs are per database, so parallel cases do not collide.
			oid := fmt.Sprint(g.between(20000, 999999))
			for g.used[oid] {
				oid = fmt.Sprint(g.between(20000, 999999))
			}
			g.used[oid] = true
			g.add(Object{Kind: OLargeObject, Schema: NoSchema, Name: oid, Parent: -1})
		}
	}
	return servers
}

func (g *gen) objects() {
	var n int
	next := func(prefix string) string {
		n++
		return fmt.Sprintf("%s%d", prefix, n)
	}
	servers := g.outsideObjects(next)
	for si := range g.c.Schemas {
		for range g.between(1, 3) {
			cols := g.columns(g.between(0, 2))
			switch {
			case g.chance(0.25):
				cols[0].Serial = true
			case g.chance(0.25):
				cols[0].Identity = true
			}
			t := g.add(Object{Kind: OTable, Schema: si, Name: g.name(next("t")), Columns: cols, Parent: -1})
			if cols[0].Serial || cols[0].Identity {
				name := seqName(g.c.Objects[t].Name, "id")
				g.used[name] = true
				g.add(Object{Kind: OSequence, Schema: si, Name: name, Parent: t, Implicit: true})
			}
		}
		if g.chance(0.4) {
			p := g.add(Object{Kind: OPartitioned, Schema: si, Name: g.name(next("p")), Columns: []Column{{Name: "id"}, {Name: "k"}}, Parent: -1})
			for i := range g.between(1, 2) {
				g.add(Object{Kind: OPartition, Schema: si, Name: g.name(fmt.Sprintf("%s_%d", g.c.Objects[p].Name, i+1)),
					Columns: []Column{{Name: "id"}, {Name: "k"}}, Parent: p})
			}
		}
		if g.chance(0.5) {
			g.add(Object{Kind: OView, Schema: si, Name: g.name(next("v")), Columns: g.columns(g.between(0, 1)), Parent: -1})
		}
		if g.chance(0.35) {
			g.add(Object{Kind: OMatView, Schema: si, Name: g.name(next("mv")), Columns: g.columns(g.between(0, 1)), Parent: -1})
		}
		if len(servers) > 0 && g.chance(0.4) {
			g.add(Object{Kind: OForeignTable, Schema: si, Name: g.name(next("ft")), Columns: g.columns(g.between(0, 2)), Parent: pick(g, servers)})
		}
		if g.chance(0.5) {
			g.add(Object{Kind: OSequence, Schema: si, Name: g.name(next("sq")), Parent: -1})
		}
		for range g.between(1, 2) {
			name := g.name(next("f"))
			perm := g.r.Perm(len(argPool))
			for _, i := range perm[:g.between(1, 3)] {
				args := append([]Arg(nil), argPool[i]...)
				for j := range args {
					if g.chance(0.3) {
						args[j].Name = fmt.Sprintf("a%d", j+1)
					}
				}
				g.add(Object{Kind: OFunction, Schema: si, Name: name, Args: args, Parent: -1})
			}
		}
		if g.chance(0.4) {
			args := pick(g, [][]Arg{{}, {{Type: "integer"}}})
			g.add(Object{Kind: OProcedure, Schema: si, Name: g.name(next("pr")), Args: args, Parent: -1})
		}
		if g.chance(0.35) {
			name := g.name(next("agg"))
			g.add(Object{Kind: OAggregate, Schema: si, Name: name, Args: []Arg{{Type: "integer"}}, Parent: -1})
			if g.chance(0.3) {
				g.add(Object{Kind: OAggregate, Schema: si, Name: name, Args: []Arg{{Type: "bigint"}}, Parent: -1})
			}
		}
		if g.chance(0.4) {
			g.add(Object{Kind: OEnum, Schema: si, Name: g.name(next("e")), Parent: -1})
		}
		if g.chance(0.4) {
			g.add(Object{Kind: ODomain, Schema: si, Name: g.name(next("d")), Parent: -1})
		}
		if g.chance(0.3) {
			g.add(Object{Kind: OComposite, Schema: si, Name: g.name(next("c")), Parent: -1})
		}
		if g.chance(0.15) {
			o := g.add(Object{Kind: ORange, Schema: si, Name: g.name(next("rg")), Parent: -1})
			g.used[multirangeName(g.c.Objects[o].Name)] = true
		}
	}
	// A migration that ran as another role: an object the owner does not own.
	if g.chance(0.08) {
		var cands []int
		for i, o := range g.c.Objects {
			switch o.Kind {
			case OTable:
				if !o.Columns[0].Serial && !o.Columns[0].Identity {
					cands = append(cands, i)
				}
			case OView, OFunction, OEnum, ODomain, OSequence, OForeignTable, OServer, OLargeObject, OLanguage:
				if !o.Implicit && o.Owner == 0 {
					cands = append(cands, i)
				}
			}
		}
		if len(cands) > 0 {
			g.c.Objects[pick(g, cands)].Owner = g.between(1, len(g.c.Roles)-1)
		}
	}
}

// multirangeName is the name PostgreSQL 14+ gives the multirange of a range
// type.
func multirangeName(rng string) string {
	if i := strings.Index(rng, "range"); i >= 0 {
		return rng[:i] + "multirange" + rng[i+len("range"):]
	}
	return rng + "_multirange"
}

// validFor is what a grant on the target accepts on the case's server.
func (c *Case) validFor(t Target) acl.Priv {
	switch t.Kind {
	case TDatabase:
		return acl.Valid(acl.KindDatabase, c.Version)
	case TSchema:
		return acl.Valid(acl.KindSchema, c.Version)
	case TColumn:
		return acl.Valid(acl.KindColumn, c.Version)
	}
	return acl.Valid(c.Objects[t.Object].Kind.ACLKind(), c.Version)
}

// targetOwner is the role index owning the target, or -1 for the public
// schema (pg_database_owner on 15+, the bootstrap superuser before).
func (c *Case) targetOwner(t Target) int {
	switch t.Kind {
	case TDatabase:
		return 0
	case TSchema:
		if t.Schema == PublicSchema {
			return -1
		}
		return 0
	}
	return c.Objects[t.Object].Owner
}

func (g *gen) randomTarget() Target {
	var objs, rels []int
	for i, o := range g.c.Objects {
		objs = append(objs, i)
		if o.Kind.Relation() {
			rels = append(rels, i)
		}
	}
	x := g.r.Float64()
	switch {
	case x < 0.08:
		return Target{Kind: TDatabase}
	case x < 0.2:
		s := g.r.IntN(len(g.c.Schemas))
		if g.chance(0.2) {
			s = PublicSchema
		}
		return Target{Kind: TSchema, Schema: s}
	case x < 0.35 && len(rels) > 0:
		o := pick(g, rels)
		return Target{Kind: TColumn, Object: o, Column: g.r.IntN(len(g.c.Objects[o].Columns))}
	}
	return Target{Kind: TObject, Object: pick(g, objs)}
}

func (g *gen) grantee() int { return g.between(1, len(g.c.Roles)-1) }

func (g *gen) grants() {
	c := g.c
	// The owner of an object the owner role does not own uses its schema.
	for _, o := range c.Objects {
		if o.Owner > 0 && o.Kind.InSchema() {
			c.Grants = append(c.Grants, Grant{Target: Target{Kind: TSchema, Schema: o.Schema}, Grantee: o.Owner, Privs: acl.Usage | acl.Create, Grantor: 0})
		}
	}
	for range g.between(4, 14) {
		t := g.randomTarget()
		gr := Grant{Target: t, Grantee: g.grantee(), Privs: g.privSubset(c.validFor(t)), GrantOption: g.chance(0.3), Grantor: c.targetOwner(t)}
		if gr.Grantee == gr.Grantor {
			continue // a role that owns the target
		}
		if g.chance(0.12) {
			gr.Grantee, gr.GrantOption = -1, false
		}
		c.Grants = append(c.Grants, gr)
	}
	// Grants by grantees that hold a grant option: other grantors.
	chained := 0
	if g.chance(0.5) {
		chained = g.between(1, 3)
	}
	for range chained {
		var holders []int
		for i, gr := range c.Grants {
			if gr.GrantOption && !gr.Revoke && gr.Grantee > 0 {
				holders = append(holders, i)
			}
		}
		if len(holders) == 0 {
			break
		}
		from := c.Grants[pick(g, holders)]
		gr := Grant{Target: from.Target, Grantee: g.grantee(), Privs: g.privSubset(from.Privs), GrantOption: g.chance(0.3), Grantor: from.Grantee}
		if g.chance(0.2) {
			gr.Grantee, gr.GrantOption = -1, false
		}
		if gr.Grantee == gr.Grantor || gr.Grantee == c.targetOwner(gr.Target) {
			continue
		}
		if gr.GrantOption && c.grantedTo(gr.Target, gr.Grantor)[gr.Grantee] {
			gr.GrantOption = false // "grant options cannot be granted back to your own grantor"
		}
		// Naming an object in a schema needs USAGE on the schema.
		if t := gr.Target; t.Kind == TObject && c.Objects[t.Object].Kind.InSchema() || t.Kind == TColumn {
			s := Target{Kind: TSchema, Schema: c.Objects[t.Object].Schema}
			c.Grants = append(c.Grants, Grant{Target: s, Grantee: gr.Grantor, Privs: acl.Usage, GrantOption: g.chance(0.2), Grantor: 0})
		}
		c.Grants = append(c.Grants, gr)
	}
	// PUBLIC loses some of its built-in defaults.
	for range g.between(0, 2) {
		var t Target
		var privs acl.Priv
		switch g.r.IntN(4) {
		case 0:
			t, privs = Target{Kind: TDatabase}, acl.Connect|acl.Temporary
		case 1:
			t, privs = Target{Kind: TSchema, Schema: PublicSchema}, acl.Usage|acl.Create
		default:
			var cands []int
			for i, o := range c.Objects {
				if k := o.Kind.ACLKind(); k == acl.KindFunction || k == acl.KindType || k == acl.KindLanguage {
					cands = append(cands, i)
				}
			}
			if len(cands) == 0 {
				continue
			}
			o := pick(g, cands)
			t, privs = Target{Kind: TObject, Object: o}, c.validFor(Target{Kind: TObject, Object: o})
		}
		c.Grants = append(c.Grants, Grant{Target: t, Grantee: -1, Privs: g.privSubset(privs), Grantor: c.targetOwner(t), Revoke: true})
	}
	// The owner revokes some of its own rights (they stay unmanaged).
	if g.chance(0.1) {
		var cands []int
		for i, o := range c.Objects {
			if o.Owner == 0 && (o.Kind.Relation() || o.Kind == OSequence || o.Kind.Routine() || o.Kind == OLargeObject || o.Kind == OServer) {
				cands = append(cands, i)
			}
		}
		if len(cands) > 0 {
			t := Target{Kind: TObject, Object: pick(g, cands)}
			c.Grants = append(c.Grants, Grant{Target: t, Grantee: 0, Privs: g.privSubset(c.validFor(t)), Grantor: 0, Revoke: true})
		}
	}
}

// grantedTo is the set of roles whose grants on t reach role, directly or
// through other grantees' grants.
func (c *Case) grantedTo(t Target, role int) map[int]bool {
	seen := map[int]bool{}
	queue := []int{role}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, g := range c.Grants {
			if g.Target == t && !g.Revoke && g.Grantee == cur && g.Grantor >= 0 && !seen[g.Grantor] {
				seen[g.Grantor] = true
				queue = append(queue, g.Grantor)
			}
		}
	}
	return seen
}

var defaultKinds = []acl.Kind{acl.KindTable, acl.KindSequence, acl.KindFunction, acl.KindType, acl.KindSchema, acl.KindLargeObject}

// pickDefaultKind picks the kind of a default privilege: ON LARGE OBJECTS is
// 18+, and rarer, since few cases have large objects.
func (g *gen) pickDefaultKind() acl.Kind {
	if g.c.Version >= 180000 && g.chance(0.08) {
		return acl.KindLargeObject
	}
	return pick(g, defaultKinds[:5])
}

// globalOnly reports whether default privileges of the kind take no IN
// SCHEMA.
func globalOnly(k acl.Kind) bool { return k == acl.KindSchema || k == acl.KindLargeObject }

func (g *gen) defaults() {
	c := g.c
	for range g.between(0, 4) {
		d := Default{ForRole: 0, Schema: NoSchema, Kind: g.pickDefaultKind(), Grantee: g.grantee(), Early: g.chance(0.5)}
		if g.chance(0.04) {
			d.ForRole = g.grantee()
		}
		if !globalOnly(d.Kind) && g.chance(0.5) {
			d.Schema = g.r.IntN(len(c.Schemas))
		}
		d.Privs = g.privSubset(acl.Valid(d.Kind, c.Version))
		switch {
		case g.chance(0.15):
			d.Grantee = -1
			if (d.Kind == acl.KindFunction || d.Kind == acl.KindType) && d.Schema == NoSchema {
				d.Revoke = true // the built-in PUBLIC default, revoked
			}
		case g.chance(0.2):
			d.GrantOption = true
		}
		if d.Grantee == d.ForRole {
			continue
		}
		c.Defaults = append(c.Defaults, d)
	}
}

// objectsOf lists the objects of a pgward kind (tables and columns both
// list relations).
func (c *Case) objectsOf(k acl.Kind) []int {
	var out []int
	for i, o := range c.Objects {
		ok := o.Kind.ACLKind() == k || (k == acl.KindColumn && o.Kind.Relation())
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// actualMembership is what pg_auth_members holds for a generated
// membership: options the GRANT left out take the server's defaults.
func (c *Case) actualMembership(m *Membership) (inherit, set bool) {
	inherit, set = !c.Roles[m.Member].NoInherit, true
	if m.Inherit != nil {
		inherit = *m.Inherit
	}
	if m.Set != nil {
		set = *m.Set
	}
	return inherit, set
}

func (g *gen) policy() {
	c := g.c
	p := &c.Policy
	if !g.chance(0.3) {
		p.Scope = []int{} // explicit, never empty
		for i := range c.Schemas {
			if g.chance(0.8) || (i == len(c.Schemas)-1 && len(p.Scope) == 0) {
				p.Scope = append(p.Scope, i)
			}
		}
		if g.chance(0.25) {
			p.Scope = append(p.Scope, PublicSchema)
		}
	}
	for ri := range c.Roles {
		if ri == 0 && !g.chance(0.1) || ri > 0 && !g.chance(0.85) {
			continue
		}
		pr := PRole{Role: ri, External: g.chance(0.3)}
		role := c.Roles[ri]
		switch {
		case g.chance(0.015):
			v := !role.Login
			pr.Login = &v
		case g.chance(0.1):
			v := role.Login
			pr.Login = &v
		}
		if g.chance(0.08) {
			v := !role.NoInherit
			if g.chance(0.1) {
				v = !v
			}
			pr.Inherit = &v
		}
		g.memberOf(&pr)
		for range g.between(0, 6) {
			pr.Rules = append(pr.Rules, g.rule())
		}
		for range g.between(0, 3) {
			if ri > 0 || g.chance(0.1) { // the owner's defaults are for another for_role
				pr.Defaults = append(pr.Defaults, g.pdefault(ri))
			}
		}
		p.Roles = append(p.Roles, pr)
	}
	if g.chance(0.4) {
		kinds := []acl.Kind{acl.KindDatabase, acl.KindSchema, acl.KindTable, acl.KindSequence, acl.KindFunction, acl.KindType}
		g.r.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
		kinds = kinds[:g.between(1, 3)]
		if g.chance(0.2) { // rarer, for the same reason as in rule
			kinds = append(kinds, pick(g, []acl.Kind{acl.KindLanguage, acl.KindFDW, acl.KindServer, acl.KindLargeObject}))
		}
		for _, k := range kinds {
			var privs acl.Priv
			if !g.chance(0.4) {
				privs = g.privSubset(acl.Valid(k, c.Version))
			}
			p.Public = append(p.Public, PublicCeiling{Kind: k, Privs: privs})
		}
	}
}

// memberOf mirrors the role's memberships, sometimes with a difference.
func (g *gen) memberOf(pr *PRole) {
	c := g.c
	for _, m := range c.Memberships {
		if m.Member != pr.Role {
			continue
		}
		pm := PMember{Role: m.Role, Predefined: m.Predefined, Admin: m.Admin}
		if g.v16() && g.chance(0.5) {
			inh, set := c.actualMembership(&m)
			pm.Inherit, pm.Set = &inh, &set
		}
		pr.MemberOf = append(pr.MemberOf, pm)
	}
	if !g.chance(0.03) {
		return
	}
	switch x := g.r.IntN(4); {
	case x == 0 && len(pr.MemberOf) > 0:
		pr.MemberOf = append(pr.MemberOf[:0:0], pr.MemberOf[1:]...)
	case x == 1 && len(pr.MemberOf) > 0:
		pr.MemberOf[0].Admin = !pr.MemberOf[0].Admin
	case x == 2 && len(pr.MemberOf) > 0 && g.v16():
		v := g.chance(0.5)
		pr.MemberOf[0].Inherit = &v
	default:
		// A new membership in a role that is not a member of this one.
		var cands []int
		for r := 1; r < len(c.Roles); r++ {
			if r != pr.Role && !c.reaches(r, pr.Role, g.added) && !c.reaches(pr.Role, r, g.added) {
				cands = append(cands, r)
			}
		}
		if len(cands) > 0 {
			r := pick(g, cands)
			pr.MemberOf = append(pr.MemberOf, PMember{Role: r, Admin: g.chance(0.2)})
			g.added = append(g.added, Membership{Role: r, Member: pr.Role})
		}
	}
}

// reaches reports whether role from is a member of role to, directly or
// not, in the generated memberships and extra ones.
func (c *Case) reaches(from, to int, extra []Membership) bool {
	seen := map[int]bool{from: true}
	queue := []int{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, m := range slices.Concat(c.Memberships, extra) {
			if m.Member == cur && m.Predefined == "" && !seen[m.Role] {
				if m.Role == to {
					return true
				}
				seen[m.Role] = true
				queue = append(queue, m.Role)
			}
		}
	}
	return false
}

// scopeSchemas is the schemas a rule may name: those in scope.
func (c *Case) scopeSchemas() []int {
	if c.Policy.Scope == nil {
		out := []int{PublicSchema}
		for i := range c.Schemas {
			out = append(out, i)
		}
		return out
	}
	return c.Policy.Scope
}

func (c *Case) schemaName(i int) string {
	if i == PublicSchema {
		return "public"
	}
	return c.Schemas[i].Name
}

func (g *gen) rule() Rule {
	c := g.c
	kinds := []acl.Kind{acl.KindDatabase, acl.KindSchema, acl.KindSchema, acl.KindTable, acl.KindTable, acl.KindTable,
		acl.KindColumn, acl.KindColumn, acl.KindSequence, acl.KindSequence, acl.KindFunction, acl.KindFunction, acl.KindFunction, acl.KindType, acl.KindType}
	// The kinds outside schemas are rarer: a language rule selects sql,
	// which the superuser owns (as every wrapper), so the owner's plan is
	// blocked and the case runs twice as long.
	if g.chance(0.07) {
		kinds = []acl.Kind{acl.KindLanguage, acl.KindFDW, acl.KindServer, acl.KindServer, acl.KindLargeObject, acl.KindLargeObject}
	}
	ru := Rule{Kind: pick(g, kinds), Schema: NoSchema, Owner: -1}
	if ru.Kind.InSchema() && g.chance(0.4) {
		ru.Schema = pick(g, c.scopeSchemas())
	}
	// Names to pick from: the objects of the kind (in the rule's schema).
	var pool []string
	var sigs []string
	if ru.Kind == acl.KindSchema {
		for _, s := range c.scopeSchemas() {
			pool = append(pool, c.schemaName(s))
		}
	} else {
		for _, i := range c.objectsOf(ru.Kind) {
			o := &c.Objects[i]
			if ru.Schema != NoSchema && o.Schema != ru.Schema {
				continue
			}
			pool = append(pool, o.Name)
			if o.Kind.Routine() {
				sigs = append(sigs, o.Name+"("+o.ArgTypes()+")")
			}
		}
	}
	// Large objects are named by exact OID only: no patterns.
	lo := ru.Kind == acl.KindLargeObject
	if ru.Kind != acl.KindDatabase && len(pool) > 0 {
		switch x := g.r.Float64(); {
		case x < 0.4:
		case x < 0.75 || lo:
			for range g.between(1, 3) {
				switch {
				case g.chance(0.08) && lo:
					ru.Names = append(ru.Names, "4000000000") // a large object that does not exist
				case g.chance(0.08) && ru.Kind != acl.KindSchema && !lo:
					ru.Names = append(ru.Names, "nosuch") // a typo, or an object a later migration creates
				case len(sigs) > 0 && g.chance(0.3):
					ru.Names = append(ru.Names, pick(g, sigs))
				default:
					ru.Names = append(ru.Names, pick(g, pool))
				}
			}
		default:
			for range g.between(1, 2) {
				ru.Names = append(ru.Names, g.glob(pick(g, pool), len(sigs) > 0))
			}
		}
		if g.chance(0.2) {
			for range g.between(1, 2) {
				if g.chance(0.5) && !lo {
					ru.Except = append(ru.Except, g.glob(pick(g, pool), len(sigs) > 0))
				} else if len(sigs) > 0 && g.chance(0.3) {
					ru.Except = append(ru.Except, pick(g, sigs))
				} else {
					ru.Except = append(ru.Except, pick(g, pool))
				}
			}
		}
	}
	if ru.Kind != acl.KindDatabase && g.chance(0.06) {
		ru.Owner = g.r.IntN(len(c.Roles))
	}
	privKind := ru.Kind
	if ru.Kind == acl.KindColumn {
		ru.Columns = g.ruleColumns(&ru)
	}
	if g.chance(0.15) {
		ru.All = true
	} else {
		ru.Privs = g.privSubset(acl.Valid(privKind, c.Version))
	}
	ru.GrantOption = g.chance(0.15)
	return ru
}

// ruleColumns picks the columns of a column rule: "id", which every
// relation has, or columns of the one table the rule names exactly.
func (g *gen) ruleColumns(ru *Rule) []string {
	c := g.c
	if len(ru.Names) == 1 && g.chance(0.7) {
		for _, i := range c.objectsOf(acl.KindColumn) {
			o := &c.Objects[i]
			if o.Name != ru.Names[0] || (ru.Schema != NoSchema && o.Schema != ru.Schema) {
				continue
			}
			var cols []string
			for _, col := range o.Columns {
				if g.chance(0.6) {
					cols = append(cols, col.Name)
				}
			}
			if len(cols) > 0 {
				return cols
			}
		}
	}
	return []string{"id"}
}

// glob derives a pattern that matches name (and maybe more).
func (g *gen) glob(name string, routines bool) string {
	rs := []rune(name)
	switch g.r.IntN(6) {
	case 0:
		return "*"
	case 1:
		return string(rs[:g.between(1, len(rs))]) + "*"
	case 2:
		return "*" + string(rs[g.r.IntN(len(rs)):])
	case 3:
		i := g.r.IntN(len(rs))
		rs[i] = '?'
		return string(rs)
	case 4:
		if routines {
			return name + "(*)"
		}
		return string(rs[:1]) + "*" + string(rs[len(rs)-1:])
	}
	if routines {
		return name + "(integer, *)"
	}
	return strings.Repeat("?", len(rs))
}

func (g *gen) pdefault(role int) PDefault {
	c := g.c
	d := PDefault{ForRole: 0, Schema: NoSchema, Kind: g.pickDefaultKind()}
	if g.chance(0.03) {
		d.ForRole = g.grantee()
	}
	if d.ForRole == role {
		d.ForRole = 0
		if role == 0 {
			d.ForRole = g.grantee()
		}
	}
	if !globalOnly(d.Kind) && g.chance(0.5) {
		d.Schema = pick(g, c.scopeSchemas())
	}
	if g.chance(0.12) {
		d.All = true
	} else {
		d.Privs = g.privSubset(acl.Valid(d.Kind, c.Version))
	}
	d.GrantOption = g.chance(0.12)
	return d
}
