package connstr

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// ConnectConfig connects with a parsed config (one the caller adjusted, say
// with a notice handler). Its error is scrubbed of cfg's password like
// Connect's.
func ConnectConfig(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		target := fmt.Sprintf("connect to %s/%s as user %s",
			net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database, cfg.User)
		return nil, newError(target, err, []string{cfg.Password})
	}
	return conn, nil
}
