package plan

import (
	"fmt"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/policy"
)

// roleAttributes plans ALTER ROLE for managed roles and reports drift for
// external ones.
func (b *builder) roleAttributes() {
	for _, name := range sortedKeys(b.roles) {
		r := b.roles[name]
		have := b.cat.Role(name)
		if b.creating[name] {
			b.add(&Change{Action: Grant, Target: TargetRole, Grantee: acl.Grantee(name), Attributes: declaredAttributes(r.Attributes),
				Authority: AuthorityAdmin, Reason: ruleReason(r.DeclRange)})
			continue
		}
		var changes []AttributeChange
		a := r.Attributes
		boolAttr := func(key string, want *bool, got bool, yes, no string) {
			if want == nil || *want == got {
				return
			}
			changes = append(changes, AttributeChange{Name: key, Before: pick(got, yes, no), After: pick(*want, yes, no), SQL: pick(*want, yes, no)})
		}
		boolAttr("login", a.Login, have.Login, "LOGIN", "NOLOGIN")
		boolAttr("inherit", a.Inherit, have.Inherit, "INHERIT", "NOINHERIT")
		boolAttr("createdb", a.CreateDB, have.CreateDB, "CREATEDB", "NOCREATEDB")
		boolAttr("createrole", a.CreateRole, have.CreateRole, "CREATEROLE", "NOCREATEROLE")
		boolAttr("replication", a.Replication, have.Replication, "REPLICATION", "NOREPLICATION")
		boolAttr("bypassrls", a.BypassRLS, have.BypassRLS, "BYPASSRLS", "NOBYPASSRLS")
		if a.ConnectionLimit != nil && *a.ConnectionLimit != have.ConnectionLimit {
			changes = append(changes, AttributeChange{Name: "connection_limit",
				Before: fmt.Sprint(have.ConnectionLimit), After: fmt.Sprint(*a.ConnectionLimit),
				SQL: fmt.Sprintf("CONNECTION LIMIT %d", *a.ConnectionLimit)})
		}
		if a.ValidUntil != nil {
			if want, ok := parseValidUntil(*a.ValidUntil); ok && !sameValidUntil(want, have.ValidUntil) {
				changes = append(changes, AttributeChange{Name: "valid_until",
					Before: formatValidUntil(have.ValidUntil), After: *a.ValidUntil,
					SQL: "VALID UNTIL " + quoteLiteral(*a.ValidUntil)})
			} else if !ok {
				rng := a.Ranges["valid_until"]
				b.errorf(&rng, "Invalid valid_until", "%q is not a timestamp. Write RFC 3339 (2027-01-31T00:00:00Z) or \"infinity\".", *a.ValidUntil)
			}
		}
		if len(changes) == 0 {
			continue
		}
		if r.External {
			for _, ch := range changes {
				rng := a.Ranges[ch.Name]
				b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: ch.Name, Want: ch.After, Have: ch.Before, Reason: ruleReason(rng)})
			}
			continue
		}
		rng := r.DeclRange
		b.add(&Change{Action: Alter, Target: TargetRole, Grantee: acl.Grantee(name), Attributes: changes,
			Authority: roleAuthority(changes), Reason: ruleReason(rng)})
	}
}

// declaredAttributes lists the attributes a CREATE ROLE sets.
func declaredAttributes(a policy.Attributes) []AttributeChange {
	var out []AttributeChange
	flag := func(name string, v *bool, yes, no string) {
		if v != nil {
			out = append(out, AttributeChange{Name: name, Before: "(new role)", After: pick(*v, yes, no), SQL: pick(*v, yes, no)})
		}
	}
	flag("login", a.Login, "LOGIN", "NOLOGIN")
	flag("inherit", a.Inherit, "INHERIT", "NOINHERIT")
	flag("createdb", a.CreateDB, "CREATEDB", "NOCREATEDB")
	flag("createrole", a.CreateRole, "CREATEROLE", "NOCREATEROLE")
	flag("replication", a.Replication, "REPLICATION", "NOREPLICATION")
	flag("bypassrls", a.BypassRLS, "BYPASSRLS", "NOBYPASSRLS")
	if a.ConnectionLimit != nil {
		out = append(out, AttributeChange{Name: "connection_limit", Before: "(new role)", After: fmt.Sprint(*a.ConnectionLimit), SQL: fmt.Sprintf("CONNECTION LIMIT %d", *a.ConnectionLimit)})
	}
	if a.ValidUntil != nil {
		out = append(out, AttributeChange{Name: "valid_until", Before: "(new role)", After: *a.ValidUntil, SQL: "VALID UNTIL " + quoteLiteral(*a.ValidUntil)})
	}
	return out
}

func roleAuthority(changes []AttributeChange) Authority {
	for _, c := range changes {
		if c.Name == "replication" || c.Name == "bypassrls" {
			return AuthoritySuperuser
		}
	}
	return AuthorityAdmin
}

func pick(v bool, yes, no string) string {
	if v {
		return yes
	}
	return no
}
