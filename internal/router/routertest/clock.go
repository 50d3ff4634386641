package routertest

import (
	"sort"
	"sync"
	"time"

	"switchboard/internal/router"
)

// Clock is a manual clock that also runs timers: it implements acd.Clock and router.Timers,
// so the router's engine deadlines, IVR and announcement timers and its pauses all wait for
// the test to move it. It is safe for concurrent use. Timers fire when the Harness moves
// the clock (Advance) or settles (timers already due), never on their own.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*timer
}

type timer struct {
	c    *Clock
	at   time.Time
	seq  int
	f    func()
	done bool
}

// NewClock returns a clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc runs f once the clock has moved d on (d <= 0: at the next settle).
func (c *Clock) AfterFunc(d time.Duration, f func()) router.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &timer{c: c, at: c.now.Add(max(d, 0)), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Stop cancels the timer; it reports whether it had not fired yet.
func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	return true
}

// next returns the earliest pending timer due at or before limit, and removes it; it is
// marked done so that Stop reports false from now on.
func (c *Clock) next(limit time.Time) *timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.done {
			live = append(live, t)
		}
	}
	c.timers = live
	sort.SliceStable(c.timers, func(i, j int) bool {
		a, b := c.timers[i], c.timers[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.seq < b.seq
	})
	if len(c.timers) == 0 || c.timers[0].at.After(limit) {
		return nil
	}
	t := c.timers[0]
	c.timers = c.timers[1:]
	t.done = true
	if t.at.After(c.now) {
		c.now = t.at
	}
	return t
}

// set moves the clock to t if t is later.
func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// pending reports how many timers have not fired or been stopped.
func (c *Clock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}
