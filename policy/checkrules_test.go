package policy_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/policy"
)

// loadRules decodes an HCL snippet as policy.hcl.
func loadRules(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("policy: %s", policy.FormatDiagnostics(diags))
	}
	return p
}

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line|summary|part of the detail", in order
	}{
		{"identical rules: the later one", `role "bob" {
  grant "table" {
    names      = ["a*", "b"]
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["b", "a*"]
    privileges = ["select"]
  }
}
`, []string{"6|Duplicate rule|identical to the rule at policy.hcl:2:3"}},
		{"an exact name another rule names with more", `role "bob" {
  grant "table" {
    schema     = "app"
    names      = ["accounts", "users"]
    privileges = ["SELECT", "INSERT"]
  }
  grant "table" {
    names      = ["users"]
    privileges = ["ALL"]
  }
  grant "table" {
    schema     = "app"
    names      = ["users", "accounts"]
    privileges = ["SELECT"]
  }
}
`, []string{"11|Redundant rule|by the rule at policy.hcl:2:3 and policy.hcl:7:3,"}},
		{"not redundant: more privileges, a narrower schema, a grant option, a pattern, an exclusion", `role "bob" {
  grant "table" {
    schema     = "app"
    names      = ["accounts"]
    privileges = ["SELECT", "INSERT"]
  }
  grant "table" {
    names      = ["accounts"]
    privileges = ["SELECT"]
  }
  grant "table" {
    schema            = "app"
    names             = ["accounts"]
    privileges        = ["SELECT"]
    with_grant_option = true
  }
  grant "table" {
    schema     = "app"
    names      = ["acc*"]
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["orders"]
    privileges = ["SELECT"]
  }
  grant "table" {
    names      = ["orders", "items"]
    except     = ["ord*"]
    privileges = ["SELECT"]
  }
}
`, nil},
		{"blocks applied to several schemas: reported when every copy is redundant", `role "bob" {
  grant "table" {
    schemas    = ["a", "b"]
    names      = ["x"]
    privileges = ["SELECT"]
  }
  grant "table" {
    schema     = "a"
    names      = ["x"]
    privileges = ["SELECT", "INSERT"]
  }
  grant "table" {
    names      = ["y"]
    privileges = ["SELECT"]
  }
  grant "table" {
    schemas    = ["a", "b"]
    names      = ["y"]
    privileges = ["SELECT"]
  }
  grant "table" {
    schemas    = ["c", "c"]
    privileges = ["SELECT"]
  }
}
`, []string{"16|Redundant rule|by the rule at policy.hcl:12:3,", "21|Duplicate rule|applies twice"}},
		{"an exact name a deny with names forbids", `role "bob" {
  grant "table" {
    schema     = "app"
    names      = ["accounts", "users"]
    privileges = ["SELECT", "DELETE"]
  }
  grant "function" {
    schema     = "app"
    names      = ["purge(integer)", "lookup"]
    privileges = ["EXECUTE"]
  }
  deny {
    kinds      = ["table"]
    schema     = "app"
    names      = ["user?"]
    privileges = ["DELETE"]
  }
  deny {
    names      = ["purge"]
    privileges = ["EXECUTE"]
  }
  deny {
    kinds      = ["function"]
    names      = ["lookup(integer)"]
    privileges = ["EXECUTE"]
  }
}
`, []string{"4|Rule contradicts a deny|grants DELETE on the table \"users\", which the deny block at policy.hcl:12:3 forbids", "9|Rule contradicts a deny|grants EXECUTE on the function \"purge(integer)\", which the deny block at policy.hcl:18:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := policy.CheckRules(loadRules(t, tt.src))
			if len(diags) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(tt.want), policy.FormatDiagnostics(diags))
			}
			for i, d := range diags {
				parts := strings.SplitN(tt.want[i], "|", 3)
				if got := fmt.Sprint(d.Subject.Start.Line); got != parts[0] || d.Summary != parts[1] || !strings.Contains(d.Detail, parts[2]) {
					t.Errorf("diagnostic %d: %s\nwant %s", i, policy.FormatDiagnostics(diags[i:i+1]), tt.want[i])
				}
			}
		})
	}
	if policy.CheckRules(nil) != nil {
		t.Error("CheckRules(nil) reports something")
	}
}
