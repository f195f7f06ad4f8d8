package importer_test

import (
	"bytes"
	"flag"
	goldenfile "github.com/pgward/pgward/internal/testkit/golden"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/importer"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/testkit/pgtest"
	"github.com/pgward/pgward/policy"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden imports each database of testdata/<case>/setup.sql and
// compares the HCL with want.hcl and the YAML with want.yaml, which must
// load as the same policy. The roles of a case are renamed back to
// their bases ({web} → web) and the database to "golden" before the import
// is built, so that the output is the same on every run; cluster-wide
// objects (tablespaces, parameters) are left out, since other tests share
// them. An optional file "options" holds one option per line: attributes,
// manage-roles, min-version N (server_version_num), schemas a,b. Without
// schemas the case imports the schemas app and audit.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "setup.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, setup := range dirs {
		dir := filepath.Dir(setup)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			sql, err := os.ReadFile(setup)
			if err != nil {
				t.Fatal(err)
			}
			opts, minVersion := readOptions(t, dir)
			db := pgtest.NewDB(t)
			if v := db.Server.Version(); v < minVersion {
				t.Skipf("needs server_version_num %d, have %d", minVersion, v)
			}
			roles := setupScript(t, db, string(sql))
			c := readCatalog(t, db, opts.Schemas)
			renames := map[string]string{}
			build := opts
			for _, r := range roles {
				renames[r] = r[:strings.LastIndexByte(r, '_')]
				build.Roles = append(build.Roles, renames[r])
			}
			renameCatalog(c, renames, "golden")
			build.Time = fixedTime
			im, err := importer.Build(c, build)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := importer.WriteHCL(&buf, im); err != nil {
				t.Fatal(err)
			}
			got := versionLine.ReplaceAll(buf.Bytes(), []byte("on PostgreSQL <version>"))
			golden(t, filepath.Join(dir, "want.hcl"), got)
			pol, diags := policy.Load(fstest.MapFS{"want.hcl": {Data: buf.Bytes()}}, ".", policy.LoadOptions{})
			if diags.HasErrors() {
				t.Fatal(policy.FormatDiagnostics(diags))
			}
			yamlSrc, _ := yamlTwin(t, im, buf.Bytes(), pol)
			golden(t, filepath.Join(dir, "want.yaml"), versionLine.ReplaceAll(yamlSrc, []byte("on PostgreSQL <version>")))

			// The same import, under the real names, round-trips.
			opts.Roles = roles
			roundTrip(t, db, opts)
		})
	}
}

var versionLine = regexp.MustCompile(`on PostgreSQL \d+\.\d+`)

func readOptions(t *testing.T, dir string) (importer.Options, int) {
	o := importer.Options{Schemas: []string{"app", "audit"}}
	minVersion := 0
	src, err := os.ReadFile(filepath.Join(dir, "options"))
	if os.IsNotExist(err) {
		return o, 0
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		key, value, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch key {
		case "":
		case "no-attributes":
			o.LeaveOutAttributes = true
		case "manage-roles":
			o.ManageRoles = true
		case "min-version":
			if minVersion, err = strconv.Atoi(value); err != nil {
				t.Fatal(err)
			}
		case "schemas":
			o.Schemas = strings.Split(value, ",")
		default:
			t.Fatalf("%s/options: unknown option %q", dir, key)
		}
	}
	return o, minVersion
}

// renameCatalog renames roles and the database everywhere in the catalog,
// leaves out tablespaces and parameters, and makes the connecting role
// "postgres".
func renameCatalog(c *catalog.Catalog, renames map[string]string, database string) {
	name := func(s string) string {
		if n, ok := renames[s]; ok {
			return n
		}
		return s
	}
	c.Database = database
	c.CurrentUser = "postgres"
	bases := map[string]bool{}
	for _, b := range renames {
		bases[b] = true
	}
	roles := map[string]*catalog.Role{}
	for n, r := range c.Roles {
		if _, renamed := renames[n]; !renamed && bases[n] {
			continue // a role of the cluster that has a base's name
		}
		r.Name = name(n)
		roles[r.Name] = r
	}
	c.Roles = roles
	for i := range c.Memberships {
		m := &c.Memberships[i]
		m.Role, m.Member, m.Grantor = name(m.Role), name(m.Member), name(m.Grantor)
	}
	items := func(its []acl.Item) {
		for i := range its {
			its[i].Grantee = acl.Grantee(name(string(its[i].Grantee)))
			its[i].Grantor = name(its[i].Grantor)
		}
	}
	var objs []*catalog.Object
	for _, o := range c.Objects {
		if o.Kind == acl.KindTablespace || o.Kind == acl.KindParameter {
			continue
		}
		if o.Kind == acl.KindDatabase {
			o.Name = database
		}
		o.Owner = name(o.Owner)
		items(o.ACL)
		objs = append(objs, o)
	}
	c.Objects = objs
	for _, d := range c.DefaultPrivileges {
		d.ForRole = name(d.ForRole)
		items(d.ACL)
	}
}

// golden compares got with the file, or rewrites the file under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got, *update, "update")
}
