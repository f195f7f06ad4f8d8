package oracle

import "github.com/pgward/pgward/internal/acl"

// Shrink removes parts of a failing case one at a time, keeping each
// removal after which fails still reports true, until no single removal
// keeps it failing or more(attempts so far) reports false. It returns the
// smallest failing case found and the number of calls of fails.
func Shrink(c *Case, fails func(*Case) bool, more func(attempts int) bool) (*Case, int) {
	n := 0
	for {
		progress := false
		// Edits refer to parts by index, which stay valid as parts are
		// switched off: go on with the rest of the list after a success.
		for _, edit := range c.edits() {
			if !more(n) {
				return c, n
			}
			d := c.Clone()
			if !edit(d) {
				continue
			}
			n++
			if fails(d) {
				c, progress = d, true
			}
		}
		if !progress {
			return c, n
		}
	}
}

// chunkEdits switches off halves, quarters, … of a list's live parts at
// once, before the parts one by one are tried.
func chunkEdits(out []func(*Case) bool, live []int, get func(d *Case, i int) *bool) []func(*Case) bool {
	for size := len(live) / 2; size >= 2; size /= 2 {
		for start := 0; start+size <= len(live); start += size {
			chunk := live[start : start+size]
			out = append(out, func(d *Case) bool {
				changed := false
				for _, i := range chunk {
					if p := get(d, i); !*p {
						*p, changed = true, true
					}
				}
				return changed
			})
		}
	}
	return out
}

// edits lists the single-step reductions of c, coarse ones first. Each
// applies to a clone and reports whether it changed anything.
func (c *Case) edits() []func(*Case) bool {
	var out []func(*Case) bool
	off := func(get func(*Case) *bool) {
		if !*get(c) {
			out = append(out, func(d *Case) bool {
				if *get(d) {
					return false
				}
				*get(d) = true
				return true
			})
		}
	}
	liveOf := func(n int, on func(i int) bool) []int {
		var live []int
		for i := range n {
			if on(i) {
				live = append(live, i)
			}
		}
		return live
	}
	out = chunkEdits(out, liveOf(len(c.Objects), func(i int) bool { return !c.Objects[i].Off }), func(d *Case, i int) *bool { return &d.Objects[i].Off })
	out = chunkEdits(out, liveOf(len(c.Grants), func(i int) bool { return !c.Grants[i].Off }), func(d *Case, i int) *bool { return &d.Grants[i].Off })
	type ruleRef struct{ role, rule int }
	var rules []ruleRef
	for i, pr := range c.Policy.Roles {
		for j, ru := range pr.Rules {
			if !ru.Off && !pr.Off {
				rules = append(rules, ruleRef{i, j})
			}
		}
	}
	out = chunkEdits(out, liveOf(len(rules), func(int) bool { return true }), func(d *Case, i int) *bool {
		return &d.Policy.Roles[rules[i].role].Rules[rules[i].rule].Off
	})
	for i := 1; i < len(c.Roles); i++ {
		off(func(d *Case) *bool { return &d.Roles[i].Off })
	}
	for i := range c.Schemas {
		off(func(d *Case) *bool { return &d.Schemas[i].Off })
	}
	for i := range c.Policy.Roles {
		off(func(d *Case) *bool { return &d.Policy.Roles[i].Off })
	}
	for i := range c.Objects {
		off(func(d *Case) *bool { return &d.Objects[i].Off })
	}
	for i := range c.Grants {
		off(func(d *Case) *bool { return &d.Grants[i].Off })
	}
	for i := range c.Defaults {
		off(func(d *Case) *bool { return &d.Defaults[i].Off })
	}
	for i := range c.Memberships {
		off(func(d *Case) *bool { return &d.Memberships[i].Off })
	}
	for i, pr := range c.Policy.Roles {
		for j := range pr.Rules {
			off(func(d *Case) *bool { return &d.Policy.Roles[i].Rules[j].Off })
		}
		for j := range pr.Defaults {
			off(func(d *Case) *bool { return &d.Policy.Roles[i].Defaults[j].Off })
		}
		for j := range pr.MemberOf {
			off(func(d *Case) *bool { return &d.Policy.Roles[i].MemberOf[j].Off })
		}
	}
	for i := range c.Policy.Public {
		off(func(d *Case) *bool { return &d.Policy.Public[i].Off })
	}
	// Finer: parts of parts.
	for i, o := range c.Objects {
		for j, col := range o.Columns {
			if j > 0 && !col.Off {
				out = append(out, func(d *Case) bool { return set(&d.Objects[i].Columns[j].Off, true) })
			}
		}
		if len(o.Args) > 0 && o.Kind == OFunction {
			out = append(out, func(d *Case) bool {
				// Fewer arguments, unless an overload already has them.
				args := d.Objects[i].Args[:len(d.Objects[i].Args)-1]
				for x, p := range d.Objects {
					if x != i && p.Kind.Routine() && p.Schema == o.Schema && p.Name == o.Name && len(p.Args) == len(args) {
						return false
					}
				}
				d.Objects[i].Args = args
				return true
			})
		}
		if o.Owner > 0 { // not SuperOwner: a wrapper must stay the superuser's
			out = append(out, func(d *Case) bool { return set(&d.Objects[i].Owner, 0) })
		}
	}
	for i, pr := range c.Policy.Roles {
		if pr.External {
			out = append(out, func(d *Case) bool { return set(&d.Policy.Roles[i].External, false) })
		}
		if pr.Login != nil || pr.Inherit != nil {
			out = append(out, func(d *Case) bool { d.Policy.Roles[i].Login, d.Policy.Roles[i].Inherit = nil, nil; return true })
		}
		for j, ru := range pr.Rules {
			rule := func(d *Case) *Rule { return &d.Policy.Roles[i].Rules[j] }
			for _, x := range ru.Names {
				out = append(out, func(d *Case) bool { r := rule(d); return removeOne(&r.Names, x, 1) })
			}
			for _, x := range ru.Except {
				out = append(out, func(d *Case) bool { r := rule(d); return removeOne(&r.Except, x, 0) })
			}
			for _, x := range ru.Columns {
				out = append(out, func(d *Case) bool { r := rule(d); return removeOne(&r.Columns, x, 1) })
			}
			if ru.Owner >= 0 {
				out = append(out, func(d *Case) bool { return set(&rule(d).Owner, -1) })
			}
			if ru.Schema != NoSchema {
				out = append(out, func(d *Case) bool { return set(&rule(d).Schema, NoSchema) })
			}
			if ru.GrantOption {
				out = append(out, func(d *Case) bool { return set(&rule(d).GrantOption, false) })
			}
			if ru.All {
				out = append(out, func(d *Case) bool {
					r := rule(d)
					if !r.All {
						return false
					}
					r.All, r.Privs = false, lowest(acl.Valid(r.Kind, c.Version))
					return true
				})
			}
			out = appendPrivEdits(out, ru.Privs, func(d *Case) *acl.Priv { return &rule(d).Privs })
		}
		for j, pd := range pr.Defaults {
			def := func(d *Case) *PDefault { return &d.Policy.Roles[i].Defaults[j] }
			if pd.GrantOption {
				out = append(out, func(d *Case) bool { return set(&def(d).GrantOption, false) })
			}
			if pd.Schema != NoSchema {
				out = append(out, func(d *Case) bool { return set(&def(d).Schema, NoSchema) })
			}
			out = appendPrivEdits(out, pd.Privs, func(d *Case) *acl.Priv { return &def(d).Privs })
		}
		for j, pm := range pr.MemberOf {
			if pm.Admin {
				out = append(out, func(d *Case) bool { return set(&d.Policy.Roles[i].MemberOf[j].Admin, false) })
			}
			if pm.Inherit != nil || pm.Set != nil {
				out = append(out, func(d *Case) bool {
					m := &d.Policy.Roles[i].MemberOf[j]
					m.Inherit, m.Set = nil, nil
					return true
				})
			}
		}
	}
	for i, g := range c.Grants {
		if g.GrantOption {
			out = append(out, func(d *Case) bool { return set(&d.Grants[i].GrantOption, false) })
		}
		out = appendPrivEdits(out, g.Privs, func(d *Case) *acl.Priv { return &d.Grants[i].Privs })
	}
	for i, df := range c.Defaults {
		if df.GrantOption {
			out = append(out, func(d *Case) bool { return set(&d.Defaults[i].GrantOption, false) })
		}
		out = appendPrivEdits(out, df.Privs, func(d *Case) *acl.Priv { return &d.Defaults[i].Privs })
	}
	for i, r := range c.Roles {
		if r.NoInherit {
			out = append(out, func(d *Case) bool { return set(&d.Roles[i].NoInherit, false) })
		}
	}
	return out
}

// appendPrivEdits adds one edit per privilege of a set of two or more: the
// set without it.
func appendPrivEdits(out []func(*Case) bool, p acl.Priv, get func(*Case) *acl.Priv) []func(*Case) bool {
	if p.Len() < 2 {
		return out
	}
	p.Each(func(bit acl.Priv) {
		out = append(out, func(d *Case) bool {
			q := get(d)
			if *q&bit == 0 || *q == bit {
				return false
			}
			*q &^= bit
			return true
		})
	})
	return out
}

func lowest(p acl.Priv) acl.Priv { return p & -p }

// set assigns v to *p and reports whether that changed it.
func set[T comparable](p *T, v T) bool {
	if *p == v {
		return false
	}
	*p = v
	return true
}

// removeOne removes the first x from *xs, unless that would leave fewer
// than keep elements; it reports whether it did.
func removeOne(xs *[]string, x string, keep int) bool {
	for i, y := range *xs {
		if y == x && len(*xs) > keep {
			*xs = append((*xs)[:i:i], (*xs)[i+1:]...)
			return true
		}
	}
	return false
}
