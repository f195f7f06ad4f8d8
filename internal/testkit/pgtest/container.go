package pgtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/pgward/pgward/internal/pgserver"
)

// dockerAvailable asks the Docker daemon for its info. testcontainers-go can
// panic when no daemon is configured, so a panic counts as no Docker.
func dockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (%v)", pgserver.ErrNoDocker, r)
		}
	}()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return fmt.Errorf("%w (%v)", pgserver.ErrNoDocker, err)
	}
	defer provider.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := provider.Health(ctx); err != nil {
		return fmt.Errorf("%w (%v)", pgserver.ErrNoDocker, err)
	}
	return nil
}

// runContainer is the test harness's pgserver.Options.Container: image run
// with the testcontainers-go postgres module. It returns an error wrapping
// pgserver.ErrNoDocker when Docker does not answer.
func runContainer(ctx context.Context, image string, logf func(string, ...any)) (*pgserver.Container, error) {
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
	connString, err := ctr.ConnectionString(ctx, "sslmode=disable")
	if err == nil {
		var cfg *pgx.ConnConfig
		if cfg, err = pgx.ParseConfig(connString); err == nil {
			return &pgserver.Container{
				Host: cfg.Host, Port: int(cfg.Port), User: user, Password: password,
				Stop: func() error { return testcontainers.TerminateContainer(ctr) },
			}, nil
		}
	}
	_ = testcontainers.TerminateContainer(ctr)
	return nil, fmt.Errorf("container %s: %w", image, err)
}
