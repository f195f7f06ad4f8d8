package audit_test

import "github.com/pgward/pgward/internal/testkit/plandb"

// The fixture of the pure tests (internal/testkit/plandb), under short
// names: a database where alice is the owner role, bob and carol other
// roles, and each object is owned by whom the test says.
var (
	loadPolicy   = plandb.LoadPolicy
	auditCatalog = plandb.OwnersCatalog
	owned        = plandb.Owned
)
