package apply

import (
	"context"
	"encoding/binary"
	"net"
	"sync"

	"github.com/jackc/pgx/v5"
)

// wire taps the PostgreSQL protocol of the connections a config opens, below
// pgx: every SQL text the client sends (Query and Parse messages, batches
// included, which pgx's tracers do not see) and every message the server
// sends back. onMessage, if set, is called from the reading goroutine after
// each complete server message of the first connection (the run's; a later
// one is the blocker watch), so it can inject a fault at an exact point of
// the exchange.
type wire struct {
	mu        sync.Mutex
	conns     int
	sent      []string // SQL texts, in order, of every connection
	completed []string // CommandComplete tags of the first connection
	pid       uint32   // backend pid of the first connection

	onMessage func(n int, typ byte) // n counts server messages, from 1
}

// install makes cfg dial through w.
func (w *wire) install(cfg *pgx.ConnConfig) {
	dial := cfg.DialFunc
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		w.mu.Lock()
		w.conns++
		first := w.conns == 1
		w.mu.Unlock()
		return &tappedConn{Conn: c, w: w, first: first}, nil
	}
}

func (w *wire) statements() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.sent...)
}

func (w *wire) tags() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.completed...)
}

func (w *wire) backendPID() uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pid
}

// tappedConn parses the byte streams of one connection into messages:
// a type byte, a 4-byte length that counts itself, the body. The client's
// first message (startup) has no type byte. TLS is not in use
// (sslmode=disable), so the bytes are the protocol.
type tappedConn struct {
	net.Conn
	w     *wire
	first bool

	in, out   msgReader
	startSeen bool
	received  int
}

func (c *tappedConn) Write(b []byte) (int, error) {
	for _, m := range c.out.feed(b, !c.startSeen) {
		c.startSeen = true
		var sql string
		switch m.typ {
		case 'Q': // Query: the text, NUL-terminated
			sql = cstring(m.body)
		case 'P': // Parse: statement name, then the text
			name := cstring(m.body)
			sql = cstring(m.body[min(len(name)+1, len(m.body)):])
		default:
			continue
		}
		c.w.mu.Lock()
		c.w.sent = append(c.w.sent, sql)
		c.w.mu.Unlock()
	}
	return c.Conn.Write(b)
}

func (c *tappedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.first {
		for _, m := range c.in.feed(b[:n], false) {
			c.received++
			c.w.mu.Lock()
			switch m.typ {
			case 'K': // BackendKeyData: pid, then the cancel key
				if len(m.body) >= 4 {
					c.w.pid = binary.BigEndian.Uint32(m.body)
				}
			case 'C':
				c.w.completed = append(c.w.completed, cstring(m.body))
			}
			hook := c.w.onMessage
			c.w.mu.Unlock()
			if hook != nil {
				hook(c.received, m.typ)
			}
		}
	}
	return n, err
}

type message struct {
	typ  byte // 0 for the untyped startup message
	body []byte
}

// msgReader reassembles messages from chunks of a stream.
type msgReader struct {
	buf []byte
}

// feed appends a chunk and returns the messages it completes. untyped says
// the next message has no type byte.
func (r *msgReader) feed(b []byte, untyped bool) []message {
	r.buf = append(r.buf, b...)
	var out []message
	for {
		hdr := 5
		if untyped {
			hdr = 4
		}
		if len(r.buf) < hdr {
			return out
		}
		var m message
		if !untyped {
			m.typ = r.buf[0]
		}
		size := int(binary.BigEndian.Uint32(r.buf[hdr-4 : hdr]))
		total := hdr - 4 + size
		if size < 4 || len(r.buf) < total {
			return out
		}
		m.body = append([]byte(nil), r.buf[hdr:total]...)
		r.buf = r.buf[total:]
		out = append(out, m)
		untyped = false
	}
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
