package pgserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// dockerReadyTimeout bounds the wait for a new container's server.
	dockerReadyTimeout = 90 * time.Second
	// dockerAnswerTimeout bounds `docker version`: a daemon socket that
	// exists but does not answer is no Docker.
	dockerAnswerTimeout = 15 * time.Second
	// DockerLabel marks the containers RunDocker starts: one a killed
	// pgward could not remove is found with
	// docker ps -a --filter label=pgward.sandbox.
	DockerLabel = "pgward.sandbox"
)

// RunDocker is an Options.Container that drives the docker command: it
// runs image detached under a name of its own, publishes its port 5432 on
// a free port, and waits until the server accepts the superuser postgres.
// The port is published on 127.0.0.1, or, when DOCKER_HOST names a daemon
// over TCP, on that host, which is where it connects. The password goes to
// the container through docker's environment, never on a command line. No
// docker command, or a daemon that does not answer, is [ErrNoDocker]. Every
// failure after `docker run` removes the container; a process killed
// before [Container.Stop] leaves it running, labelled [DockerLabel].
//
// The docker command is used rather than a Docker client library so that
// the CLI, which links this package, does not pay that library's
// initialisation on every command.
func RunDocker(ctx context.Context, image string, logf func(string, ...any)) (*Container, error) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoDocker, err)
	}
	vctx, cancel := context.WithTimeout(ctx, dockerAnswerTimeout)
	_, err = runDocker(vctx, docker, nil, "version", "--format", "{{.Server.Version}}")
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoDocker, err)
	}
	password, name := RandomHex(16), "pgward-sandbox-"+RandomHex(6)
	host, publish := "127.0.0.1", "127.0.0.1::5432"
	if h := remoteDockerHost(os.Getenv("DOCKER_HOST")); h != "" {
		host, publish = h, "5432" // the daemon's host: pgward cannot reach its loopback
	}
	ctr := &Container{Host: host, User: "postgres", Password: password}
	ctr.Stop = func() error {
		_, err := runDocker(context.Background(), docker, nil, "rm", "--force", "--volumes", name)
		return err
	}
	logf("pgserver: docker run %s as %s", image, name)
	// No --rm: a container that exits while starting stays, so that its
	// log can be read; Stop removes it.
	if _, err := runDocker(ctx, docker, []string{"POSTGRES_PASSWORD=" + password},
		"run", "--detach", "--name", name, "--label", DockerLabel+"=true",
		"--env", "POSTGRES_PASSWORD", "--publish", publish, image); err != nil {
		_ = ctr.Stop() // docker may have created it before failing or being cancelled
		return nil, fmt.Errorf("run container %s: %w", image, err)
	}
	fail := func(err error) (*Container, error) {
		logs := dockerLogs(docker, name)
		_ = ctr.Stop()
		return nil, fmt.Errorf("container %s: %w\ncontainer log:\n%s", image, err, logs)
	}
	if err := ctr.locate(ctx, docker, name); err != nil {
		return fail(err)
	}
	if err := ctr.waitReady(ctx, docker, name); err != nil {
		return fail(err)
	}
	return ctr, nil
}

// remoteDockerHost is the host of a DOCKER_HOST that names a daemon over
// TCP ("tcp://docker:2375"), else "".
func remoteDockerHost(dockerHost string) string {
	u, err := url.Parse(dockerHost)
	if err != nil || u.Scheme != "tcp" {
		return ""
	}
	return u.Hostname()
}

// locate reads the host port docker published for the container's 5432.
func (c *Container) locate(ctx context.Context, docker, name string) error {
	out, err := runDocker(ctx, docker, nil, "port", name, "5432/tcp")
	if err != nil {
		return err
	}
	for _, line := range strings.Fields(out) {
		_, port, err := net.SplitHostPort(line)
		if err != nil {
			continue
		}
		if c.Port, err = strconv.Atoi(port); err == nil && c.Port > 0 {
			return nil
		}
	}
	return fmt.Errorf("docker port %s 5432/tcp printed no address: %q", name, out)
}

// waitReady connects until the server answers. The image's entrypoint
// first runs its init scripts on a server that listens on no TCP port,
// then restarts it: the first TCP connection that works reaches the
// final server. It gives up at once when the container has stopped or the
// server refuses the superuser or its database, which waiting cannot mend.
func (c *Container) waitReady(ctx context.Context, docker, name string) error {
	ctx, cancel := context.WithTimeout(ctx, dockerReadyTimeout)
	defer cancel()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable connect_timeout=5", c.Host, c.Port, c.User))
	if err != nil {
		return err
	}
	cfg.Password = c.Password
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(context.WithoutCancel(ctx))
			if err == nil {
				return nil
			}
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "28") || pgErr.Code == "3D000") {
			return fmt.Errorf("the server refuses the superuser: %w", err)
		}
		if out, ierr := runDocker(ctx, docker, nil, "inspect", "--format", "{{.State.Running}}", name); ierr == nil && strings.TrimSpace(out) == "false" {
			return fmt.Errorf("the container stopped while its server was starting")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// dockerLogs is the end of the container's log: what the server wrote to
// its stdout and its stderr.
func dockerLogs(docker, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), dockerAnswerTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, docker, "logs", "--tail", "20", name).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "(docker logs: " + err.Error() + ")"
	}
	return string(out)
}

// runDocker runs the docker command with extra environment variables and
// returns its stdout; an error carries its stderr.
func runDocker(ctx context.Context, docker string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, docker, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// RandomHex is n random bytes in hexadecimal, for names and passwords
// that must not collide or be guessed.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b)
}
