package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pgward/pgward/internal/acl"
)

// kindHints maps names people try for a kind to the kind that covers them.
var kindHints = map[string]string{
	"view":                 "table",
	"views":                "table",
	"materialized_view":    "table",
	"materialized_views":   "table",
	"foreign_table":        "table",
	"foreign_tables":       "table",
	"partitioned_table":    "table",
	"relation":             "table",
	"relations":            "table",
	"procedure":            "function",
	"procedures":           "function",
	"aggregate":            "function",
	"aggregates":           "function",
	"routine":              "function",
	"routines":             "function",
	"domain":               "type",
	"domains":              "type",
	"fdw":                  "foreign_data_wrapper",
	"fdws":                 "foreign_data_wrapper",
	"wrapper":              "foreign_data_wrapper",
	"data_wrapper":         "foreign_data_wrapper",
	"foreign_data":         "foreign_data_wrapper",
	"foreign_data_wrapers": "foreign_data_wrapper",
	"server":               "foreign_server",
	"servers":              "foreign_server",
	"lo":                   "large_object",
	"largeobject":          "large_object",
	"largeobjects":         "large_object",
	"blob":                 "large_object",
	"guc":                  "parameter",
	"gucs":                 "parameter",
	"setting":              "parameter",
	"settings":             "parameter",
	"config":               "parameter",
	"configuration":        "parameter",
	"plpgsql":              "language",
	"lang":                 "language",
}

var kindCovers = map[string]string{
	"table":                "tables, partitioned tables, views, materialized views and foreign tables",
	"function":             "functions, procedures, aggregates and window functions",
	"type":                 "base, composite, enum and range types and domains",
	"foreign_data_wrapper": "foreign-data wrappers (CREATE FOREIGN DATA WRAPPER)",
	"foreign_server":       "foreign servers (CREATE SERVER)",
	"large_object":         "large objects, named by OID",
	"parameter":            "configuration parameters (GRANT SET ON PARAMETER, PostgreSQL 15+)",
	"language":             "procedural languages",
}

func kindNames(ks []acl.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}

// grantKinds are the kinds a grant block accepts: every kind but column,
// whose privileges a table rule grants with its columns attribute.
func grantKinds() []acl.Kind {
	var out []acl.Kind
	for _, k := range acl.Kinds() {
		if k != acl.KindColumn {
			out = append(out, k)
		}
	}
	return out
}

// defaultPrivilegeKinds are the kinds ALTER DEFAULT PRIVILEGES knows.
func defaultPrivilegeKinds() []acl.Kind {
	var out []acl.Kind
	for _, k := range acl.Kinds() {
		if k.DefaultACLObjType() != 0 {
			out = append(out, k)
		}
	}
	return out
}

// parseKind parses a kind name (a block label, or an element of deny's
// kinds) as one of the kinds allowed.
func (d *decoder) parseKind(label string, r hcl.Range, block string, allowed []acl.Kind) (acl.Kind, bool) {
	k, ok := acl.ParseKind(label)
	if ok {
		if slices.Contains(allowed, k) {
			return k, true
		}
		d.errorf(r, "Invalid object kind", "%s accepts the kinds %s, not %q.", block, quoteList(kindNames(allowed)), label)
		return acl.KindInvalid, false
	}
	hint := didYouMean(label, kindNames(allowed))
	if h, ok := kindHints[strings.ToLower(label)]; ok {
		if hk, _ := acl.ParseKind(h); slices.Contains(allowed, hk) {
			hint = fmt.Sprintf(" Did you mean %q? It covers %s.", h, kindCovers[h])
		}
	}
	d.errorf(r, "Unknown object kind", "%q is not an object kind.%s %s accepts %s.", label, hint, block, quoteList(kindNames(allowed)))
	return acl.KindInvalid, false
}

// plural names the objects of a kind in messages.
func plural(k acl.Kind) string {
	switch k {
	case acl.KindFDW:
		return "foreign-data wrappers"
	case acl.KindServer:
		return "foreign servers"
	case acl.KindLargeObject:
		return "large objects"
	}
	return k.String() + "s"
}

// pluralList names the objects of several kinds: "tables and sequences".
func pluralList(ks []acl.Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = plural(k)
	}
	switch len(names) {
	case 0:
		return "objects"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// privileges parses a privilege list for a grant, a default privilege or a
// public attribute of kind k. ALL sets all. An empty list is an error
// unless allowEmpty (the public block's "nothing").
func (d *decoder) privileges(a *hcl.Attribute, k acl.Kind, allowEmpty bool) (p acl.Priv, all, ok bool) {
	if k == acl.KindInvalid {
		// An unknown kind is reported on its label; still evaluate the
		// list for its own errors.
		d.strList(a, `["SELECT"]`, !allowEmpty)
		return 0, false, false
	}
	return d.privilegeList(a, []acl.Kind{k}, allowEmpty, "grants", "")
}

// privilegeList parses a privilege list; each privilege must belong to at
// least one of kinds. verb says what an empty list does ("grants",
// "denies"); note is added to the message about a privilege none of the
// kinds has.
func (d *decoder) privilegeList(a *hcl.Attribute, kinds []acl.Kind, allowEmpty bool, verb, note string) (p acl.Priv, all, ok bool) {
	list, ranges, ok := d.strList(a, `["SELECT"]`, !allowEmpty)
	if !ok || len(kinds) == 0 {
		return 0, false, false
	}
	var valid acl.Priv
	for _, k := range kinds {
		valid |= acl.ValidAnyVersion(k)
	}
	what := pluralList(kinds)
	accepts := fmt.Sprintf("%s accept %s", what, strings.Join(valid.List(), ", "))
	if len(kinds) == len(acl.Kinds()) {
		what, accepts = "every kind", "privileges are "+strings.Join(valid.List(), ", ")
	}
	if len(list) == 0 && !allowEmpty {
		d.errorf(a.Expr.Range(), "No privileges", "privileges = [] %s nothing: list privileges (%s) or remove the block.", verb, accepts)
		return 0, false, false
	}
	ok = true
	var allRange hcl.Range
	for i, s := range list {
		u := strings.ToUpper(strings.Join(strings.Fields(s), " "))
		if u == "ALL" || u == "ALL PRIVILEGES" {
			all, allRange = true, ranges[i]
			continue
		}
		q, known := acl.ParsePriv(s)
		if !known {
			candidates := append(valid.List(), "ALL")
			candidates = append(candidates, acl.Keywords()...)
			d.errorf(ranges[i], "Unknown privilege", "%q is not a PostgreSQL privilege.%s %s, or ALL.", s, didYouMean(s, candidates), capitalize(accepts))
			ok = false
			continue
		}
		if !valid.Has(q) {
			hint := kindsOf(q)
			if len(kinds) == 1 && kinds[0] == acl.KindColumn && acl.ValidAnyVersion(acl.KindTable).Has(q) {
				hint = fmt.Sprintf(" %s exists on whole tables only: grant it in a rule without columns.", q)
			}
			d.errorf(ranges[i], "Invalid privilege", "%s is not a privilege of %s; %s, or ALL.%s%s", q, what, accepts, hint, note)
			ok = false
			continue
		}
		p |= q
	}
	if all && p != 0 {
		d.errorf(allRange, "ALL mixed with other privileges", "ALL already means every privilege of %s; write [\"ALL\"] alone, or list the privileges without ALL.", what)
		ok = false
	}
	return p, all, ok
}

// kindsOf says which kinds accept a privilege, as a hint after a privilege
// was used on the wrong kind.
func kindsOf(p acl.Priv) string {
	var ks []acl.Kind
	for _, k := range acl.Kinds() {
		if acl.ValidAnyVersion(k).Has(p) {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return ""
	}
	return fmt.Sprintf(" %s applies to %s.", p, pluralList(ks))
}

// patterns decodes names or except for a kind (acl.KindInvalid: a kind
// that is unknown, or a deny over several kinds).
func (d *decoder) patterns(a *hcl.Attribute, k acl.Kind) ([]Pattern, bool) {
	example := `["accounts", "oban_*"]`
	switch k {
	case acl.KindLargeObject:
		example = `["16400"]`
	case acl.KindParameter:
		example = `["log_statement"]`
	}
	list, ranges, ok := d.strList(a, example, false)
	if !ok {
		return nil, false
	}
	what := k.String()
	if k == acl.KindInvalid {
		what = "object"
	}
	var out []Pattern
	for i, s := range list {
		r := ranges[i]
		switch k {
		case acl.KindLargeObject:
			oid, lok := d.largeObjectName(s, r)
			if !lok {
				ok = false
				continue
			}
			out = append(out, Pattern{Text: oid, Range: r})
			continue
		case acl.KindParameter:
			name, pok := d.parameterName(s, r)
			if !pok {
				ok = false
				continue
			}
			out = append(out, Pattern{Text: name, Range: r})
			continue
		}
		name := s
		if k == acl.KindFunction && strings.ContainsAny(s, "()") {
			norm, err := normalizeSignature(s)
			if err != nil {
				d.errorf(r, "Invalid function signature", "%q: %s.", s, err)
				ok = false
				continue
			}
			s = norm
			name = s[:strings.IndexByte(s, '(')]
		}
		p := Pattern{Text: s, Range: r}
		switch {
		case name == "":
			d.errorf(r, "Empty name", "A name or pattern cannot be empty; remove it, or write \"*\" for every %s.", what)
			ok = false
			continue
		case strings.IndexByte(s, 0) >= 0:
			d.errorf(r, "Invalid name", "%q contains a NUL byte, which no PostgreSQL name can hold.", s)
			ok = false
			continue
		case !strings.ContainsAny(name, "*?"):
			if !d.name(name, r, what+" name") {
				ok = false
				continue
			}
			switch {
			case k == acl.KindSchema && acl.IsSystemSchema(name):
				d.inSystemScope(name, r)
			case k == acl.KindSchema:
				d.inScope(name, r)
			}
		}
		if k.InSchema() && strings.Contains(name, ".") {
			d.warnf(r, "Qualified name", "%q holds a dot, but names are not schema-qualified: it matches a %s whose name contains a dot. To choose the schema, write schema = %q.",
				s, k, name[:strings.IndexByte(name, '.')])
		}
		out = append(out, p)
	}
	return out, ok
}

// largeObjectName checks a large object's name, its OID in decimal, and
// returns it in the form the catalog prints ("016400" becomes "16400").
func (d *decoder) largeObjectName(s string, r hcl.Range) (string, bool) {
	const fix = `write the OID in decimal, as in "16400", or leave names out to select every large object`
	switch {
	case s == "":
		d.errorf(r, "Empty name", "A large object is named by its OID: %s.", fix)
		return "", false
	case strings.ContainsAny(s, "*?"):
		d.errorf(r, "Invalid large object OID", "%q holds a wildcard, but large objects are selected by exact OID: %s.", s, fix)
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			d.errorf(r, "Invalid large object OID", "%q is not an OID: large objects have no names, only OIDs; %s.", s, fix)
			return "", false
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		d.errorf(r, "Invalid large object OID", "%s is not a valid OID: OIDs run from 1 to 4294967295.", s)
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

// parameterName checks a configuration parameter's name and folds it to
// lower case, as PostgreSQL does ("Log_Statement" is "log_statement").
// Built-in names are one word; custom ones (an extension's) have a prefix
// and a dot: "pg_stat_statements.track". Wildcards are allowed.
func (d *decoder) parameterName(s string, r hcl.Range) (string, bool) {
	const rule = `a parameter name holds letters, digits, underscores and dollar signs, with a dot between the parts of a custom parameter ("pg_stat_statements.track")`
	if s == "" {
		d.errorf(r, "Empty name", "A parameter name cannot be empty; remove it, or write \"*\" for every parameter.")
		return "", false
	}
	if strings.IndexByte(s, 0) >= 0 {
		d.errorf(r, "Invalid name", "%q contains a NUL byte, which no parameter name can hold.", s)
		return "", false
	}
	name := asciiLower(s)
	glob := strings.ContainsAny(name, "*?")
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			d.errorf(r, "Invalid parameter name", "%q has an empty part: %s.", s, rule)
			return "", false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			switch {
			case c == '_' || c >= 'a' && c <= 'z' || c >= 0x80:
			case c >= '0' && c <= '9' || c == '$':
				if i == 0 && !glob {
					d.errorf(r, "Invalid parameter name", "%q: a part of a parameter name cannot start with %q; %s.", s, c, rule)
					return "", false
				}
			case c == '*' || c == '?':
			default:
				d.errorf(r, "Invalid parameter name", "%q holds %q: %s.", s, c, rule)
				return "", false
			}
		}
	}
	return name, true
}

// asciiLower folds ASCII letters only, as PostgreSQL folds parameter names.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// columns decodes the columns of a column rule.
func (d *decoder) columns(a *hcl.Attribute) ([]string, bool) {
	list, ranges, ok := d.strList(a, `["email", "name"]`, false)
	if !ok {
		return nil, false
	}
	if len(list) == 0 {
		d.errorf(a.Expr.Range(), "Empty columns", "columns = [] selects no column: list column names, or remove columns to grant on whole tables.")
		return nil, false
	}
	var out []string
	seen := map[string]hcl.Range{}
	for i, c := range list {
		if strings.ContainsAny(c, "*?") {
			d.errorf(ranges[i], "Invalid column name", "columns lists exact column names, without wildcards; %q holds one. To grant on every column, grant on the whole table: remove columns.", c)
			ok = false
			continue
		}
		if !d.name(c, ranges[i], "column name") {
			ok = false
			continue
		}
		if first, dup := seen[c]; dup {
			d.warnf(ranges[i], "Duplicate column", "Column %q is already listed at %s.", c, pos(first))
			continue
		}
		seen[c] = ranges[i]
		out = append(out, c)
	}
	return out, ok
}
