package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pgward/pgward/access"
	"github.com/pgward/pgward/internal/acl"
	"github.com/pgward/pgward/internal/catalog"
	"github.com/pgward/pgward/internal/didyoumean"
	"github.com/pgward/pgward/internal/ident"
	"github.com/pgward/pgward/policy"
)

// SettingChange is one parameter value of a role going from Before to
// After (ALTER ROLE … [IN DATABASE …] SET or RESET). Before is the text
// pg_db_role_setting holds, "" when the role has no value there; After is
// the declared value for people, "" for a reset.
type SettingChange struct {
	// Database is the database of the value; "" for every database.
	Database string
	Name     string
	Before   string
	After    string
	// WasSet says whether the role had a value there (Before may be "").
	WasSet bool
	// Values are the literals of SET, one per list element; nil: RESET.
	Values []string
}

// Reset reports whether the change removes the value.
func (s *SettingChange) Reset() bool { return s.Values == nil }

// what names the value in messages and drift: "statement_timeout",
// "statement_timeout in database app".
func (s *SettingChange) what() string {
	if s.Database == "" {
		return s.Name
	}
	return s.Name + " in database " + s.Database
}

// notSet stands for the absence of a value in lines and drift.
const notSet = "(not set)"

// perRoleContexts are the contexts of the parameters ALTER ROLE … SET
// accepts: "user" for anyone who may alter the role, "superuser" for a
// superuser or (15+) a role granted SET on the parameter. PostgreSQL
// refuses the others ("cannot be set after connection start", "cannot be
// changed without restarting the server", …).
var perRoleContexts = map[string]string{
	"backend":           "only at connection start, from the client or the server's configuration",
	"superuser-backend": "only at connection start, from the client or the server's configuration",
	"postmaster":        "only at server start",
	"sighup":            "only in the server's configuration file",
	"internal":          "never: it reports a property of the server",
}

// roleSettings plans the parameter values of managed roles (one change
// per value to set, change or reset in each declared (role, database)
// pair) and reports drift for external ones.
func (b *builder) roleSettings() {
	for _, name := range sortedKeys(b.roles) {
		r := b.roles[name]
		if len(r.Settings) == 0 || r.Ensure == policy.EnsureAbsent {
			continue
		}
		var have []catalog.Setting
		if cr := b.cat.Role(name); cr != nil {
			have = cr.Settings
		}
		for _, rs := range r.Settings {
			b.checkSettingDatabase(rs)
			current := map[string]string{}
			for _, s := range have {
				if s.Database == rs.Database {
					current[s.Name] = s.Value
				}
			}
			var changes []*SettingChange
			declared := map[string]bool{}
			for _, v := range rs.Values {
				declared[v.Name] = true
				b.checkParameter(v)
				before, set := current[v.Name]
				if set && SettingMatches(v.Name, v.Value, v.List, before) {
					continue
				}
				values := v.List
				if !v.IsList() {
					values = []string{v.Value}
				}
				changes = append(changes, &SettingChange{Database: rs.Database, Name: v.Name, Before: before, WasSet: set, After: v.Text(), Values: values})
			}
			var resets []string
			for n := range current {
				if !declared[n] {
					resets = append(resets, n)
				}
			}
			sort.Strings(resets)
			for _, n := range resets {
				changes = append(changes, &SettingChange{Database: rs.Database, Name: n, Before: current[n], WasSet: true})
			}
			slices.SortStableFunc(changes, func(x, y *SettingChange) int { return strings.Compare(x.Name, y.Name) })
			for _, sc := range changes {
				rng := rs.DeclRange
				for _, v := range rs.Values {
					if v.Name == sc.Name {
						rng = v.Range
					}
				}
				if r.External {
					b.plan.Drift = append(b.plan.Drift, Drift{Role: name, What: "setting " + sc.what(),
						Want: orNotSet(sc.After, sc.Reset()), Have: orNotSet(sc.Before, !sc.WasSet), Reason: ruleReason(rng)})
					continue
				}
				c := &Change{Action: Alter, Target: TargetSetting, Grantee: acl.Grantee(name), Setting: sc,
					Authority: AuthorityAdmin, Reason: ruleReason(rng)}
				if sc.Reset() && b.additive(c.Grantee) {
					b.plan.Kept = append(b.plan.Kept, c)
					continue
				}
				b.add(c)
			}
		}
	}
}

// orNotSet is s, or notSet for a missing value.
func orNotSet(s string, missing bool) string {
	if missing {
		return notSet
	}
	return s
}

// checkSettingDatabase reports a database_settings key that names no
// database of the cluster: ALTER ROLE … IN DATABASE would fail.
func (b *builder) checkSettingDatabase(rs *policy.RoleSettings) {
	if rs.Database == "" || b.cat.Databases == nil || slices.Contains(b.cat.Databases, rs.Database) {
		return
	}
	rng := rs.DeclRange
	b.errorf(&rng, "Database does not exist", "database_settings names database %q, which the server does not have.%s Create it first, or fix the name.",
		rs.Database, didyoumean.Sentence(rs.Database, b.cat.Databases))
}

// checkParameter reports a parameter that ALTER ROLE … SET cannot set:
// one the server does not know (a typo: custom parameters have a dot), or
// one PostgreSQL reads only at server or connection start. Who may set the
// others is classify's question (settingBlocked).
func (b *builder) checkParameter(v *policy.Setting) {
	if b.cat.ParameterContexts == nil {
		return // a catalog that was not read from a server (tests)
	}
	rng := v.Range
	ctx, known := b.cat.ParameterContexts[v.Name]
	switch {
	case !known && !strings.Contains(v.Name, "."):
		names := make([]string, 0, len(b.cat.ParameterContexts))
		for n := range b.cat.ParameterContexts {
			names = append(names, n)
		}
		b.errorf(&rng, "Unknown parameter", "PostgreSQL %s has no parameter %q.%s A custom parameter has a dot in its name (\"myapp.tenant\").",
			VersionString(b.cat.ServerVersion), v.Name, didyoumean.Sentence(v.Name, names))
	case known && perRoleContexts[ctx] != "":
		b.errorf(&rng, "Parameter cannot be set per role", "%s has context %q: PostgreSQL sets it %s, and ALTER ROLE … SET refuses it. Remove it from the role's settings.",
			v.Name, ctx, perRoleContexts[ctx])
	}
}

// settingBlocked says why the connecting role cannot execute a setting
// change, or "": it must be allowed to alter the role (itself, or
// CREATEROLE with ADMIN OPTION on 16+, CREATEROLE before), and for a
// superuser parameter, or a custom one that no module defines, be a
// superuser or (15+) hold SET on the parameter. PostgreSQL checks the same
// for SET and for RESET.
func (b *builder) settingBlocked(c *Change) string {
	me := b.cat.CurrentUser
	if b.graph.IsSuperuser(me) {
		return ""
	}
	target := string(c.Grantee)
	if t := b.cat.Role(target); t != nil && t.Superuser {
		return fmt.Sprintf("%s is a superuser, and only a superuser may alter its settings; %s is not one.", target, me)
	}
	if target != me && !canAdmin(b.graph, b.cat, me, c) {
		need := "CREATEROLE"
		if b.cat.ServerVersion >= 160000 {
			need = "CREATEROLE and ADMIN OPTION on the role"
		}
		return fmt.Sprintf("%s needs %s to alter the settings of %s. Run pgward as a role that has it, or let the system that owns the roles do it (external = true).", me, need, target)
	}
	name := c.Setting.Name
	ctx, known := b.cat.ParameterContexts[name]
	if b.cat.ParameterContexts == nil || (known && ctx != "superuser") {
		return ""
	}
	if b.cat.ServerVersion >= 150000 && b.holdsSetOn(me, name) {
		return ""
	}
	why := "is a superuser parameter"
	if !known {
		why = "is a custom parameter that no loaded module defines"
	}
	fix := "Run pgward as a superuser, or set it elsewhere."
	if b.cat.ServerVersion >= 150000 {
		fix = fmt.Sprintf("Run pgward as a superuser, or have one run GRANT SET ON PARAMETER %s TO %s.", parameterSQL(name), ident.Quote(me))
	}
	who := "a superuser"
	if b.cat.ServerVersion >= 150000 {
		who = "a superuser or a role granted SET on it"
	}
	return fmt.Sprintf("%s %s: only %s may set or reset it, and %s is neither. %s", name, why, who, me, fix)
}

// holdsSetOn reports whether role holds SET on parameter name (15+), by a
// pg_parameter_acl row it, PUBLIC or a role it has the privileges of holds.
func (b *builder) holdsSetOn(role, name string) bool {
	obj := b.object(acl.Object{Kind: acl.KindParameter, Name: name})
	if obj == nil {
		return false
	}
	if b.effective == nil {
		b.effective = access.NewEffectiveAccess(b.cat)
	}
	privs, _ := b.effective.Of(role, obj)
	return privs.Has(acl.Set)
}

// parameterSQL quotes a parameter name, each part of a dotted one.
func parameterSQL(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = ident.Quote(p)
	}
	return strings.Join(parts, ".")
}

// settingSQL is the ALTER ROLE statement of a setting change.
func settingSQL(c *Change) string {
	s := c.Setting
	sql := "ALTER ROLE " + ident.Quote(string(c.Grantee))
	if s.Database != "" {
		sql += " IN DATABASE " + ident.Quote(s.Database)
	}
	if s.Reset() {
		return sql + " RESET " + parameterSQL(s.Name)
	}
	lits := make([]string, len(s.Values))
	for i, v := range s.Values {
		lits[i] = ident.Literal(v)
	}
	return sql + " SET " + parameterSQL(s.Name) + " TO " + strings.Join(lits, ", ")
}

// SettingMatches reports whether stored, the text pg_db_role_setting holds
// for parameter name, is the declared value: value, or list when it is
// not nil. PostgreSQL stores a value as written and a list flattened to
// "a, b", each element through quote_identifier for search_path and the
// other GUC_LIST_QUOTE parameters ("$user" is stored "\"$user\""). A scalar
// of such a parameter is one element and stored the same way.
func SettingMatches(name, value string, list []string, stored string) bool {
	if list == nil {
		if !policy.IsListQuoteParameter(name) {
			return stored == value
		}
		list = []string{value}
	}
	if stored == strings.Join(list, ", ") {
		return true
	}
	elems, ok := SplitSettingList(stored)
	return ok && slices.Equal(elems, list)
}

// SplitSettingList splits a stored list value into its elements: separated
// by commas, blanks around them dropped, an element in double quotes taken
// without them ("" inside stands for one "). ok is false for text that is
// not such a list (an unterminated quote, text after a closing quote).
func SplitSettingList(s string) (elems []string, ok bool) {
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for {
		skip()
		var e strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				if i >= len(s) {
					return nil, false
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						e.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				e.WriteByte(s[i])
				i++
			}
			skip()
		} else {
			start := i
			for i < len(s) && s[i] != ',' {
				if s[i] == '"' {
					return nil, false
				}
				i++
			}
			e.WriteString(strings.TrimRight(s[start:i], " \t\n\r"))
		}
		elems = append(elems, e.String())
		if i >= len(s) {
			return elems, true
		}
		if s[i] != ',' {
			return nil, false
		}
		i++
	}
}
