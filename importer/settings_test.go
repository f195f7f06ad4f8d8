package importer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// roleSettings reads role's pg_db_role_setting entries as
// "database|name=value", sorted.
func roleSettings(t *testing.T, db *pgtest.DB, role string) []string {
	t.Helper()
	rows, err := db.Conn(t).Query(context.Background(), `
SELECT COALESCE(d.datname::text, '') || '|' || c
FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
WHERE s.setrole = $1::regrole`, ident.Quote(role))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestRoundTrip_settings: settings set by hand (a list with quoted
// elements, a list parameter without quoting, units, a hostile string, a
// custom parameter, a value for one database) are imported in HCL and YAML
// so that plan finds nothing to do; applied to the role once its settings
// are reset, the import gives PostgreSQL the same text back.
func TestRoundTrip_settings(t *testing.T) {
	db := pgtest.NewDB(t)
	web, plain := db.RoleName("web"), db.RoleName("plain")
	db.CreateRole(t, web, "")
	db.CreateRole(t, plain, "")
	r := ident.Quote(web)
	db.Exec(t, fmt.Sprintf(`ALTER ROLE %[1]s SET statement_timeout = '5s';
ALTER ROLE %[1]s SET search_path = "$user", public, "My Schema";
ALTER ROLE %[1]s SET temp_tablespaces = 'pg_default';
ALTER ROLE %[1]s SET datestyle = iso, mdy;
ALTER ROLE %[1]s SET application_name = 'a ${x} %%{y} ''q'' "d", \n';
ALTER ROLE %[1]s SET myapp.tenant = 'acme';
ALTER ROLE %[1]s IN DATABASE %[2]s SET lock_timeout = 2000`, r, ident.Quote(db.Name)))
	before := roleSettings(t, db, web)
	if len(before) != 7 {
		t.Fatalf("setup: %q", before)
	}
	out := roundTrip(t, db, importer.Options{Roles: []string{web, plain}})
	flat := strings.Join(strings.Fields(string(out.hcl)), " ")
	for _, want := range []string{`search_path = ["$user", "public", "My Schema"]`, `"myapp.tenant" = "acme"`, `lock_timeout = "2000"`, `$${x}`} {
		if !strings.Contains(flat, want) {
			t.Errorf("the import lacks %s:\n%s", want, out.hcl)
		}
	}
	if strings.Count(string(out.hcl), "settings") != 2 {
		t.Errorf("want settings and database_settings for %s only:\n%s", web, out.hcl)
	}
	if out.yaml == nil || !strings.Contains(string(out.yaml), `search_path: [$user, public, My Schema]`) {
		t.Errorf("the YAML import lacks search_path as a list:\n%s", out.yaml)
	}
	// Imported roles are external: apply reports their settings, never
	// changes them. Managed, the import must set them again.
	for _, role := range out.pol.Roles {
		role.External = false
	}
	db.Exec(t, fmt.Sprintf("ALTER ROLE %s RESET ALL; ALTER ROLE %s IN DATABASE %s RESET ALL", r, r, ident.Quote(db.Name)))
	applyPolicy(t, db.URL, out.pol)
	if got := roleSettings(t, db, web); !slices.Equal(got, before) {
		t.Errorf("applied import:\n got %q\nwant %q", got, before)
	}
}
