package layout_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/pgward/pgward"

// floors gives every top-level package of the module the floor it sits on
// in docs/architecture.md. A package may import only packages on a lower
// floor, so imports run one way: features → stages → leaves. A new
// top-level package has to be placed here (and in the document) before
// this test passes.
var floors = map[string]int{
	"policy":     1,
	"introspect": 1,
	"access":     2,
	"cnpg":       2,
	"plan":       3,
	"apply":      4,
	"audit":      4,
	"explain":    4,
	"importer":   4,
	"render":     4,
	"pipeline":   5,
	"prcheck":    5,
	"fleet":      6,
	"cmd/pgward": 7,
}

type pkg struct {
	path    string
	imports []string
}

// list runs go list over patterns and keeps the module's own packages and
// imports, relative to the module root.
func list(t *testing.T, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		path, ok := own(fields[0])
		if !ok {
			continue
		}
		p := pkg{path: path}
		for _, imp := range fields[1:] {
			if rel, ok := own(imp); ok {
				p.imports = append(p.imports, rel)
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func own(importPath string) (string, bool) {
	if importPath == module {
		return ".", true
	}
	return strings.CutPrefix(importPath, module+"/")
}

func isInternal(path string) bool { return strings.HasPrefix(path, "internal/") }
func isTestKit(path string) bool  { return strings.HasPrefix(path, "internal/testkit/") }

// TestBinaryLinksLeavesOnly: a package under internal/ that the binary
// links imports nothing but other such leaves, and the test kit is never
// linked.
func TestBinaryLinksLeavesOnly(t *testing.T) {
	pkgs := list(t, "-deps", module+"/cmd/pgward")
	if len(pkgs) < 5 {
		t.Fatalf("go list -deps ./cmd/pgward found %d packages of the module; the test reads nothing", len(pkgs))
	}
	for _, p := range pkgs {
		if isTestKit(p.path) {
			t.Errorf("the binary links the test kit package %s", p.path)
		}
		if !isInternal(p.path) {
			continue
		}
		for _, imp := range p.imports {
			if !isInternal(imp) {
				t.Errorf("%s is linked into the binary and imports the top-level package %s: an internal/ package must be a leaf (move it up, or move what it needs down)", p.path, imp)
			}
		}
	}
}

// TestImportsRunDown: every import of a product package goes to a lower
// floor (see floors).
func TestImportsRunDown(t *testing.T) {
	floor := func(path string) (int, bool) {
		if isInternal(path) {
			return 0, !isTestKit(path)
		}
		f, ok := floors[path]
		return f, ok
	}
	checked := 0
	for _, p := range list(t, module+"/...") {
		if isTestKit(p.path) || strings.HasPrefix(p.path, "examples/") || strings.HasPrefix(p.path, "bench") {
			continue // tests, examples and the benchmark may use anything
		}
		from, ok := floor(p.path)
		if !ok {
			t.Errorf("package %s has no floor: place it in docs/architecture.md and in this test's floors", p.path)
			continue
		}
		for _, imp := range p.imports {
			to, ok := floor(imp)
			if !ok {
				t.Errorf("%s imports %s, which product code must not import", p.path, imp)
				continue
			}
			if to >= from && !(from == 0 && to == 0) {
				t.Errorf("%s (floor %d) imports %s (floor %d): imports must run down", p.path, from, imp, to)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d imports checked; go list read less than the module", checked)
	}
}

// TestThinCLI: the CLI holds flags, formats and exit codes, not product
// logic; no file of it grows past 500 lines.
func TestThinCLI(t *testing.T) {
	files, err := filepath.Glob("../../../cmd/pgward/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no CLI files found (%v)", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n > 500 {
			t.Errorf("%s has %d lines (at most 500): move the logic into the package that owns it", filepath.Base(f), n)
		}
	}
}

// TestArchitectureDocument: docs/architecture.md gives every top-level
// package the floor this test does, so that the page a newcomer reads is
// the rule that is checked.
func TestArchitectureDocument(t *testing.T) {
	b, err := os.ReadFile("../../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		floor, err := strconv.Atoi(strings.TrimSpace(cells[1]))
		if err != nil {
			continue
		}
		for _, name := range strings.Split(cells[2], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if name != "" && !isInternal(name) {
				documented[name] = floor
			}
		}
	}
	if !reflect.DeepEqual(documented, floors) {
		t.Errorf("docs/architecture.md places the packages on floors %v; this test on %v", documented, floors)
	}
}
