package synth

import (
	"fmt"
	"strconv"
	"strings"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/policy"
)

// policyTemplate is the four-role policy; %[1]s is the owner, %[2]s web,
// %[3]s the worker, %[4]s ops, %[5]s a description of the database.
const policyTemplate = `# The four-role policy of a synthetic database (internal/testkit/synth):
# %[5]s.
# The owner owns everything and runs pgward; web runs the application,
# the worker runs background jobs and writes the q_* tables, ops reads.

locals {
  owner = %[1]s
  dml   = ["SELECT", "INSERT", "UPDATE", "DELETE"]
}

role %[1]s {
  external = true
}

role %[2]s {
  external = true

  deny {
    privileges = ["CREATE"]
  }

  grant "database" { privileges = ["CONNECT"] }
  grant "schema" { privileges = ["USAGE"] }
  grant "table" { privileges = local.dml }
  grant "sequence" { privileges = ["USAGE", "SELECT"] }
  grant "function" { privileges = ["EXECUTE"] }

  default_privileges "table" {
    for_role   = local.owner
    privileges = local.dml
  }
  default_privileges "sequence" {
    for_role   = local.owner
    privileges = ["USAGE", "SELECT"]
  }
  default_privileges "function" {
    for_role   = local.owner
    privileges = ["EXECUTE"]
  }
}

role %[3]s {
  external = true

  grant "database" { privileges = ["CONNECT"] }
  grant "schema" { privileges = ["USAGE"] }
  grant "table" { privileges = ["SELECT"] }
  grant "table" {
    names      = ["q_*"]
    privileges = local.dml
  }
  grant "sequence" { privileges = ["USAGE", "SELECT", "UPDATE"] }
  grant "function" { privileges = ["EXECUTE"] }
}

role %[4]s {
  external = true

  deny {
    kinds      = ["table", "sequence"]
    privileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
  }

  grant "database" { privileges = ["CONNECT"] }
  grant "schema" { privileges = ["USAGE"] }
  grant "table" { privileges = ["SELECT"] }
  grant "sequence" { privileges = ["SELECT"] }
}

public {
  database = ["CONNECT", "TEMPORARY"]
  schema   = []
  table    = []
}
`

// PolicyHCL is the pgward policy of the synthetic database in HCL: the
// [Converged] state. Every schema is in scope (the database has no other).
func PolicyHCL(s Spec) (string, error) {
	s, err := s.normalized()
	if err != nil {
		return "", err
	}
	r := s.Roles()
	desc := fmt.Sprintf("%d tables in %d schemas, %d views, %d sequences, %d functions",
		s.Tables, s.Schemas(), s.Extras(), s.Extras(), s.Extras())
	return fmt.Sprintf(policyTemplate, strconv.Quote(r.Owner), strconv.Quote(r.Web), strconv.Quote(r.Worker), strconv.Quote(r.Ops), desc), nil
}

// Policy is [PolicyHCL] loaded, as a file named synth.hcl.
func Policy(s Spec) (*policy.Policy, error) {
	src, err := PolicyHCL(s)
	if err != nil {
		return nil, err
	}
	pol, diags := policy.Load(fstest.MapFS{"synth.hcl": {Data: []byte(src)}}, ".", policy.LoadOptions{})
	if diags.HasErrors() {
		return nil, fmt.Errorf("synth: load the generated policy: %s", strings.TrimSpace(policy.FormatDiagnostics(diagErrors(diags))))
	}
	return pol, nil
}

func diagErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}
