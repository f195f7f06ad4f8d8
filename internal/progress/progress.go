package progress

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Interval is the least time between two drawings of a line.
const Interval = 250 * time.Millisecond

// erase moves to the start of the line and erases it (ANSI EL).
const erase = "\r\x1b[K"

// Line is one line of progress on a terminal. Its methods may be called
// from several goroutines.
type Line struct {
	w      io.Writer
	status func() string
	now    func() time.Time
	start  time.Time

	mu      sync.Mutex
	last    time.Time // of the last drawing; zero: never drawn
	shown   bool      // the line is on the screen
	midLine bool      // a write through Above left the cursor inside a line
	stopped bool

	stop chan struct{}
	done chan struct{}
}

// Start shows status on w, a terminal: at once when [Line.Update] is first
// called, then at most every Interval, each time followed by the time
// since Start (", 3.1 s"). An empty status shows nothing. Stop ends it.
func Start(w io.Writer, status func() string) *Line {
	l := newLine(w, status, time.Now)
	go l.tick()
	return l
}

func newLine(w io.Writer, status func() string, now func() time.Time) *Line {
	return &Line{w: w, status: status, now: now, start: now(), stop: make(chan struct{}), done: make(chan struct{})}
}

// tick redraws the line every Interval, so that the time goes on between
// reports.
func (l *Line) tick() {
	defer close(l.done)
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			if !l.last.IsZero() {
				l.draw()
			}
			l.mu.Unlock()
		}
	}
}

// Update says that the status changed: the line is redrawn unless it was
// drawn less than Interval ago.
func (l *Line) Update() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last.IsZero() || l.now().Sub(l.last) >= Interval {
		l.draw()
	}
}

// draw writes the line; l.mu is held. Nothing is drawn after Stop, nor
// while other output has left the cursor inside a line.
func (l *Line) draw() {
	if l.stopped || l.midLine {
		return
	}
	text := l.status()
	if text == "" {
		return
	}
	now := l.now()
	l.last = now
	l.shown = true
	fmt.Fprintf(l.w, "%s%s, %.1f s", erase, text, now.Sub(l.start).Seconds())
}

// clear erases the line if it is shown; l.mu is held.
func (l *Line) clear() {
	if l.shown {
		io.WriteString(l.w, erase)
		l.shown = false
	}
}

// Stop stops redrawing and erases the line. The line is not drawn again.
func (l *Line) Stop() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.stopped = true
	l.clear()
	l.mu.Unlock()
	close(l.stop)
	<-l.done
}

// Above returns a writer to w, which goes to the same terminal as the
// line: each write erases the line first, and the line is drawn again
// only once that output ends a line.
func (l *Line) Above(w io.Writer) io.Writer { return above{l, w} }

type above struct {
	l *Line
	w io.Writer
}

func (a above) Write(p []byte) (int, error) {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.clear()
	n, err := a.w.Write(p)
	if n > 0 {
		a.l.midLine = p[n-1] != '\n'
	}
	return n, err
}

// Count is n with a comma between thousands: 5,000.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
