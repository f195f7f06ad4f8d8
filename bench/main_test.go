package main

import (
	"encoding/binary"
	"net"
	"testing"
	"time"
)

type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

func msg(typ byte, body string) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}

// The counter follows the framing across writes cut anywhere: the startup
// message without a type byte, then typed messages.
func TestCountingConn(t *testing.T) {
	startup := []byte{0, 0, 0, 12, 0, 3, 0, 0, 'u', 0, 'x', 0}
	var stream []byte
	stream = append(stream, startup...)
	stream = append(stream, msg('p', "secret")...)
	stream = append(stream, msg('Q', "BEGIN\x00")...)
	for range 3 {
		stream = append(stream, msg('P', "\x00GRANT …\x00\x00\x00")...)
		stream = append(stream, msg('B', "\x00\x00\x00\x00\x00\x00\x00\x00")...)
		stream = append(stream, msg('D', "P\x00")...)
		stream = append(stream, msg('E', "\x00\x00\x00\x00\x00")...)
	}
	stream = append(stream, msg('S', "")...)
	for _, cut := range []int{1, 3, 7, len(stream)} {
		w := &wire{}
		c := &countingConn{Conn: discardConn{}, w: w}
		for i := 0; i < len(stream); i += cut {
			if _, err := c.Write(stream[i:min(i+cut, len(stream))]); err != nil {
				t.Fatal(err)
			}
		}
		got := w.counts()
		want := counts{simple: 1, parse: 3, execute: 3, sync: 1}
		if got != want {
			t.Errorf("writes of %d bytes: got %+v, want %+v", cut, got, want)
		}
		if got.statements() != 4 || got.roundTrips() != 2 {
			t.Errorf("writes of %d bytes: %d statements, %d round trips; want 4 and 2", cut, got.statements(), got.roundTrips())
		}
	}
}

func TestBatchSpan(t *testing.T) {
	t0 := time.Unix(0, 0)
	w := &wire{writes: []write{{t0, 1}, {t0.Add(time.Second), 40}, {t0.Add(2 * time.Second), 3}, {t0.Add(5 * time.Second), 1}, {t0.Add(6 * time.Second), 1}}}
	if got := w.batchSpan(); got != 4*time.Second {
		t.Errorf("got %s, want 4s", got)
	}
	if got := (&wire{writes: []write{{t0, 1}}}).batchSpan(); got != 0 {
		t.Errorf("no batch: got %s", got)
	}
}

func TestMedian(t *testing.T) {
	if got := median([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("odd: %d", got)
	}
	if got := median([]int64{4, 1, 2, 3}); got != 2 {
		t.Errorf("even: %d", got)
	}
}
