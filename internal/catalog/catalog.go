package catalog

import (
	"time"

	"github.com/pgward/pgward/internal/acl"
)

// Catalog is the state of one database, as read in one snapshot.
type Catalog struct {
	// ServerVersion is server_version_num, e.g. 150018.
	ServerVersion int
	// Database is the connected database.
	Database string
	// CurrentUser is the connecting role (current_user).
	CurrentUser string
	// Roles holds every role of the cluster, by name.
	Roles map[string]*Role
	// Memberships lists pg_auth_members rows, system rows between
	// predefined roles excluded.
	Memberships []Membership
	// Objects holds the database itself, the schemas in scope and the
	// objects inside them, the columns that carry grants (no default
	// applies to columns), the database's languages, foreign-data wrappers,
	// foreign servers and large objects, and the cluster's tablespaces and
	// parameters (those with a pg_parameter_acl row); extension members
	// excluded. Every other ACL is expanded: a NULL ACL is read as
	// acldefault.
	Objects []*Object
	// DefaultPrivileges lists pg_default_acl rows that are global or whose
	// schema is in scope.
	DefaultPrivileges []*DefaultACL
	// Schemas are the schemas in scope, in name order.
	Schemas []string
	// SystemSchemas holds the own ACL of the system schemas pg_catalog
	// and information_schema (Kind schema, Subkind
	// acl.SubkindSystemSchema), in name order, read whatever the scope.
	// They are not in Objects, nor their contents anywhere: a policy
	// manages them only where its scope lists them (system_schemas).
	SystemSchemas []*Object
	// RowTypes holds the row types of relations in scope (tables, views,
	// materialized views, foreign tables, partitioned tables; Kind type,
	// Subkind 'c') whose typacl is not NULL, in (Schema, Name) order. pgward
	// does not manage row types: they are read only so that plan and
	// import can report privileges set on them. Standalone composite
	// types are ordinary types, in Objects.
	RowTypes []*Object
	// ParameterContexts maps each parameter the server knows (pg_settings,
	// names lower-cased) to its context: "user", "superuser", "backend",
	// "postmaster", … It says whether ALTER ROLE … SET may set it and who
	// may. Custom parameters (a dotted name no loaded module defines) are
	// not in it.
	ParameterContexts map[string]string
	// Databases lists the cluster's databases by name, in name order
	// (ALTER ROLE … IN DATABASE names one). Nil when not read.
	Databases []string
}

// Role is one pg_roles row.
type Role struct {
	Name            string
	OID             uint32
	Superuser       bool
	Login           bool
	Inherit         bool
	CreateDB        bool
	CreateRole      bool
	Replication     bool
	BypassRLS       bool
	ConnectionLimit int        // -1: no limit
	ValidUntil      *time.Time // nil: no expiry
	// Settings are the role's pg_db_role_setting entries (ALTER ROLE … SET
	// and ALTER ROLE … IN DATABASE … SET), in (Database, Name) order.
	Settings []Setting
}

// Setting is one entry of a role's pg_db_role_setting rows: the value the
// role's sessions start with, in one database or in all of them.
type Setting struct {
	// Database is the database the entry applies to; "" for every database
	// (ALTER ROLE … SET without IN DATABASE).
	Database string
	// Name is the parameter's name, lower-cased: PostgreSQL stores some
	// with their canonical capitals (DateStyle) and compares names without
	// regard to case.
	Name string
	// Value is the text PostgreSQL stored: the value as written, a list
	// flattened to "a, b" with quote_identifier applied to the elements
	// of search_path and the other GUC_LIST_QUOTE parameters.
	Value string
}

// Predefined reports whether the role is one PostgreSQL creates itself
// (pg_read_all_data, pg_database_owner, …): their OIDs are below 16384.
func (r *Role) Predefined() bool { return r.OID < 16384 }

// Membership is one pg_auth_members row: Member belongs to Role.
// Inherit and Set are read on 16+; before 16 Inherit is the member's
// rolinherit attribute and Set is true, which is how those servers behave.
type Membership struct {
	Role    string
	Member  string
	Grantor string
	Admin   bool
	Inherit bool
	Set     bool
}

// Object is one object in scope with its owner and expanded ACL.
type Object struct {
	acl.Object
	// ArgTypes lists a function's input argument types as
	// oidvectortypes(proargtypes) prints them ("integer, text"); policies
	// match signatures against it.
	ArgTypes string
	Owner    string
	// ACL is shared by the objects read with the same ACL: never modify
	// it in place (copy it, as the plan's projections do).
	ACL []acl.Item
	// NullACL records that the catalog held NULL and ACL is acldefault.
	NullACL bool
}

// DefaultACL is one pg_default_acl row.
type DefaultACL struct {
	ForRole string
	Schema  string // empty: global entry
	Kind    acl.Kind
	ACL     []acl.Item
}

// Role returns the named role, or nil.
func (c *Catalog) Role(name string) *Role { return c.Roles[name] }
