package pgserver_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgward/pgward/internal/pgserver"
	"github.com/pgward/pgward/internal/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeDocker puts a docker command on PATH that logs its arguments, runs
// nothing, and says that the container's port 5432 is published at addr
// and that the container is running (running "false": it has stopped).
// Its run fails unless the password comes through the environment and not
// on the command line; its logs go to stderr, as a server's do. It
// returns the log's path.
func fakeDocker(t *testing.T, addr, running string) string {
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
inspect) echo ` + running + ` ;;
rm) echo "$4" ;;
logs) echo "FATAL:  data directory has wrong ownership" >&2 ;;
*) echo "unknown command $1" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

func dockerCommands(t *testing.T, log string) string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// The container's name is random.
	return regexp.MustCompile(`pgward-sandbox-[0-9a-f]{12}`).ReplaceAllString(strings.TrimSpace(string(b)), "NAME")
}

// TestRunDocker drives RunDocker through a fake docker command whose
// "container" is the test server: the commands it runs, the published
// address it reads, the superuser password it sends, the readiness check
// against a real server, and the removal. With DOCKER_HOST naming a daemon
// over TCP, the port is published on the daemon's host, where pgward
// connects.
func TestRunDocker(t *testing.T) {
	srv := pgtest.Shared(t)
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dockerHost, publish string
	}{
		{"local daemon", "", "127.0.0.1::5432"},
		{"daemon over TCP", "tcp://" + host + ":2375", "5432"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", tc.dockerHost)
			log := fakeDocker(t, "0.0.0.0:"+port, "true")
			s, err := pgserver.Start(context.Background(), pgserver.Options{NoLocal: true, Image: "postgres:16", Container: pgserver.RunDocker, Logf: t.Logf})
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
			want := strings.Join([]string{
				"version --format {{.Server.Version}}",
				"run --detach --name NAME --label pgward.sandbox=true --env POSTGRES_PASSWORD --publish " + tc.publish + " postgres:16",
				"port NAME 5432/tcp",
				"rm --force --volumes NAME",
			}, "\n")
			if got := dockerCommands(t, log); got != want {
				t.Errorf("docker commands:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestRunDocker_notReady: a container whose server never answers is
// removed, and the error shows the end of its log (the server's stderr);
// one that has stopped is given up on at once.
func TestRunDocker_notReady(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	for _, tc := range []struct {
		running, want string
		timeout       time.Duration
	}{
		{"true", "server not ready", 2 * time.Second},
		{"false", "the container stopped", time.Minute},
	} {
		t.Run("running="+tc.running, func(t *testing.T) {
			log := fakeDocker(t, addr, tc.running)
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			_, err := pgserver.RunDocker(ctx, "postgres:17", t.Logf)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "data directory has wrong ownership") {
				t.Errorf("err = %v, want %q and the container's log", err, tc.want)
			}
			if tc.running == "false" && time.Since(start) > 10*time.Second {
				t.Errorf("gave up after %s on a stopped container", time.Since(start))
			}
			if got := dockerCommands(t, log); !strings.HasSuffix(got, "logs --tail 20 NAME\nrm --force --volumes NAME") {
				t.Errorf("the container's log was not read, or it was not removed:\n%s", got)
			}
		})
	}
}

// TestRunDocker_refused: a server that refuses the superuser (here one
// that answers every connection with SQLSTATE 28P01) ends the wait at
// once, since waiting cannot mend it.
func TestRunDocker_refused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Read the startup message, then refuse it.
			var n [4]byte
			if _, err := io.ReadFull(c, n[:]); err == nil {
				_, _ = io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(n[:]))-4)
			}
			var fields []byte
			for _, f := range []string{"SFATAL", "VFATAL", "C28P01", `Mpassword authentication failed for user "postgres"`} {
				fields = append(append(fields, f...), 0)
			}
			fields = append(fields, 0)
			msg := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(len(fields)+4))
			_, _ = c.Write(append(msg, fields...))
			c.Close()
		}
	}()
	log := fakeDocker(t, l.Addr().String(), "true")
	start := time.Now()
	_, err = pgserver.RunDocker(context.Background(), "postgres:17", t.Logf)
	if err == nil || !strings.Contains(err.Error(), "refuses the superuser") || !strings.Contains(err.Error(), "28P01") {
		t.Errorf("err = %v, want the refusal", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %s", d)
	}
	if got := dockerCommands(t, log); !strings.HasSuffix(got, "rm --force --volumes NAME") {
		t.Errorf("the container was not removed:\n%s", got)
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
