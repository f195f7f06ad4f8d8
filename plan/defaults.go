package plan

import (
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
