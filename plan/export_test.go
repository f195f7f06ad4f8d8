package plan

import "github.com/pgward/pgward/internal/catalog"

// ProjectForTest is the catalog as the plan's changes leave it, simulated
// as invariants projects it (grants, then revokes with their CASCADE, in
// the plan's order).
func ProjectForTest(c *catalog.Catalog, p *Plan) *catalog.Catalog { return project(c, p.Changes) }
