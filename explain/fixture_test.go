package explain_test

import "github.com/pgward/pgward/internal/testkit/plandb"

// The fixture of plan's tests (internal/testkit/plandb), for the
// explanations that Build's changes are part of.
type fixture = plandb.Fixture

var (
	loadPolicy = plandb.LoadPolicy
	obj        = plandb.Obj
	table      = plandb.Table
	item       = plandb.Item
)
