package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeLine is a Line on a buffer with a clock the test moves, and no
// ticker.
func fakeLine(status func() string) (*Line, *bytes.Buffer, *time.Time) {
	var buf bytes.Buffer
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLine(&buf, status, func() time.Time { return now })
	close(l.done)
	return l, &buf, &now
}

func TestLine_throttledRewrittenCleared(t *testing.T) {
	done := 0
	l, buf, now := fakeLine(func() string { return "apply: " + Count(done) + " of 5,000 statements" })
	for i := 1; i <= 3; i++ { // the first at once, the others within Interval
		done = i
		*now = now.Add(10 * time.Millisecond)
		l.Update()
	}
	done = 1200
	*now = now.Add(3070 * time.Millisecond)
	l.Update()
	l.Stop()
	l.Update() // after Stop: nothing
	want := "\r\x1b[Kapply: 1 of 5,000 statements, 0.0 s" +
		"\r\x1b[Kapply: 1,200 of 5,000 statements, 3.1 s" +
		"\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestLine_emptyStatusShowsNothing(t *testing.T) {
	l, buf, _ := fakeLine(func() string { return "" })
	l.Update()
	l.Stop()
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

// Output through Above erases the line first; the line comes back only
// once that output has ended its line.
func TestLine_above(t *testing.T) {
	l, buf, now := fakeLine(func() string { return "databases: 1 of 3 done, 0 failed" })
	var out bytes.Buffer
	stdout := l.Above(&out)
	l.Update()
	stdout.Write([]byte("Apply these"))
	*now = now.Add(time.Second)
	l.Update() // inside a line of stdout: not drawn
	stdout.Write([]byte(" changes\n"))
	l.Update()
	l.Stop()
	want := "\r\x1b[Kdatabases: 1 of 3 done, 0 failed, 0.0 s" + "\r\x1b[K" + "\r\x1b[Kdatabases: 1 of 3 done, 0 failed, 1.0 s" + "\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("the line: got  %q\nwant %q", got, want)
	}
	if out.String() != "Apply these changes\n" {
		t.Errorf("the output: %q", out.String())
	}
}

// Start's ticker redraws the line, so that the time goes on between
// reports, and Stop ends it.
func TestStart_ticks(t *testing.T) {
	var buf bytes.Buffer // read after Stop, which waits for the ticker
	l := Start(&buf, func() string { return "working" })
	l.Update()
	time.Sleep(Interval*2 + Interval/2)
	l.Stop()
	if n := strings.Count(buf.String(), "working"); n < 2 {
		t.Errorf("drawn %d times in 2.5 intervals: %q", n, buf.String())
	}
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Errorf("not cleared at the end: %q", buf.String())
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -5000: "-5,000"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
