package pgserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pgward/pgward/internal/pgserver"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// logLines records what Start logs, from any goroutine.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// startCached starts a local cluster with the template cache in dir,
// checks that it answers, stops it, and returns what it logged. Without
// local binaries it skips, or fails under CI=true.
func startCached(t *testing.T, dir string) string {
	t.Helper()
	var log logLines
	s, err := pgserver.Start(context.Background(), pgserver.Options{BinDir: os.Getenv(pgtest.EnvBinDir), CacheDir: dir, Logf: log.logf})
	if errors.Is(err, pgserver.ErrNoServer) && !pgtest.InCI() {
		t.Skipf("no local PostgreSQL binaries: %v", err)
	}
	if err != nil {
		t.Fatalf("start with the cache in %s: %v\nlog:\n%s", dir, err, log.text())
	}
	answer(t, s)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	return log.text()
}

// answer checks that the server runs queries and that the password role's
// hba lines (written before the template is cached) are in force.
func answer(t *testing.T, s *pgserver.Server) {
	t.Helper()
	ctx := context.Background()
	conn, err := s.SuperuserConn(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_hba_file_rules WHERE $1 = ANY(user_name)", pgserver.PasswordRoleName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("pg_hba.conf has no line for %s", pgserver.PasswordRoleName)
	}
}

// entries lists the cache's entries: its directories not starting with a
// dot (the build and trash directories do).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range des {
		if !strings.HasPrefix(d.Name(), ".") {
			out = append(out, d.Name())
		}
	}
	return out
}

const (
	logInitdb = "pgserver: initdb "
	logCopied = "copied from the cached template"
	logStored = "pgserver: template cached in "
)

func mustContain(t *testing.T, what, log string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(log, w) {
			t.Errorf("%s: log lacks %q:\n%s", what, w, log)
		}
	}
}

func mustLack(t *testing.T, what, log string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(log, w) {
			t.Errorf("%s: log has %q:\n%s", what, w, log)
		}
	}
}

// TestStart_cacheWarm: the first start runs initdb and stores one entry
// with its marker; the second copies the template and runs no initdb.
func TestStart_cacheWarm(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache") // created by Start
	cold := startCached(t, dir)
	mustContain(t, "cold start", cold, logInitdb, logStored)
	mustLack(t, "cold start", cold, logCopied)
	es := entries(t, dir)
	if len(es) != 1 || !strings.HasPrefix(es[0], "pg") {
		t.Fatalf("cache entries after a cold start: %v, want one pg…", es)
	}
	if _, err := os.Stat(filepath.Join(dir, es[0], "COMPLETE")); err != nil {
		t.Fatalf("entry without its marker: %v", err)
	}
	warm := startCached(t, dir)
	mustContain(t, "warm start", warm, logCopied)
	mustLack(t, "warm start", warm, logInitdb, logStored)
	if got := entries(t, dir); len(got) != 1 || got[0] != es[0] {
		t.Errorf("cache entries after a warm start: %v, want %v", got, es)
	}
}

// TestStart_cacheConcurrent: two starts on an empty cache at once both
// succeed and leave one entry, which the next start uses.
func TestStart_cacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	logs := make([]string, 2)
	for i := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logs[i] = startCached(t, dir)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Fatalf("cache entries after two concurrent starts: %v, want one\nlogs:\n%s", es, strings.Join(logs, "\n--\n"))
	}
	warm := startCached(t, dir)
	mustContain(t, "start after the concurrent ones", warm, logCopied)
	mustLack(t, "start after the concurrent ones", warm, logInitdb)
}

// TestStart_cacheDamaged: an entry whose marker is missing or garbled,
// or whose file is truncated, changed or missing, is not used: the start
// runs initdb, succeeds, and stores a valid entry in its place.
func TestStart_cacheDamaged(t *testing.T) {
	pristine := t.TempDir()
	startCached(t, pristine)
	es := entries(t, pristine)
	if len(es) != 1 {
		t.Fatalf("cache entries: %v", es)
	}
	entry := es[0]
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, entry string)
	}{
		{"marker missing", func(t *testing.T, entry string) { remove(t, filepath.Join(entry, "COMPLETE")) }},
		{"marker truncated", func(t *testing.T, entry string) { truncate(t, filepath.Join(entry, "COMPLETE")) }},
		{"file truncated", func(t *testing.T, entry string) { truncate(t, filepath.Join(entry, "data", "global", "pg_control")) }},
		{"file changed", func(t *testing.T, entry string) {
			if err := os.WriteFile(filepath.Join(entry, "data", "PG_VERSION"), []byte("9\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"file missing", func(t *testing.T, entry string) { remove(t, filepath.Join(entry, "data", "pg_hba.conf")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, filepath.Join(dir, entry))
			log := startCached(t, dir)
			mustContain(t, "start on the damaged entry", log, "cached template not used", logInitdb, logStored+filepath.Join(dir, entry))
			mustLack(t, "start on the damaged entry", log, logCopied)
			// The rebuilt entry is whole again: the files the damage
			// touched are back, and the marker with them.
			for _, f := range []string{"COMPLETE", "data/global/pg_control", "data/PG_VERSION", "data/pg_hba.conf"} {
				a, err1 := os.ReadFile(filepath.Join(pristine, entry, f))
				b, err2 := os.ReadFile(filepath.Join(dir, entry, f))
				if err1 != nil || err2 != nil {
					t.Fatalf("read %s: %v, %v", f, err1, err2)
				}
				// pg_control holds the cluster's system identifier, new
				// with each initdb, and the marker the CRCs: those are
				// only there again.
				same := true
				if f != "COMPLETE" && f != "data/global/pg_control" {
					same = string(a) == string(b)
				}
				if !same {
					t.Errorf("rebuilt %s differs from the pristine one", f)
				}
			}
			if es := entries(t, dir); len(es) != 1 {
				t.Errorf("cache entries after the rebuild: %v, want one", es)
			}
		})
	}
}

// TestStart_cacheUnwritable: a cache directory that cannot be created
// (its parent is a file, which stops root too) costs nothing but the
// log line: initdb runs and the server starts.
func TestStart_cacheUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	log := startCached(t, filepath.Join(file, "cache"))
	mustContain(t, "start with an unwritable cache", log, logInitdb, "template not cached in")
	mustLack(t, "start with an unwritable cache", log, logCopied, logStored)
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// TestStart_cacheDoesNotStart: a template that passes its checks (the
// marker agrees with its files) but on which the server does not start
// is discarded; initdb runs, the server starts, and the entry is rebuilt.
func TestStart_cacheDoesNotStart(t *testing.T) {
	dir := t.TempDir()
	startCached(t, dir)
	es := entries(t, dir)
	if len(es) != 1 {
		t.Fatalf("cache entries: %v", es)
	}
	entry := filepath.Join(dir, es[0])
	conf := filepath.Join(entry, "data", "postgresql.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "shared_buffers = 'pgward_broken'\n"...)
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Make the marker agree with the changed file.
	markerPath := filepath.Join(entry, "COMPLETE")
	raw, err := os.ReadFile(markerPath)
	if err != nil {
		t.Fatal(err)
	}
	var marker map[string]any
	if err := json.Unmarshal(raw, &marker); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range marker["entries"].([]any) {
		if e := e.(map[string]any); e["path"] == "postgresql.conf" {
			e["size"], e["crc"] = len(b), crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
			found = true
		}
	}
	if !found {
		t.Fatalf("the marker lists no postgresql.conf:\n%s", raw)
	}
	if raw, err = json.Marshal(marker); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(markerPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	log := startCached(t, dir)
	mustContain(t, "start on a template that does not start", log, logCopied, "does not start from the cached template", logInitdb, logStored)
	if got, err := os.ReadFile(conf); err != nil || strings.Contains(string(got), "pgward_broken") {
		t.Errorf("the entry was not rebuilt (err %v); log:\n%s", err, log)
	}
}
