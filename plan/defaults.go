package plan

import (
	"cmp"
	"slices"

	"github.com/pgward/pgward/internal/acl"
)

// defaultPrivileges diffs pg_default_acl for managed grantees.
func (b *builder) defaultPrivileges() {
	type key struct {
		t DefaultTarget
		g acl.Grantee
	}
	desired := map[key]want{}
	var order []key
	for _, name := range sortedKeys(b.roles) {
		for _, d := range b.roles[name].DefaultPrivileges {
			if !b.exists(d.ForRole) || d.ForRole == name {
				continue
			}
			k := key{DefaultTarget{ForRole: d.ForRole, Schema: d.Schema, Kind: d.Kind}, acl.Grantee(name)}
			privs := d.Privileges & acl.Valid(d.Kind, b.cat.ServerVersion)
			if d.All {
				privs = acl.Valid(d.Kind, b.cat.ServerVersion)
			}
			w, seen := desired[k]
			if !seen {
				rng := d.DeclRange
				w.rule = &rng
				order = append(order, k)
			}
			w.privs |= privs
			if d.WithGrantOption {
				w.grantOpt |= privs
			}
			desired[k] = w
		}
	}
	for _, row := range b.cat.DefaultPrivileges {
		t := DefaultTarget{ForRole: row.ForRole, Schema: row.Schema, Kind: row.Kind}
		for _, it := range row.ACL {
			g := it.Grantee
			if g.IsPublic() || string(g) == row.ForRole || b.roles[string(g)] == nil {
				continue
			}
			k := key{t, g}
			w := desired[k]
			if extra := it.Privs.Privs &^ w.privs; extra != 0 {
				b.add(&Change{Action: Revoke, Target: TargetDefault, Default: &k.t, Grantee: g, Privs: acl.Privileges{Privs: extra, GrantOption: it.Privs.GrantOption & extra}, Authority: AuthorityForRole, Reason: notDeclared})
			}
			if opt := it.Privs.GrantOption & w.privs &^ w.grantOpt; opt != 0 {
				b.add(&Change{Action: Revoke, Target: TargetDefault, Default: &k.t, Grantee: g, Privs: acl.Privileges{Privs: opt, GrantOption: opt}, GrantOptionOnly: true, Authority: AuthorityForRole, Reason: Reason{Rule: w.rule, Text: "grant option not declared"}})
			}
			if _, ok := desired[k]; ok {
				w.privs &^= it.Privs.Privs &^ (w.grantOpt &^ it.Privs.GrantOption)
				w.grantOpt &^= it.Privs.GrantOption
				desired[k] = w
			}
		}
	}
	for _, k := range order {
		w := desired[k]
		t := k.t
		if plain := w.privs &^ w.grantOpt; plain != 0 {
			b.add(&Change{Action: Grant, Target: TargetDefault, Default: &t, Grantee: k.g, Privs: acl.Privileges{Privs: plain}, Authority: AuthorityForRole, Reason: Reason{Rule: w.rule}})
		}
		if w.grantOpt != 0 {
			b.add(&Change{Action: Grant, Target: TargetDefault, Default: &t, Grantee: k.g, Privs: acl.Privileges{Privs: w.grantOpt, GrantOption: w.grantOpt}, Authority: AuthorityForRole, Reason: Reason{Rule: w.rule}})
		}
	}
}

// publicDefaults diffs PUBLIC's default privileges for each (for_role,
// kind) that the public block's default_privileges name: the global entry
// against what is declared globally, else PostgreSQL's built-in default
// (EXECUTE on functions, USAGE on types, nothing on the rest; no
// pg_default_acl row means the built-in default); each per-schema entry
// against what is declared for that schema, else nothing. Other creating
// roles and kinds are left alone.
func (b *builder) publicDefaults() {
	pub := b.pol.Public
	if pub == nil || len(pub.DefaultPrivileges) == 0 {
		return
	}
	type pair struct {
		forRole string
		kind    acl.Kind
	}
	managed := map[pair]bool{}
	desired := map[DefaultTarget]want{}
	var order []DefaultTarget
	for _, d := range pub.DefaultPrivileges {
		if !b.exists(d.ForRole) {
			continue // reported by checkVersion
		}
		managed[pair{d.ForRole, d.Kind}] = true
		t := DefaultTarget{ForRole: d.ForRole, Schema: d.Schema, Kind: d.Kind}
		privs := d.Privileges & acl.Valid(d.Kind, b.cat.ServerVersion)
		if d.All {
			privs = acl.Valid(d.Kind, b.cat.ServerVersion)
		}
		w, seen := desired[t]
		if !seen {
			rng := d.DeclRange
			w.rule = &rng
			order = append(order, t)
		}
		w.privs |= privs
		desired[t] = w
	}
	held := map[DefaultTarget]acl.Priv{}
	for _, row := range b.cat.DefaultPrivileges {
		if !managed[pair{row.ForRole, row.Kind}] {
			continue
		}
		t := DefaultTarget{ForRole: row.ForRole, Schema: row.Schema, Kind: row.Kind}
		held[t] |= 0 // the row exists, whatever PUBLIC holds in it
		for _, it := range row.ACL {
			if it.Grantee.IsPublic() {
				held[t] |= it.Privs.Privs
			}
		}
	}
	var targets []DefaultTarget
	for p := range managed {
		global := DefaultTarget{ForRole: p.forRole, Kind: p.kind}
		if _, ok := held[global]; !ok {
			held[global] = p.kind.PublicDefault() // no row: the built-in default
		}
		if _, ok := desired[global]; !ok {
			desired[global] = want{privs: p.kind.PublicDefault()}
		}
	}
	targets = append(targets, order...)
	var rest []DefaultTarget
	for t := range held {
		if slices.Contains(order, t) {
			continue
		}
		rest = append(rest, t)
	}
	slices.SortFunc(rest, func(x, y DefaultTarget) int {
		return cmp.Or(cmp.Compare(x.ForRole, y.ForRole), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Schema, y.Schema))
	})
	targets = append(targets, rest...)
	for _, t := range targets {
		w, h := desired[t], held[t]
		why := Reason{Rule: w.rule}
		if w.rule == nil {
			why = Reason{Text: "not declared for PUBLIC"}
			if t.Schema == "" {
				why = Reason{Text: "PostgreSQL's built-in default, not declared otherwise for PUBLIC"}
			}
		}
		if extra := h &^ w.privs; extra != 0 {
			t := t
			b.add(&Change{Action: Revoke, Target: TargetDefault, Default: &t, Grantee: acl.Public, Privs: acl.Privileges{Privs: extra}, Authority: AuthorityForRole, Reason: why})
		}
		if missing := w.privs &^ h; missing != 0 {
			t := t
			b.add(&Change{Action: Grant, Target: TargetDefault, Default: &t, Grantee: acl.Public, Privs: acl.Privileges{Privs: missing}, Authority: AuthorityForRole, Reason: why})
		}
	}
}
