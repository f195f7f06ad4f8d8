package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/pgward/pgward/plan"
	"github.com/pgward/pgward/policy"
)

// saveplan writes a saved plan. The file holds the catalog state and the
// statements, no credentials; it is created 0600 all the same, as it lists
// who holds what.
func saveplan(path string, p *plan.Plan, pol *policy.Policy) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("save plan: %w", cerr)
		}
	}()
	return plan.WriteSaved(f, p, plan.PolicyDigest(pol))
}

// readSavedPlan reads a saved plan and checks that it was computed from
// this policy.
func readSavedPlan(path string, pol *policy.Policy) (*plan.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read saved plan: %w", err)
	}
	defer f.Close()
	s, err := plan.ReadSaved(f)
	if err != nil {
		return nil, fmt.Errorf("read saved plan %s: %w", path, err)
	}
	if s.PolicyDigest != plan.PolicyDigest(pol) {
		return nil, errors.New("the policy (or a variable) changed since the plan was saved: run pgward plan --out again")
	}
	return s.Plan(), nil
}
