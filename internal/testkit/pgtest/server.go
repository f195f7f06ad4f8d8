package pgtest

import (
	"context"

	"github.com/pgward/pgward/internal/pgserver"
)

// Server, Options, ErrNoServer, DefaultImage and PasswordRoleName are
// pgserver's; the harness adds the testcontainers-go fallback.
type (
	Server  = pgserver.Server
	Options = pgserver.Options
)

// ErrNoServer is pgserver.ErrNoServer.
var ErrNoServer = pgserver.ErrNoServer

const (
	DefaultImage     = pgserver.DefaultImage
	PasswordRoleName = pgserver.PasswordRoleName
)

// Start is pgserver.Start with the testcontainers-go postgres module as the
// Docker fallback unless o.Container is set: the harness runs where Docker
// is the only PostgreSQL there is.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Container == nil {
		o.Container = runContainer
	}
	return pgserver.Start(ctx, o)
}
