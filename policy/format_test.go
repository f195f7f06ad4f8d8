package policy_test

import (
	"bytes"
	"flag"
	goldenfile "github.com/pgward/pgward/internal/testkit/golden"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pgward/pgward/policy"
)

var formatUpdate = flag.Bool("format.update", false, "rewrite the golden files of TestFormat_golden")

// policySources returns every .hcl file under the example and test
// directories, by directory, with its contents.
func policySources(t testing.TB) map[string]map[string][]byte {
	t.Helper()
	dirs := map[string]map[string][]byte{}
	for _, root := range []string{"testdata", "../examples", "../plan/testdata"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".hcl") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			dir := filepath.Dir(path)
			if dirs[dir] == nil {
				dirs[dir] = map[string][]byte{}
			}
			dirs[dir][filepath.Base(path)] = src
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("found policies in %d directories only", len(dirs))
	}
	return dirs
}

func parses(src []byte) bool {
	_, diags := hclsyntax.ParseConfig(src, "x.hcl", hcl.InitialPos)
	return !diags.HasErrors()
}

func TestFormat_idempotent(t *testing.T) {
	n := 0
	for dir, files := range policySources(t) {
		for name, src := range files {
			path := filepath.Join(dir, name)
			if !parses(src) {
				continue // the syntax-error cases
			}
			once, diags := policy.Format(src)
			if diags.HasErrors() {
				t.Errorf("%s: %s", path, diags.Error())
				continue
			}
			twice, diags := policy.Format(once)
			if diags.HasErrors() || !bytes.Equal(once, twice) {
				t.Errorf("%s: formatting twice differs from once (%v):\n%s", path, diags, lineDiff(string(once), string(twice)))
			}
			n++
		}
	}
	if n < 30 {
		t.Errorf("checked %d files only", n)
	}
}

// TestFormat_keepsMeaning loads every policy directory before and after
// formatting: the policies, and the diagnostics of the invalid ones, are
// the same but for columns.
func TestFormat_keepsMeaning(t *testing.T) {
	for dir, files := range policySources(t) {
		if filepath.Base(filepath.Dir(dir)) == "format" {
			continue // input and want of a golden case: TestFormat_golden
		}
		before, after := fstest.MapFS{}, fstest.MapFS{}
		ok := true
		for name, src := range files {
			out, diags := policy.Format(src)
			if diags.HasErrors() {
				ok = false
				break
			}
			before[name] = &fstest.MapFile{Data: src}
			after[name] = &fstest.MapFile{Data: out}
		}
		if !ok {
			continue
		}
		p1, d1 := policy.Load(before, dir, policy.LoadOptions{})
		p2, d2 := policy.Load(after, dir, policy.LoadOptions{})
		if got, want := diagLines(d2), diagLines(d1); got != want {
			t.Errorf("%s: diagnostics differ after formatting:\n%s", dir, lineDiff(want, got))
		}
		stripRanges(reflect.ValueOf(p1))
		stripRanges(reflect.ValueOf(p2))
		if !reflect.DeepEqual(p1, p2) {
			t.Errorf("%s: the policy differs after formatting", dir)
		}
	}
}

// diagLines renders diagnostics without columns, which formatting moves.
func diagLines(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Subject != nil {
			b.WriteString(d.Subject.Filename + ":" + strconv.Itoa(d.Subject.Start.Line) + ": ")
		}
		b.WriteString(d.Summary + "; " + column.ReplaceAllString(d.Detail, "$1") + "\n")
	}
	return b.String()
}

// column is the column of a position in a detail ("at policy.hcl:3:5").
var column = regexp.MustCompile(`(\.hcl:\d+):\d+`)

var rangeType = reflect.TypeOf(hcl.Range{})

// stripRanges zeroes every hcl.Range reachable from v, in place.
func stripRanges(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripRanges(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == rangeType {
			if v.CanSet() {
				v.SetZero()
			}
			return
		}
		for i := range v.NumField() {
			stripRanges(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			stripRanges(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			stripRanges(e)
			v.SetMapIndex(k, e)
		}
	}
}

// TestFormat_golden formats a badly laid out policy; -format.update
// rewrites want.hcl.
func TestFormat_golden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/format/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, "input.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			got, diags := policy.Format(src)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			wantPath := filepath.Join(dir, "want.hcl")
			if *formatUpdate {
				if err := os.WriteFile(wantPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("formatted %s differs from want.hcl (-want +got):\n%s", dir, lineDiff(string(want), string(got)))
			}
			if again, _ := policy.Format(want); !bytes.Equal(again, want) {
				t.Errorf("want.hcl is not canonical itself")
			}
			p1, d1 := policy.Load(fstest.MapFS{"policy.hcl": {Data: src}}, "", policy.LoadOptions{})
			p2, d2 := policy.Load(fstest.MapFS{"policy.hcl": {Data: want}}, "", policy.LoadOptions{})
			if d1.HasErrors() || d2.HasErrors() {
				t.Fatalf("the golden policy does not load:\n%s%s", policy.FormatDiagnostics(d1), policy.FormatDiagnostics(d2))
			}
			stripRanges(reflect.ValueOf(p1))
			stripRanges(reflect.ValueOf(p2))
			if !reflect.DeepEqual(p1, p2) {
				t.Error("input.hcl and want.hcl load to different policies")
			}
		})
	}
}

func TestFormat_syntaxError(t *testing.T) {
	src := []byte("role \"a\" {\n  grant \"table\" {\n    privileges = [\"SELECT\" \"INSERT\"]\n  }\n}\n")
	out, diags := policy.FormatFile(src, "dir/policy.hcl")
	if out != nil || !diags.HasErrors() {
		t.Fatalf("want no output and an error, got %q, %v", out, diags)
	}
	got := policy.FormatDiagnostics(diags)
	if !strings.HasPrefix(got, "dir/policy.hcl:3:") {
		t.Errorf("diagnostic lacks file:line:col: %s", got)
	}
	if _, diags := policy.Format(src); !diags.HasErrors() {
		t.Error("Format accepts what FormatFile rejects")
	}
}

func TestFormatSignature(t *testing.T) {
	for in, want := range map[string]string{
		"lookup( int ,text )": "lookup(integer, text)",
		"f()":                 "f()",
		"public.f(int8[])":    "public.f(bigint[])",
	} {
		if got, err := policy.FormatSignature(in); err != nil || got != want {
			t.Errorf("FormatSignature(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := policy.FormatSignature("f(numeric(10,2))"); err == nil {
		t.Error("FormatSignature accepts a type modifier")
	}
}

func FuzzFormat(f *testing.F) {
	for _, files := range policySources(f) {
		for _, src := range files {
			f.Add(src)
		}
	}
	for _, s := range []string{
		"",
		"\n\n\n",
		"a=1",
		"a = <<EOT\n  x\n    y\nEOT\n",
		"a = <<-EOT\n  x\n    y\n  EOT\n",
		"b {\n# c\n  x = 1 # one\n  yy = 22 // two\n  /* three */ zzz = 3\n}\n",
		"b { x = 1 }\nc \"l\" { y = [for v in [1, 2] : v * 2 if v > 1] }\n",
		"x = {\na = 1\nbb = { c = 2, ddd = 3 }\n}\n",
		"x = \"${a}${b[0]}%{if c}d%{endif}\"\n",
		"x = a ? b : -c\ny = !d && e || f\n",
		"role \"r\" {\r\n\tlogin = true\r\n}\r\n",
		"\xef\xbb\xbfrole \"r\" {}",
		"x = [\n1,\n[2,\n3],\n]\n",
		"x = f(\na,\nb...)\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, diags := policy.Format(src)
		if diags.HasErrors() {
			if out != nil {
				t.Fatal("output with errors")
			}
			return
		}
		if !parses(out) {
			t.Fatalf("the formatted source does not parse:\n%s", out)
		}
		again, diags := policy.Format(out)
		if diags.HasErrors() || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%s", lineDiff(string(out), string(again)))
		}
		if !sameTokens(src, out) {
			t.Fatalf("formatting changed more than spaces:\n%s", lineDiff(string(src), string(out)))
		}
	})
}

// sameTokens reports whether a and b lex to the same tokens.
func sameTokens(a, b []byte) bool {
	ta, _ := hclsyntax.LexConfig(a, "a", hcl.InitialPos)
	tb, _ := hclsyntax.LexConfig(b, "b", hcl.InitialPos)
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if ta[i].Type != tb[i].Type || !bytes.Equal(bytes.TrimRight(ta[i].Bytes, " \t"), bytes.TrimRight(tb[i].Bytes, " \t")) {
			return false
		}
	}
	return true
}

func lineDiff(a, b string) string { return goldenfile.LineDiff(a, b) }

// TestFormat_joinedTokens: hclwrite removes the space in "0 .0", which
// would turn an index into a number into the number 0.0; Format refuses
// and points at the token that would change. The same space elsewhere
// (after a name) is formatted as usual.
func TestFormat_joinedTokens(t *testing.T) {
	out, diags := policy.FormatFile([]byte("locals {\n  a = 0 .0\n}\n"), "p.hcl")
	if out != nil {
		t.Errorf("formatted despite the joined tokens: %q", out)
	}
	if got, want := policy.FormatDiagnostics(diags), "p.hcl:2:7: error: Cannot format;"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want the prefix %q", got, want)
	}
	out, diags = policy.FormatFile([]byte("locals {\n  a = b .c\n}\n"), "p.hcl")
	if diags.HasErrors() || string(out) != "locals {\n  a = b.c\n}\n" {
		t.Errorf("got %q, %v", out, diags)
	}
}
