package ariemu

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// manualClock is a clock the test moves: its timers fire when it is advanced, or when the
// test fires one out of turn, as a loaded machine's runtime may.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer // in the order they were set
}

type manualTimer struct {
	c       *manualClock
	at      time.Time
	d       time.Duration
	f       func()
	stopped bool // stopped or fired
}

// useManualClock puts s on a manual clock reading start.
func useManualClock(s *Server, start time.Time) *manualClock {
	c := &manualClock{now: start}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = c
	return c
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: c, at: c.now.Add(d), d: d, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// take marks the timer that is due first (or the first set for d, when d > 0) as fired and
// returns it; nil when none is pending or the first due is after limit.
func (c *manualClock) take(d time.Duration, limit time.Time) *manualTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = slices.DeleteFunc(c.timers, func(t *manualTimer) bool { return t.stopped })
	var next *manualTimer
	for _, t := range c.timers {
		switch {
		case d > 0:
			if t.d == d && next == nil {
				next = t
			}
		case next == nil || t.at.Before(next.at):
			next = t
		}
	}
	if next == nil || (d == 0 && next.at.After(limit)) {
		return nil
	}
	next.stopped = true
	if next.at.After(c.now) {
		c.now = next.at
	}
	return next
}

// advance moves the clock to `to`, firing the timers due by then in order.
func (c *manualClock) advance(to time.Time) {
	for t := c.take(0, to); t != nil; t = c.take(0, to) {
		t.f()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if to.After(c.now) {
		c.now = to
	}
}

// next fires the earliest pending timer and reports whether there was one.
func (c *manualClock) next() bool {
	t := c.take(0, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if t != nil {
		t.f()
	}
	return t != nil
}

// fire fires the first pending timer set for d, whatever is due before it.
func (c *manualClock) fire(tb testing.TB, d time.Duration) {
	tb.Helper()
	t := c.take(d, time.Time{})
	if t == nil {
		tb.Fatalf("no pending timer of %s", d)
	}
	t.f()
}

// A loaded machine may wake a later timer before an earlier one that is also due (a phone's
// answer before its ringing): the steps still run in the order they fall due.
func TestStepsRunInDueOrder(t *testing.T) {
	e := newEnv(t, Options{Speed: 1})
	clk := useManualClock(e.srv, time.Now())
	var ran []string
	e.srv.mu.Lock()
	ch := e.srv.newChannel("", "PJSIP", "1001")
	e.srv.after(ch, 20*time.Millisecond, func() { ran = append(ran, "ringing") })
	e.srv.after(ch, 40*time.Millisecond, func() { ran = append(ran, "answer") })
	e.srv.mu.Unlock()

	clk.fire(t, 40*time.Millisecond) // the answer's timer wakes first
	e.srv.mu.Lock()
	got := slices.Clone(ran)
	e.srv.mu.Unlock()
	if want := []string{"ringing", "answer"}; !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
	if clk.next() {
		e.srv.mu.Lock()
		defer e.srv.mu.Unlock()
		if len(ran) != 2 {
			t.Fatalf("the ringing's own timer ran it again: %q", ran)
		}
	}
}

// A stopped step never runs, even when a later step fires.
func TestStoppedStepDoesNotRun(t *testing.T) {
	e := newEnv(t, Options{Speed: 1})
	clk := useManualClock(e.srv, time.Now())
	var ran []string
	e.srv.mu.Lock()
	ch := e.srv.newChannel("", "PJSIP", "1001")
	first := e.srv.after(ch, time.Second, func() { ran = append(ran, "first") })
	e.srv.after(ch, 2*time.Second, func() { ran = append(ran, "second") })
	first.Stop()
	e.srv.mu.Unlock()

	clk.fire(t, 2*time.Second)
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	if !slices.Equal(ran, []string{"second"}) {
		t.Fatalf("ran %q, want only the second step", ran)
	}
}
