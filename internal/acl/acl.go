package acl

import (
	"fmt"
	"math/bits"
	"strings"
)

// Kind is a class of object that carries privileges. The zero value is
// KindInvalid.
type Kind uint8

// The object kinds pgward manages.
const (
	KindInvalid     Kind = iota
	KindDatabase         // the connected database
	KindSchema           // pg_namespace
	KindTable            // pg_class relkinds r, p, v, m, f
	KindSequence         // pg_class relkind S
	KindFunction         // pg_proc prokinds f, p, a, w
	KindType             // pg_type: base, composite, domain, enum, range
	KindColumn           // pg_attribute.attacl of a table-kind relation
	KindLanguage         // pg_language (trusted languages accept grants)
	KindFDW              // pg_foreign_data_wrapper
	KindServer           // pg_foreign_server
	KindLargeObject      // pg_largeobject_metadata; Name is the OID in decimal
	KindParameter        // pg_parameter_acl, PostgreSQL 15+; cluster-wide
	KindTablespace       // pg_tablespace; cluster-wide
)

var kindNames = [...]string{
	KindInvalid:     "invalid",
	KindDatabase:    "database",
	KindSchema:      "schema",
	KindTable:       "table",
	KindSequence:    "sequence",
	KindFunction:    "function",
	KindType:        "type",
	KindColumn:      "column",
	KindLanguage:    "language",
	KindFDW:         "foreign_data_wrapper",
	KindServer:      "foreign_server",
	KindLargeObject: "large_object",
	KindParameter:   "parameter",
	KindTablespace:  "tablespace",
}

// Kinds lists every valid kind in the order plans are written.
func Kinds() []Kind {
	return []Kind{KindDatabase, KindSchema, KindTable, KindColumn, KindSequence, KindFunction, KindType,
		KindLanguage, KindFDW, KindServer, KindLargeObject, KindParameter, KindTablespace}
}

// ClusterWide reports whether objects of the kind are shared by every
// database of the cluster (and so belong to one policy in a fleet).
func (k Kind) ClusterWide() bool { return k == KindParameter || k == KindTablespace }

// MinVersion is the first server version (server_version_num) that has
// objects of the kind, or 0.
func (k Kind) MinVersion() int {
	if k == KindParameter {
		return 150000
	}
	return 0
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ParseKind turns the policy spelling of a kind ("table", "function", …)
// into a Kind.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.String() == s {
			return k, true
		}
	}
	return KindInvalid, false
}

// InSchema reports whether objects of the kind live inside a schema.
func (k Kind) InSchema() bool {
	switch k {
	case KindTable, KindColumn, KindSequence, KindFunction, KindType:
		return true
	}
	return false
}

// DefaultACLObjType is the pg_default_acl.defaclobjtype letter of the kind,
// or 0 when the kind has no default privileges.
func (k Kind) DefaultACLObjType() byte {
	switch k {
	case KindTable:
		return 'r'
	case KindSequence:
		return 'S'
	case KindFunction:
		return 'f'
	case KindType:
		return 'T'
	case KindSchema:
		return 'n'
	case KindLargeObject:
		return 'L'
	}
	return 0
}

// DefaultACLKeyword is the plural keyword ALTER DEFAULT PRIVILEGES uses for
// the kind (TABLES, SEQUENCES, FUNCTIONS, TYPES, SCHEMAS).
func (k Kind) DefaultACLKeyword() string {
	switch k {
	case KindTable:
		return "TABLES"
	case KindSequence:
		return "SEQUENCES"
	case KindFunction:
		return "FUNCTIONS"
	case KindType:
		return "TYPES"
	case KindSchema:
		return "SCHEMAS"
	case KindLargeObject:
		return "LARGE OBJECTS"
	}
	return ""
}

// Priv is a set of privileges, one bit each, without grant options.
type Priv uint16

// The privileges PostgreSQL knows. Each is one bit of a Priv.
const (
	Select Priv = 1 << iota
	Insert
	Update
	Delete
	Truncate
	References
	Trigger
	Execute
	Usage
	Create
	Connect
	Temporary
	Set         // parameters, 15+
	AlterSystem // parameters, 15+
	Maintain    // relations, 17+
)

// privOrder is the order privileges are printed in: the order of the GRANT
// documentation, SELECT first, which is how people write them.
var privOrder = []struct {
	p       Priv
	keyword string
	letter  byte
}{
	{Select, "SELECT", 'r'},
	{Insert, "INSERT", 'a'},
	{Update, "UPDATE", 'w'},
	{Delete, "DELETE", 'd'},
	{Truncate, "TRUNCATE", 'D'},
	{References, "REFERENCES", 'x'},
	{Trigger, "TRIGGER", 't'},
	{Maintain, "MAINTAIN", 'm'},
	{Execute, "EXECUTE", 'X'},
	{Usage, "USAGE", 'U'},
	{Create, "CREATE", 'C'},
	{Connect, "CONNECT", 'c'},
	{Temporary, "TEMPORARY", 'T'},
	{Set, "SET", 's'},
	{AlterSystem, "ALTER SYSTEM", 'A'},
}

// ParsePriv parses one privilege keyword as written in SQL or in a policy
// (case-insensitive; TEMP is accepted for TEMPORARY, ALTER_SYSTEM for ALTER
// SYSTEM).
func ParsePriv(s string) (Priv, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			// strings.ToUpper folds look-alikes ("ſelect", "ınsert") into
			// keywords: a privilege is plain ASCII or nothing.
			return 0, false
		}
	}
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.ReplaceAll(u, "_", " ")
	if u == "TEMP" {
		return Temporary, true
	}
	for _, e := range privOrder {
		if e.keyword == u {
			return e.p, true
		}
	}
	return 0, false
}

// Keywords lists every privilege keyword, for suggestions in error messages.
func Keywords() []string {
	out := make([]string, 0, len(privOrder))
	for _, e := range privOrder {
		out = append(out, e.keyword)
	}
	return out
}

// Has reports whether every privilege of q is in p.
func (p Priv) Has(q Priv) bool { return p&q == q }

// Len is the number of privileges in the set.
func (p Priv) Len() int { return bits.OnesCount16(uint16(p)) }

// Each calls f for each privilege of the set, in print order.
func (p Priv) Each(f func(Priv)) {
	for _, e := range privOrder {
		if p&e.p != 0 {
			f(e.p)
		}
	}
}

// List returns the SQL keywords of the set in print order.
func (p Priv) List() []string {
	var out []string
	for _, e := range privOrder {
		if p&e.p != 0 {
			out = append(out, e.keyword)
		}
	}
	return out
}

// String is the comma-separated SQL form ("SELECT, INSERT").
func (p Priv) String() string {
	if p == 0 {
		return "(none)"
	}
	return strings.Join(p.List(), ", ")
}

// Letters is the aclitem letter form ("arwd").
func (p Priv) Letters() string {
	var b strings.Builder
	for _, e := range privOrder {
		if p&e.p != 0 {
			b.WriteByte(e.letter)
		}
	}
	return b.String()
}

// Valid returns the privileges a kind accepts on a server version
// (server_version_num, e.g. 170002). It is also what GRANT ALL means there.
func Valid(k Kind, serverVersion int) Priv {
	switch k {
	case KindDatabase:
		return Create | Connect | Temporary
	case KindSchema:
		return Usage | Create
	case KindTable:
		p := Select | Insert | Update | Delete | Truncate | References | Trigger
		if serverVersion >= 170000 {
			p |= Maintain
		}
		return p
	case KindSequence:
		return Usage | Select | Update
	case KindFunction:
		return Execute
	case KindType, KindLanguage, KindFDW, KindServer:
		return Usage
	case KindColumn:
		return Select | Insert | Update | References
	case KindLargeObject:
		return Select | Update
	case KindParameter:
		if serverVersion >= 150000 {
			return Set | AlterSystem
		}
		return 0
	case KindTablespace:
		return Create
	}
	return 0
}

// ValidAnyVersion is Valid on the newest server pgward knows: what a policy
// may name for the kind before the server version is known.
func ValidAnyVersion(k Kind) Priv { return Valid(k, 1<<30) }

// MinVersion is the first server version (server_version_num) that has the
// privilege, or 0 when every supported version has it.
func MinVersion(p Priv) int {
	switch p {
	case Maintain:
		return 170000
	case Set, AlterSystem:
		return 150000
	}
	return 0
}

// Privileges is a set of privileges together with the subset that carries
// the grant option. The zero value holds nothing.
type Privileges struct {
	Privs       Priv // privileges held
	GrantOption Priv // subset of Privs held WITH GRANT OPTION
}

// Union merges two sets.
func (p Privileges) Union(q Privileges) Privileges {
	return Privileges{Privs: p.Privs | q.Privs, GrantOption: p.GrantOption | q.GrantOption}
}

// IsZero reports whether nothing is held.
func (p Privileges) IsZero() bool { return p.Privs == 0 && p.GrantOption == 0 }

// String is the aclitem letter form with '*' after grantable privileges.
func (p Privileges) String() string {
	var b strings.Builder
	for _, e := range privOrder {
		if p.Privs&e.p != 0 {
			b.WriteByte(e.letter)
			if p.GrantOption&e.p != 0 {
				b.WriteByte('*')
			}
		}
	}
	return b.String()
}

// Grantee is the role an ACL item is granted to. The zero value is PUBLIC:
// PostgreSQL reserves the name "public", so no role can collide with it.
type Grantee string

// Public is the pseudo-role every role belongs to.
const Public Grantee = ""

// IsPublic reports whether g is PUBLIC.
func (g Grantee) IsPublic() bool { return g == Public }

// String is the role name, or PUBLIC.
func (g Grantee) String() string {
	if g == Public {
		return "PUBLIC"
	}
	return string(g)
}

// Item is one ACL entry: what a grantee holds on an object, by the grant of
// one grantor.
type Item struct {
	Grantee Grantee
	Grantor string
	Privs   Privileges
}

func (i Item) String() string {
	return fmt.Sprintf("%s=%s/%s", i.Grantee.String(), i.Privs, i.Grantor)
}

// Object names one object. Key identifies it; Subkind refines Kind for
// rendering (relkind for tables and columns, prokind for functions, typtype
// for types) and takes no part in identity. (Subkind sits beside Kind so
// that the two bytes share a word: a plan of a large database holds an
// Object in each of its changes.)
type Object struct {
	Kind    Kind
	Subkind byte
	Schema  string // empty for objects outside schemas
	Name    string // for a column, the table's name
	Args    string // functions only: pg_get_function_identity_arguments
	Column  string // columns only: the column's name
}

// Key is a string that identifies the object among all others.
func (o Object) Key() string {
	return o.Kind.String() + "\x00" + o.Schema + "\x00" + o.Name + "\x00" + o.Args + "\x00" + o.Column
}

// Table is the table a column belongs to (the object itself otherwise).
func (o Object) Table() Object {
	if o.Kind != KindColumn {
		return o
	}
	return Object{Kind: KindTable, Schema: o.Schema, Name: o.Name, Subkind: o.Subkind}
}

// String is a readable, unquoted form for messages: schema.name(args).
func (o Object) String() string {
	s := o.Name
	if o.Schema != "" {
		s = o.Schema + "." + s
	}
	switch o.Kind {
	case KindFunction:
		s += "(" + o.Args + ")"
	case KindColumn:
		s += "." + o.Column
	}
	return s
}

// SystemSchemas are the schemas PostgreSQL creates in every database whose
// own ACL a policy may manage (scope { system_schemas = [...] }): their
// contents are never in scope. pg_toast and the temporary schemas are not
// among them: nothing is granted there.
func SystemSchemas() []string { return []string{"information_schema", "pg_catalog"} }

// IsSystemSchema reports whether name is one of [SystemSchemas].
func IsSystemSchema(name string) bool { return name == "pg_catalog" || name == "information_schema" }

// SubkindSystemSchema is the Subkind of a system schema's object: rules
// select it only by its exact name.
const SubkindSystemSchema = 's'
