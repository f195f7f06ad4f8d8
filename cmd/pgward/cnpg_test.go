package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestCNPG_importAndValidate: against a real PostgreSQL whose roles a
// CloudNativePG Cluster manages (web, a member of reader) and one it does
// not (owner), import --cnpg-cluster declares exactly the manifest's roles
// external; validate --cnpg-cluster accepts that import (exit 0), and
// reports, with both positions, an attribute the database and the manifest
// disagree on once the import carries it (exit 1). --external with
// --cnpg-cluster and a manifest with no Cluster are errors.
func TestCNPG_importAndValidate(t *testing.T) {
	db := pgtest.NewDB(t)
	pg := cli{t: t, url: db.URL}
	owner, web, reader := db.RoleName("owner"), db.RoleName("web"), db.RoleName("reader")
	db.CreateRole(t, owner, "LOGIN")
	db.CreateRole(t, reader, "NOLOGIN")
	db.CreateRole(t, web, "LOGIN CONNECTION LIMIT 10")
	db.Exec(t, fmt.Sprintf("GRANT %q TO %q", reader, web))
	db.Exec(t, fmt.Sprintf("CREATE SCHEMA app AUTHORIZATION %q", owner))
	db.ExecAs(t, owner, fmt.Sprintf("CREATE TABLE app.t (id int); GRANT USAGE ON SCHEMA app TO %q; GRANT SELECT ON app.t TO %q", reader, reader))

	dir := t.TempDir()
	manifest := filepath.Join(dir, "cluster.yaml")
	writeManifest := func(webLimit int) {
		src := fmt.Sprintf(`apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
spec:
  instances: 1
  managed:
    roles:
      - name: %s
        login: true
        connectionLimit: %d
        inRoles: [%s]
      - name: %s
`, web, webLimit, reader, reader)
		if err := os.WriteFile(manifest, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeManifest(10)
	out := filepath.Join(dir, "policy.hcl")
	args := []string{"import", "--roles", owner, "--roles", web, "--roles", reader, "--schemas", "app", "--cnpg-cluster", manifest, "-o", out}
	pg.expect(0, args...)
	src := fmtReadFile(t, out)
	for _, r := range []struct {
		name     string
		external bool
	}{{owner, false}, {web, true}, {reader, true}} {
		block := roleBlock(t, src, r.name)
		if got := externalTrue.MatchString(block); got != r.external {
			t.Errorf("role %s: external %t, want %t:\n%s", r.name, got, r.external, block)
		}
	}
	if stdout, _ := pg.expect(0, "plan", "--policy", out); !strings.Contains(stdout, "No changes.") {
		t.Errorf("plan of the import is not empty:\n%s", stdout)
	}
	// owner is no role of the Cluster, and managed: nothing to report.
	stdout, stderr := pg.expect(0, "validate", "--policy", out, "--cnpg-cluster", manifest)
	if !strings.Contains(stdout, "The policy is valid") || stderr != "" {
		t.Errorf("validate: stdout %q stderr %q", stdout, stderr)
	}

	// The manifest now says 20 connections; the import (from the
	// database) says 10.
	writeManifest(20)
	_, stderr = pg.expect(1, "validate", "--policy", out, "--cnpg-cluster", manifest)
	wantPolicy := out + ":"
	wantManifest := fmt.Sprintf(`connectionLimit: 20 at %s:11:26`, manifest)
	if !strings.Contains(stderr, wantPolicy) || !strings.Contains(stderr, wantManifest) ||
		!strings.Contains(stderr, fmt.Sprintf(`error: External role %q: connection_limit differs from CloudNativePG`, web)) {
		t.Errorf("validate's report lacks %q and %q:\n%s", wantPolicy, wantManifest, stderr)
	}

	_, stderr = pg.expect(1, append(args, "--external")...)
	if !strings.Contains(stderr, "--cnpg-cluster decides which roles are external") {
		t.Errorf("--external with --cnpg-cluster: %q", stderr)
	}
	notCluster := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(notCluster, []byte("apiVersion: v1\nkind: Secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr = pg.expect(1, "import", "--roles", web, "--cnpg-cluster", notCluster)
	if want := notCluster + ":1:1: error: No CloudNativePG Cluster in the manifest"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
}

var externalTrue = regexp.MustCompile(`(?m)^  external +\= true$`)

// roleBlock is the text of the role block of name in an imported HCL
// policy.
func roleBlock(t *testing.T, src, name string) string {
	t.Helper()
	start := strings.Index(src, "role "+hclString(name)+" {")
	if start < 0 {
		t.Fatalf("no role %s in:\n%s", name, src)
	}
	end := strings.Index(src[start:], "\n}\n")
	if end < 0 {
		return src[start:]
	}
	return src[start : start+end]
}
