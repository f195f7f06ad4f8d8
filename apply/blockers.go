package apply

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgward/pgward/internal/connstr"
)

// Blocker is a backend that held a lock the run waited for until
// lock_timeout, as pg_blocking_pids and pg_stat_activity showed it while the
// run waited.
type Blocker struct {
	PID             int    // 0: a prepared transaction
	ApplicationName string // "" when not set
	User            string
	State           string        // "active", "idle in transaction", …
	Query           string        // its current or last query, cut to maxBlockerQuery bytes (String masks its literals)
	XactAge         time.Duration // how long its transaction had been open
}

// maxBlockerQuery bounds the query text a Blocker keeps.
const maxBlockerQuery = 200

func (b Blocker) String() string {
	if b.PID == 0 {
		return "a prepared transaction (see pg_prepared_xacts)"
	}
	var parts []string
	if b.ApplicationName != "" {
		parts = append(parts, "application_name "+strconv.Quote(b.ApplicationName))
	}
	if b.User != "" {
		parts = append(parts, "user "+strconv.Quote(b.User))
	}
	if b.State != "" {
		s := b.State
		if b.XactAge > 0 {
			s += fmt.Sprintf(", transaction open for %s", b.XactAge.Round(100*time.Millisecond))
		}
		parts = append(parts, s)
	}
	if b.Query != "" {
		parts = append(parts, "query "+strconv.Quote(maskLiterals(b.Query)))
	}
	s := "backend " + strconv.Itoa(b.PID)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// maskLiterals replaces the contents of the string literals and
// dollar-quoted strings of a query with *** (quoted identifiers are kept): another session's query may
// carry a secret (ALTER ROLE … PASSWORD '…', a connection string), and
// pgward prints no secret. A literal left open (the query was cut short)
// is masked to the end. Backslashes are taken as escapes everywhere, which
// can only mask more.
func maskLiterals(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\'':
			b.WriteString("'***")
			i++
			for i < len(q) {
				if q[i] == '\\' {
					i += 2
					continue
				}
				if q[i] == '\'' {
					if i+1 < len(q) && q[i+1] == '\'' {
						i += 2
						continue
					}
					b.WriteByte('\'')
					i++
					break
				}
				i++
			}
		case c == '"': // a quoted identifier, kept as is
			j := i + 1
			for j < len(q) && q[j] != '"' {
				j++
			}
			j = min(j+1, len(q))
			b.WriteString(q[i:j])
			i = j
		case c == '$':
			tag := dollarTag(q[i:])
			if tag == "" {
				b.WriteByte(c)
				i++
				continue
			}
			b.WriteString(tag + "***")
			end := strings.Index(q[i+len(tag):], tag)
			if end < 0 {
				i = len(q)
				continue
			}
			b.WriteString(tag)
			i += len(tag) + end + len(tag)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// dollarTag returns the opening "$tag$" at the start of s, or "".
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1]
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || j > 1 && c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	return ""
}

// describeBlockers is the clause an error gets on a lock timeout.
func describeBlockers(bs []Blocker) string {
	if len(bs) == 0 {
		return "the blocking backend could not be identified (pg_blocking_pids was empty while waiting)"
	}
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = b.String()
	}
	return "blocked by " + strings.Join(s, "; ")
}

// isLockTimeout reports whether err is PostgreSQL's lock_timeout
// (SQLSTATE 55P03, lock_not_available).
func isLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// sqlBlockers lists the backends that block $1 and what they run. LEFT JOIN:
// a blocker that has just gone keeps its pid.
const sqlBlockers = `
SELECT b.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.state, ''),
       coalesce(left(regexp_replace(a.query, '\s+', ' ', 'g'), $2), ''),
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8
FROM unnest(pg_blocking_pids($1)) AS b(pid)
LEFT JOIN pg_stat_activity a ON a.pid = b.pid
ORDER BY b.pid`

// blockerWatch samples, while a run may wait for a lock, which backends
// block it. A lock timeout ends the wait and aborts the transaction, after
// which pg_blocking_pids has nothing to say, so the blockers must be seen
// while the run still waits: on a connection of its own, opened only when the
// run has been busy for one sampling interval, so that a run that does not
// wait never opens it.
type blockerWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	last []Blocker
	at   time.Time
}

// watchBlockers starts sampling for backend pid every interval (at least
// 20ms). cfg must be a config without the run's notice handler.
func watchBlockers(ctx context.Context, cfg *pgx.ConnConfig, pid uint32, every time.Duration) *blockerWatch {
	every = max(every, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &blockerWatch{cancel: cancel, done: make(chan struct{})}
	go w.loop(ctx, cfg, pid, every)
	return w
}

func (w *blockerWatch) loop(ctx context.Context, cfg *pgx.ConnConfig, pid uint32, every time.Duration) {
	defer close(w.done)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if conn == nil {
			c, err := connstr.ConnectConfig(ctx, cfg)
			if err != nil {
				return // no diagnosis; the run's own error stands
			}
			conn = c
		}
		rows, err := conn.Query(ctx, sqlBlockers, int(pid), maxBlockerQuery)
		if err != nil {
			return
		}
		bs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Blocker, error) {
			var b Blocker
			var age float64
			err := r.Scan(&b.PID, &b.ApplicationName, &b.User, &b.State, &b.Query, &age)
			b.XactAge = time.Duration(age * float64(time.Second))
			return b, err
		})
		if err != nil {
			return
		}
		if len(bs) > 0 {
			w.mu.Lock()
			w.last, w.at = bs, time.Now()
			w.mu.Unlock()
		}
		t.Reset(every)
	}
}

// stop ends the sampling and returns the blockers last seen within the
// past window, or nil.
func (w *blockerWatch) stop(window time.Duration) []Blocker {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil || time.Since(w.at) > window {
		return nil
	}
	return w.last
}

// watchCfg is the config of the watching connection: cfg without the
// run's notice handler and with an application_name of its own.
func watchCfg(cfg *pgx.ConnConfig) *pgx.ConnConfig {
	c := cfg.Copy()
	c.OnNotice = nil
	rp := make(map[string]string, len(c.RuntimeParams)+1)
	for k, v := range c.RuntimeParams {
		rp[k] = v
	}
	rp["application_name"] = "pgward lock watch"
	c.RuntimeParams = rp
	return c
}
