package policy_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/policy"
)

// TestLoad_settings decodes settings and database_settings, in HCL and in
// YAML, to the same values.
func TestLoad_settings(t *testing.T) {
	files := map[string]string{
		"policy.hcl": `role "web" {
  settings = {
    statement_timeout = "5s"
    Lock_Timeout      = 5000
    search_path       = ["$user", "app"]
    "myapp.tenant"    = "it's"
    enable_seqscan    = false
  }
  database_settings = {
    reporting = { work_mem = "64MB" }
    archive   = {}
  }
}
`,
		"policy.yaml": `role:
  web:
    settings:
      statement_timeout: 5s
      Lock_Timeout: 5000
      search_path: [$user, app]
      myapp.tenant: it's
      enable_seqscan: false
    database_settings:
      reporting: {work_mem: 64MB}
      archive: {}
`,
	}
	for name, src := range files {
		t.Run(name, func(t *testing.T) {
			p, diags := policy.Load(fstest.MapFS{name: {Data: []byte(src)}}, ".", policy.LoadOptions{})
			if len(diags) != 0 {
				t.Fatal(policy.FormatDiagnostics(diags))
			}
			var got []string
			for _, rs := range p.Roles[0].Settings {
				for _, v := range rs.Values {
					kind := "="
					if v.IsList() {
						kind = "=list:"
					}
					got = append(got, rs.Database+"|"+v.Name+kind+v.Text())
				}
				if len(rs.Values) == 0 {
					got = append(got, rs.Database+"|(empty)")
				}
			}
			wantList := []string{
				"|enable_seqscan=false",
				"|lock_timeout=5000",
				"|myapp.tenant=it's",
				"|search_path=list:$user, app",
				"|statement_timeout=5s",
				"archive|(empty)",
				"reporting|work_mem=64MB",
			}
			if strings.Join(got, "\n") != strings.Join(wantList, "\n") {
				t.Errorf("settings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantList, "\n"))
			}
		})
	}
}

// TestLoad_settingsErrors: bad settings are diagnostics at the value or
// the key, with what to write instead.
func TestLoad_settingsErrors(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            string
	}{
		{"bad name", "policy.hcl", `role "web" {
  settings = { "bad name" = "1" }
}`, `policy.hcl:2:16: error: Invalid parameter name; "bad name" is not a parameter name`},
		{"duplicate by case", "policy.hcl", `role "web" {
  settings = {
    work_mem = "1MB"
    WORK_MEM = "2MB"
  }
}`, `error: Duplicate setting; settings sets work_mem twice`},
		{"empty list", "policy.hcl", `role "web" {
  settings = { search_path = [] }
}`, `policy.hcl:2:30: error: Empty list; search_path = [] has no value PostgreSQL can store`},
		{"null", "policy.hcl", `role "web" {
  settings = { work_mem = null }
}`, `policy.hcl:2:27: error: Null value; The value of work_mem cannot be null`},
		{"object value", "policy.hcl", `role "web" {
  settings = { work_mem = { a = 1 } }
}`, `policy.hcl:2:27: error: Incorrect setting value`},
		{"not a map", "policy.hcl", `role "web" {
  settings = "5s"
}`, `policy.hcl:2:14: error: Incorrect attribute value type; settings must be a map`},
		{"database not a map", "policy.hcl", `role "web" {
  database_settings = { app = "5s" }
}`, `policy.hcl:2:31: error: Incorrect attribute value type; database_settings["app"] must be a map`},
		{"list in one string", "policy.hcl", `role "web" {
  settings = { search_path = "$user, app" }
}`, `policy.hcl:2:30: warning: List written as one string; search_path = "$user, app" is one element`},
		{"yaml bad name", "policy.yaml", `role:
  web:
    settings:
      "a;b": 1
`, `policy.yaml:4:7: error: Invalid parameter name`},
		{"yaml empty list", "policy.yaml", `role:
  web:
    database_settings:
      app:
        search_path: []
`, `policy.yaml:5:22: error: Empty list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := policy.Load(fstest.MapFS{tt.file: {Data: []byte(tt.src)}}, ".", policy.LoadOptions{})
			got := policy.FormatDiagnostics(diags)
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics:\n%s\nwant one containing:\n%s", got, tt.want)
			}
		})
	}
}
