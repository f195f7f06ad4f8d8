package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// EnvPrefix is the prefix of the environment variables that set policy
// variables: PGWARD_VAR_schema sets var.schema.
const EnvPrefix = "PGWARD_VAR_"

// evaluator evaluates attribute expressions against the policy's variables
// and locals. A variable or local that failed to evaluate holds an unknown
// value, so that expressions using it evaluate to unknown and are skipped
// instead of repeating the original error.
type evaluator struct {
	vars      map[string]cty.Value
	locals    map[string]cty.Value
	varNames  []string // declared, in declaration order
	localDecl map[string]bool
	localList []string // declared, in declaration order
	ctx       *hcl.EvalContext
}

func newEvaluator() *evaluator {
	return &evaluator{
		vars:      map[string]cty.Value{},
		locals:    map[string]cty.Value{},
		localDecl: map[string]bool{},
		ctx: &hcl.EvalContext{
			Variables: map[string]cty.Value{},
			Functions: map[string]function.Function{
				"concat": stdlib.ConcatFunc,
				"format": stdlib.FormatFunc,
				"join":   stdlib.JoinFunc,
				"lower":  stdlib.LowerFunc,
				"upper":  stdlib.UpperFunc,
			},
		},
	}
}

func (e *evaluator) refresh() {
	e.ctx.Variables["var"] = cty.ObjectVal(e.vars)
	e.ctx.Variables["local"] = cty.ObjectVal(e.locals)
}

// checkRefs reports references to undeclared variables and locals, and to
// anything that is neither, with a suggestion. hcl's own message ("This
// object does not have an attribute named ...") would not say what to do.
func (e *evaluator) checkRefs(expr hcl.Expression) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		switch root {
		case "var", "local":
			if len(tr) < 2 {
				continue // hcl reports what is wrong with a bare "var"
			}
			step, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if root == "var" {
				if _, ok := e.vars[step.Name]; !ok {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Undeclared variable",
						Detail: fmt.Sprintf("No variable block declares %q.%s Declare it with variable %q { default = ... }.",
							step.Name, didYouMean(step.Name, e.varNames), step.Name),
						Subject: tr.SourceRange().Ptr(),
					})
				}
				continue
			}
			if !e.localDecl[step.Name] {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Undeclared local value",
					Detail: fmt.Sprintf("No locals block defines %q.%s Define it in a locals block: locals { %s = ... }.",
						step.Name, didYouMean(step.Name, e.localList), step.Name),
					Subject: tr.SourceRange().Ptr(),
				})
			}
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown reference",
				Detail: fmt.Sprintf("%q is not defined: expressions may refer to var.<name> and local.<name> only. A name such as a role must be quoted: %q.",
					root, root),
				Subject: tr.SourceRange().Ptr(),
			})
		}
	}
	return diags
}

// eval evaluates expr. On error the value is unknown.
func (e *evaluator) eval(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	diags := e.checkRefs(expr)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	v, d := expr.Value(e.ctx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return cty.DynamicVal, diags
	}
	return v, diags
}

// addVariables declares the variables of the blocks and gives each its
// value: --var, then PGWARD_VAR_<name>, then the default.
func (e *evaluator) addVariables(blocks []*hcl.Block, o LoadOptions) hcl.Diagnostics {
	var diags hcl.Diagnostics
	declared := map[string]hcl.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		nameRange := b.LabelRanges[0]
		if !hclsyntax.ValidIdentifier(name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid variable name",
				Detail:   fmt.Sprintf("%q cannot be referred to as var.<name>: a variable name starts with a letter or underscore and holds letters, digits, underscores and dashes.", name),
				Subject:  nameRange.Ptr(),
			})
			continue
		}
		if first, dup := declared[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate variable",
				Detail:   fmt.Sprintf("Variable %q is already declared at %s; remove one of the blocks.", name, pos(first)),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		declared[name] = b.DefRange
		e.varNames = append(e.varNames, name)

		content, d := b.Body.Content(variableSchema)
		diags = append(diags, d...)
		def, hasDefault := cty.NilVal, false
		if a, ok := content.Attributes["default"]; ok {
			v, d := a.Expr.Value(nil) // a default is a constant
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			def, hasDefault = v, true
		}
		if a, ok := content.Attributes["description"]; ok {
			v, d := a.Expr.Value(nil)
			diags = append(diags, d...)
			if !d.HasErrors() && !v.IsNull() && v.Type() != cty.String {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incorrect attribute value type",
					Detail:   "description must be a string.",
					Subject:  a.Expr.Range().Ptr(),
				})
			}
		}

		raw, from := "", ""
		if v, ok := o.Vars[name]; ok {
			raw, from = v, "--var"
		} else if o.Getenv != nil {
			if v := o.Getenv(EnvPrefix + name); v != "" {
				raw, from = v, EnvPrefix+name
			}
		}
		switch {
		case from != "":
			e.vars[name] = fromText(raw, def, from+" "+name)
		case hasDefault:
			e.vars[name] = def
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for variable",
				Detail: fmt.Sprintf("Variable %q has no default and no value: set it with --var %s=VALUE or the environment variable %s%s, or give it a default.",
					name, name, EnvPrefix, name),
				Subject: b.DefRange.Ptr(),
			})
			e.vars[name] = cty.DynamicVal
		}
	}

	names := make([]string, 0, len(o.Vars))
	for n := range o.Vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := declared[n]; !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undeclared variable",
				Detail: fmt.Sprintf("--var sets %q, but no variable block declares it.%s",
					n, didYouMean(n, e.varNames)),
			})
		}
	}
	e.refresh()
	return diags
}

// fromText turns the text of a --var or environment value into a value. A
// string default (or none) keeps the text as it is; a number, bool, list or
// object default has the text read as an HCL expression (20, true,
// ["a", "b"]), and if it is not one the text stays a string and the
// attribute that uses it says what is wrong.
func fromText(raw string, def cty.Value, source string) cty.Value {
	if def == cty.NilVal || def.IsNull() || !def.IsKnown() || def.Type() == cty.String {
		return cty.StringVal(raw)
	}
	expr, d := hclsyntax.ParseExpression([]byte(raw), source, hcl.InitialPos)
	if d.HasErrors() {
		return cty.StringVal(raw)
	}
	v, d := expr.Value(nil)
	if d.HasErrors() || !v.IsWhollyKnown() {
		return cty.StringVal(raw)
	}
	return v
}

// addLocals evaluates the locals of every locals block, each after the
// locals it refers to. What remains when no progress is possible refers to
// itself through a cycle.
func (e *evaluator) addLocals(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	attrs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		as, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		// JustAttributes returns a map: keep the file order for messages.
		sorted := make([]*hcl.Attribute, 0, len(as))
		for _, a := range as {
			sorted = append(sorted, a)
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
		for _, a := range sorted {
			if first, dup := attrs[a.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate local value",
					Detail:   fmt.Sprintf("local.%s is already defined at %s; remove one of the definitions.", a.Name, pos(first.NameRange)),
					Subject:  a.NameRange.Ptr(),
				})
				continue
			}
			attrs[a.Name] = a
			e.localDecl[a.Name] = true
			e.localList = append(e.localList, a.Name)
		}
	}

	deps := map[string][]string{}
	for _, n := range e.localList {
		seen := map[string]bool{}
		for _, tr := range attrs[n].Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue
			}
			if s, ok := tr[1].(hcl.TraverseAttr); ok && e.localDecl[s.Name] && !seen[s.Name] {
				seen[s.Name] = true
				deps[n] = append(deps[n], s.Name)
			}
		}
	}

	e.refresh()
	pending := append([]string(nil), e.localList...)
	for len(pending) > 0 {
		var rest []string
		for _, n := range pending {
			ready := true
			for _, dep := range deps[n] {
				if _, ok := e.locals[dep]; !ok {
					ready = false
					break
				}
			}
			if !ready {
				rest = append(rest, n)
				continue
			}
			v, d := e.eval(attrs[n].Expr)
			diags = append(diags, d...)
			e.locals[n] = v
			e.refresh()
		}
		if len(rest) == len(pending) {
			unresolved := map[string]bool{}
			for _, n := range rest {
				unresolved[n] = true
			}
			for _, n := range rest {
				e.locals[n] = cty.DynamicVal
				// A local that only depends on a cycle gets no message of
				// its own: the members of the cycle are reported.
				if !reaches(n, n, deps, unresolved) {
					continue
				}
				var refs []string
				for _, dep := range deps[n] {
					if unresolved[dep] {
						refs = append(refs, "local."+dep)
					}
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cycle in local values",
					Detail: fmt.Sprintf("local.%s refers to %s, which refers back to local.%s, directly or through other locals; break the cycle.",
						n, strings.Join(refs, ", "), n),
					Subject: attrs[n].NameRange.Ptr(),
				})
			}
			e.refresh()
			break
		}
		pending = rest
	}
	return diags
}

// reaches reports whether to is reachable from from through at least one
// dependency edge between unresolved locals.
func reaches(from, to string, deps map[string][]string, unresolved map[string]bool) bool {
	seen := map[string]bool{}
	stack := append([]string(nil), deps[from]...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == to {
			return true
		}
		if seen[n] || !unresolved[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, deps[n]...)
	}
	return false
}
