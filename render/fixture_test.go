package render_test

import "github.com/pgward/pgward/internal/testkit/plandb"

// The fixture of plan's tests (internal/testkit/plandb), under short names.
type fixture = plandb.Fixture

var (
	loadPolicy   = plandb.LoadPolicy
	role         = plandb.Role
	obj          = plandb.Obj
	table        = plandb.Table
	item         = plandb.Item
	auditCatalog = plandb.OwnersCatalog
	owned        = plandb.Owned
)
