package importer

// The rules the notes follow, for the fresh-database checks of
// importer_test, which leave out of their comparison what the notes say a
// policy cannot reproduce.
var (
	// BuiltinPublic is what PUBLIC holds on an object PostgreSQL created
	// with its defaults.
	BuiltinPublic = builtinPublic
	// CountKind is how notes count objects: "1 table", "3 tables".
	CountKind = countKind
)
