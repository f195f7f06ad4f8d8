package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/policy"
)

// providerRoles are the roles managed PostgreSQL services create and
// reserve for themselves. pgward manages one only when the policy declares
// it, and then warns.
var providerRoles = []struct {
	name     string
	prefix   bool
	provider string
}{
	{"rds_", true, "Amazon RDS"},
	{"rdsadmin", false, "Amazon RDS"},
	{"rdsrepladmin", false, "Amazon RDS"},
	{"rdstopmgr", false, "Amazon RDS"},
	{"cloudsql", true, "Google Cloud SQL"},
	{"alloydb", true, "Google AlloyDB"},
	{"azure_", true, "Azure Database for PostgreSQL"},
	{"azuresu", false, "Azure Database for PostgreSQL"},
	{"supabase_", true, "Supabase"},
	{"neon_superuser", false, "Neon"},
	{"cloud_admin", false, "Neon"},
	{"_aiven", false, "Aiven"},
}

// ReservedBy returns the managed service that reserves the role name
// (rds_superuser: "Amazon RDS"), or "" for an ordinary name.
func ReservedBy(name string) string {
	for _, r := range providerRoles {
		if name == r.name || r.prefix && strings.HasPrefix(name, r.name) {
			return r.provider
		}
	}
	return ""
}

// risks explains each privilege that makes a grant to a runtime role
// dangerous.
var risks = []struct {
	priv acl.Priv
	why  string
}{
	{acl.Create, "CREATE lets it create objects that it then owns, outside the policy (in a schema: tables and functions that other roles may pick up through search_path; in the database: schemas)"},
	{acl.Truncate, "TRUNCATE empties a whole table in one statement, without DELETE triggers or row-level security"},
	{acl.References, "REFERENCES lets it add foreign keys to the table, which can block updates and deletes of the referenced rows and reveal which values exist"},
}

// riskyRule is a rule that gives a role dangerous privileges.
type riskyRule struct {
	rng    hcl.Range
	future bool // default privileges: objects created later
	kind   acl.Kind
	privs  acl.Priv
}

// riskyRules lists the rules of r that give CREATE on the database or a
// schema, or TRUNCATE or REFERENCES on tables or columns, now or through
// default privileges for future objects. ALL counts as every privilege
// of the kind.
func riskyRules(r *policy.Role) []riskyRule {
	dangerous := func(k acl.Kind) acl.Priv {
		switch k {
		case acl.KindDatabase, acl.KindSchema:
			return acl.Create
		case acl.KindTable, acl.KindColumn:
			return acl.Truncate | acl.References
		}
		return 0
	}
	var out []riskyRule
	for _, g := range r.Grants {
		privs := g.Privileges
		if g.All {
			privs = acl.ValidAnyVersion(g.Kind)
			if len(g.Columns) > 0 {
				privs = acl.ValidAnyVersion(acl.KindColumn)
			}
		}
		if p := privs & dangerous(g.Kind); p != 0 {
			out = append(out, riskyRule{rng: g.DeclRange, kind: g.Kind, privs: p})
		}
	}
	for _, d := range r.DefaultPrivileges {
		privs := d.Privileges
		if d.All {
			privs = acl.ValidAnyVersion(d.Kind)
		}
		if p := privs & dangerous(d.Kind); p != 0 {
			out = append(out, riskyRule{rng: d.DeclRange, future: true, kind: d.Kind, privs: p})
		}
	}
	return out
}

// policyOwners is every role the policy names as a creator or owner of
// objects (for_role, owner): roles that run migrations, not runtime roles.
func policyOwners(p *policy.Policy) map[string]bool {
	out := map[string]bool{}
	for _, r := range p.Roles {
		for _, g := range r.Grants {
			if g.Owner != "" {
				out[g.Owner] = true
			}
		}
		for _, d := range r.DefaultPrivileges {
			out[d.ForRole] = true
		}
	}
	return out
}

// riskyDiagnostic is the warning for one risky rule of a runtime role.
func riskyDiagnostic(role, whyRuntime string, rr riskyRule) *hcl.Diagnostic {
	on := rr.kind.String()
	if rr.future {
		on = "future " + on + "s"
	}
	var whys []string
	for _, r := range risks {
		if rr.privs&r.priv != 0 {
			whys = append(whys, r.why)
		}
	}
	rng := rr.rng
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  fmt.Sprintf("Runtime role %q granted %s on %s", role, rr.privs, on),
		Detail: fmt.Sprintf("%s, so it looks like an application's runtime role. %s. Grant it to the owner role that runs migrations instead, or remove it from this rule unless the application needs it.",
			whyRuntime, strings.Join(whys, "; ")),
		Subject: &rng,
	}
}

// policyWarnings returns the warnings about a dangerous policy that need no
// database:
//
//   - a runtime role (declared login = true, and named by no owner or
//     for_role) granted CREATE on the database or a schema, or TRUNCATE or
//     REFERENCES on tables, now or for future objects;
//   - a rule or default privilege WITH GRANT OPTION, which lets the role
//     pass privileges on to roles the policy does not manage;
//   - a public block that lets PUBLIC keep CREATE on schemas or on the
//     database;
//   - a declared role whose name a managed PostgreSQL service reserves
//     ([ReservedBy]).
//
// Default privileges cannot give PUBLIC anything in the policy language
// (they grant to the enclosing role), so that danger is a catalog check:
// see [builder.warnDangerous].
func policyWarnings(p *policy.Policy) hcl.Diagnostics {
	var diags hcl.Diagnostics
	owners := policyOwners(p)
	for _, r := range p.Roles {
		if provider := ReservedBy(r.Name); provider != "" {
			rng := r.DeclRange
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  fmt.Sprintf("Role %q is reserved by %s", r.Name, provider),
				Detail: fmt.Sprintf("%s creates and manages %s. pgward never touches it unless the policy declares it; this block does, so pgward manages its grants, default privileges and memberships as written. Remove the block unless that is what you want (member_of can name the role without managing it).",
					provider, r.Name),
				Subject: &rng,
			})
		}
		if a := r.Attributes.Login; a != nil && *a && !owners[r.Name] {
			for _, rr := range riskyRules(r) {
				diags = append(diags, riskyDiagnostic(r.Name, r.Name+" is declared with login = true and no rule names it as an owner or for_role", rr))
			}
		}
		for _, g := range r.Grants {
			if g.WithGrantOption {
				diags = append(diags, grantOptionDiagnostic(r.Name, g.DeclRange, g.Kind.String()+"s"))
			}
		}
		for _, d := range r.DefaultPrivileges {
			if d.WithGrantOption {
				diags = append(diags, grantOptionDiagnostic(r.Name, d.DeclRange, "future "+d.Kind.String()+"s"))
			}
		}
	}
	if p.Public != nil {
		for _, k := range []acl.Kind{acl.KindDatabase, acl.KindSchema} {
			may, ok := p.Public.MayHold[k]
			if !ok || may&acl.Create == 0 {
				continue
			}
			rng := p.Public.Ranges[k]
			what := "create objects in every managed schema, which other roles may then pick up through search_path"
			if k == acl.KindDatabase {
				what = "create schemas in the database"
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  fmt.Sprintf("PUBLIC may keep CREATE on the %s", k),
				Detail: fmt.Sprintf("PUBLIC is every role, including those created later: whoever holds CREATE through it can %s. Remove CREATE from public { %s = [...] }.",
					what, k),
				Subject: &rng,
			})
		}
	}
	return diags
}

func grantOptionDiagnostic(role string, rng hcl.Range, on string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  fmt.Sprintf("Role %q may grant its privileges on %s to others", role, on),
		Detail: fmt.Sprintf("with_grant_option = true lets %s pass these privileges on to any role, and pgward never revokes from roles the policy does not declare, so the privileges can spread outside the policy. Remove with_grant_option unless %s must delegate them.",
			role, role),
		Subject: &rng,
	}
}

// warnDangerous adds the catalog's view to [policyWarnings]: a declared
// role that can log in (rolcanlogin) without saying login = true, and owns
// nothing in scope, is a runtime role too; and default privileges in the
// catalog that give PUBLIC privileges on future tables or sequences, which
// pgward does not manage, are reported.
func (b *builder) warnDangerous() {
	owners := policyOwners(b.pol)
	for _, o := range b.cat.Objects {
		owners[o.Owner] = true
	}
	for _, name := range sortedKeys(b.roles) {
		r := b.roles[name]
		have := b.cat.Role(name)
		if have == nil || !have.Login || have.Superuser || r.Attributes.Login != nil || owners[name] {
			continue // policyWarnings covers a declared login; superusers have their own warning
		}
		for _, rr := range riskyRules(r) {
			b.diags = append(b.diags, riskyDiagnostic(name, name+" can log in (rolcanlogin) and owns nothing in scope", rr))
		}
	}
	for _, row := range b.cat.DefaultPrivileges {
		if row.Kind != acl.KindTable && row.Kind != acl.KindSequence {
			continue // PostgreSQL's own defaults give PUBLIC EXECUTE and USAGE on the others
		}
		for _, it := range row.ACL {
			if !it.Grantee.IsPublic() || it.Privs.Privs == 0 || b.pol.Public.ManagesDefaults(row.ForRole, row.Kind) {
				continue
			}
			b.warnPublicDefault(row, it)
		}
	}
}

// warnPublicDefault reports a default privilege that gives PUBLIC access
// to objects created later, pointing at the public block's ceiling for the
// kind when there is one.
func (b *builder) warnPublicDefault(row *catalog.DefaultACL, it acl.Item) {
	t := DefaultTarget{ForRole: row.ForRole, Schema: row.Schema, Kind: row.Kind}
	var rng *hcl.Range
	if b.pol.Public != nil {
		if r, ok := b.pol.Public.Ranges[row.Kind]; ok {
			rng = &r
		}
	}
	in := ""
	if row.Schema != "" {
		in = " IN SCHEMA " + ident.Quote(row.Schema)
	}
	b.warnf(rng, fmt.Sprintf("Default privileges give PUBLIC %s on future %ss", it.Privs.Privs, row.Kind),
		"The %s give PUBLIC, that is every role, %s on every %s that %s creates from now on, and the policy does not manage PUBLIC's default privileges for them: a grant rule or short form of the public block only corrects existing objects, on the next run. To manage them, add default_privileges %q with for_role = %q to the public block (privileges = [] for none), or run ALTER DEFAULT PRIVILEGES FOR ROLE %s%s REVOKE %s ON %s FROM PUBLIC.",
		t, it.Privs.Privs, row.Kind, row.ForRole, row.Kind.String(), row.ForRole, ident.Quote(row.ForRole), in, it.Privs.Privs, row.Kind.DefaultACLKeyword())
}
