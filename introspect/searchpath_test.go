package introspect_test

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/connstr"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/introspect"
)

// TestRead_searchPathProof: a function whose argument types live in an
// application schema, or shadow a built-in type, is named the same through
// every connection, whichever of the three ways sets a hostile search_path
// (the URL's options, ALTER ROLE … SET, ALTER DATABASE … SET); connstr's
// connections start with ident.SearchPath, and Read pins it for
// connections it did not open.
func TestRead_searchPathProof(t *testing.T) {
	db := pgtest.NewDB(t)
	user := db.RoleName("reader")
	db.CreateRole(t, user, "LOGIN")
	db.Exec(t, `
CREATE SCHEMA "My Schema";
CREATE DOMAIN "My Schema"."D" AS integer;
CREATE FUNCTION "My Schema"."Fn"(x "My Schema"."D", y text) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE SCHEMA evil;
CREATE DOMAIN evil.text AS integer; -- shadows pg_catalog.text where evil comes first
CREATE FUNCTION evil.g(pg_catalog.text) RETURNS int LANGUAGE sql AS 'SELECT 1';
-- search_path skips the schemas a role cannot use
GRANT USAGE ON SCHEMA "My Schema", evil TO `+ident.Quote(user))
	scope := introspect.Scope{Schemas: []string{"My Schema", "evil"}}
	hostile := `"My Schema", evil, pg_catalog`

	// read connects with plain pgx, not connstr: only Read's own pin is at
	// work there.
	base := read(t, db.RoleURL(user), scope)
	want := map[string]string{"My Schema.Fn": `"My Schema"."D", text`, "evil.g": "text"}
	for _, o := range base.Objects {
		if o.Kind == acl.KindFunction {
			if got, ok := want[o.Schema+"."+o.Name]; !ok || got != o.ArgTypes {
				t.Errorf("%s.%s(%s): want argument types %q", o.Schema, o.Name, o.ArgTypes, want[o.Schema+"."+o.Name])
			}
			delete(want, o.Schema+"."+o.Name)
		}
	}
	if len(want) > 0 {
		t.Fatalf("functions not read: %v", want)
	}

	withOptions, err := url.Parse(db.RoleURL(user))
	if err != nil {
		t.Fatal(err)
	}
	// libpq decodes %20 but not "+", and its options escape a space with a
	// backslash.
	withOptions.RawQuery = "options=" + strings.ReplaceAll(url.QueryEscape(`-c search_path="My\ Schema",evil,pg_catalog`), "+", "%20")

	ways := []struct {
		name       string
		url        string
		setup, end string
	}{
		{"URL options", withOptions.String(), "", ""},
		{"ALTER ROLE SET", db.RoleURL(user),
			fmt.Sprintf("ALTER ROLE %s SET search_path = %s", ident.Quote(user), hostile),
			fmt.Sprintf("ALTER ROLE %s RESET search_path", ident.Quote(user))},
		{"ALTER DATABASE SET", db.RoleURL(user),
			fmt.Sprintf("ALTER DATABASE %s SET search_path = %s", ident.Quote(db.Name), hostile),
			fmt.Sprintf("ALTER DATABASE %s RESET search_path", ident.Quote(db.Name))},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			if w.setup != "" {
				db.Exec(t, w.setup)
				defer db.Exec(t, w.end)
			}
			// The way works: an unpinned connection sees the hostile path.
			if got := showSearchPath(t, w.url, false); !strings.Contains(got, "evil") {
				t.Fatalf("an unpinned connection's search_path is %q, not %q: the test sets nothing", got, hostile)
			}
			if got := showSearchPath(t, w.url, true); got != ident.SearchPath {
				t.Errorf("connstr's connection has search_path %q, want %q", got, ident.SearchPath)
			}
			got := read(t, w.url, scope)
			// ALTER ROLE SET is itself catalog state, read as the role's
			// setting; the rest must be what the plain connection read.
			if r := got.Roles[user]; r != nil && len(r.Settings) > 0 {
				if w.name != "ALTER ROLE SET" || len(r.Settings) != 1 || r.Settings[0].Name != "search_path" || r.Settings[0].Database != "" {
					t.Errorf("role settings read: %+v", r.Settings)
				}
				r.Settings = nil
			} else if w.name == "ALTER ROLE SET" {
				t.Errorf("the role's search_path setting was not read")
			}
			if !reflect.DeepEqual(got, base) {
				t.Errorf("Read through a hostile search_path differs:\n got %s\nwant %s", functionsOf(got), functionsOf(base))
			}
		})
	}
}

func showSearchPath(t *testing.T, connURL string, pinned bool) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := connstr.ParseConfig(connURL)
	if err != nil {
		t.Fatal(err)
	}
	var conn *pgx.Conn
	if pinned {
		conn, err = connstr.ConnectConfig(ctx, cfg)
	} else {
		conn, err = pgx.ConnectConfig(ctx, cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sp string
	if err := conn.QueryRow(ctx, "SHOW search_path").Scan(&sp); err != nil {
		t.Fatal(err)
	}
	return sp
}

func functionsOf(c *catalog.Catalog) []string {
	var out []string
	for _, o := range c.Objects {
		if o.Kind == acl.KindFunction {
			out = append(out, o.Schema+"."+o.Name+"("+o.ArgTypes+")")
		}
	}
	return out
}
