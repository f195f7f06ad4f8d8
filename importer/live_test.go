package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
	"github.com/pgward/pgward/render"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixedTime is the import time of every test, so that outputs are stable.
var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// placeholder is a role of a setup script, {name}; {db} is the database.
var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// expand replaces the placeholders of a setup script with the test's role
// names (quoted) and database name, and returns the role bases it found.
func expand(db *pgtest.DB, sql string) (string, []string) {
	var bases []string
	out := placeholder.ReplaceAllStringFunc(sql, func(m string) string {
		base := m[1 : len(m)-1]
		if base == "db" {
			return ident.Quote(db.Name)
		}
		if !slices.Contains(bases, base) {
			bases = append(bases, base)
		}
		return ident.Quote(db.RoleName(base))
	})
	sort.Strings(bases)
	return out, bases
}

// setupScript runs a setup script as the superuser; the roles it creates
// are dropped when the test ends. It returns the roles' real names.
func setupScript(t *testing.T, db *pgtest.DB, sql string) []string {
	t.Helper()
	sql, bases := expand(db, sql)
	var roles []string
	for _, b := range bases {
		roles = append(roles, db.RoleName(b))
		db.DropRoleOnCleanup(db.RoleName(b))
	}
	db.Exec(t, sql)
	return roles
}

// readOnly runs f in a READ ONLY, REPEATABLE READ transaction on the
// database, as the superuser.
func readOnly(t *testing.T, db *pgtest.DB, f func(pgx.Tx)) {
	t.Helper()
	ctx := context.Background()
	conn := db.Conn(t)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	f(tx)
}

// readCatalog reads the database's catalog.
func readCatalog(t *testing.T, db *pgtest.DB, schemas []string) *catalog.Catalog {
	t.Helper()
	var c *catalog.Catalog
	readOnly(t, db, func(tx pgx.Tx) {
		var err error
		if c, err = introspect.Read(context.Background(), tx, introspect.Scope{Schemas: schemas}); err != nil {
			t.Fatal(err)
		}
	})
	return c
}

// importLive imports the database and returns the import and its HCL.
func importLive(t *testing.T, db *pgtest.DB, o importer.Options) (*importer.Import, []byte) {
	t.Helper()
	if o.Time.IsZero() {
		o.Time = fixedTime
	}
	var im *importer.Import
	readOnly(t, db, func(tx pgx.Tx) {
		var err error
		if im, err = importer.Read(context.Background(), tx, o); err != nil {
			t.Fatal(err)
		}
	})
	var buf bytes.Buffer
	if err := importer.WriteHCL(&buf, im); err != nil {
		t.Fatal(err)
	}
	return im, buf.Bytes()
}

// loadStrict loads a policy and fails on any diagnostic of the loader,
// warnings included, but the one about names holding a dot. Of plan.Validate's warnings it fails on the one an
// import can avoid (an exclusion next to default privileges); the others
// point at risky privileges the database really holds.
func loadStrict(t *testing.T, src []byte) *policy.Policy {
	t.Helper()
	pol, all := policy.Load(fstest.MapFS{"policy.hcl": {Data: src}}, ".", policy.LoadOptions{})
	var diags hcl.Diagnostics
	for _, d := range all {
		// A name that holds a dot draws a warning in case it was meant
		// as schema.name; the import writes the names the catalog holds.
		if d.Severity == hcl.DiagWarning && d.Summary == "Qualified name" {
			continue
		}
		diags = append(diags, d)
	}
	for _, d := range plan.Validate(pol) {
		if d.Summary == "Exclusion undone for future objects" {
			diags = append(diags, d)
		}
	}
	if len(diags) > 0 {
		t.Fatalf("the imported policy does not load cleanly:\n%s\npolicy:\n%s", policy.FormatDiagnostics(diags), src)
	}
	return pol
}

// checkFormatted fails unless src is in canonical form, as pgward fmt
// --check requires.
func checkFormatted(t *testing.T, src []byte) {
	t.Helper()
	got, diags := policy.Format(src)
	if diags.HasErrors() || !bytes.Equal(got, src) {
		t.Errorf("the imported policy is not formatted (%s):\n%s", diags, src)
	}
}

// livePlan builds the plan of the policy against the database, as the
// superuser, and fails on error diagnostics.
func livePlan(t *testing.T, db *pgtest.DB, pol *policy.Policy) *plan.Plan {
	t.Helper()
	c := readCatalog(t, db, pol.Schemas)
	p, diags := plan.Build(pol, c, plan.Options{})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", policy.FormatDiagnostics(diags))
	}
	return p
}

func planText(p *plan.Plan) string {
	var b strings.Builder
	_ = render.WriteText(&b, p, render.TextOptions{})
	return b.String()
}

// imported is what roundTrip checked: the import, its HCL and YAML, and
// the policy both load as.
type imported struct {
	im   *importer.Import
	hcl  []byte
	yaml []byte // nil when a role's name holds "${" (see importer.ErrYAMLLabel)
	pol  *policy.Policy
}

// roundTrip imports the database, checks that the HCL loads without a
// diagnostic and is formatted, and that plan against the same database
// changes nothing beyond what the notes announce; then that the YAML
// import loads without a diagnostic as the same policy, and that its plan
// is empty too.
func roundTrip(t *testing.T, db *pgtest.DB, o importer.Options) imported {
	t.Helper()
	im, src := importLive(t, db, o)
	checkFormatted(t, src)
	pol := loadStrict(t, src)
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonResidual {
			t.Errorf("residual note: %s", n.Text)
		}
	}
	c := readCatalog(t, db, pol.Schemas)
	checkPlanEmpty(t, c, im, pol, src)
	out := imported{im: im, hcl: src, pol: pol}

	if name := templateRole(im); name != "" {
		err := importer.WriteYAML(io.Discard, im)
		if !errors.Is(err, importer.ErrYAMLLabel) || !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("WriteYAML with role %q: error %v, want one naming the role and wrapping ErrYAMLLabel", name, err)
		}
		return out
	}
	ysrc, ypol := yamlTwin(t, im, src, pol)
	for _, d := range plan.Validate(ypol) {
		if d.Summary == "Exclusion undone for future objects" {
			t.Errorf("the YAML import: %s", policy.FormatDiagnostics(hcl.Diagnostics{d}))
		}
	}
	checkPlanEmpty(t, c, im, ypol, ysrc)
	out.yaml = ysrc
	return out
}

// templateRole returns the first role the import names (declared, or in
// member_of) whose name holds "${" or "%{", which YAML cannot name.
func templateRole(im *importer.Import) string {
	bad := func(s string) bool { return strings.Contains(s, "${") || strings.Contains(s, "%{") }
	for _, r := range im.Policy.Roles {
		if bad(r.Name) {
			return r.Name
		}
		for _, m := range r.MemberOf {
			if bad(m.Role) {
				return m.Role
			}
		}
	}
	return ""
}

// checkPlanEmpty builds the plan of the imported policy against the
// catalog it was imported from: it changes nothing but the grants that
// third-grantor notes announce, and reports no drift.
func checkPlanEmpty(t *testing.T, c *catalog.Catalog, im *importer.Import, pol *policy.Policy, src []byte) {
	t.Helper()
	p, diags := plan.Build(pol, c, plan.Options{})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", policy.FormatDiagnostics(diags))
	}
	explained := map[string]bool{}
	for _, n := range im.Notes {
		if n.Reason == importer.ReasonThirdGrantor {
			explained[n.Role+"\x00"+n.Object.Key()] = true
		}
	}
	for _, c := range p.Changes {
		if c.Target == plan.TargetObject && c.Action == plan.Grant && explained[string(c.Grantee)+"\x00"+c.Object.Key()] {
			continue
		}
		t.Errorf("plan after import is not empty:\n%s\npolicy:\n%s", planText(p), src)
		break
	}
	if len(p.Drift) > 0 {
		t.Errorf("plan after import reports drift: %+v", p.Drift)
	}
}

// fact is one privilege as the issue compares them: object, grantee,
// privilege, grant option.
type fact struct {
	object  string
	grantee string
	priv    string
	grant   bool
}

func (f fact) String() string {
	s := fmt.Sprintf("%s: %s to %s", f.object, f.priv, f.grantee)
	if f.grant {
		s += " with grant option"
	}
	return s
}

// objectFacts lists the privileges that the roles and PUBLIC hold on every
// object of the catalog, whoever granted them.
func objectFacts(c *catalog.Catalog, roles []string) []fact {
	var out []fact
	seen := map[fact]bool{}
	for _, o := range c.Objects {
		if o.Kind == acl.KindTablespace || o.Kind == acl.KindParameter {
			continue // cluster-wide: compared by clusterFacts
		}
		out = appendFacts(out, seen, o, roles)
	}
	return sortFacts(out)
}

// clusterFacts is objectFacts for tablespaces and parameters.
func clusterFacts(c *catalog.Catalog, roles []string) []fact {
	var out []fact
	seen := map[fact]bool{}
	for _, o := range c.Objects {
		if o.Kind == acl.KindTablespace || o.Kind == acl.KindParameter {
			out = appendFacts(out, seen, o, roles)
		}
	}
	return sortFacts(out)
}

// factObject names an object in facts; the database is "database", so
// that the facts of two databases compare.
func factObject(o *catalog.Object) string {
	if o.Kind == acl.KindDatabase {
		return "database"
	}
	return o.Kind.String() + " " + o.String()
}

func appendFacts(out []fact, seen map[fact]bool, o *catalog.Object, roles []string) []fact {
	key := factObject(o)
	for _, it := range o.ACL {
		g := it.Grantee.String()
		if !it.Grantee.IsPublic() && !slices.Contains(roles, g) {
			continue
		}
		it.Privs.Privs.Each(func(p acl.Priv) {
			f := fact{key, g, p.String(), it.Privs.GrantOption&p != 0}
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		})
	}
	return out
}

func sortFacts(fs []fact) []fact {
	sort.Slice(fs, func(i, j int) bool { return fs[i].String() < fs[j].String() })
	// A privilege held with and without the grant option is held with it.
	var out []fact
	for _, f := range fs {
		if n := len(out); n > 0 && out[n-1].object == f.object && out[n-1].grantee == f.grantee && out[n-1].priv == f.priv {
			out[n-1].grant = out[n-1].grant || f.grant
			continue
		}
		out = append(out, f)
	}
	return out
}

// defaultFacts lists the default privileges the roles and PUBLIC receive.
func defaultFacts(c *catalog.Catalog, roles []string) []string {
	return defaultFactsExcept(c, roles, nil)
}

// defaultFactsExcept is defaultFacts without the items skip (if not nil)
// reports.
func defaultFactsExcept(c *catalog.Catalog, roles []string, skip func(*catalog.DefaultACL, acl.Item) bool) []string {
	var out []string
	for _, d := range c.DefaultPrivileges {
		for _, it := range d.ACL {
			g := it.Grantee.String()
			if !it.Grantee.IsPublic() && !slices.Contains(roles, g) || skip != nil && skip(d, it) {
				continue
			}
			out = append(out, fmt.Sprintf("for %s in %q on %ss: %s to %s", d.ForRole, d.Schema, d.Kind, it.Privs, g))
		}
	}
	sort.Strings(out)
	return out
}

// membershipFacts lists the memberships of the roles, without grantors.
func membershipFacts(c *catalog.Catalog, roles []string) []string {
	var out []string
	for _, m := range c.Memberships {
		if !slices.Contains(roles, m.Member) {
			continue
		}
		out = append(out, fmt.Sprintf("%s in %s admin=%t inherit=%t set=%t", m.Member, m.Role, m.Admin, m.Inherit, m.Set))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// attributeFacts lists the roles' attributes.
func attributeFacts(c *catalog.Catalog, roles []string) []string {
	var out []string
	for _, name := range roles {
		r := c.Role(name)
		until := "never"
		if r.ValidUntil != nil {
			until = r.ValidUntil.UTC().Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("%s login=%t inherit=%t createdb=%t createrole=%t limit=%d until=%s",
			r.Name, r.Login, r.Inherit, r.CreateDB, r.CreateRole, r.ConnectionLimit, until))
	}
	return out
}

func diffLists[T any](t *testing.T, what string, want, got []T) {
	t.Helper()
	str := func(xs []T) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	w, g := str(want), str(got)
	var missing, extra []string
	for _, x := range w {
		if !slices.Contains(g, x) {
			missing = append(missing, x)
		}
	}
	for _, x := range g {
		if !slices.Contains(w, x) {
			extra = append(extra, x)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s differ:\nmissing:\n  %s\nextra:\n  %s", what, strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
	}
}

// TestImport_roleAttributes: by default import writes the attributes of
// the roles it imports. For external roles (the default), plan against the
// original is empty and a role that later loses its NOINHERIT is drift;
// for managed roles (ManageRoles), apply converges the attributes back, and
// applied to a fresh database after the attributes were reset it
// reproduces them.
func TestImport_roleAttributes(t *testing.T) {
	db := pgtest.NewDB(t)
	roles := setupScript(t, db, `
CREATE ROLE {owner} NOLOGIN;
CREATE ROLE {web} LOGIN NOINHERIT CONNECTION LIMIT 5 VALID UNTIL '2031-02-03 04:05:06+00';
CREATE ROLE {ops} NOLOGIN CREATEDB;
GRANT {ops} TO {web};
CREATE SCHEMA app AUTHORIZATION {owner};
SET ROLE {owner};
CREATE TABLE app.t (id int);
GRANT USAGE ON SCHEMA app TO {web}, {ops};
GRANT SELECT ON app.t TO {ops};
RESET ROLE;
`)
	web, ops := db.RoleName("web"), db.RoleName("ops")
	out := roundTrip(t, db, importer.Options{Roles: roles, Schemas: []string{"app"}})
	block := func(src []byte, role string) string {
		s := string(src)
		i := strings.Index(s, "role "+strconv.Quote(role)+" {")
		if i < 0 {
			t.Fatalf("no block for %s:\n%s", role, s)
		}
		j := strings.Index(s[i:], "\n}\n")
		return s[i : i+j]
	}
	for role, want := range map[string][]string{
		web: {"external         = true", "login            = true", "inherit          = false", "connection_limit = 5", `valid_until      = "2031-02-03T04:05:06Z"`},
		ops: {"login            = false", "inherit          = true", "createdb         = true", "connection_limit = -1"},
	} {
		b := block(out.hcl, role)
		for _, w := range want {
			if !strings.Contains(b, w) {
				t.Errorf("the block of %s lacks %q:\n%s", role, w, b)
			}
		}
	}

	// External: the lost NOINHERIT is drift, and nothing is planned to change it.
	db.Exec(t, "ALTER ROLE "+ident.Quote(web)+" INHERIT")
	p := livePlan(t, db, out.pol)
	if len(p.Drift) != 1 || p.Drift[0].Role != web || p.Drift[0].What != "inherit" || p.Drift[0].Want != "NOINHERIT" {
		t.Errorf("drift %+v, want web's inherit (NOINHERIT)", p.Drift)
	}
	if !p.Empty() {
		t.Errorf("plan of an external role changes it:\n%s", planText(p))
	}
	db.Exec(t, "ALTER ROLE "+ident.Quote(web)+" NOINHERIT")

	// Managed: apply converges, and a fresh database gets them back.
	managed := roundTrip(t, db, importer.Options{Roles: roles, Schemas: []string{"app"}, ManageRoles: true})
	db.Exec(t, "ALTER ROLE "+ident.Quote(web)+" INHERIT NOLOGIN CONNECTION LIMIT -1")
	applyPolicy(t, db.URL, managed.pol)
	var inherit, login bool
	var limit int
	if err := db.Conn(t).QueryRow(context.Background(), "SELECT rolinherit, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1", web).Scan(&inherit, &login, &limit); err != nil {
		t.Fatal(err)
	}
	if inherit || !login || limit != 5 {
		t.Errorf("after apply: inherit %t, login %t, connection limit %d; want false, true, 5", inherit, login, limit)
	}
	reproduce(t, db, roles, managed, func(t *testing.T, b *pgtest.DB) {
		b.Exec(t, expandSQL(db, `CREATE SCHEMA app AUTHORIZATION {owner}; SET ROLE {owner}; CREATE TABLE app.t (id int); RESET ROLE;`))
	}, func(t *testing.T) {
		for _, r := range roles {
			db.Exec(t, "ALTER ROLE "+ident.Quote(r)+" INHERIT NOLOGIN NOCREATEDB CONNECTION LIMIT -1 VALID UNTIL 'infinity'")
		}
	})
}
