package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// LoadOptions are the inputs of a policy that do not come from its files.
// The zero value means no --var values and no environment.
type LoadOptions struct {
	// Vars are the --var name=value pairs of the command line. They take
	// precedence over the environment and over defaults. Naming a variable
	// that no variable block declares is an error.
	Vars map[string]string
	// Getenv looks up PGWARD_VAR_<name> for each declared variable; an empty
	// result counts as unset. Nil means no environment (os.Getenv is never
	// called implicitly).
	Getenv func(string) string
}

// policyFile is one file to parse: where to read it and the name
// diagnostics give it.
type policyFile struct {
	fsPath  string
	display string
}

// LoadPath loads a policy from one .hcl file or from every *.hcl file of a
// directory (sorted by name, not recursive, dot-files skipped). Files named
// *.yaml or *.yml are read as YAML, alone or mixed with HCL. Diagnostic
// filenames are path as given joined with the file name, e.g.
// "examples/tuist/policy.hcl".
//
// The policy is nil exactly when the diagnostics hold an error; warnings may
// accompany a policy.
func LoadPath(p string, o LoadOptions) (*Policy, hcl.Diagnostics) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read policy",
			Detail:   fmt.Sprintf("%s; give a policy file (.hcl or .yaml) or a directory of them.", err),
		}}
	}
	if st.IsDir() {
		return loadDir(os.DirFS(p), p, string(filepath.Separator), o)
	}
	dir, base := filepath.Split(p)
	if dir == "" {
		dir = "."
	}
	fsys := os.DirFS(dir)
	return load(fsys, []policyFile{{fsPath: base, display: p}}, o)
}

// Load loads a policy from every *.hcl, *.yaml and *.yml file at the root
// of fsys, in name order (dot-files skipped). name prefixes the file names
// in diagnostics (path.Join(name, file)); "" or "." gives bare file names.
//
// The policy is nil exactly when the diagnostics hold an error; warnings may
// accompany a policy.
func Load(fsys fs.FS, name string, o LoadOptions) (*Policy, hcl.Diagnostics) {
	return loadDir(fsys, name, "/", o)
}

func loadDir(fsys fs.FS, name, sep string, o LoadOptions) (*Policy, hcl.Diagnostics) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read policy",
			Detail:   fmt.Sprintf("reading directory %s: %s.", displayDir(name), err),
		}}
	}
	var files []policyFile
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".hcl") && !isYAMLFile(n) {
			continue
		}
		files = append(files, policyFile{fsPath: n, display: joinDisplay(name, n, sep)})
	}
	if len(files) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No policy files",
			Detail:   fmt.Sprintf("Directory %s holds no *.hcl file and no *.yaml or *.yml file; a policy is one .hcl or .yaml file or a directory of them.", displayDir(name)),
		}}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].fsPath < files[j].fsPath })
	return load(fsys, files, o)
}

func displayDir(name string) string {
	if name == "" {
		return "."
	}
	return name
}

// joinDisplay joins a directory as the user wrote it with a file name,
// without cleaning it ("./policy" stays "./policy/web.hcl").
func joinDisplay(dir, file, sep string) string {
	switch {
	case dir == "" || dir == ".":
		return file
	case strings.HasSuffix(dir, "/") || strings.HasSuffix(dir, sep):
		return dir + file
	}
	return dir + sep + file
}

// load parses the files, stops at syntax errors (a partial body would only
// add confusing follow-up errors), and decodes the rest.
func load(fsys fs.FS, files []policyFile, o LoadOptions) (*Policy, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	parser := hclparse.NewParser()
	var bodies []hcl.Body
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f.fsPath)
		if err != nil {
			detail := err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				detail = pe.Err.Error()
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read policy",
				Detail:   fmt.Sprintf("reading %s: %s.", f.display, detail),
			})
			continue
		}
		if isYAMLFile(f.fsPath) {
			body, d := parseYAML(src, f.display)
			diags = append(diags, d...)
			if body != nil {
				bodies = append(bodies, body)
			}
			continue
		}
		file, d := parser.ParseHCL(src, f.display)
		diags = append(diags, d...)
		if file != nil && file.Body != nil {
			bodies = append(bodies, file.Body)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	p, d := decode(bodies, o)
	diags = append(diags, d...)
	sortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

// sortDiagnostics puts diagnostics in reading order: those without a place
// (the command line) first, then by file and position. Decoding runs in
// phases (variables, locals, roles), so the order it finds problems in is
// not the order a reader meets them.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}
