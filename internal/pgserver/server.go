package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
)

// ErrNoServer is returned by [Start] when no way to get a server worked: no
// URL was given, no PostgreSQL binaries were found and Docker did not answer.
// The wrapping error says what was tried.
var ErrNoServer = errors.New("no PostgreSQL server available")

// DefaultImage is the container image [Start] runs when it falls back to
// Docker and Options.Image is empty.
const DefaultImage = "postgres:17-alpine"

// Options says where [Start] gets a server. The zero value searches for local
// binaries, then Docker.
type Options struct {
	// URL names an existing server and a superuser on it (URL or
	// keyword/value form). Start then creates nothing and Stop stops nothing.
	URL string
	// BinDir is a PostgreSQL bin directory holding initdb and pg_ctl. When
	// set, it is the only place searched, and an unusable BinDir is an error
	// (not ErrNoServer).
	BinDir string
	// Image is the container image for the Docker fallback; "" means
	// DefaultImage.
	Image string
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
	// NoLocal skips the search for local binaries (BinDir is then
	// ignored): Start tries URL, then Docker. For callers that want a
	// container of a chosen Image.
	NoLocal bool
	// Container runs image in Docker and says how to reach it: the
	// fallback after local binaries. It returns an error wrapping
	// [ErrNoDocker] when Docker does not answer. nil: no Docker fallback.
	// [RunDocker] uses the docker command; the test harness (pgtest)
	// passes one built on testcontainers-go, which the CLI does not link.
	Container func(ctx context.Context, image string, logf func(string, ...any)) (*Container, error)
	// CacheDir, when set, keeps the data directory initdb makes for local
	// binaries, one entry per installation and initdb options, and later
	// local clusters start from a copy of it instead of running initdb.
	// Entries are written whole or not at all, checked when read, and
	// rebuilt when found damaged; a cache that cannot be read or written
	// is reported on Logf and initdb runs. "" runs initdb every time.
	CacheDir string
}

// ErrNoDocker marks a Docker that does not answer, as opposed to one that
// answers but fails to run the container: [Start] then reports
// [ErrNoServer].
var ErrNoDocker = errors.New("docker daemon not available")

// Container is a running PostgreSQL container, as an Options.Container
// function returns it.
type Container struct {
	Host           string
	Port           int
	User, Password string // a superuser
	// Stop removes the container.
	Stop func() error
}

// Server is a running PostgreSQL server with a known superuser. Its methods
// are safe for concurrent use.
type Server struct {
	host      string
	port      int
	superuser string
	password  string // superuser password; "" for the local trust cluster
	sslmode   string
	maintDB   string // database to connect to for CREATE/DROP DATABASE
	version   int

	local     *localCluster // set for a cluster Start created
	container *Container    // set for the Docker fallback

	stopOnce sync.Once
	stopErr  error
}

// Start returns a running server. It tries, in order: o.URL; local binaries
// (o.BinDir, else `pg_config --bindir`, else initdb and pg_ctl on PATH, else
// the newest /usr/lib/postgresql/<major>/bin), with which it creates a
// throwaway cluster in a new temporary directory, listening on a free port on
// 127.0.0.1 with trust authentication; then o.Container, when set and
// Docker answers. When none works it returns an error wrapping
// [ErrNoServer] that lists what was tried. Start reads no environment
// variables of its own; the test helpers do that.
//
// The caller must call [Server.Stop].
func Start(ctx context.Context, o Options) (*Server, error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if o.URL != "" {
		return startExplicit(ctx, o.URL)
	}

	var tried []string
	if o.NoLocal {
		tried = append(tried, "local binaries: not searched")
	} else {
		bin, t, err := findBinDir(o.BinDir)
		if err != nil {
			return nil, err
		}
		if bin != "" {
			return startLocal(ctx, bin, o.CacheDir, logf)
		}
		tried = t
	}

	if o.Container == nil {
		tried = append(tried, "Docker: not tried")
		return nil, fmt.Errorf("%w (tried: %s)", ErrNoServer, joinTried(tried))
	}
	image := o.Image
	if image == "" {
		image = DefaultImage
	}
	s, err := startContainer(ctx, o.Container, image, logf)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, ErrNoDocker) {
		return nil, err
	}
	tried = append(tried, err.Error())
	return nil, fmt.Errorf("%w (tried: %s)", ErrNoServer, joinTried(tried))
}

// startContainer runs image with run and connects to it as its superuser.
func startContainer(ctx context.Context, run func(context.Context, string, func(string, ...any)) (*Container, error), image string, logf func(string, ...any)) (*Server, error) {
	ctr, err := run(ctx, image, logf)
	if err != nil {
		return nil, err
	}
	s := &Server{
		host:      ctr.Host,
		port:      ctr.Port,
		superuser: ctr.User,
		password:  ctr.Password,
		sslmode:   "disable",
		maintDB:   "postgres",
		container: ctr,
	}
	if err := s.inspect(ctx); err != nil {
		if ctr.Stop != nil {
			_ = ctr.Stop()
		}
		return nil, fmt.Errorf("container %s: %w", image, err)
	}
	logf("pgserver: PostgreSQL %d in container %s at %s", s.version, image, s.Addr())
	return s, nil
}

// startExplicit connects to a server given by URL and checks that the user
// is a superuser.
func startExplicit(ctx context.Context, rawURL string) (*Server, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx redacts passwords from its parse errors on a best-effort basis;
		// do not repeat the string here.
		return nil, fmt.Errorf("parse test server URL: %w", err)
	}
	s := &Server{
		host:      cfg.Host,
		port:      int(cfg.Port),
		superuser: cfg.User,
		password:  cfg.Password,
		sslmode:   "disable",
		maintDB:   cfg.Database,
	}
	if cfg.TLSConfig != nil {
		s.sslmode = "require"
		for _, fb := range cfg.Fallbacks {
			if fb.TLSConfig == nil {
				s.sslmode = "prefer"
			}
		}
	}
	if s.maintDB == "" {
		s.maintDB = "postgres"
	}
	if err := s.inspect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// inspect reads the server version and checks the superuser.
func (s *Server) inspect(ctx context.Context) error {
	conn, err := s.SuperuserConn(ctx, "")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var version string
	var super bool
	err = conn.QueryRow(ctx,
		"SELECT current_setting('server_version_num'), rolsuper FROM pg_roles WHERE rolname = current_user").
		Scan(&version, &super)
	if err != nil {
		return fmt.Errorf("read version of test server %s: %w", s.Addr(), err)
	}
	if !super {
		return fmt.Errorf("test server %s: user %s is not a superuser", s.Addr(), s.superuser)
	}
	s.version, err = strconv.Atoi(version)
	if err != nil {
		return fmt.Errorf("read version of test server %s: %w", s.Addr(), err)
	}
	return nil
}

// Stop stops the server and removes its temporary directories, or removes
// the container. For a server given by URL it does nothing. Stop may be
// called more than once; later calls return the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		switch {
		case s.local != nil:
			s.stopErr = s.local.stop()
		case s.container != nil && s.container.Stop != nil:
			if err := s.container.Stop(); err != nil {
				s.stopErr = fmt.Errorf("remove the server's container: %w", err)
			}
		}
	})
	return s.stopErr
}

// Restart stops the server with pg_ctl stop -m mode ("smart", "fast" or
// "immediate") and starts it again on the same port: every session ends,
// and with "immediate" the server recovers from its WAL. Only a cluster
// Start created locally can be restarted; the fault tests use it.
func (s *Server) Restart(ctx context.Context, mode string) error {
	if s.local == nil {
		return errors.New("pgserver: only a local cluster Start created can be restarted")
	}
	return s.local.restart(ctx, mode)
}

// URL returns a URL for user on database: postgres://user@host:port/database
// with the server's sslmode (disable for a local cluster). User "" means the
// superuser, and only the superuser's URL carries a password (the one of an
// explicit URL); database "" means the maintenance database the server was
// started with (postgres).
func (s *Server) URL(database, user string) string {
	if database == "" {
		database = s.maintDB
	}
	u := url.URL{
		Scheme:   "postgres",
		Host:     net.JoinHostPort(s.host, strconv.Itoa(s.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=" + s.sslmode,
	}
	switch {
	case user == "" && s.password != "":
		u.User = url.UserPassword(s.superuser, s.password)
	case user == "":
		u.User = url.User(s.superuser)
	default:
		u.User = url.User(user)
	}
	return u.String()
}

// urlWithPassword is URL for a role whose password is known.
// URLWithPassword is [Server.URL] with password set for user (none if
// password is "").
func (s *Server) URLWithPassword(database, user, password string) string {
	u, err := url.Parse(s.URL(database, user))
	if err != nil || password == "" {
		return s.URL(database, user)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// Version returns the server's server_version_num, such as 150018.
func (s *Server) Version() int { return s.version }

// Local reports whether Start created the server as a local cluster,
// whose authentication it controls.
func (s *Server) Local() bool { return s.local != nil }

// Throwaway reports whether Start created the server (a local cluster or
// a container), which Stop removes with everything in it.
func (s *Server) Throwaway() bool { return s.local != nil || s.container != nil }

// Superuser returns the name of the superuser.
func (s *Server) Superuser() string { return s.superuser }

// SuperuserConn connects to database ("" for the maintenance database) as
// the superuser. The caller closes the connection.
func (s *Server) SuperuserConn(ctx context.Context, database string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, s.URL(database, ""))
	if err != nil {
		if database == "" {
			database = s.maintDB
		}
		return nil, fmt.Errorf("connect to test server %s/%s as %s: %w", s.Addr(), database, s.superuser, err)
	}
	return conn, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }
