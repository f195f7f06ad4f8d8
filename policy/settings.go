package policy

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// RoleSettings is one set of parameter values a role's sessions start
// with: ALTER ROLE … SET (Database empty, the role's settings attribute)
// or ALTER ROLE … IN DATABASE … SET (one key of database_settings).
// Declaring it manages exactly that (role, database) pair: the values it
// lists are set, every other value the role has there is reset, and an
// empty list resets them all. Pairs the policy does not declare are left
// alone.
type RoleSettings struct {
	// Database is the database the values apply to; "" for every database.
	Database string
	// Values in name order, names unique.
	Values []*Setting
	// DeclRange is the range of the attribute (settings = …) or of the
	// database's key in database_settings.
	DeclRange hcl.Range
}

// Setting is one parameter value. List is set (non-empty) when the value
// was written as a list: ALTER ROLE then passes one literal per element,
// which is how PostgreSQL takes search_path and the other list parameters
// (a single string "a, b" would be one element named "a, b").
type Setting struct {
	// Name is the parameter's name, lower-cased (PostgreSQL compares
	// parameter names without regard to case).
	Name string
	// Value is the value as written, for a scalar; numbers and booleans
	// in their text form ("5000", "true").
	Value string
	List  []string
	Range hcl.Range
}

// IsList reports whether the value was written as a list.
func (s *Setting) IsList() bool { return s.List != nil }

// Text is the value for people: the scalar, or the list's elements joined
// by ", ".
func (s *Setting) Text() string {
	if s.IsList() {
		return strings.Join(s.List, ", ")
	}
	return s.Value
}

// parameterName is what PostgreSQL accepts as the name of a parameter: an
// identifier, or a dotted custom name (myapp.tenant).
var parameterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$`)

// ListQuoteParameters are the parameters whose list elements PostgreSQL
// stores through quote_identifier (GUC_LIST_QUOTE, the same on 13 to 18):
// a string with a comma for one of them is almost always a list written as
// one string.
var listQuoteParameters = map[string]bool{
	"search_path":               true,
	"temp_tablespaces":          true,
	"session_preload_libraries": true,
	"local_preload_libraries":   true,
	"shared_preload_libraries":  true,
}

// IsListQuoteParameter reports whether PostgreSQL stores the elements of
// parameter name through quote_identifier ("$user" stays quoted).
func IsListQuoteParameter(name string) bool { return listQuoteParameters[name] }

// decodeSettings reads a role's settings and database_settings attributes.
func (d *decoder) decodeSettings(r *Role, c *hcl.BodyContent) {
	if a := c.Attributes["settings"]; a != nil {
		if v, ok := d.value(a, false); ok {
			if s := d.settingsValues(a, a.Expr, v, "settings"); s != nil {
				s.DeclRange = a.Range
				r.Settings = append(r.Settings, s)
			}
		}
	}
	a := c.Attributes["database_settings"]
	if a == nil {
		return
	}
	v, ok := d.value(a, false)
	if !ok {
		return
	}
	const example = `{ app = { lock_timeout = "2s" } }`
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		d.typeError(a, "a map from database name to a map of settings", example, nil)
		return
	}
	items := objectItems(a.Expr)
	var dbs []string
	for it := v.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		dbs = append(dbs, k.AsString())
	}
	sort.Strings(dbs)
	for _, db := range dbs {
		item := items[db]
		keyRange, valueExpr := a.Expr.Range(), a.Expr
		if item != nil {
			keyRange, valueExpr = item.KeyExpr.Range(), item.ValueExpr
		}
		if !d.name(db, keyRange, "database name") {
			continue
		}
		ev := v.GetAttr(db)
		if v.Type().IsMapType() {
			ev = v.Index(cty.StringVal(db))
		}
		if ev.IsNull() {
			d.errorf(keyRange, "Null value", "database_settings of database %q cannot be null; write {} to reset every setting of the role there.", db)
			continue
		}
		if s := d.settingsValues(a, valueExpr, ev, fmt.Sprintf("database_settings[%q]", db)); s != nil {
			s.Database, s.DeclRange = db, keyRange
			r.Settings = append(r.Settings, s)
		}
	}
}

// objectItems indexes the items of an object constructor by their literal
// key, for the range of each; nil when expr is not one.
func objectItems(expr hcl.Expression) map[string]*hclsyntax.ObjectConsItem {
	o, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil
	}
	out := map[string]*hclsyntax.ObjectConsItem{}
	for i := range o.Items {
		k, diags := o.Items[i].KeyExpr.Value(nil)
		if diags.HasErrors() || k.IsNull() || !k.IsKnown() || k.Type() != cty.String {
			continue
		}
		out[k.AsString()] = &o.Items[i]
	}
	return out
}

// settingsValues decodes one map of parameter values; what names the map
// in messages ("settings", "database_settings[\"app\"]").
func (d *decoder) settingsValues(a *hcl.Attribute, expr hcl.Expression, v cty.Value, what string) *RoleSettings {
	const example = `{ statement_timeout = "5s", search_path = ["$user", "app"] }`
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		d.errorf(expr.Range(), "Incorrect attribute value type", "%s must be a map of parameter names to values, for example %s = %s.", what, a.Name, example)
		return nil
	}
	items := objectItems(expr)
	s := &RoleSettings{}
	seen := map[string]hcl.Range{}
	var names []string
	for it := v.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		names = append(names, k.AsString())
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := strings.ToLower(names[i]), strings.ToLower(names[j])
		return a < b || a == b && names[i] < names[j]
	})
	for _, written := range names {
		keyRange, valueRange := expr.Range(), expr.Range()
		if item := items[written]; item != nil {
			keyRange, valueRange = item.KeyExpr.Range(), item.ValueExpr.Range()
		}
		if !parameterName.MatchString(written) {
			d.errorf(keyRange, "Invalid parameter name", "%q is not a parameter name: write a name such as statement_timeout, or a custom one with a dot such as \"myapp.tenant\" (in quotes in HCL).", written)
			continue
		}
		name := strings.ToLower(written)
		if first, dup := seen[name]; dup {
			d.errorf(keyRange, "Duplicate setting", "%s sets %s twice (the first at %s); PostgreSQL does not tell parameter names apart by case.", what, name, pos(first))
			continue
		}
		seen[name] = keyRange
		var ev cty.Value
		if v.Type().IsMapType() {
			ev = v.Index(cty.StringVal(written))
		} else {
			ev = v.GetAttr(written)
		}
		st := &Setting{Name: name, Range: valueRange}
		if !d.settingValue(st, ev, valueRange) {
			continue
		}
		if !st.IsList() && IsListQuoteParameter(name) && strings.Contains(st.Value, ",") {
			d.warnf(valueRange, "List written as one string", "%s = %q is one element named %q: PostgreSQL quotes it whole. For several elements write a list: %s = [%s].",
				name, st.Value, st.Value, name, quoteList(splitComma(st.Value)))
		}
		s.Values = append(s.Values, st)
	}
	return s
}

// settingValue reads one value: a string, number or boolean, or a
// non-empty list of them.
func (d *decoder) settingValue(st *Setting, v cty.Value, r hcl.Range) bool {
	scalar := func(v cty.Value) (string, bool) {
		if v.IsNull() {
			d.errorf(r, "Null value", "The value of %s cannot be null; remove the entry to reset it.", st.Name)
			return "", false
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			d.errorf(r, "Incorrect setting value", "The value of %s must be a string, a number, a boolean or a list of them (%s).", st.Name, err)
			return "", false
		}
		if strings.IndexByte(s.AsString(), 0) >= 0 {
			d.errorf(r, "Invalid setting value", "The value of %s contains a NUL byte, which PostgreSQL cannot store.", st.Name)
			return "", false
		}
		return s.AsString(), true
	}
	t := v.Type()
	if !v.IsNull() && (t.IsListType() || t.IsTupleType() || t.IsSetType()) {
		if v.LengthInt() == 0 {
			d.errorf(r, "Empty list", "%s = [] has no value PostgreSQL can store; write \"\" for an empty value, or remove the entry to reset it.", st.Name)
			return false
		}
		st.List = []string{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			s, ok := scalar(e)
			if !ok {
				return false
			}
			st.List = append(st.List, s)
		}
		return true
	}
	s, ok := scalar(v)
	st.Value = s
	return ok
}

// splitComma splits "a, b" into its trimmed parts, for a suggestion.
func splitComma(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
