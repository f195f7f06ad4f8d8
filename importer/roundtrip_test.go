package importer_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/apply"
	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/oracle"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// applyPolicy applies a policy to the database as the role of url.
func applyPolicy(t *testing.T, url string, pol *policy.Policy) {
	t.Helper()
	cfg, err := connstr.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Run(context.Background(), cfg, pol, apply.Options{Scope: introspect.Scope{Schemas: pol.Schemas}}); err != nil {
		var pe *apply.PlanError
		if errors.As(err, &pe) {
			t.Fatalf("apply: %s", policy.FormatDiagnostics(pe.Diags))
		}
		t.Fatalf("apply: %v", err)
	}
}

// TestRoundTrip_tuist sets up the Tuist example (its roles made unique),
// applies the example policy, imports the database and checks that plan
// against it is empty, in HCL and in YAML, that applying the import to a
// fresh database with the same schema gives the same privileges, and that
// the import reads as the example does.
func TestRoundTrip_tuist(t *testing.T) {
	db := pgtest.NewDB(t)
	v := db.Server.Version()
	names := map[string]string{}
	for _, base := range []string{"tuist_app", "tuist_web", "tuist_processor", "tuist_ops_ro"} {
		names[base] = db.RoleName(base)
	}
	db.CreateRole(t, names["tuist_app"], "LOGIN")
	db.CreateRole(t, names["tuist_ops_ro"], "LOGIN")
	if v >= 140000 {
		db.Exec(t, "GRANT pg_read_all_data TO "+ident.Quote(names["tuist_ops_ro"]))
	}
	db.CreateRole(t, names["tuist_web"], "LOGIN NOINHERIT")
	db.Exec(t, fmt.Sprintf("GRANT %s TO %s", ident.Quote(names["tuist_ops_ro"]), ident.Quote(names["tuist_web"])))
	db.CreateRole(t, names["tuist_processor"], "LOGIN")
	db.Exec(t, fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident.Quote(db.Name), ident.Quote(names["tuist_app"])))
	schema, err := os.ReadFile(filepath.Join("..", "examples", "tuist", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db.ExecAs(t, names["tuist_app"], string(schema))
	if v < 150000 {
		db.Exec(t, "ALTER SCHEMA public OWNER TO "+ident.Quote(names["tuist_app"]))
	}
	example := filepath.Join("..", "examples", "tuist", "policy.hcl")
	if v < 140000 {
		example = filepath.Join("..", "examples", "tuist", "pg13", "policy.hcl")
	}
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for base, name := range names {
		text = strings.ReplaceAll(text, `"`+base+`"`, `"`+name+`"`)
	}
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(text)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	applyPolicy(t, db.RoleURL(names["tuist_app"]), pol)

	roles := []string{names["tuist_app"], names["tuist_web"], names["tuist_processor"], names["tuist_ops_ro"]}
	out := roundTrip(t, db, importer.Options{Roles: roles})
	reproduce(t, db, roles, out, func(t *testing.T, b *pgtest.DB) {
		owner := ident.Quote(names["tuist_app"])
		b.Exec(t, fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident.Quote(b.Name), owner))
		b.Exec(t, "SET ROLE "+owner+";\n"+string(schema)+"\nRESET ROLE;")
		if v < 150000 {
			b.Exec(t, "ALTER SCHEMA public OWNER TO "+owner)
		}
	}, nil)
	got, gotYAML := string(out.hcl), string(out.yaml)
	for _, want := range []string{
		`names      = ["project_handles", "schema_migrations"]`, // web: every table, SELECT only on these
		`privileges = local.dml`,
		`default_privileges "table"`,
		`public {`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the import lacks %q:\n%s", want, got)
		}
	}
	for _, want := range []string{
		"          names: [project_handles, schema_migrations]\n          privileges: [SELECT]\n",
		"privileges: ${local.dml}",
		"    default_privileges:\n      - table:\n",
		"\npublic:\n",
	} {
		if !strings.Contains(gotYAML, want) {
			t.Errorf("the YAML import lacks %q:\n%s", want, gotYAML)
		}
	}
	if v >= 160000 && !strings.Contains(got, "inherit = false") {
		t.Errorf("the import lacks web's NOINHERIT membership:\n%s", got)
	}
	if v >= 160000 && !strings.Contains(gotYAML, "inherit: false") {
		t.Errorf("the YAML import lacks web's NOINHERIT membership:\n%s", gotYAML)
	}
}

// quotingSQL uses names that need quoting everywhere: upper case, spaces,
// quotes, HCL template sequences, keywords and characters outside ASCII.
// quotingRoles, quotingDDL and quotingGrants use names that need quoting
// everywhere: upper case, spaces, quotes, HCL template sequences, keywords
// and characters outside ASCII.
const quotingRoles = `
CREATE ROLE @owner NOLOGIN;
CREATE ROLE @web NOLOGIN;
CREATE ROLE @weird NOLOGIN;
CREATE ROLE @uni NOLOGIN;
GRANT @web TO @weird;
`

// quotingDDL creates the objects, as @owner, without grants.
const quotingDDL = `
CREATE SCHEMA "My Schema" AUTHORIZATION @owner;
CREATE SCHEMA "s""q ${x}" AUTHORIZATION @owner;
SET ROLE @owner;
CREATE TABLE "My Schema"."Order" (id int, "Email Address" text);
CREATE TABLE "My Schema"."select" (id int);
CREATE TABLE "My Schema"."with space" (id int);
CREATE TABLE "My Schema"."quote""d" (id int);
CREATE TABLE "My Schema"."ünïcødé" (id int);
CREATE TABLE "My Schema"."Camel_One" (id int);
CREATE TABLE "My Schema"."Camel_Two" (id int);
CREATE TABLE "My Schema"."%{if x}" (id int);
CREATE TABLE "s""q ${x}"."t" (id int);
CREATE TYPE "My Schema"."Mood" AS ENUM ('ok');
CREATE FUNCTION "My Schema"."Do Thing"(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION "My Schema"."Do Thing"("My Schema"."Mood") RETURNS int LANGUAGE sql AS 'SELECT 2';
RESET ROLE;
`

const quotingGrants = `
SET ROLE @owner;
GRANT USAGE ON SCHEMA "My Schema", "s""q ${x}" TO @web, @weird, @uni;
GRANT SELECT ON ALL TABLES IN SCHEMA "My Schema" TO @web;
GRANT INSERT ON "My Schema"."Order", "My Schema"."quote""d" TO @web;
GRANT SELECT, UPDATE ON "My Schema"."Camel_One", "My Schema"."Camel_Two" TO @weird;
GRANT SELECT ("Email Address") ON "My Schema"."Order" TO @uni;
GRANT SELECT ON "My Schema"."ünïcødé", "My Schema"."%{if x}" TO @uni WITH GRANT OPTION;
GRANT SELECT ON "s""q ${x}"."t" TO @weird;
GRANT EXECUTE ON FUNCTION "My Schema"."Do Thing"(integer) TO @web;
GRANT EXECUTE ON FUNCTION "My Schema"."Do Thing"("My Schema"."Mood") TO @uni;
ALTER DEFAULT PRIVILEGES IN SCHEMA "My Schema" GRANT SELECT ON TABLES TO @web;
RESET ROLE;
`

// TestRoundTrip_quoting imports a database whose names all need quoting,
// in HCL and in YAML. YAML cannot name a role whose name holds "${" (a
// label is never a template): WriteYAML refuses it, and once that role is
// renamed to a name YAML needs quoted, the YAML import round-trips too.
// Applying either import to a fresh database with the same schema gives
// the same privileges.
func TestRoundTrip_quoting(t *testing.T) {
	db := pgtest.NewDB(t)
	names := map[string]string{
		"owner": db.RoleName("Owner"),
		"web":   db.RoleName("Web Role"),
		"weird": db.RoleName(`we"ird ${x} %{y}`),
		"uni":   db.RoleName("ünï"),
	}
	var pairs []string
	for k, n := range names {
		pairs = append(pairs, "@"+k, ident.Quote(n))
	}
	replacer := strings.NewReplacer(pairs...)
	ddl := replacer.Replace(quotingDDL)
	var roles []string
	for _, n := range names {
		db.DropRoleOnCleanup(n)
		roles = append(roles, n)
	}
	db.Exec(t, replacer.Replace(quotingRoles)+ddl+replacer.Replace(quotingGrants))
	schemas := []string{"My Schema", `s"q ${x}`}
	out := roundTrip(t, db, importer.Options{Roles: roles, Schemas: schemas})
	for _, want := range []string{`role "Web Role_`, `$${x}`, `%%{if x}`, `"Do Thing(integer)"`, `"Camel_*"`} {
		if !strings.Contains(string(out.hcl), want) {
			t.Errorf("the import lacks %s:\n%s", want, out.hcl)
		}
	}
	if out.yaml != nil {
		t.Fatalf("WriteYAML named the role %q", names["weird"])
	}

	renamed := db.RoleName(`we"ird: #x [y] - &a *b <<`)
	db.DropRoleOnCleanup(renamed)
	db.Exec(t, fmt.Sprintf("ALTER ROLE %s RENAME TO %s", ident.Quote(names["weird"]), ident.Quote(renamed)))
	for i, r := range roles {
		if r == names["weird"] {
			roles[i] = renamed
		}
	}
	out = roundTrip(t, db, importer.Options{Roles: roles, Schemas: schemas})
	if out.yaml == nil {
		t.Fatal("no YAML import")
	}
	for _, want := range []string{
		`'we"ird: #x [y] - &a *b <<_`, // a role key YAML reads otherwise
		`  Web Role_`,
		`schemas: [My Schema, 's"q $${x}']`,
		`'%%{if x}'`,
		`names: [Do Thing(integer)]`,
		`Camel_*`,
		`ünïcødé`,
	} {
		if !strings.Contains(string(out.yaml), want) {
			t.Errorf("the YAML import lacks %s:\n%s", want, out.yaml)
		}
	}
	reproduce(t, db, roles, out, func(t *testing.T, b *pgtest.DB) { b.Exec(t, ddl) }, nil)
}

// freshSQL is a database with privileges of every kind that a policy
// reproduces in full. Roles first, then the objects (ddl), then the grants.
const freshRoles = `
CREATE ROLE {owner} LOGIN;
CREATE ROLE {reader} NOLOGIN CONNECTION LIMIT 7 VALID UNTIL '2031-02-03 04:05:06+00';
CREATE ROLE {writer} NOLOGIN NOINHERIT CREATEDB;
CREATE ROLE {ops} NOLOGIN;
GRANT {reader} TO {writer} WITH ADMIN OPTION;
GRANT {ops} TO {reader};
GRANT CREATE ON TABLESPACE pg_default TO {ops};
`

const freshDDL = `
CREATE SCHEMA app AUTHORIZATION {owner};
CREATE SCHEMA archive AUTHORIZATION {owner};
CREATE FOREIGN DATA WRAPPER fresh_fdw;
CREATE SERVER fresh_srv FOREIGN DATA WRAPPER fresh_fdw;
SET ROLE {owner};
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO {reader};
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO {writer} WITH GRANT OPTION;
CREATE TABLE app.a (id bigserial PRIMARY KEY, secret text, note text);
CREATE TABLE app.b (id bigserial PRIMARY KEY);
CREATE TABLE app.c (id int);
CREATE VIEW app.v AS SELECT id FROM app.b;
CREATE MATERIALIZED VIEW app.mv AS SELECT 1 AS x;
CREATE TABLE archive.old_2024 (id int);
CREATE TABLE archive.old_2025 (id int);
CREATE TABLE archive.keep (id int);
CREATE TYPE app.color AS ENUM ('red');
CREATE DOMAIN app.pos AS integer CHECK (VALUE > 0);
CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION app.g(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION app.g(text) RETURNS int LANGUAGE sql AS 'SELECT 1';
SELECT lo_create(515151);
SELECT lo_create(515152);
RESET ROLE;
`

const freshGrants = `
GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {reader};
GRANT CREATE ON DATABASE {db} TO {ops};
GRANT USAGE ON FOREIGN DATA WRAPPER fresh_fdw TO {ops};
GRANT USAGE ON FOREIGN SERVER fresh_srv TO {ops} WITH GRANT OPTION;
SET ROLE {owner};
GRANT USAGE ON SCHEMA app, archive TO {reader};
GRANT USAGE, CREATE ON SCHEMA app TO {writer};
GRANT SELECT ON ALL TABLES IN SCHEMA app TO {reader};
REVOKE SELECT ON app.a FROM {reader};
GRANT SELECT (id, note) ON app.a TO {reader};
GRANT UPDATE (note) ON app.a TO {reader} WITH GRANT OPTION;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON app.a, app.b TO {writer};
GRANT REFERENCES, TRIGGER ON app.c TO {writer} WITH GRANT OPTION;
GRANT SELECT ON archive.old_2024, archive.old_2025 TO {reader};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA app TO {writer};
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC;
REVOKE EXECUTE ON ALL PROCEDURES IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.g(integer) TO {reader};
GRANT EXECUTE ON FUNCTION app.g(text) TO {writer};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO {ops};
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA app TO {ops};
GRANT USAGE ON TYPE app.color, app.pos TO {writer};
REVOKE USAGE ON TYPE app.color FROM PUBLIC;
REVOKE USAGE ON DOMAIN app.pos FROM PUBLIC;
GRANT SELECT ON LARGE OBJECT 515151 TO {reader};
GRANT SELECT, UPDATE ON LARGE OBJECT 515152 TO {writer} WITH GRANT OPTION;
RESET ROLE;
`

// TestRoundTrip_freshDatabase imports a database, then builds another one
// with the same schema, resets what roles carry across the cluster
// (memberships, attributes, tablespace and parameter grants), applies the
// import there and compares: the same privileges as (object, grantee,
// privilege, grant option), the same default privileges, memberships and
// attributes. It does so once with the HCL import and once with the YAML
// one, each on a fresh database of its own.
func TestRoundTrip_freshDatabase(t *testing.T) {
	a := pgtest.NewDB(t)
	v := a.Server.Version()
	roles := setupScript(t, a, freshRoles)
	owner := a.RoleName("owner")
	a.Exec(t, fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident.Quote(a.Name), ident.Quote(owner)))
	ddl, _ := expand(a, freshDDL)
	a.Exec(t, ddl)
	grants, _ := expand(a, freshGrants)
	if v >= 150000 {
		grants += fmt.Sprintf("GRANT SET ON PARAMETER log_statement_stats TO %s;\n", ident.Quote(a.RoleName("ops")))
		t.Cleanup(func() { a.Exec(t, "REVOKE SET ON PARAMETER log_statement_stats FROM "+ident.Quote(a.RoleName("ops"))) })
	}
	a.Exec(t, grants)

	out := roundTrip(t, a, importer.Options{Roles: roles, ManageRoles: true})
	for _, n := range out.im.Notes {
		if n.Reason != importer.ReasonOwnerPrivileges {
			t.Errorf("unexpected note: %s", n.Text)
		}
	}
	reproduce(t, a, roles, out, func(t *testing.T, b *pgtest.DB) {
		b.Exec(t, fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident.Quote(b.Name), ident.Quote(owner)))
		b.Exec(t, ddl)
	}, func(t *testing.T) {
		// What the roles carry across the cluster goes; the policy brings it back.
		for _, r := range roles {
			a.Exec(t, "ALTER ROLE "+ident.Quote(r)+" NOCREATEDB INHERIT CONNECTION LIMIT -1 VALID UNTIL 'infinity'")
		}
		a.Exec(t, expandSQL(a, `REVOKE {reader} FROM {writer}; REVOKE {ops} FROM {reader}; REVOKE CREATE ON TABLESPACE pg_default FROM {ops};`))
		if v >= 150000 {
			a.Exec(t, "REVOKE SET ON PARAMETER log_statement_stats FROM "+ident.Quote(a.RoleName("ops")))
		}
	})
}

// reproduce applies the import of database a, once as HCL and once as
// YAML, each time to a fresh database that setup gives a's schema (its
// objects, without their grants), after reset (if any) has undone what
// the roles carry across the cluster. Then plan against the fresh
// database is empty, and it holds what a holds: the same privileges as
// (object, grantee, privilege, grant option), the same default
// privileges, memberships and attributes of the roles.
func reproduce(t *testing.T, a *pgtest.DB, roles []string, out imported, setup func(*testing.T, *pgtest.DB), reset func(*testing.T)) {
	t.Helper()
	reproduceExcept(t, a, roles, out, setup, reset, nil)
}

// reproduceExcept is reproduce, but when except is set it leaves out of
// the comparison, on both sides, what except finds in a's catalog that
// the import's notes say a policy cannot reproduce.
func reproduceExcept(t *testing.T, a *pgtest.DB, roles []string, out imported, setup func(*testing.T, *pgtest.DB), reset func(*testing.T),
	except func(*testing.T, *catalog.Catalog) *unreproducible) {
	t.Helper()
	before := readCatalog(t, a, nil)
	var skip *unreproducible
	if except != nil {
		skip = except(t, before)
	}
	if out.yaml == nil {
		t.Fatal("no YAML import")
	}
	for _, f := range []struct {
		name string
		src  []byte
		pol  *policy.Policy
	}{{"hcl", out.hcl, out.pol}, {"yaml", out.yaml, loadYAML(t, out.yaml)}} {
		t.Run("fresh database, "+f.name, func(t *testing.T) {
			if reset != nil {
				reset(t)
			}
			b := pgtest.NewDBOn(t, a.Server)
			setup(t, b)
			// The database name is part of the grants on it: point the policy at b.
			applyPolicy(t, b.URL, f.pol)
			if p := livePlan(t, b, f.pol); !p.Empty() {
				t.Errorf("plan after apply is not empty:\n%s", planText(p))
			}
			after := readCatalog(t, b, nil)

			if skip == nil {
				diffLists(t, "privileges", objectFacts(before, roles), objectFacts(after, roles))
				diffLists(t, "default privileges", defaultFacts(before, roles), defaultFacts(after, roles))
			} else {
				diffLists(t, "privileges", skip.objectFacts(before, roles), skip.objectFacts(after, roles))
				diffLists(t, "default privileges", defaultFactsExcept(before, roles, selfOrBuiltinPublic), defaultFactsExcept(after, roles, selfOrBuiltinPublic))
				skip.checkDefaults(t, after)
			}
			diffLists(t, "cluster-wide privileges", clusterFacts(before, roles), clusterFacts(after, roles))
			diffLists(t, "memberships", membershipFacts(before, roles), membershipFacts(after, roles))
			diffLists(t, "attributes", attributeFacts(before, roles), attributeFacts(after, roles))
			if t.Failed() {
				t.Logf("policy:\n%s", f.src)
			}
		})
	}
}

func expandSQL(db *pgtest.DB, sql string) string {
	s, _ := expand(db, sql)
	return s
}

var oracleCases = flag.Int("import.oracle", 12, "random databases of the oracle generator TestRoundTrip_oracle imports")

// TestRoundTrip_oracle imports random databases of the oracle generator
// (internal/testkit/oracle): plan against each is empty, save for the privileges
// granted by a third grantor that the notes announce. Then, in HCL and in
// YAML, the import applied to a fresh database with the same schema (the
// case without its grants, default privileges and memberships, with the
// same roles) gives the same privileges as (object, grantee, privilege,
// grant option), the same default privileges and memberships, leaving out
// only what the notes say a policy cannot reproduce (see
// notedUnreproducible). Privileges a third grantor gave are not left out:
// the policy asks for them, and the owner grants them.
func TestRoundTrip_oracle(t *testing.T) {
	srv := pgtest.Shared(t)
	for seed := uint64(1); seed <= uint64(*oracleCases); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := oracle.Generate(seed, srv.Version())
			db := pgtest.NewDBOn(t, srv)
			m := c.Materialize(db.Name, db.RoleName)
			var roles []string
			for _, r := range m.Roles {
				db.CreateRole(t, r.Name, r.Options)
				roles = append(roles, r.Name)
			}
			if err := m.Setup(context.Background(), db.Conn(t)); err != nil {
				t.Fatalf("setup: %v", err)
			}
			out := roundTrip(t, db, importer.Options{Roles: roles})
			schema := c.WithoutPrivileges()
			reproduceExcept(t, db, roles, out, func(t *testing.T, b *pgtest.DB) {
				// The roles of db: they exist, and hold their memberships.
				if err := schema.Materialize(b.Name, db.RoleName).Setup(context.Background(), b.Conn(t)); err != nil {
					t.Fatalf("setup of the fresh database: %v", err)
				}
			}, nil, func(t *testing.T, before *catalog.Catalog) *unreproducible {
				return notedUnreproducible(t, before, out.im)
			})
			if t.Failed() {
				t.Logf("setup:\n%s", m.SQL())
			}
		})
	}
}

// unreproducible is what the notes of an import say a policy cannot
// reproduce, as the facts of the source database that a fresh-database
// check leaves out, on both sides.
type unreproducible struct {
	version int
	// facts holds (object, grantee, privilege), whatever the grant option.
	facts map[[3]string]bool
}

// objectFacts is objectFacts without the facts left out.
func (u *unreproducible) objectFacts(c *catalog.Catalog, roles []string) []fact {
	var out []fact
	for _, f := range objectFacts(c, roles) {
		if !u.facts[[3]string{f.object, f.grantee, f.priv}] {
			out = append(out, f)
		}
	}
	return out
}

// selfOrBuiltinPublic picks the default privilege items of the creating
// role itself, which a policy cannot declare (see defaultSelfPublic), and
// PUBLIC's item of a global row when it is PostgreSQL's built-in default,
// which is the same as no row.
func selfOrBuiltinPublic(d *catalog.DefaultACL, it acl.Item) bool {
	if it.Grantee.IsPublic() {
		return d.Schema == "" && it.Privs.Privs == d.Kind.PublicDefault()
	}
	return string(it.Grantee) == d.ForRole
}

// defaultSelfPublic is what a default privilege row gives the creating
// role itself and PUBLIC, and what it gives them by itself, as the notes
// see it: a global row starts from acldefault (the creator holds every
// privilege, PUBLIC holds EXECUTE on functions and USAGE on types), a
// per-schema row from nothing. A row whose items equal the built-in ones
// gives them what no row gives them.
func defaultSelfPublic(d *catalog.DefaultACL, version int) (self, pub, wantSelf, wantPub acl.Priv) {
	for _, it := range d.ACL {
		switch {
		case it.Grantee.IsPublic():
			pub |= it.Privs.Privs
		case string(it.Grantee) == d.ForRole:
			self |= it.Privs.Privs
		}
	}
	if d.Schema == "" {
		wantSelf = acl.Valid(d.Kind, version)
		switch d.Kind {
		case acl.KindFunction:
			wantPub = acl.Execute
		case acl.KindType:
			wantPub = acl.Usage
		}
	}
	return self, pub, wantSelf, wantPub
}

// checkDefaults checks that the default privileges of the fresh database
// give the creating roles themselves what they give by themselves: a
// policy never declares those items, so applying it leaves them built-in.
// PUBLIC's items are compared with the source's, as any grantee's.
func (u *unreproducible) checkDefaults(t *testing.T, c *catalog.Catalog) {
	t.Helper()
	for _, d := range c.DefaultPrivileges {
		self, _, wantSelf, _ := defaultSelfPublic(d, u.version)
		if self != wantSelf {
			t.Errorf("default privileges for %s in %q on %ss give the role itself %s, not the built-in %s", d.ForRole, d.Schema, d.Kind, self, wantSelf)
		}
	}
}

// notedUnreproducible finds in the catalog of an imported database what
// the notes of its import say a policy cannot reproduce, by the rules
// notes.go follows, and checks that a note says so for each:
//
//   - an owner's own privileges it has revoked (owner-revoked): the owner
//     of a fresh object holds them all;
//   - default privilege items of the creating role itself (default-acl),
//     which are left out of the comparison altogether: a row that gives it
//     the built-in privileges is the same as no row, and the other rows
//     are noted.
//
// PUBLIC is compared as any grantee, on every object and in default
// privileges: the import reproduces it exactly (issue 13). Untrusted
// languages accept no GRANT and are neither managed nor imported; they
// compare as they are. A third grantor's grants are not in this list: the
// policy declares them, and the owner grants them.
func notedUnreproducible(t *testing.T, c *catalog.Catalog, im *importer.Import) *unreproducible {
	t.Helper()
	v := c.ServerVersion
	u := &unreproducible{version: v, facts: map[[3]string]bool{}}
	noted := func(r importer.Reason, role string, text ...string) bool {
		for _, n := range im.Notes {
			if n.Reason != r || n.Role != role {
				continue
			}
			ok := true
			for _, s := range text {
				ok = ok && strings.Contains(n.Text, s)
			}
			if ok {
				return true
			}
		}
		return false
	}
	for _, o := range c.Objects {
		if o.Kind == acl.KindLanguage && o.Subkind == 'u' {
			continue
		}
		key := factObject(o)
		if o.Kind == acl.KindColumn || o.Kind == acl.KindParameter {
			continue
		}
		var self acl.Priv
		for _, it := range o.ACL {
			if string(it.Grantee) == o.Owner && it.Grantor == o.Owner {
				self |= it.Privs.Privs
			}
		}
		if missing := acl.Valid(o.Kind, v) &^ self; missing != 0 {
			if !noted(importer.ReasonOwnerRevoked, o.Owner, "its own "+missing.String()+" on ") {
				t.Errorf("%s has revoked its own %s on %s, and no note says so", o.Owner, missing, key)
			}
			missing.Each(func(p acl.Priv) { u.facts[[3]string{key, o.Owner, p.String()}] = true })
		}
	}
	for _, d := range c.DefaultPrivileges {
		self, _, wantSelf, _ := defaultSelfPublic(d, v)
		if self != wantSelf && !noted(importer.ReasonDefaultACL, d.ForRole, " itself "+privOrNothing(self)+" instead of ") {
			t.Errorf("default privileges for %s in %q on %ss give the role itself %s, and no note says so", d.ForRole, d.Schema, d.Kind, self)
		}
	}
	return u
}

func privOrNothing(p acl.Priv) string {
	if p == 0 {
		return "nothing"
	}
	return p.String()
}

// systemSchemaFacts is what the roles hold on the system schemas' own
// ACL, as (schema, grantee, privileges).
func systemSchemaFacts(c *catalog.Catalog, roles []string) []string {
	var out []string
	for _, o := range c.SystemSchemas {
		for _, it := range o.ACL {
			if it.Grantee.IsPublic() || slices.Contains(roles, string(it.Grantee)) {
				out = append(out, fmt.Sprintf("%s %s=%s", o.Name, it.Grantee, it.Privs))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestRoundTrip_systemSchemas: grants on the system schemas' own ACL
// (GRANT USAGE ON SCHEMA pg_catalog, information_schema TO ops) are
// imported as scope.system_schemas and rules that name the schemas,
// without bringing their contents into scope; plan against the original
// is empty, and applied to a fresh database the import gives the same
// ACLs. A policy that lists pg_catalog without a rule for a declared role
// revokes what the role holds there, leaves PUBLIC's USAGE alone (even
// with public { schema = [] }), and its patterns select only the schemas
// in scope.
func TestRoundTrip_systemSchemas(t *testing.T) {
	db := pgtest.NewDB(t)
	roles := setupScript(t, db, `
CREATE ROLE {owner} NOLOGIN;
CREATE ROLE {ops} NOLOGIN;
CREATE ROLE {web} NOLOGIN;
CREATE SCHEMA app AUTHORIZATION {owner};
GRANT USAGE ON SCHEMA app TO {ops}, {web};
GRANT USAGE ON SCHEMA pg_catalog, information_schema TO {ops};
GRANT USAGE ON SCHEMA pg_catalog TO {web} WITH GRANT OPTION;
`)
	ops := db.RoleName("ops")
	out := roundTrip(t, db, importer.Options{Roles: roles, Schemas: []string{"app"}})
	for _, want := range []string{
		`system_schemas = ["information_schema", "pg_catalog"]`,
		`names      = ["information_schema", "pg_catalog"]`,
		`names             = ["pg_catalog"]`,
		`with_grant_option = true`,
	} {
		if !strings.Contains(string(out.hcl), want) {
			t.Errorf("the import lacks %s:\n%s", want, out.hcl)
		}
	}
	if !strings.Contains(string(out.yaml), "system_schemas: [information_schema, pg_catalog]") {
		t.Errorf("the YAML import lacks system_schemas:\n%s", out.yaml)
	}
	before := readCatalog(t, db, []string{"app"})
	if len(before.SystemSchemas) != 2 || slices.ContainsFunc(before.Objects, func(o *catalog.Object) bool { return o.Schema == "pg_catalog" }) {
		t.Errorf("the catalog holds %d system schemas, or pg_catalog's contents", len(before.SystemSchemas))
	}

	for _, f := range []struct {
		name string
		pol  *policy.Policy
	}{{"hcl", out.pol}, {"yaml", loadYAML(t, out.yaml)}} {
		t.Run("fresh database, "+f.name, func(t *testing.T) {
			b := pgtest.NewDBOn(t, db.Server)
			b.Exec(t, expandSQL(db, `CREATE SCHEMA app AUTHORIZATION {owner};`))
			applyPolicy(t, b.URL, f.pol)
			if p := livePlan(t, b, f.pol); !p.Empty() {
				t.Errorf("plan after apply is not empty:\n%s", planText(p))
			}
			diffLists(t, "system schema privileges", systemSchemaFacts(before, roles), systemSchemaFacts(readCatalog(t, b, []string{"app"}), roles))
		})
	}

	src := fmt.Sprintf(`
scope {
  schemas        = ["app"]
  system_schemas = ["pg_catalog"]
}
role %q {
  grant "schema" {
    names      = ["*"]
    privileges = ["USAGE"]
  }
}
public {
  schema = []
}
`, ops)
	pol, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	applyPolicy(t, db.URL, pol)
	after := systemSchemaFacts(readCatalog(t, db, []string{"app"}), roles)
	var want []string
	for _, f := range systemSchemaFacts(before, roles) {
		if !strings.HasPrefix(f, "pg_catalog "+ops+"=") {
			want = append(want, f)
		}
	}
	diffLists(t, "system schema privileges after the revoke", want, after)
	if p := livePlan(t, db, pol); !p.Empty() {
		t.Errorf("plan after apply is not empty:\n%s", planText(p))
	}
	var appUsage bool
	if err := db.Conn(t).QueryRow(context.Background(), "SELECT has_schema_privilege($1, 'app', 'USAGE')", ops).Scan(&appUsage); err != nil || !appUsage {
		t.Errorf("ops lost USAGE on app (%v)", err)
	}
}

// TestRoundTrip_rowTypes: the row types of tables and views are not
// managed (docs/policy.md, "Row types"). Those whose ACL was set are read
// into Catalog.RowTypes, never among the types; import notes what it
// leaves out and plan warns about it. public { type = [] } revokes PUBLIC's
// USAGE on every managed type (standalone composite, enum) and leaves row
// types alone, so a table created later is no drift.
func TestRoundTrip_rowTypes(t *testing.T) {
	db := pgtest.NewDB(t)
	roles := setupScript(t, db, `
CREATE ROLE {owner} NOLOGIN;
CREATE ROLE {ops} NOLOGIN;
CREATE SCHEMA app AUTHORIZATION {owner};
SET ROLE {owner};
CREATE TABLE app.t (id int);
CREATE VIEW app.v AS SELECT 1 AS x;
CREATE TYPE app.c AS (a int);
CREATE TYPE app.e AS ENUM ('x');
GRANT USAGE ON SCHEMA app TO {ops};
GRANT USAGE ON TYPE app.t, app.c TO {ops};
REVOKE USAGE ON TYPE app.v FROM PUBLIC;
RESET ROLE;
`)
	ops, owner := db.RoleName("ops"), db.RoleName("owner")
	c := readCatalog(t, db, []string{"app"})
	var rowTypes, types []string
	for _, o := range c.RowTypes {
		rowTypes = append(rowTypes, o.String())
	}
	for _, o := range c.Objects {
		if o.Kind == acl.KindType {
			types = append(types, o.String())
		}
	}
	if !slices.Equal(rowTypes, []string{"app.t", "app.v"}) || !slices.Equal(types, []string{"app.c", "app.e"}) {
		t.Errorf("row types %v, types %v; want [app.t app.v] and [app.c app.e]", rowTypes, types)
	}

	out := roundTrip(t, db, importer.Options{Roles: roles, Schemas: []string{"app"}})
	var notes []string
	for _, n := range out.im.Notes {
		if n.Reason == importer.ReasonRowType {
			notes = append(notes, n.Text)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0]+notes[1], ops+" holds USAGE on the row type of app.t;") ||
		!strings.Contains(notes[0]+notes[1], "PUBLIC's USAGE on the row type of app.v is revoked;") {
		t.Errorf("row type notes: %q", notes)
	}
	if !strings.Contains(string(out.hcl), `names      = ["c"]`) {
		t.Errorf("the import does not name type c alone:\n%s", out.hcl)
	}
	_, diags := plan.Build(out.pol, c, plan.Options{})
	warned := false
	for _, d := range diags {
		if d.Summary == "Privileges on row types are not managed" {
			warned = strings.Contains(d.Detail, "app.t ("+ops+" holds USAGE); app.v (PUBLIC's USAGE revoked)")
		}
	}
	if !warned {
		t.Errorf("no warning about the row types: %s", policy.FormatDiagnostics(diags))
	}

	src := fmt.Sprintf("scope {\n  schemas = [\"app\"]\n}\nrole %q {\n  grant \"type\" {\n    privileges = [\"USAGE\"]\n  }\n}\npublic {\n  type = []\n}\n", ops)
	pol, ld := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if ld.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(ld))
	}
	applyPolicy(t, db.URL, pol)
	db.Exec(t, "SET ROLE "+ident.Quote(owner)+"; CREATE TABLE app.later (id int); RESET ROLE")
	if p := livePlan(t, db, pol); !p.Empty() {
		t.Errorf("plan after apply and a new table is not empty:\n%s", planText(p))
	}
	for typ, want := range map[string]bool{"app.c": false, "app.e": false, "app.t": true, "app.later": true} {
		var got bool
		if err := db.Conn(t).QueryRow(context.Background(), "SELECT has_type_privilege('public', $1, 'USAGE')", typ).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PUBLIC's USAGE on %s: %t, want %t", typ, got, want)
		}
	}
}
