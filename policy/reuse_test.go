package policy_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pgward/pgward/policy"
)

func TestReuse_errors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{
			name: "unknown profile with a suggestion",
			src:  "profile \"reader\" {}\nrole \"bob\" {\n  profiles = [\"raeder\"]\n}\n",
			want: `policy.hcl:3:15: error: Unknown profile; There is no profile "raeder". Did you mean "reader"?`,
		},
		{
			name: "schema and schemas together",
			src:  "role \"bob\" {\n  grant \"table\" {\n    schema     = \"a\"\n    schemas    = [\"a\", \"b\"]\n    privileges = [\"SELECT\"]\n  }\n}\n",
			want: "policy.hcl:4:5: error: Both schema and schemas",
		},
		{
			name: "duplicate profile",
			src:  "profile \"reader\" {}\nprofile \"reader\" {}\n",
			want: "policy.hcl:2:1: error: Duplicate profile",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(tt.src)}}, ".", policy.LoadOptions{})
			got := policy.FormatDiagnostics(diags)
			if !diags.HasErrors() || !strings.Contains(got, tt.want) {
				t.Errorf("got:\n%s\nwant it to contain:\n%s", got, tt.want)
			}
		})
	}
}

func TestReuse_additive(t *testing.T) {
	src := "scope {\n  additive = true\n}\nrole \"bob\" {\n  additive = true\n}\n"
	p, diags := policy.Load(fstest.MapFS{"policy.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(policy.FormatDiagnostics(diags))
	}
	if !p.Additive || !p.Roles[0].Additive {
		t.Errorf("additive not decoded: policy %t, role %t", p.Additive, p.Roles[0].Additive)
	}
}
