package importer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/didyoumean"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// Options say what to import. The zero value imports every non-system role
// and every non-system schema, with the roles' attributes, and declares the
// roles external.
type Options struct {
	// Roles lists the roles to declare, one exact name each (commas,
	// quotes and the like are part of the name). Empty: every role that is not a
	// superuser, a predefined role (pg_*) or a role a managed service
	// reserves (rds_*, cloudsql*, azure_*, supabase_*, …; see
	// [plan.ReservedBy]). A role named here must
	// exist; a predefined role or "public" is an error, since a policy
	// cannot declare them.
	Roles []string
	// Schemas lists the schemas to read, one exact name each, which become
	// the policy's scope. Empty: every non-system schema. A schema named here must exist and
	// be neither a system schema nor an extension's.
	Schemas []string
	// existingSchemas are the schemas of the database, when Read knows
	// that some of Schemas are missing: the suggestions of Build's error.
	existingSchemas []string
	// LeaveOutAttributes leaves out each role's attributes and settings (login,
	// inherit, createdb, createrole, replication, bypassrls,
	// connection_limit, valid_until), so that pgward does not manage them.
	// By default they are written: a NOINHERIT runtime role stays
	// NOINHERIT, checked by plan and audit for an external role and
	// converged for a managed one.
	LeaveOutAttributes bool
	// ManageRoles declares the roles without external = true, so that
	// pgward owns their attributes and memberships. By default they are
	// external: pgward reports differences in attributes and memberships
	// but never changes them, the safe choice for roles that an operator
	// (CloudNativePG, a cloud console, a DBA) creates.
	ManageRoles bool
	// ExternalRoles, when not nil, lists exactly the roles declared
	// external = true (the roles a CloudNativePG Cluster manages); every
	// other role is managed. It overrides ManageRoles.
	ExternalRoles []string
	// Time is when the import ran, written in the header; the zero time
	// leaves it out. Build never reads the clock.
	Time time.Time
	// Origin says where the database was reached, for the header, such as
	// "db.internal:5432". Never a connection string: it could hold a
	// password.
	Origin string
}

// Import is a policy that reproduces a database's privileges, with how to
// lay it out. It is the neutral result of [Build]: writers ([WriteHCL],
// and any other format) render it and decide nothing.
type Import struct {
	// Source says where and when the policy was imported.
	Source Source
	// Policy is the imported policy. Its ranges are zero: it comes from a
	// catalog, not from a file.
	Policy *policy.Policy
	// Lists are the privilege lists used more than once, which a writer
	// names once (HCL locals), in order of first use.
	Lists []List
	// Roles lays out Policy.Roles, in the same order.
	Roles []*RoleLayout
	// Public holds comment lines for the public block, if there is one.
	Public []string
	// PublicBlocks lays out the public block's grant and default_privileges
	// blocks (Policy.Public.Grants and DefaultPrivileges), in order; the
	// short form (Policy.Public.MayHold) is written before them.
	PublicBlocks []Block
	// Notes lists what the policy cannot reproduce, sorted by role and
	// object.
	Notes []Note
}

// Source is the header of an import.
type Source struct {
	Database      string
	ServerVersion int // server_version_num
	ConnectedAs   string
	Origin        string    // see Options.Origin; may be empty
	Time          time.Time // zero: unknown
}

// List is a privilege list that several blocks share.
type List struct {
	Name  string
	Privs acl.Priv
}

// RoleLayout is one role block: the role and its nested blocks in the
// order to write them. Every block points into Role.
type RoleLayout struct {
	Role   *policy.Role
	Blocks []Block
}

// Block is one block nested in a role: exactly one of MemberOf, Grant and
// Default is set.
type Block struct {
	// Comment is written above the block; empty for none.
	Comment  string
	MemberOf *policy.Membership
	Grant    *policy.Grant
	Default  *policy.DefaultPrivilege
	// List names the entry of Import.Lists that holds the block's
	// privileges; empty when the privileges are written out.
	List string
}

// Privileges returns the privileges of a grant or default privilege block.
func (b Block) Privileges() acl.Priv {
	switch {
	case b.Grant != nil:
		return b.Grant.Privileges
	case b.Default != nil:
		return b.Default.Privileges
	}
	return 0
}

// Read reads the database through q and builds the import. Call it inside
// a READ ONLY, REPEATABLE READ transaction, so that every query sees one
// snapshot: Read neither begins nor ends one, and writes nothing.
//
// Errors are those of [introspect.Read] and of [Build].
func Read(ctx context.Context, q introspect.Querier, o Options) (*Import, error) {
	cat, err := introspect.Read(ctx, q, introspect.Scope{Schemas: o.Schemas})
	if err != nil {
		return nil, err
	}
	for _, s := range o.Schemas {
		if !slices.Contains(cat.Schemas, s) {
			// Build fails; the schemas that exist make its suggestion
			// (one more read, on this error only).
			if all, err := introspect.Read(ctx, q, introspect.Scope{}); err == nil {
				o.existingSchemas = all.Schemas
			}
			break
		}
	}
	return Build(cat, o)
}

// Build turns a catalog into a policy that reproduces its privileges: plan
// against the same catalog is empty, save for what the notes list. It is
// pure: no I/O, no clock.
//
// It fails when Options name a role or a schema that the catalog lacks, or
// a role a policy cannot declare.
func Build(c *catalog.Catalog, o Options) (*Import, error) {
	roles, err := selectRoles(c, o.Roles)
	if err != nil {
		return nil, err
	}
	for _, s := range o.Schemas {
		if !slices.Contains(c.Schemas, s) {
			return nil, fmt.Errorf("schema %q not found: it does not exist, or it is a system schema or an extension's%s%s", s, hint(s, append(o.existingSchemas, c.Schemas...)), severalHint(s, "schemas"))
		}
	}
	b := &builder{
		cat:      c,
		opts:     o,
		selected: map[string]bool{},
		im: &Import{
			Source: Source{
				Database:      c.Database,
				ServerVersion: c.ServerVersion,
				ConnectedAs:   c.CurrentUser,
				Origin:        o.Origin,
				Time:          o.Time,
			},
			Policy: &policy.Policy{Schemas: slices.Clone(c.Schemas)},
		},
	}
	for _, r := range roles {
		b.selected[r] = true
	}
	b.readHeld()
	for _, name := range roles {
		b.role(name)
	}
	b.publicBlock()
	b.defaultACLNotes()
	b.rowTypeNotes()
	b.ownerNotes()
	b.lists()
	b.selfCheck()
	sortNotes(b.im.Notes)
	return b.im, nil
}

// severalHint is what an unknown name holding a comma adds to its error:
// each entry of Options.Roles and Options.Schemas (each --roles and
// --schemas flag) is one name, commas included.
func severalHint(name, flag string) string {
	if !strings.Contains(name, ",") {
		return ""
	}
	parts := strings.Split(name, ",")
	for i, p := range parts {
		parts[i] = "--" + flag + " " + shellWord(p)
	}
	return fmt.Sprintf(" (a comma is part of the name: to name several, repeat the flag, %s)", strings.Join(parts, " "))
}

// shellWord is s as a POSIX shell word: bare when it is plain, else in
// single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hint is ` (did you mean "billing"?)` when one of names is close to
// given, else "".
func hint(given string, names []string) string {
	if s := didyoumean.Suggest(given, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// selectRoles returns the roles to declare, sorted by name.
func selectRoles(c *catalog.Catalog, names []string) ([]string, error) {
	if len(names) == 0 {
		var out []string
		for name, r := range c.Roles {
			if r.Superuser || r.Predefined() || strings.HasPrefix(name, "pg_") || plan.ReservedBy(name) != "" {
				continue
			}
			out = append(out, name)
		}
		sort.Strings(out)
		return out, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case n == "public" || n == "none":
			return nil, fmt.Errorf("role %q: PostgreSQL reserves the name; PUBLIC is imported as the public block", n)
		case strings.HasPrefix(n, "pg_"):
			return nil, fmt.Errorf("role %q: predefined roles cannot be declared in a policy; memberships in them are imported as member_of", n)
		case c.Role(n) == nil:
			known := make([]string, 0, len(c.Roles))
			for name := range c.Roles {
				known = append(known, name)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("role %q does not exist%s%s", n, hint(n, known), severalHint(n, "roles"))
		case seen[n]:
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// builder holds the state of one Build.
type builder struct {
	cat      *catalog.Catalog
	opts     Options
	selected map[string]bool
	im       *Import

	// held[role][object key] is what the role holds on the object, from
	// every grantor; byThird the part that only a grantor other than the
	// owner gave it.
	held    map[string]map[string]acl.Privileges
	byThird map[string]map[string]thirdGrant
	// bySchema indexes the managed objects; see objectsBySchema.
	bySchema map[acl.Kind]map[string][]*catalog.Object
}

// thirdGrant is what grantors other than the owner gave a role on one
// object, beyond what the owner gave it.
type thirdGrant struct {
	privs    acl.Privileges
	grantors []string
}

// managedObject reports whether plan manages privileges on the object:
// untrusted languages accept no GRANT, and plan skips them.
func managedObject(o *catalog.Object) bool {
	return !(o.Kind == acl.KindLanguage && o.Subkind == 'u')
}

// readHeld collects what each selected role, and PUBLIC (""), holds on
// each object.
func (b *builder) readHeld() {
	b.held = map[string]map[string]acl.Privileges{}
	b.byThird = map[string]map[string]thirdGrant{}
	for _, o := range b.cat.Objects {
		if !managedObject(o) {
			b.untrustedLanguage(o)
			continue
		}
		byOwner := map[string]acl.Privileges{}
		for _, it := range o.ACL {
			if it.Grantee.IsPublic() {
				// PUBLIC holds no grant options. pgward's GRANT records
				// the owner; what PUBLIC holds from another grantor is
				// granted again as the owner (selfCheck notes the item
				// that stays).
				public := string(acl.Public)
				if b.held[public] == nil {
					b.held[public] = map[string]acl.Privileges{}
				}
				b.held[public][o.Key()] = b.held[public][o.Key()].Union(acl.Privileges{Privs: it.Privs.Privs})
				if it.Grantor == o.Owner {
					byOwner[public] = byOwner[public].Union(acl.Privileges{Privs: it.Privs.Privs})
				}
				continue
			}
			g := string(it.Grantee)
			if !b.selected[g] || g == o.Owner {
				continue
			}
			if b.held[g] == nil {
				b.held[g] = map[string]acl.Privileges{}
			}
			b.held[g][o.Key()] = b.held[g][o.Key()].Union(it.Privs)
			if it.Grantor == o.Owner {
				byOwner[g] = byOwner[g].Union(it.Privs)
			}
		}
		for _, it := range o.ACL {
			g := string(it.Grantee)
			if !it.Grantee.IsPublic() && !b.selected[g] || g == o.Owner || it.Grantor == o.Owner {
				continue
			}
			extra := acl.Privileges{Privs: it.Privs.Privs &^ byOwner[g].Privs, GrantOption: it.Privs.GrantOption &^ byOwner[g].GrantOption}
			if extra.IsZero() {
				continue
			}
			if b.byThird[g] == nil {
				b.byThird[g] = map[string]thirdGrant{}
			}
			t := b.byThird[g][o.Key()]
			t.privs = t.privs.Union(extra)
			t.grantors = append(t.grantors, it.Grantor)
			b.byThird[g][o.Key()] = t
			b.thirdGrantorNote(o, g, it.Grantor, extra)
		}
	}
}

// value is what role holds on o; don't care (free) when role owns o, since
// an owner's privileges on its own objects are never managed.
func (b *builder) value(role string, o *catalog.Object) (v acl.Privileges, free bool) {
	if o.Owner == role {
		return acl.Privileges{}, true
	}
	return b.held[role][o.Key()], false
}

// role builds the block of one role.
func (b *builder) role(name string) {
	cr := b.cat.Role(name)
	external := !b.opts.ManageRoles
	if b.opts.ExternalRoles != nil {
		external = slices.Contains(b.opts.ExternalRoles, name)
	}
	r := &policy.Role{Name: name, External: external}
	if !b.opts.LeaveOutAttributes {
		r.Attributes = b.attributes(cr)
		r.Settings = settings(cr)
	}
	layout := &RoleLayout{Role: r}
	b.memberships(layout)
	b.grants(layout)
	b.im.Policy.Roles = append(b.im.Policy.Roles, r)
	b.im.Roles = append(b.im.Roles, layout)
}

func (b *builder) attributes(r *catalog.Role) policy.Attributes {
	boolp := func(v bool) *bool { return &v }
	limit := r.ConnectionLimit
	a := policy.Attributes{
		Login:           boolp(r.Login),
		Inherit:         boolp(r.Inherit),
		CreateDB:        boolp(r.CreateDB),
		CreateRole:      boolp(r.CreateRole),
		Replication:     boolp(r.Replication),
		BypassRLS:       boolp(r.BypassRLS),
		ConnectionLimit: &limit,
	}
	if r.ValidUntil != nil {
		if r.ValidUntil.IsZero() {
			b.note(Note{Reason: ReasonValidUntil, Role: r.Name,
				Text: fmt.Sprintf("%s is VALID UNTIL '-infinity' (it can never log in with a password); a policy cannot write that, so valid_until is left out.", r.Name)})
		} else {
			s := r.ValidUntil.UTC().Format(time.RFC3339Nano)
			a.ValidUntil = &s
		}
	}
	return a
}

// settings is the role's pg_db_role_setting entries as the policy writes
// them: settings for every database, then database_settings per database.
// A role with none gets none (an empty map would reset what another tool
// sets later). A value of search_path and the other parameters whose list
// elements PostgreSQL quotes becomes a list of its elements (a string
// would be quoted whole); every other value is the text PostgreSQL
// stored, which it stores again as written.
func settings(r *catalog.Role) []*policy.RoleSettings {
	var out []*policy.RoleSettings
	for _, st := range r.Settings {
		if len(out) == 0 || out[len(out)-1].Database != st.Database {
			out = append(out, &policy.RoleSettings{Database: st.Database})
		}
		v := &policy.Setting{Name: st.Name, Value: st.Value}
		if policy.IsListQuoteParameter(st.Name) {
			if elems, ok := plan.SplitSettingList(st.Value); ok {
				v.Value = ""
				if len(elems) == 1 {
					v.Value = elems[0]
				} else {
					v.List = elems
				}
			}
		}
		cur := out[len(out)-1]
		cur.Values = append(cur.Values, v)
	}
	return out
}

// memberships adds a member_of block for each role the role belongs to.
func (b *builder) memberships(layout *RoleLayout) {
	name := layout.Role.Name
	v16 := b.cat.ServerVersion >= 160000
	rows := map[string][]catalog.Membership{}
	var order []string
	for _, m := range b.cat.Memberships {
		if m.Member != name {
			continue
		}
		if _, seen := rows[m.Role]; !seen {
			order = append(order, m.Role)
		}
		rows[m.Role] = append(rows[m.Role], m)
	}
	sort.Strings(order)
	for _, role := range order {
		rs := rows[role]
		first := rs[0] // plan compares the first row, by grantor
		m := &policy.Membership{Role: role, Admin: first.Admin}
		if v16 {
			inherit, set := first.Inherit, first.Set
			m.Inherit, m.Set = &inherit, &set
		}
		for _, other := range rs[1:] {
			if other.Admin != first.Admin || other.Inherit != first.Inherit || other.Set != first.Set {
				b.note(Note{Reason: ReasonMembershipGrantors, Role: name,
					Text: fmt.Sprintf("%s is a member of %s through %d grants (by %s) with different options; member_of has the options of the grant by %s.",
						name, role, len(rs), grantorList(rs), displayGrantor(first.Grantor))})
				break
			}
		}
		layout.Role.MemberOf = append(layout.Role.MemberOf, m)
		layout.Blocks = append(layout.Blocks, Block{MemberOf: m})
	}
}

func grantorList(rs []catalog.Membership) string {
	var gs []string
	for _, r := range rs {
		gs = append(gs, displayGrantor(r.Grantor))
	}
	return strings.Join(gs, ", ")
}

func displayGrantor(g string) string {
	if g == "" {
		return "a dropped role"
	}
	return g
}
