package pgserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The template cache keeps, per PostgreSQL installation, the data
// directory that initdb made, so that later clusters are a copy of it
// instead of an initdb (1 to 1.5 s of every throwaway server).
//
// An entry is a directory <CacheDir>/pg<version>-<key hash> holding data/
// (the template) and markerName (written last, JSON: the key and every
// directory and file of data/ with its size and CRC-32C). An entry is
// built in a temporary directory beside it and renamed into place, so a
// reader sees a whole entry or none; two runs that build at once both
// rename, and the second rename fails on the existing directory, which
// leaves one entry. A reader copies the template into its own data
// directory, checking every file against the marker as it copies: a
// missing marker, a key that differs, a missing, short or changed file
// make the entry unusable, and it is moved aside and rebuilt. Nothing
// here fails a Start: every cache error is logged and initdb runs.
const (
	markerName = "COMPLETE"
	// cacheFormat changes when the layout of an entry does, so that a
	// newer pgward never reads an older entry.
	cacheFormat = 1
	// staleAfter is the age after which a build or trash directory left
	// by a killed run is removed.
	staleAfter = time.Hour
	// buildPrefix and trashPrefix name the temporary directories of the
	// cache directory; entries never start with a dot.
	buildPrefix = ".build-"
	trashPrefix = ".trash-"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// cacheKey is what makes a template fit a cluster: the same binaries
// (their path, what postgres --version says, the size and modification
// time of the postgres binary, which an upgrade in place changes) and
// the same initdb options.
type cacheKey struct {
	Format  int      `json:"format"`
	Bin     string   `json:"bin"`
	Version string   `json:"version"`
	Size    int64    `json:"size"`
	ModTime string   `json:"mtime"`
	Initdb  []string `json:"initdb"`
}

// cacheMarker is the content of an entry's marker.
type cacheMarker struct {
	Key     cacheKey      `json:"key"`
	Entries []cacheEntity `json:"entries"`
}

// cacheEntity is a directory or a file of the template, its path
// relative to data/ with slashes.
type cacheEntity struct {
	Path string      `json:"path"`
	Mode fs.FileMode `json:"mode"`
	Dir  bool        `json:"dir,omitempty"`
	Size int64       `json:"size,omitempty"`
	CRC  uint32      `json:"crc,omitempty"`
}

// templateCache is the cache of one Start.
type templateCache struct {
	dir   string // Options.CacheDir
	key   cacheKey
	entry string // the entry's directory
	logf  func(string, ...any)
}

// openCache computes the key of the binaries in bin; initdb holds the
// options initdb runs with (the data directory excluded).
func openCache(ctx context.Context, dir, bin string, initdb []string, logf func(string, ...any)) (*templateCache, error) {
	postgres := filepath.Join(bin, "postgres")
	if real, err := filepath.EvalSymlinks(postgres); err == nil {
		postgres = real
	}
	if abs, err := filepath.Abs(postgres); err == nil {
		postgres = abs
	}
	fi, err := os.Stat(postgres)
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, postgres, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", postgres, err)
	}
	k := cacheKey{
		Format:  cacheFormat,
		Bin:     postgres,
		Version: strings.TrimSpace(string(out)),
		Size:    fi.Size(),
		ModTime: fi.ModTime().UTC().Format(time.RFC3339Nano),
		Initdb:  initdb,
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	name := "pg" + versionWord(k.Version) + "-" + hex.EncodeToString(sum[:8])
	return &templateCache{dir: dir, key: k, entry: filepath.Join(dir, name), logf: logf}, nil
}

// versionWord is the version number of "postgres (PostgreSQL) 15.18
// (Debian 15.18-1)", kept to characters safe in a file name.
func versionWord(out string) string {
	f := strings.Fields(out)
	if len(f) < 3 {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' {
			return r
		}
		return -1
	}, f[2])
}

// errNoEntry says that the cache holds no entry for the key yet.
var errNoEntry = errors.New("no cached template")

// restore copies the template into data, which must not exist, and makes
// uid:gid (-1: unchanged) its owner. On an error data is removed, and an
// entry found unusable is moved aside; errNoEntry when there is none.
func (tc *templateCache) restore(data string, uid, gid int) error {
	m, err := tc.readMarker()
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(tc.entry); serr == nil {
			// A directory without a marker: a copy that lost it.
			tc.discard()
			return fmt.Errorf("entry %s has no marker: %w", tc.entry, err)
		}
		return errNoEntry
	}
	if err == nil {
		err = copyTemplate(filepath.Join(tc.entry, "data"), data, m.Entries, uid, gid)
	}
	if err != nil {
		_ = os.RemoveAll(data)
		tc.discard()
		return fmt.Errorf("entry %s: %w", tc.entry, err)
	}
	return nil
}

// readMarker reads and checks the entry's marker.
func (tc *templateCache) readMarker() (*cacheMarker, error) {
	b, err := os.ReadFile(filepath.Join(tc.entry, markerName))
	if err != nil {
		return nil, err
	}
	var m cacheMarker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("marker: %w", err)
	}
	want, _ := json.Marshal(tc.key)
	got, _ := json.Marshal(m.Key)
	if string(want) != string(got) {
		return nil, fmt.Errorf("marker is for other binaries or options: %s", got)
	}
	if len(m.Entries) == 0 {
		return nil, errors.New("marker lists no files")
	}
	return &m, nil
}

// discard moves an unusable entry aside and removes it. Another run may
// be copying from it: its copy then fails its checks and it runs initdb.
func (tc *templateCache) discard() {
	trash := filepath.Join(tc.dir, trashPrefix+RandomHex(6))
	if err := os.Rename(tc.entry, trash); err != nil {
		tc.logf("pgserver: move the unusable template aside: %v", err)
		return
	}
	_ = os.RemoveAll(trash)
}

// store copies the data directory initdb made into a new entry, unless a
// valid one appeared meanwhile.
func (tc *templateCache) store(data string) error {
	if err := os.MkdirAll(tc.dir, 0o700); err != nil {
		return err
	}
	tc.removeStale()
	build, err := os.MkdirTemp(tc.dir, buildPrefix)
	if err != nil {
		return err
	}
	defer os.RemoveAll(build) // what is left when the rename did not happen
	entries, err := copyTree(data, filepath.Join(build, "data"))
	if err != nil {
		return err
	}
	b, err := json.Marshal(cacheMarker{Key: tc.key, Entries: entries})
	if err != nil {
		return err
	}
	// The marker is written last: a build directory without one is never
	// renamed into place.
	if err := os.WriteFile(filepath.Join(build, markerName), b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(build, tc.entry); err != nil {
		if _, merr := tc.readMarker(); merr == nil {
			return nil // another run stored it first
		}
		return err
	}
	return nil
}

// removeStale removes build and trash directories that runs killed
// while building or discarding left behind.
func (tc *templateCache) removeStale() {
	dirs, _ := os.ReadDir(tc.dir)
	for _, d := range dirs {
		name := d.Name()
		if !strings.HasPrefix(name, buildPrefix) && !strings.HasPrefix(name, trashPrefix) {
			continue
		}
		if fi, err := d.Info(); err == nil && time.Since(fi.ModTime()) > staleAfter {
			_ = os.RemoveAll(filepath.Join(tc.dir, name))
		}
	}
}

// copyTree copies the directories and regular files under src to dst
// and lists them with their CRC-32C. Anything else (a socket, a link) is
// an error: initdb makes none.
func copyTree(src, dst string) ([]cacheEntity, error) {
	var out []cacheEntity
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := cacheEntity{Path: filepath.ToSlash(rel), Mode: fi.Mode().Perm()}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			e.Dir = true
			if err := os.Mkdir(target, 0o700); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			e.Size, e.CRC, err = copyFile(path, target, -1, -1, nil)
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: not a file or directory", path)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// copyTemplate copies the entries of a marker from src to dst, checking
// each file's size and CRC-32C, and gives them to uid:gid.
func copyTemplate(src, dst string, entries []cacheEntity, uid, gid int) error {
	// Directories are created 0700 and given their mode afterwards, so a
	// read-only one still receives its files.
	var dirs []cacheEntity
	for _, e := range entries {
		if !fs.ValidPath(e.Path) {
			return fmt.Errorf("marker lists %q", e.Path)
		}
		target := filepath.Join(dst, filepath.FromSlash(e.Path))
		if e.Dir {
			if err := os.Mkdir(target, 0o700); err != nil {
				return err
			}
			if uid >= 0 {
				if err := os.Lchown(target, uid, gid); err != nil {
					return err
				}
			}
			dirs = append(dirs, e)
			continue
		}
		if _, _, err := copyFile(filepath.Join(src, filepath.FromSlash(e.Path)), target, uid, gid, &e); err != nil {
			return err
		}
	}
	for _, e := range dirs {
		if err := os.Chmod(filepath.Join(dst, filepath.FromSlash(e.Path)), e.Mode); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to a new file dst and returns its size and CRC-32C;
// with want set, a size or CRC that differ are an error. uid >= 0 gives
// dst to uid:gid.
func copyFile(src, dst string, uid, gid int, want *cacheEntity) (int64, uint32, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	mode := fs.FileMode(0o600)
	if want != nil {
		mode = want.Mode
	} else if fi, err := in.Stat(); err == nil {
		mode = fi.Mode().Perm()
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o200)
	if err != nil {
		return 0, 0, err
	}
	n, sum, err := copySparse(out, in)
	if err == nil && uid >= 0 {
		err = out.Chown(uid, gid)
	}
	if err == nil && mode&0o200 == 0 {
		err = out.Chmod(mode)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("copy %s: %w", src, err)
	}
	if want != nil && (n != want.Size || sum != want.CRC) {
		return 0, 0, fmt.Errorf("%s: %s bytes, CRC %08x; the marker says %s bytes, CRC %08x",
			want.Path, strconv.FormatInt(n, 10), sum, strconv.FormatInt(want.Size, 10), want.CRC)
	}
	return n, sum, nil
}

// sparseBlock is the unit of copySparse: PostgreSQL's page size.
const sparseBlock = 8192

// copySparse copies in to the new file out, leaving holes where a block
// is all zeros, and returns the size and CRC-32C. Writing less is most of
// what a copy costs: the WAL segment of a new cluster is two thirds
// zeros, and PostgreSQL reads a hole as the zeros it was.
func copySparse(out, in *os.File) (int64, uint32, error) {
	var (
		buf  = make([]byte, 16*sparseBlock)
		zero = make([]byte, sparseBlock)
		crc  uint32
		n    int64
	)
	for {
		m, rerr := io.ReadFull(in, buf)
		crc = crc32.Update(crc, crcTable, buf[:m])
		for off := 0; off < m; off += sparseBlock {
			b := buf[off:min(off+sparseBlock, m)]
			if bytes.Equal(b, zero[:len(b)]) {
				continue
			}
			if _, err := out.WriteAt(b, n+int64(off)); err != nil {
				return 0, 0, err
			}
		}
		n += int64(m)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return 0, 0, rerr
		}
	}
	// A file that ends in a hole gets its size.
	if err := out.Truncate(n); err != nil {
		return 0, 0, err
	}
	return n, crc, nil
}
