package plan_test

import "github.com/pgward/pgward/internal/testkit/plandb"

// The shared fixture of the pure tests (internal/testkit/plandb), under
// short names.
type fixture = plandb.Fixture

var (
	loadPolicy = plandb.LoadPolicy
	role       = plandb.Role
	obj        = plandb.Obj
	table      = plandb.Table
	column     = plandb.Column
	fn         = plandb.Fn
	item       = plandb.Item
)
