package pgserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// dockerReadyTimeout bounds the wait for a new container's server.
const dockerReadyTimeout = 90 * time.Second

// RunDocker is an Options.Container that drives the docker command: it
// runs image detached, publishes its port 5432 on a free port of
// 127.0.0.1, and waits until the server accepts the superuser postgres.
// The password goes to the container through docker's environment, never
// on a command line. No docker command, or a daemon that does not answer,
// is [ErrNoDocker]. The docker command is used rather than a Docker client
// library so that the CLI, which links this package, does not pay that
// library's initialisation on every command.
func RunDocker(ctx context.Context, image string, logf func(string, ...any)) (*Container, error) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoDocker, err)
	}
	if _, err := runDocker(ctx, docker, nil, "version", "--format", "{{.Server.Version}}"); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoDocker, err)
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	password := hex.EncodeToString(secret)
	logf("pgserver: docker run %s", image)
	out, err := runDocker(ctx, docker, []string{"POSTGRES_PASSWORD=" + password},
		"run", "--detach", "--rm", "--env", "POSTGRES_PASSWORD", "--publish", "127.0.0.1::5432", image)
	if err != nil {
		return nil, fmt.Errorf("run container %s: %w", image, err)
	}
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return nil, fmt.Errorf("run container %s: docker printed no container ID", image)
	}
	id := fields[len(fields)-1]
	ctr := &Container{User: "postgres", Password: password}
	ctr.Stop = func() error {
		_, err := runDocker(context.Background(), docker, nil, "rm", "--force", id)
		return err
	}
	if err := ctr.locate(ctx, docker, id); err != nil {
		_ = ctr.Stop()
		return nil, fmt.Errorf("container %s: %w", image, err)
	}
	if err := ctr.waitReady(ctx); err != nil {
		logs, _ := runDocker(context.Background(), docker, nil, "logs", "--tail", "20", id)
		_ = ctr.Stop()
		return nil, fmt.Errorf("container %s: %w\ncontainer log:\n%s", image, err, logs)
	}
	return ctr, nil
}

// locate reads the host port docker published for the container's 5432.
func (c *Container) locate(ctx context.Context, docker, id string) error {
	out, err := runDocker(ctx, docker, nil, "port", id, "5432/tcp")
	if err != nil {
		return err
	}
	for _, line := range strings.Fields(out) {
		host, port, err := net.SplitHostPort(line)
		if err != nil {
			continue
		}
		if c.Port, err = strconv.Atoi(port); err == nil && c.Port > 0 {
			c.Host = host
			if host == "" || host == "0.0.0.0" {
				c.Host = "127.0.0.1"
			}
			return nil
		}
	}
	return fmt.Errorf("docker port %s 5432/tcp printed no address: %q", id, out)
}

// waitReady connects until the server answers. The image's entrypoint
// first runs its init scripts on a server that listens on no TCP port,
// then restarts it: the first TCP connection that works reaches the
// final server.
func (c *Container) waitReady(ctx context.Context) error {
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
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
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
