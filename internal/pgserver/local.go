package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dirPrefix names the temporary directories of local clusters; stale ones
// (their owner process is gone) are removed by later Starts.
const dirPrefix = "pgward-pg-"

// localCluster is a cluster created by initdb in a temporary directory.
type localCluster struct {
	bin   string // directory of initdb, pg_ctl and postgres
	dir   string // temporary directory holding everything below
	data  string // data directory
	sock  string // unix socket directory
	log   string // server log
	runAs string // unprivileged user running the server when we are root
	logf  func(string, ...any)
	opts  string // the postgres options it was started with (port included)
}

// findBinDir returns a directory holding initdb and pg_ctl, or "" and what
// was tried. An explicit dir that lacks them is an error.
func findBinDir(explicit string) (dir string, tried []string, err error) {
	if explicit != "" {
		if err := hasBinaries(explicit); err != nil {
			return "", nil, fmt.Errorf("PostgreSQL bin directory %s: %w", explicit, err)
		}
		return explicit, nil, nil
	}

	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		out, err := exec.Command(pgConfig, "--bindir").Output()
		d := strings.TrimSpace(string(out))
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("pg_config --bindir: %v", err))
		case hasBinaries(d) != nil:
			tried = append(tried, fmt.Sprintf("pg_config --bindir %s: %v", d, hasBinaries(d)))
		default:
			return d, nil, nil
		}
	} else {
		tried = append(tried, "pg_config: not on PATH")
	}

	initdb, err1 := exec.LookPath("initdb")
	_, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			initdb = real
		}
		d := filepath.Dir(initdb)
		if err := hasBinaries(d); err == nil {
			return d, nil, nil
		}
		tried = append(tried, fmt.Sprintf("PATH: %s lacks pg_ctl or postgres", d))
	} else {
		tried = append(tried, "PATH: no initdb and pg_ctl")
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if hasBinaries(d) == nil {
			return d, nil, nil
		}
	}
	tried = append(tried, "/usr/lib/postgresql/*/bin: none with initdb and pg_ctl")
	return "", tried, nil
}

// majorOf reads the major version from /usr/lib/postgresql/<major>/bin.
func majorOf(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return -1
	}
	return v
}

func hasBinaries(dir string) error {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("no %s", name)
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not executable", name)
		}
	}
	return nil
}

func joinTried(tried []string) string { return strings.Join(tried, "; ") }

// startLocal creates and starts a cluster with the binaries in bin.
func startLocal(ctx context.Context, bin, cacheDir string, logf func(string, ...any)) (s *Server, err error) {
	c := &localCluster{bin: bin, logf: logf}
	if os.Geteuid() == 0 {
		// postgres refuses to run as root.
		c.runAs = "nobody"
		if _, err := user.Lookup("postgres"); err == nil {
			c.runAs = "postgres"
		}
	}
	// postgres --version, for the cache's key, runs while the
	// directories are made.
	cache := make(chan *templateCache, 1)
	go func() { cache <- c.openCache(ctx, cacheDir) }()
	c.reapStale(ctx)
	if err := c.makeDirs(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if stopErr := c.stop(); stopErr != nil {
				logf("pgserver: clean up after failed start: %v", stopErr)
			}
		}
	}()

	tc := <-cache
	fromCache, err := c.initialize(ctx, tc, true)
	if err != nil {
		return nil, err
	}
	port, err := c.start(ctx)
	if err != nil && fromCache {
		// A template that passed its checks and still does not start
		// (written by a pgward with another idea of it): never fail the
		// run for the cache.
		logf("pgserver: the server does not start from the cached template (%s): running initdb", firstLine(err.Error()))
		tc.discard()
		if err := c.stopServer(); err != nil {
			logf("pgserver: %v", err)
		}
		if err := os.RemoveAll(c.data); err != nil {
			return nil, fmt.Errorf("remove %s: %w", c.data, err)
		}
		if _, err := c.initialize(ctx, tc, false); err != nil {
			return nil, err
		}
		port, err = c.start(ctx)
	}
	if err != nil {
		return nil, err
	}

	s = &Server{host: "127.0.0.1", port: port, superuser: "postgres", sslmode: "disable", maintDB: "postgres", local: c}
	if err := s.inspect(ctx); err != nil {
		return nil, err
	}
	logf("pgserver: PostgreSQL %d from %s on 127.0.0.1:%d, data in %s (user %s)", s.version, bin, port, c.data, c.userName())
	return s, nil
}

// start starts the server on a free port and returns the port.
func (c *localCluster) start(ctx context.Context) (int, error) {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, c.sock)
		out, err := c.run(ctx, filepath.Join(c.bin, "pg_ctl"), "-D", c.data, "-l", c.log, "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			c.opts = opts
			return port, nil
		}
		logTail := c.logTail()
		// Another process may have taken the port between freePort and bind.
		if attempt < 3 && strings.Contains(logTail, "could not bind") {
			c.logf("pgserver: port %d taken, retrying", port)
			continue
		}
		return 0, fmt.Errorf("start PostgreSQL in %s on port %d: %w\n%s\nserver log:\n%s", c.data, port, err, out, logTail)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// openCache is the template cache in dir, or nil when dir is "" or the
// key of the binaries cannot be had.
func (c *localCluster) openCache(ctx context.Context, dir string) *templateCache {
	if dir == "" {
		return nil
	}
	tc, err := openCache(ctx, dir, c.bin, initdbOptions, c.logf)
	if err != nil {
		c.logf("pgserver: template cache %s not used: %v", dir, err)
		return nil
	}
	return tc
}

// initdbOptions are the options of initdb besides the data directory;
// they are part of the template cache's key.
var initdbOptions = []string{"-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"}

// initialize makes the data directory: with restore, a copy of the
// template cached in tc when there is a valid one; else initdb's, then
// stored in tc for the next run. The cache never fails it: when the
// cache cannot be read or written, it says so on logf and initdb's
// directory is used. fromCache says which it was.
func (c *localCluster) initialize(ctx context.Context, tc *templateCache, restore bool) (fromCache bool, err error) {
	if tc != nil && restore {
		uid, gid, err := c.owner()
		if err == nil {
			err = tc.restore(c.data, uid, gid)
		}
		switch {
		case err == nil:
			c.logf("pgserver: data directory copied from the cached template %s", tc.entry)
			return true, nil
		case errors.Is(err, errNoEntry):
			c.logf("pgserver: no cached template in %s yet: running initdb", tc.dir)
		default:
			c.logf("pgserver: cached template not used (%v): running initdb", err)
		}
	}
	c.logf("pgserver: initdb %s", c.data)
	initdb := append([]string{filepath.Join(c.bin, "initdb"), "-D", c.data}, initdbOptions...)
	if out, err := c.run(ctx, initdb...); err != nil {
		return false, fmt.Errorf("initdb %s: %w\n%s", c.data, err, out)
	}
	if err := requirePasswordFor(filepath.Join(c.data, "pg_hba.conf"), PasswordRoleName); err != nil {
		return false, err
	}
	if tc != nil {
		if err := tc.store(c.data); err != nil {
			c.logf("pgserver: template not cached in %s: %v", tc.dir, err)
		} else {
			c.logf("pgserver: template cached in %s", tc.entry)
		}
	}
	return false, nil
}

// owner is the uid and gid of the user that runs the server, or -1 when
// it is the current user.
func (c *localCluster) owner() (uid, gid int, err error) {
	if c.runAs == "" {
		return -1, -1, nil
	}
	u, err := user.Lookup(c.runAs)
	if err != nil {
		return -1, -1, fmt.Errorf("look up user %s: %w", c.runAs, err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

func (c *localCluster) userName() string {
	if c.runAs == "" {
		return "current"
	}
	return c.runAs
}

// makeDirs creates the temporary directory, owned by the user that runs the
// server. A root-owned 0700 directory (such as t.TempDir when running as
// root) is unusable, so the directory is made here and chowned, under the
// first of os.TempDir() and /tmp that the user can reach.
func (c *localCluster) makeDirs() error {
	uid, gid, err := c.owner()
	if err != nil {
		return err
	}
	var problems []string
	for _, base := range uniq(os.TempDir(), "/tmp") {
		dir, err := os.MkdirTemp(base, dirPrefix)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		c.dir = dir
		c.data = filepath.Join(dir, "data")
		c.sock = filepath.Join(dir, "sock")
		c.log = filepath.Join(dir, "postgres.log")
		err = os.Mkdir(c.sock, 0o700)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "owner"), []byte(fmt.Sprintf("%d\n%s\n", os.Getpid(), c.bin)), 0o644)
		}
		if err == nil && c.runAs != "" {
			for _, p := range []string{dir, c.sock} {
				if err = os.Chown(p, uid, gid); err != nil {
					break
				}
			}
			if err == nil {
				// Can the user reach it? A parent may be closed to others.
				_, err = c.run(context.Background(), "test", "-w", dir, "-a", "-x", dir)
			}
		}
		if err == nil {
			return nil
		}
		problems = append(problems, fmt.Sprintf("%s: %v", dir, err))
		_ = os.RemoveAll(dir)
	}
	return fmt.Errorf("create a temporary directory for PostgreSQL (user %s): %s", c.userName(), strings.Join(problems, "; "))
}

// reapStale stops and removes clusters left behind by test processes that
// died without stopping them (a -timeout panic, a kill).
func (c *localCluster) reapStale(ctx context.Context) {
	for _, base := range uniq(os.TempDir(), "/tmp") {
		dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
		for _, dir := range dirs {
			owner, err := os.ReadFile(filepath.Join(dir, "owner"))
			if err != nil {
				continue // being created, or not ours
			}
			pidText, bin, _ := strings.Cut(strings.TrimSpace(string(owner)), "\n")
			pid, err := strconv.Atoi(pidText)
			if err != nil || pid <= 0 || processAlive(pid) {
				continue
			}
			stale := &localCluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), runAs: c.runAs, logf: c.logf}
			if err := stale.stop(); err != nil {
				c.logf("pgserver: remove stale cluster %s: %v", dir, err)
			} else {
				c.logf("pgserver: removed stale cluster %s of dead process %d", dir, pid)
			}
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// restart stops the server with pg_ctl's shutdown mode (smart, fast or
// immediate) and starts it again on the same port.
func (c *localCluster) restart(ctx context.Context, mode string) error {
	pgCtl := filepath.Join(c.bin, "pg_ctl")
	if out, err := c.run(ctx, pgCtl, "-D", c.data, "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop -m %s %s: %w\n%s", mode, c.data, err, out)
	}
	if out, err := c.run(ctx, pgCtl, "-D", c.data, "-l", c.log, "-w", "-t", "60", "-o", c.opts, "start"); err != nil {
		return fmt.Errorf("pg_ctl start %s: %w\n%s\nserver log:\n%s", c.data, err, out, c.logTail())
	}
	return nil
}

// stopServer stops the server if it runs.
func (c *localCluster) stopServer() error {
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Immediate: the data is removed next, so nothing needs to reach the
	// disk, and the server skips its shutdown checkpoint.
	if out, err := c.run(ctx, filepath.Join(c.bin, "pg_ctl"), "-D", c.data, "-m", "immediate", "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop %s: %w\n%s", c.data, err, out)
	}
	return nil
}

// stop stops the server if it runs and removes the directory.
func (c *localCluster) stop() error {
	var errs []error
	if err := c.stopServer(); err != nil {
		errs = append(errs, err)
	}
	if c.dir != "" {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", c.dir, err))
		}
	}
	return errors.Join(errs...)
}

// run runs a command as the server user (through runuser when we are root)
// in the cluster directory and returns its combined output.
func (c *localCluster) run(ctx context.Context, argv ...string) ([]byte, error) {
	var cmd *exec.Cmd
	switch {
	case c.runAs == "":
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	default:
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			return nil, fmt.Errorf("running as root needs runuser to run %s as %s: %w", filepath.Base(argv[0]), c.runAs, err)
		}
		cmd = exec.CommandContext(ctx, runuser, append([]string{"-u", c.runAs, "--"}, argv...)...)
	}
	if c.dir != "" {
		cmd.Dir = c.dir
	}
	cmd.Env = serverEnv()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// The postmaster that pg_ctl forks redirects its output to the log file,
	// but never let a child that keeps the pipe open hang Wait.
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// serverEnv is the environment without libpq and server variables, which
// could point initdb and pg_ctl elsewhere.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// logTail returns the end of the server log.
func (c *localCluster) logTail() string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func uniq(xs ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// PasswordRoleName is the one role a local cluster authenticates with a
// password (md5 auth: SCRAM or md5 hashes) instead of trust, so that tests can check what a
// wrong password does. See [Server.PasswordRole].
const PasswordRoleName = "pgward_password_check"

// requirePasswordFor puts hba lines for role ahead of initdb's trust lines.
func requirePasswordFor(hba, role string) error {
	old, err := os.ReadFile(hba)
	if err != nil {
		return fmt.Errorf("read %s: %w", hba, err)
	}
	// md5 accepts both md5 and SCRAM password hashes: 13 still stores md5
	// by default.
	lines := fmt.Sprintf("host all %[1]s 127.0.0.1/32 md5\nhost all %[1]s ::1/128 md5\nlocal all %[1]s md5\n", role)
	// WriteFile keeps the file's owner, the user the server runs as.
	if err := os.WriteFile(hba, append([]byte(lines), old...), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", hba, err)
	}
	return nil
}
