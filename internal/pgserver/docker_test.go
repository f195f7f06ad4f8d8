package pgserver_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgward/pgward/internal/pgserver"
	"github.com/pgward/pgward/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeDocker puts a docker command on PATH that logs its arguments, runs
// nothing, and says that the container's port 5432 is published at addr;
// its run fails unless the password comes through the environment and not
// on the command line. It returns the log's path.
func fakeDocker(t *testing.T, addr string) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "docker.log")
	script := `#!/bin/sh
echo "$*" >> '` + log + `'
case "$1" in
version) echo 27.3.1 ;;
run)
  [ -n "$POSTGRES_PASSWORD" ] || { echo "POSTGRES_PASSWORD not in the environment" >&2; exit 1; }
  case "$*" in *"$POSTGRES_PASSWORD"*) echo "password on the command line" >&2; exit 1 ;; esac
  echo "Unable to find image locally, pulling" >&2
  echo 3f2a9c ;;
port) echo '` + addr + `'; echo '[::]:1' ;;
rm) echo 3f2a9c ;;
logs) echo "database system is ready to accept connections" ;;
*) echo "unknown command $1" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

// TestRunDocker drives RunDocker through a fake docker command whose
// "container" is the test server: the commands it runs, the published
// address it reads, the superuser password it sends, the readiness check
// against a real server, and the removal.
func TestRunDocker(t *testing.T) {
	srv := pgtest.Shared(t)
	log := fakeDocker(t, srv.Addr())
	ctx := context.Background()

	s, err := pgserver.Start(ctx, pgserver.Options{NoLocal: true, Image: "postgres:16", Container: pgserver.RunDocker, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != srv.Addr() || s.Superuser() != "postgres" || s.Version() != srv.Version() {
		t.Errorf("server at %s as %s, version %d; want %s as postgres, version %d", s.Addr(), s.Superuser(), s.Version(), srv.Addr(), srv.Version())
	}
	if u := s.URL("", ""); !regexp.MustCompile(`^postgres://postgres:[0-9a-f]{32}@`).MatchString(u) {
		t.Errorf("superuser URL %q does not carry a random password", regexp.MustCompile(`:[^:@/]*@`).ReplaceAllString(u, ":…@"))
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"version --format {{.Server.Version}}",
		"run --detach --rm --env POSTGRES_PASSWORD --publish 127.0.0.1::5432 postgres:16",
		"port 3f2a9c 5432/tcp",
		"rm --force 3f2a9c",
	}
	if got := strings.Split(strings.TrimSpace(string(b)), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docker commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRunDocker_notReady: a container whose server never answers is
// removed, and the error shows the end of its log.
func TestRunDocker_notReady(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	log := fakeDocker(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = pgserver.RunDocker(ctx, "postgres:17", t.Logf)
	if err == nil || !strings.Contains(err.Error(), "not ready") || !strings.Contains(err.Error(), "ready to accept connections") {
		t.Errorf("err = %v, want a readiness error with the container's log", err)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "rm --force 3f2a9c") {
		t.Errorf("the container was not removed:\n%s", b)
	}
}

// TestRunDocker_noDocker: no docker command, or one whose daemon does not
// answer, is ErrNoDocker, which Start reports as ErrNoServer.
func TestRunDocker_noDocker(t *testing.T) {
	t.Run("no command", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := pgserver.RunDocker(context.Background(), "postgres:17", t.Logf)
		if !errors.Is(err, pgserver.ErrNoDocker) {
			t.Errorf("err = %v, want ErrNoDocker", err)
		}
	})
	t.Run("no daemon", func(t *testing.T) {
		dir := t.TempDir()
		script := "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", dir)
		_, err := pgserver.Start(context.Background(), pgserver.Options{NoLocal: true, Container: pgserver.RunDocker})
		if !errors.Is(err, pgserver.ErrNoServer) || !strings.Contains(err.Error(), "Cannot connect to the Docker daemon") {
			t.Errorf("err = %v, want ErrNoServer saying why", err)
		}
	})
}
