package pgtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// errNoDocker marks a Docker that does not answer, as opposed to one that
// answers but fails to run the container.
var errNoDocker = errors.New("docker daemon not available")

// dockerAvailable asks the Docker daemon for its info. testcontainers-go can
// panic when no daemon is configured, so a panic counts as no Docker.
func dockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (%v)", errNoDocker, r)
		}
	}()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return fmt.Errorf("%w (%v)", errNoDocker, err)
	}
	defer provider.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := provider.Health(ctx); err != nil {
		return fmt.Errorf("%w (%v)", errNoDocker, err)
	}
	return nil
}

// startContainer runs image with the testcontainers-go postgres module. It
// returns an error wrapping errNoDocker when Docker does not answer.
func startContainer(ctx context.Context, image string, logf func(string, ...any)) (*Server, error) {
	if err := dockerAvailable(ctx); err != nil {
		return nil, err
	}
	const user, password = "postgres", "postgres"
	ctr, err := tcpostgres.Run(ctx, image,
		tcpostgres.WithUsername(user),
		tcpostgres.WithPassword(password),
		tcpostgres.WithDatabase("postgres"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr)
		}
		return nil, fmt.Errorf("run container %s: %w", image, err)
	}
	s, err := containerServer(ctx, ctr, user, password)
	if err != nil {
		_ = testcontainers.TerminateContainer(ctr)
		return nil, fmt.Errorf("container %s: %w", image, err)
	}
	logf("pgtest: PostgreSQL %d in container %s at %s", s.version, image, s.addr())
	return s, nil
}

func containerServer(ctx context.Context, ctr *tcpostgres.PostgresContainer, user, password string) (*Server, error) {
	connString, err := ctr.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	s := &Server{
		host:      cfg.Host,
		port:      int(cfg.Port),
		superuser: user,
		password:  password,
		sslmode:   "disable",
		maintDB:   "postgres",
		container: ctr,
	}
	if err := s.inspect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}
