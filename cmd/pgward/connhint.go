package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pgward/pgward/internal/connstr"
)

// whereVars are the libpq variables that say where to connect.
var whereVars = []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"}

// hintUnconfigured: when a connection failed and nothing configured it (no
// --database-url, no DATABASE_URL, none of the PG* variables that say
// where; libpq's defaults were used: the local socket, the user's name),
// the next step is to configure one, and the error says what was tried.
func hintUnconfigured(cmd *cobra.Command, e env, err error) error {
	var ce *connstr.ConnectError
	if cmd == nil || !errors.As(err, &ce) {
		return err
	}
	for _, name := range []string{"database-url", "targets", "all-databases"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return err
		}
	}
	if e.getenv("DATABASE_URL") != "" {
		return err
	}
	for _, v := range whereVars {
		if e.getenv(v) != "" {
			return err
		}
	}
	hinted := *ce
	hinted.Hint = "nothing configures the connection: tried --database-url (not given), DATABASE_URL (not set) and the PG* variables (" +
		strings.Join(whereVars, ", ") + ": none set), so libpq's defaults were used; give --database-url postgres://USER@HOST:PORT/DATABASE, or set DATABASE_URL or PGHOST, PGDATABASE and PGUSER"
	return &rewordedError{msg: strings.Replace(err.Error(), ce.Error(), hinted.Error(), 1), err: err}
}

// rewordedError is err with another text.
type rewordedError struct {
	msg string
	err error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }
