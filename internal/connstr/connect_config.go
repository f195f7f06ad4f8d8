package connstr

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/pgward/pgward/internal/ident"
)

// ConnectConfig connects with a parsed config (one the caller adjusted, say
// with a notice handler). Its error is a *[ConnectError], scrubbed of cfg's
// password like Connect's. The session's search_path is pinned as
// Connect's is.
func ConnectConfig(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, pinSearchPath(cfg))
	if err != nil {
		return nil, explain(cfg, err, []string{cfg.Password})
	}
	return conn, nil
}

// pinSearchPath returns a copy of cfg whose session starts with
// ident.SearchPath, whatever the URL's options or the role's and database's
// settings say: a startup parameter outranks ALTER ROLE and ALTER DATABASE
// settings, and PostgreSQL applies it after the options parameter's -c
// switches. Every name pgward reads or writes is then the same through any
// connection (introspect.Read pins it again for connections it did not open).
func pinSearchPath(cfg *pgx.ConnConfig) *pgx.ConnConfig {
	cfg = cfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["search_path"] = ident.SearchPath
	return cfg
}
