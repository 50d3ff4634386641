package acd

import "time"

// Clock tells the engine the time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is a clock that moves only when told; the simulator and tests use it.
type ManualClock struct {
	T time.Time
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time { return c.T }

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) { c.T = t }

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) { c.T = c.T.Add(d) }
