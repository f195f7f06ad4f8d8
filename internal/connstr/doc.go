// Package connstr resolves, parses and redacts PostgreSQL connection strings.
//
// It owns the one place where pgward looks at a raw connection string:
// [Resolve] picks it (--database-url, then $DATABASE_URL, then libpq's PG*
// variables and .pgpass), [ParseConfig] turns a URL (postgres://,
// postgresql:// or Ecto's ecto://) or a keyword/value string into a
// *pgx.ConnConfig, [Redact] masks every password in it, and [Connect] opens a
// connection.
//
// The package must never let a password or the raw connection string reach an
// error, a log line or any other rendered value: every error it returns names
// the target through [Redact], and the text of errors coming from pgx is
// scrubbed of the password before it is shown, while errors.Is and errors.As
// still reach the original through Unwrap. It performs no logging and keeps
// no state.
package connstr
