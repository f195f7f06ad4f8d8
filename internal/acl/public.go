package acl

// PublicDefault is what PostgreSQL's hard-wired default privileges give
// PUBLIC on a new object of kind k (pg_default_acl's view: what a creating
// role's objects get when no global entry changes it): EXECUTE on
// functions, USAGE on types, nothing on tables, sequences, schemas and
// large objects. Only a global ALTER DEFAULT PRIVILEGES can take it away.
func (k Kind) PublicDefault() Priv {
	switch k {
	case KindFunction:
		return Execute
	case KindType:
		return Usage
	}
	return 0
}
