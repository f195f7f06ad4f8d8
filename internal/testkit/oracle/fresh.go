package oracle

// WithoutPrivileges returns a copy of the case that keeps its roles,
// schemas and objects, and who owns them, but drops everything that only
// sets privileges: grants and revokes, default privileges and memberships.
// Materialized in another database with the same role names (the
// RoleName function of the first database), it gives that database the
// schema of the case as a fresh database would have it, ready for an
// imported policy to be applied. Memberships are left out because they
// are cluster-wide: the roles hold them already.
func (c *Case) WithoutPrivileges() *Case {
	d := c.Clone()
	d.Memberships, d.Grants, d.Defaults = nil, nil, nil
	return d
}
