package importer

import (
	"bytes"
	"fmt"

	"slices"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// Reason classifies a [Note]. The zero value is ReasonInvalid.
type Reason uint8

const (
	ReasonInvalid Reason = iota
	// ReasonThirdGrantor: a role holds privileges that a grantor other
	// than the object's owner gave it. pgward's GRANT records the owner,
	// so the policy asks for them and plan grants them again as the owner;
	// the other grantor's item stays.
	ReasonThirdGrantor
	// ReasonOwnerRevoked: an object's owner has revoked some of its own
	// privileges. An owner's privileges are never managed.
	ReasonOwnerRevoked
	// ReasonOwnerPrivileges: a declared role owns objects in scope; its
	// privileges on them are never managed, so none are imported.
	ReasonOwnerPrivileges
	// ReasonUntrustedLanguage: an untrusted language accepts no GRANT;
	// pgward neither manages nor imports its privileges.
	ReasonUntrustedLanguage
	// ReasonPublicGrant is no longer produced: PUBLIC's privileges beyond
	// PostgreSQL's defaults are imported as grant rules of the public
	// block. The value is kept so that the others keep theirs.
	ReasonPublicGrant
	// ReasonPublicUneven is no longer produced: PUBLIC's built-in
	// privileges lost on some objects only are imported as grant rules.
	ReasonPublicUneven
	// ReasonDefaultACL: a default privilege entry of the creating role
	// itself, which pgward does not manage.
	ReasonDefaultACL
	// ReasonMembershipGrantors: a membership granted several times (by
	// several grantors, PostgreSQL 16+) with different options.
	ReasonMembershipGrantors
	// ReasonValidUntil: a VALID UNTIL a policy cannot write.
	ReasonValidUntil
	// ReasonRowType: privileges set on the row type of a table or view,
	// which pgward does not manage (docs/policy.md, "Row types").
	ReasonRowType
	// ReasonResidual: a difference that plan still shows against the
	// imported policy, which none of the reasons above explains (an object
	// whose name holds * or ?, which no pattern selects alone).
	ReasonResidual
)

var reasonNames = [...]string{
	ReasonInvalid:            "invalid",
	ReasonThirdGrantor:       "third-grantor",
	ReasonOwnerRevoked:       "owner-revoked",
	ReasonOwnerPrivileges:    "owner-privileges",
	ReasonUntrustedLanguage:  "untrusted-language",
	ReasonPublicGrant:        "public-grant",
	ReasonPublicUneven:       "public-uneven",
	ReasonDefaultACL:         "default-acl",
	ReasonMembershipGrantors: "membership-grantors",
	ReasonValidUntil:         "valid-until",
	ReasonRowType:            "row-type",
	ReasonResidual:           "residual",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// Note is one thing the imported policy cannot reproduce, written as a
// comment at the top of the output.
type Note struct {
	Reason Reason
	// Role is the role the note is about; empty for PUBLIC and for notes
	// about objects alone.
	Role string
	// Object is the object concerned, when there is one.
	Object *acl.Object
	// Text is the note as a sentence.
	Text string
}

func (b *builder) note(n Note) { b.im.Notes = append(b.im.Notes, n) }

func sortNotes(ns []Note) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if a.Role != b.Role {
			return a.Role < b.Role
		}
		if a.Reason != b.Reason {
			return a.Reason < b.Reason
		}
		return a.Text < b.Text
	})
}

// display writes a name as SQL would need it: bare when it is a plain
// lower-case identifier, double-quoted otherwise.
func display(name string) string {
	plain := name != ""
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '$'):
		default:
			plain = false
		}
	}
	if plain {
		return name
	}
	return ident.Quote(name)
}

// describe names an object for a note: "table app.accounts",
// "function app.lookup(integer)", "column app.accounts.email".
func describe(o acl.Object) string {
	name := display(o.Name)
	if o.Schema != "" {
		name = display(o.Schema) + "." + name
	}
	switch o.Kind {
	case acl.KindFunction:
		name += "(" + o.Args + ")"
	case acl.KindColumn:
		name += "." + display(o.Column)
	case acl.KindLargeObject, acl.KindParameter:
		name = o.Name
	}
	return kindWord(o.Kind) + " " + name
}

// privText is a privilege set for a note, with "(with grant option)" for
// the grantable part.
func privText(p acl.Privileges) string {
	s := strings.Join(p.Privs.List(), ", ")
	switch {
	case p.GrantOption == 0:
	case p.GrantOption == p.Privs:
		s += " with grant option"
	default:
		s += " (" + strings.Join(p.GrantOption.List(), ", ") + " with grant option)"
	}
	if p.Privs == 0 && p.GrantOption != 0 {
		s = "the grant option of " + strings.Join(p.GrantOption.List(), ", ")
	}
	return s
}

func (b *builder) thirdGrantorNote(o *catalog.Object, grantee, grantor string, p acl.Privileges) {
	obj := o.Object
	who := display(grantee)
	if grantee == string(acl.Public) {
		who = "PUBLIC"
	}
	b.note(Note{Reason: ReasonThirdGrantor, Role: grantee, Object: &obj,
		Text: fmt.Sprintf("%s holds %s on %s granted by %s, not by the owner %s. pgward's GRANT records the owner, so plan grants it again as %s; the grant by %s stays until %s revokes it.",
			who, privText(p), describe(obj), display(grantor), display(o.Owner), display(o.Owner), display(grantor), display(grantor))})
}

func (b *builder) untrustedLanguage(o *catalog.Object) {
	if o.NullACL {
		return // never granted on: the built-in c and internal, for one
	}
	obj := o.Object
	b.note(Note{Reason: ReasonUntrustedLanguage, Object: &obj,
		Text: fmt.Sprintf("%s is untrusted: PostgreSQL accepts no GRANT on it, so pgward neither manages nor imports its privileges.", describe(obj))})
}

// builtinPublic is what PUBLIC holds on an object that PostgreSQL created
// with its defaults: acldefault, and the public schema's ACL of a new
// database.
func builtinPublic(o *catalog.Object, version int) acl.Priv {
	switch o.Kind {
	case acl.KindDatabase:
		return acl.Connect | acl.Temporary
	case acl.KindFunction:
		return acl.Execute
	case acl.KindType, acl.KindLanguage:
		return acl.Usage
	case acl.KindSchema:
		if o.Name == "public" {
			if version < 150000 {
				return acl.Usage | acl.Create
			}
			return acl.Usage
		}
	}
	return 0
}

// publicBlock builds the public block, PUBLIC as a grantee like a role:
// for each kind with objects in scope, grant rules that reproduce exactly
// what PUBLIC holds on each object (collapsed as a role's are), or the
// short form kind = [] where PUBLIC holds nothing on any; then PUBLIC's
// default privileges, for each pg_default_acl row where they differ from
// PostgreSQL's own (a global row whose PUBLIC item is not the built-in
// default, a per-schema row that gives PUBLIC something).
func (b *builder) publicBlock() {
	pub := &policy.Public{MayHold: map[acl.Kind]acl.Priv{}, Ranges: map[acl.Kind]hcl.Range{}}
	layout := &RoleLayout{Role: &policy.Role{}}
	bySchema := b.objectsBySchema()
	public := string(acl.Public)
	holdsAny := func(k acl.Kind) bool {
		for _, objs := range bySchema[k] {
			for _, o := range objs {
				if v, _ := b.value(public, o); !v.IsZero() {
					return true
				}
			}
		}
		return false
	}
	// builtin returns the union of what PUBLIC holds on the objects of
	// kind k, and whether each holds exactly PostgreSQL's built-in default:
	// the short form (a ceiling) then reproduces the kind exactly, on this
	// database and on a fresh copy of its schema.
	builtin := func(k acl.Kind) (acl.Priv, bool) {
		var union acl.Priv
		for _, objs := range bySchema[k] {
			for _, o := range objs {
				v, _ := b.value(public, o)
				if v.Privs != builtinPublic(o, b.cat.ServerVersion) {
					return 0, false
				}
				union |= v.Privs
			}
		}
		return union, true
	}
	for _, k := range append(slices.Clone(kindOrder), acl.KindColumn) {
		if len(bySchema[k]) == 0 {
			continue
		}
		if !holdsAny(k) {
			pub.MayHold[k] = 0
			continue
		}
		if union, ok := builtin(k); ok {
			pub.MayHold[k] = union
			continue
		}
		if k == acl.KindColumn {
			for _, s := range b.cat.Schemas {
				b.addRules(layout, acl.KindTable, s, b.columnRules(public, bySchema[k][s]))
			}
			continue
		}
		if !k.InSchema() {
			b.addRules(layout, k, "", b.kindRules(public, k, "", bySchema[k][""], nil))
			continue
		}
		for _, s := range b.cat.Schemas {
			b.addRules(layout, k, s, b.kindRules(public, k, s, bySchema[k][s], nil))
		}
	}
	for _, row := range b.cat.DefaultPrivileges {
		var held acl.Priv
		for _, it := range row.ACL {
			if it.Grantee.IsPublic() {
				held |= it.Privs.Privs
			}
		}
		if row.Schema == "" && held == row.Kind.PublicDefault() || row.Schema != "" && held == 0 {
			continue
		}
		d := &policy.DefaultPrivilege{Kind: row.Kind, ForRole: row.ForRole, Schema: row.Schema, Privileges: held}
		layout.Role.DefaultPrivileges = append(layout.Role.DefaultPrivileges, d)
		layout.Blocks = append(layout.Blocks, Block{Default: d})
	}
	pub.Grants, pub.DefaultPrivileges = layout.Role.Grants, layout.Role.DefaultPrivileges
	if len(pub.MayHold) == 0 && len(pub.Grants) == 0 && len(pub.DefaultPrivileges) == 0 {
		return
	}
	b.im.Policy.Public = pub
	b.im.PublicBlocks = layout.Blocks
	b.im.Public = []string{
		"What PUBLIC, every role, holds. kind = [...] lists what PUBLIC may keep",
		"on the objects of a kind where it holds PostgreSQL's defaults (or",
		"nothing) on each; grant blocks say exactly what it holds on the other",
		"kinds (what no rule selects is revoked), and default_privileges what it",
		"gets on the objects a role creates later, where that differs from",
		"PostgreSQL's defaults. Kinds with no object in scope are left out, so",
		"pgward does not manage PUBLIC on them.",
	}
}

// describeShort names an object without its kind, for lists in notes.
func describeShort(o acl.Object) string {
	d := describe(o)
	return d[len(kindWord(o.Kind))+1:]
}

// countKind is "1 table", "3 tables".
func countKind(k acl.Kind, n int) string {
	if n == 1 {
		return "1 " + kindWord(k)
	}
	return fmt.Sprintf("%d %s", n, kindPlural(k))
}

func kindWord(k acl.Kind) string {
	switch k {
	case acl.KindFDW:
		return "foreign-data wrapper"
	case acl.KindServer:
		return "foreign server"
	case acl.KindLargeObject:
		return "large object"
	}
	return k.String()
}

func kindPlural(k acl.Kind) string { return kindWord(k) + "s" }

// maxListed bounds the objects a note names.
const maxListed = 6

// list joins names, naming at most maxListed.
func list(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// defaultACLNotes notes default privilege entries that pgward does not
// manage: the creating role's own entry, where it differs from what
// PostgreSQL stores by itself. PUBLIC's are imported (publicBlock).
func (b *builder) defaultACLNotes() {
	v := b.cat.ServerVersion
	for _, row := range b.cat.DefaultPrivileges {
		var self acl.Priv
		for _, it := range row.ACL {
			if string(it.Grantee) == row.ForRole {
				self |= it.Privs.Privs
			}
		}
		// A global entry starts from acldefault (the creator holds
		// everything); a per-schema entry only adds to the global one.
		var wantSelf acl.Priv
		where := "everywhere"
		if row.Schema == "" {
			wantSelf = acl.Valid(row.Kind, v)
		} else {
			where = "in schema " + display(row.Schema)
		}
		what := fmt.Sprintf("%s that %s creates %s", kindPlural(row.Kind), display(row.ForRole), where)
		if self != wantSelf {
			b.note(Note{Reason: ReasonDefaultACL, Role: row.ForRole,
				Text: fmt.Sprintf("Default privileges: %s give %s itself %s instead of %s. A policy cannot declare a creating role's own default privileges.",
					what, display(row.ForRole), privOrNothing(self), privOrNothing(wantSelf))})
		}
	}
}

func privOrNothing(p acl.Priv) string {
	if p == 0 {
		return "nothing"
	}
	return p.String()
}

// ownerNotes notes, for each declared role that owns objects in scope,
// that its privileges on them are not managed; and, for every object, an
// owner that revoked some of its own privileges.
func (b *builder) ownerNotes() {
	v := b.cat.ServerVersion
	owned := map[string]map[acl.Kind]int{}
	type revokedKey struct {
		owner   string
		kind    acl.Kind
		missing acl.Priv
	}
	revoked := map[revokedKey][]string{}
	var order []revokedKey
	for _, o := range b.cat.Objects {
		if !managedObject(o) || o.Kind == acl.KindColumn || o.Kind == acl.KindParameter {
			continue
		}
		if b.selected[o.Owner] {
			if owned[o.Owner] == nil {
				owned[o.Owner] = map[acl.Kind]int{}
			}
			owned[o.Owner][o.Kind]++
		}
		var self acl.Priv
		for _, it := range o.ACL {
			if string(it.Grantee) == o.Owner && it.Grantor == o.Owner {
				self |= it.Privs.Privs
			}
		}
		if missing := acl.Valid(o.Kind, v) &^ self; missing != 0 {
			k := revokedKey{o.Owner, o.Kind, missing}
			if _, seen := revoked[k]; !seen {
				order = append(order, k)
			}
			revoked[k] = append(revoked[k], describeShort(o.Object))
		}
	}
	for _, k := range order {
		objs := revoked[k]
		b.note(Note{Reason: ReasonOwnerRevoked, Role: k.owner,
			Text: fmt.Sprintf("%s has revoked its own %s on %s it owns: %s. An owner's privileges are never managed, so the policy cannot say this.",
				display(k.owner), k.missing, countKind(k.kind, len(objs)), list(objs))})
	}
	for role, kinds := range owned {
		var parts []string
		for _, k := range acl.Kinds() {
			if n := kinds[k]; n > 0 {
				parts = append(parts, countKind(k, n))
			}
		}
		b.note(Note{Reason: ReasonOwnerPrivileges, Role: role,
			Text: fmt.Sprintf("%s owns %s in scope. An owner's privileges on its own objects are never managed, so they are not in this policy.",
				display(role), strings.Join(parts, ", "))})
	}
}

// selfCheck writes the policy as HCL, loads it back as pgward would, and
// builds its plan against the catalog it came from. Every change must be
// one the notes explain (a privilege by a third grantor, granted again by
// the owner); any other, and any error loading the policy, is a residual,
// noted so that nothing is silently off. Loading catches what the loader
// normalises (function signatures) as well as what the rules select.
func (b *builder) selfCheck() {
	pol := b.im.Policy
	var buf bytes.Buffer
	if err := WriteHCL(&buf, b.im); err == nil {
		loaded, diags := policy.Load(fstest.MapFS{"import.hcl": {Data: buf.Bytes()}}, ".", policy.LoadOptions{})
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				b.note(Note{Reason: ReasonResidual, Text: fmt.Sprintf("the policy does not load as written: %s: %s", d.Summary, d.Detail)})
			}
		}
		if loaded != nil {
			pol = loaded
		}
	}
	p, _ := plan.Build(pol, b.cat, plan.Options{})
	for _, c := range p.Changes {
		if c.Target == plan.TargetObject && c.Action == plan.Grant {
			if _, ok := b.byThird[string(c.Grantee)][c.Object.Key()]; ok {
				continue
			}
		}
		n := Note{Reason: ReasonResidual, Role: string(c.Grantee)}
		switch c.Target {
		case plan.TargetObject:
			obj := c.Object
			n.Object = &obj
			n.Text = fmt.Sprintf("plan would still %s %s on %s %s %s: no rule selects that object alone (its name holds * or ?).",
				c.Action, privText(c.Privs), describe(obj), toFrom(c.Action), c.Grantee)
		case plan.TargetDefault:
			n.Text = fmt.Sprintf("plan would still %s %s on %s %s %s.", c.Action, privText(c.Privs), c.Default, toFrom(c.Action), c.Grantee)
		case plan.TargetMembership:
			n.Text = fmt.Sprintf("plan would still %s the membership of %s in %s.", c.Action, c.Grantee, c.Membership.Role)
		default:
			n.Text = fmt.Sprintf("plan would still %s the attributes of %s.", c.Action, c.Grantee)
		}
		b.note(n)
	}
	for _, d := range p.Drift {
		b.note(Note{Reason: ReasonResidual, Role: d.Role,
			Text: fmt.Sprintf("plan reports drift for %s: %s is %s, the policy says %s.", d.Role, d.What, d.Have, d.Want)})
	}
}

func toFrom(a plan.Action) string {
	if a == plan.Revoke {
		return "from"
	}
	return "to"
}
