package cnpg_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/cnpg"
	"github.com/pgward/pgward/policy"
)

// A manifest written from CloudNativePG's RoleConfiguration field list
// (api/v1: name, comment, ensure, passwordSecret, connectionLimit,
// validUntil, inRoles, inherit, disablePassword, superuser, createdb,
// createrole, login, replication, bypassrls), with a Secret before it: a
// file kubectl applies often holds several documents.
const manifest = `apiVersion: v1
kind: Secret
metadata:
  name: web-password
stringData:
  password: not-read
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: tuist-db
spec:
  instances: 3
  bootstrap:
    initdb:
      database: tuist
      owner: tuist_app
  managed:
    roles:
      - name: tuist_web
        ensure: present
        comment: the web tier
        login: true
        inherit: false
        connectionLimit: 20
        validUntil: "2027-01-31T00:00:00Z"
        passwordSecret:
          name: web-password
        inRoles:
          - pg_read_all_data
      - name: tuist_worker
        login: true
        disablePassword: true
      - name: tuist_old
        ensure: absent
      - name: tuist_ops
        superuser: true
        createdb: true
        createrole: true
        replication: true
        bypassrls: true
`

func write(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lines renders diagnostics as "file:line:col: severity: summary | detail"
// with the directory cut, for comparison.
func lines(dir string, diags hcl.Diagnostics) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(policy.FormatDiagnostics(diags)), "\n") {
		if l != "" {
			out = append(out, strings.ReplaceAll(l, dir+string(filepath.Separator), ""))
		}
	}
	return out
}

func TestParse_fieldsAndDefaults(t *testing.T) {
	clusters, diags := cnpg.Parse("cluster.yaml", []byte(manifest))
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	if len(clusters) != 1 || clusters[0].Name != "tuist-db" || clusters[0].Owner != "tuist_app" {
		t.Fatalf("clusters: %+v", clusters)
	}
	roles := clusters[0].Roles
	if len(roles) != 4 {
		t.Fatalf("%d roles, want 4", len(roles))
	}
	web, worker, old, ops := roles[0], roles[1], roles[2], roles[3]
	if !web.Login || web.Inherit || web.ConnectionLimit != 20 || web.ValidUntil == nil || web.ValidUntil.Year() != 2027 ||
		web.PasswordSecret != "web-password" || web.Comment != "the web tier" || len(web.InRoles) != 1 || web.Absent {
		t.Errorf("tuist_web: %+v", web)
	}
	if got := web.Where("connectionLimit"); got.Start.Line != 25 || got.Start.Column != 26 {
		t.Errorf("connectionLimit at %d:%d, want 25:26", got.Start.Line, got.Start.Column)
	}
	// CloudNativePG's defaults for the fields left out.
	if !worker.Inherit || worker.ConnectionLimit != -1 || worker.ValidUntil != nil || worker.CreateDB || !worker.DisablePassword {
		t.Errorf("tuist_worker defaults: %+v", worker)
	}
	if got := worker.Where("inherit"); got.Start.Line != 31 {
		t.Errorf("a field left out points at the role's entry, line 31; got %d", got.Start.Line)
	}
	if !old.Absent {
		t.Errorf("tuist_old: ensure: absent not read")
	}
	if !ops.Superuser || !ops.CreateDB || !ops.CreateRole || !ops.Replication || !ops.BypassRLS || ops.Login {
		t.Errorf("tuist_ops: %+v", ops)
	}
	if got, want := strings.Join(cnpg.Names(clusters), ","), "tuist_web,tuist_worker,tuist_ops"; got != want {
		t.Errorf("Names = %s, want %s (ensure: absent left out)", got, want)
	}
}

func TestParse_errors(t *testing.T) {
	head := "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: c\nspec:\n  managed:\n    roles:\n"
	tests := []struct {
		name, src, want string
	}{
		{"unknown field", head + "      - name: a\n        lgoin: true\n", `cluster.yaml:9:9: error: Unknown field of a managed role; CloudNativePG's RoleConfiguration has no field "lgoin". Did you mean "login"?`},
		{"bool as text", head + "      - name: a\n        login: \"yes\"\n", `cluster.yaml:9:16: error: Invalid login; login is true or false, not "yes".`},
		{"connection limit", head + "      - name: a\n        connectionLimit: lots\n", `cluster.yaml:9:26: error: Invalid connectionLimit`},
		{"valid until", head + "      - name: a\n        validUntil: tomorrow\n", `cluster.yaml:9:21: error: Invalid validUntil`},
		{"ensure", head + "      - name: a\n        ensure: gone\n", `cluster.yaml:9:17: error: Invalid ensure; ensure is present or absent, not "gone".`},
		{"no name", head + "      - login: true\n", `cluster.yaml:8:9: error: Role without a name`},
		{"twice", head + "      - name: a\n      - name: a\n", `cluster.yaml:9:15: error: Role declared twice in the Cluster; Role "a" is already declared at cluster.yaml:8:15`},
		{"no cluster", "apiVersion: v1\nkind: Secret\n", `cluster.yaml:1:1: error: No CloudNativePG Cluster in the manifest`},
		{"not yaml", "kind: [Cluster\n", `cluster.yaml:1:1: error: Invalid YAML in the CloudNativePG manifest`},
		{"roles not a list", head[:len(head)-1] + " {name: a}\n", `cluster.yaml:7:12: error: Invalid spec.managed.roles`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clusters, diags := cnpg.Parse("cluster.yaml", []byte(tt.src))
			if !diags.HasErrors() || clusters != nil {
				t.Fatalf("no error; clusters %+v", clusters)
			}
			got := policy.FormatDiagnostics(diags)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %s\nwant %s…", got, tt.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   []string
	}{
		{"agrees", `
role "tuist_web" {
  external         = true
  login            = true
  inherit          = false
  connection_limit = 20
  valid_until      = "2027-01-31T00:00:00Z"
  member_of "pg_read_all_data" {}
}
role "tuist_worker" {
  external = true
  login    = true
  inherit  = true
  createdb = false
  connection_limit = -1
  valid_until = "infinity"
}
role "tuist_app" {
  external = true
}
role "readonly_elsewhere" {}
`, nil},
		{"attributes differ", `
role "tuist_web" {
  external         = true
  login            = false
  inherit          = false
  connection_limit = 5
  valid_until      = "2028-01-01T00:00:00Z"
  member_of "pg_read_all_data" {}
}
role "tuist_worker" {
  external = true
  inherit  = false
  createrole = true
}
`, []string{
			`policy.hcl:4:3: error: External role "tuist_web": login differs from CloudNativePG; The policy says login = false; Cluster "tuist-db" says login: true at cluster.yaml:23:16. Change one of them: CloudNativePG sets the role as its manifest says.`,
			`policy.hcl:6:3: error: External role "tuist_web": connection_limit differs from CloudNativePG; The policy says connection_limit = 5; Cluster "tuist-db" says connectionLimit: 20 at cluster.yaml:25:26. Change one of them: CloudNativePG sets the role as its manifest says.`,
			`policy.hcl:7:3: error: External role "tuist_web": valid_until differs from CloudNativePG; The policy says valid_until = "2028-01-01T00:00:00Z"; Cluster "tuist-db" says validUntil: 2027-01-31T00:00:00Z at cluster.yaml:26:21. Change one of them: CloudNativePG sets the role as its manifest says.`,
			`policy.hcl:12:3: error: External role "tuist_worker": inherit differs from CloudNativePG; The policy says inherit = false; Cluster "tuist-db" says inherit: true at cluster.yaml:31:9 (left out: CloudNativePG's default). Change one of them: CloudNativePG sets the role as its manifest says.`,
			`policy.hcl:13:3: error: External role "tuist_worker": createrole differs from CloudNativePG; The policy says createrole = true; Cluster "tuist-db" says createrole: false at cluster.yaml:31:9 (left out: CloudNativePG's default). Change one of them: CloudNativePG sets the role as its manifest says.`,
		}},
		{"memberships differ", `
role "tuist_web" {
  external = true
}
role "tuist_worker" {
  external = true
  member_of "pg_monitor" {}
}
role "tuist_ops" {
  external = true
  member_of "pg_read_all_data" {
    admin = true
  }
}
`, []string{
			`policy.hcl:2:1: error: External role "tuist_web": member of "pg_read_all_data" only in CloudNativePG; Cluster "tuist-db" makes tuist_web a member of pg_read_all_data at cluster.yaml:30:13; the policy has no member_of "pg_read_all_data" for it`,
			`policy.hcl:7:3: error: External role "tuist_worker": member of "pg_monitor" only in the policy; The policy makes tuist_worker a member of pg_monitor; Cluster "tuist-db" does not list pg_monitor in its inRoles (cluster.yaml:31:9)`,
			`policy.hcl:9:1: warning: Role "tuist_ops" is a superuser in CloudNativePG; Cluster "tuist-db" says superuser: true at cluster.yaml:37:20`,
			`policy.hcl:11:3: error: External role "tuist_ops": member of "pg_read_all_data" only in the policy`,
		}},
		{"managed by both", `
role "tuist_web" {
  login = true
}
`, []string{
			`policy.hcl:2:1: error: Role "tuist_web" is managed by CloudNativePG; Cluster "tuist-db" manages tuist_web at cluster.yaml:20:15, and the policy manages its attributes and memberships too: each would undo the other's changes. Add external = true to the role`,
		}},
		{"removed by the operator", `
role "tuist_old" {
  external = true
}
role "tuist_gone" {
  external = true
  ensure   = "absent"
}
`, []string{
			`policy.hcl:2:1: error: CloudNativePG removes role "tuist_old"; Cluster "tuist-db" says ensure: absent at cluster.yaml:35:17, so the operator drops the role the policy grants to.`,
			`policy.hcl:5:1: warning: External role "tuist_gone" is not in the CloudNativePG manifest; No Cluster of cluster.yaml lists tuist_gone in spec.managed.roles, nor creates it at bootstrap.`,
		}},
		{"retired on both sides", `
role "tuist_old" {
  external = true
  ensure   = "absent"
}
`, nil},
		{"reserved and bootstrap roles", `
role "streaming_replica" {
  external = true
}
role "tuist_app" {
  external = true
}
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mpath := write(t, dir, "cluster.yaml", manifest)
			ppath := write(t, dir, "policy.hcl", tt.policy)
			pol, diags := policy.LoadPath(ppath, policy.LoadOptions{})
			if diags.HasErrors() {
				t.Fatal(policy.FormatDiagnostics(diags))
			}
			clusters, diags := cnpg.Load(mpath)
			if diags.HasErrors() {
				t.Fatal(policy.FormatDiagnostics(diags))
			}
			got := lines(dir, cnpg.Compare(pol, clusters))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("diagnostic %d:\ngot  %s\nwant %s…", i, got[i], tt.want[i])
				}
			}
		})
	}
}
