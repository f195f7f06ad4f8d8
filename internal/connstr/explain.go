package connstr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/textout"
)

// ConnectError is a connection that failed, explained for a person: what
// went wrong (Cause), where pgward tried to connect (Target), what the
// server or the system said (Detail, scrubbed of every password) and what
// to do next (Hint). Its text is one line:
//
//	wrong password: cannot connect to db.internal:5432/shop as user app (password authentication failed for user "app"); check the password …
//
// It unwraps to the pgx error (a *pgconn.ConnectError), so errors.As and
// pgconn.Timeout still work.
type ConnectError struct {
	Cause  string // "wrong password", "connection refused", "no such database", …
	Target string // host:port/database as user NAME
	Detail string // the server's or the system's words; may be empty
	Hint   string // the next step
	err    error
}

func (e *ConnectError) Error() string {
	var b strings.Builder
	b.WriteString(e.Cause + ": cannot connect to " + e.Target)
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

func (e *ConnectError) Unwrap() error { return e.err }

// target names where cfg connects: each address once (sslmode=prefer
// repeats the host as a fallback), the database (the user's name when none
// is given, as the server then does) and the user.
func target(cfg *pgx.ConnConfig) string {
	addrs := []string{net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))}
	for _, fb := range cfg.Fallbacks {
		if a := net.JoinHostPort(fb.Host, strconv.Itoa(int(fb.Port))); !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	db := cfg.Database
	if db == "" {
		db = cfg.User
	}
	return strings.Join(addrs, ",") + "/" + db + " as user " + cfg.User
}

// explain classifies a failed connection. Each attempt (a host, TLS then
// plain text for sslmode=prefer) failed for its own reason; the one that
// says most wins: the server's answer over a TLS problem, over a timeout,
// over a refused or unknown address, over "the server refused TLS"
// (which with sslmode=prefer only means a plain attempt followed).
func explain(cfg *pgx.ConnConfig, err error, secrets []string) *ConnectError {
	best := classified{rank: -1}
	for _, a := range attempts(err) {
		if c := classify(cfg, a); c.rank > best.rank {
			best = c
		}
	}
	return &ConnectError{
		Cause:  best.cause,
		Target: target(cfg),
		Detail: scrub(textout.OneLine(best.detail), secrets),
		Hint:   best.hint,
		err:    err,
	}
}

type classified struct {
	rank                int
	cause, detail, hint string
}

// attempts lists the errors of each connection attempt: the leaves of
// pgx's errors.Join under its *pgconn.ConnectError.
func attempts(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, attempts(e)...)
		}
		return out
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if inner := errors.Unwrap(ce); inner != nil {
			if _, ok := inner.(interface{ Unwrap() []error }); ok {
				return attempts(inner)
			}
		}
	}
	return []error{err}
}

const (
	hintPassword = "check the password (in the connection string, PGPASSWORD or ~/.pgpass) and the user name: PostgreSQL gives this answer for a user that does not exist, too"
	hintNetwork  = "check the host and the port, that the server runs and that a firewall lets the connection through"
)

func classify(cfg *pgx.ConnConfig, err error) classified {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classifyServer(cfg, pe)
	}
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		alert      tls.AlertError
		recordErr  tls.RecordHeaderError
		dnsErr     *net.DNSError
		deadline   = errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
		netTimeout net.Error
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verifyErr):
		return classified{9, "TLS certificate not trusted", innermost(err),
			"give the certificate of the authority that signed the server's with sslrootcert=FILE, and connect to the name the certificate carries (sslmode=verify-full)"}
	case errors.As(err, &alert), errors.As(err, &recordErr):
		return classified{8, "TLS handshake failed", innermost(err), "check the server's TLS settings and sslmode"}
	case deadline || errors.As(err, &netTimeout) && netTimeout.Timeout():
		detail := "no answer"
		if cfg.ConnectTimeout > 0 {
			detail = "no answer within " + cfg.ConnectTimeout.String() + ", the connect_timeout"
		}
		return classified{7, "timeout", detail, hintNetwork + "; connect_timeout=SECONDS sets how long to wait"}
	case errors.Is(err, context.Canceled):
		return classified{7, "interrupted", "", "nothing was changed"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return classified{5, "connection refused", "nothing listens there", hintNetwork}
	case errors.Is(err, syscall.ENOENT) && strings.HasPrefix(cfg.Host, "/"):
		return classified{5, "no server socket", "no PostgreSQL socket in " + cfg.Host,
			"start the server on this machine, or give the host it runs on"}
	case errors.As(err, &dnsErr):
		return classified{5, "unknown host", dnsErr.Name + ": " + dnsErr.Err, "check the host name"}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return classified{5, "host unreachable", innermost(err), hintNetwork}
	case strings.Contains(err.Error(), "server refused TLS connection"):
		return classified{2, "TLS refused by the server", "it does not accept TLS, and the connection string requires it: sslmode=require, verify-ca or verify-full",
			"turn ssl on in the server's configuration, or, on a network you trust, connect with sslmode=prefer or disable"}
	}
	return classified{1, "connection failed", innermost(err), hintNetwork}
}

// classifyServer classifies what the server answered.
func classifyServer(cfg *pgx.ConnConfig, pe *pgconn.PgError) classified {
	msg := pe.Message
	switch {
	case pe.Code == "28P01":
		return classified{10, "wrong password", msg, hintPassword}
	case pe.Code == "3D000":
		return classified{10, "no such database", msg, "check the database name (the URL's path, dbname=, or PGDATABASE), or create the database"}
	case pe.Code == "28000" && strings.Contains(msg, "role") && strings.Contains(msg, "does not exist"):
		return classified{10, "no such role", msg, "check the user name (the URL's user, user=, or PGUSER), or create the role"}
	case pe.Code == "28000" && strings.Contains(msg, "no pg_hba.conf entry") && (strings.Contains(msg, "no encryption") || strings.Contains(msg, "SSL off")):
		return classified{10, "TLS required by the server", msg, "connect with TLS: add sslmode=require (or verify-full with sslrootcert=FILE) to the connection string"}
	case pe.Code == "28000" && strings.Contains(msg, "pg_hba.conf"):
		return classified{10, "not allowed by the server", msg, "the server's pg_hba.conf has no line for this host, user and database: ask its administrator"}
	case pe.Code == "28000":
		return classified{10, "authentication failed", msg, "check the user name and its credentials"}
	case pe.Code == "42501":
		return classified{10, "not allowed to connect", msg, "grant CONNECT on the database to the user, or connect as another user"}
	case pe.Code == "53300":
		return classified{10, "too many connections", msg, "retry later, or ask for more connections (max_connections, the role's connection limit)"}
	case pe.Code == "57P03":
		return classified{10, "the server does not accept connections now", msg, "retry once it has started"}
	}
	return classified{10, "the server refused the connection", msg + " (SQLSTATE " + pe.Code + ")", "see the server's log"}
}

// innermost is the text of the deepest wrapped error: the system's words
// without pgx's prefixes ("dial error", "tls error", the address).
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
