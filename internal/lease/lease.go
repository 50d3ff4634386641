// Package lease elects one leader among routers sharing a database: a standby campaigns for a
// lease the database keeps (Backend), the leader renews it and gives up leadership by itself
// before the lease can expire when it cannot renew. Deadlines run on the monotonic clock the
// Clock gives (time.Now's); tests inject a manual one. docs/ha.md tells the whole design.
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrLost means leadership ended: the lease has another term, or no renewal succeeded in time.
var ErrLost = errors.New("lease: leadership lost")

// Backend keeps the lease. Acquire takes it for d when free (ok false when another holds it);
// Renew extends the lease of term to d from the moment the backend applies it, and returns an
// error wrapping ErrLost when the lease has another term.
type Backend interface {
	Acquire(ctx context.Context, holder string, d time.Duration) (term int64, ok bool, err error)
	Renew(ctx context.Context, holder string, term int64, d time.Duration) error
}

// Clock gives the time (with its monotonic reading) and timers.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options are an Elector's. Zero durations take the defaults.
type Options struct {
	Holder        string        // this router's name, unique among the routers
	Duration      time.Duration // the lease's length (3s)
	RenewEvery    time.Duration // how often the leader renews (Duration/3)
	RenewDeadline time.Duration // leadership ends when no renewal started within it succeeded (2/3 Duration)
	RetryEvery    time.Duration // how often a standby tries to take the lease (Duration/12)
	Clock         Clock
	Logger        *slog.Logger
}

// Elector campaigns for the lease and holds it.
type Elector struct {
	b     Backend
	opt   Options
	mu    sync.Mutex
	until time.Time // leading until then (the renew deadline); zero: not leading
}

// New checks opt: the renew deadline must end before the lease does.
func New(b Backend, opt Options) (*Elector, error) {
	if opt.Duration == 0 {
		opt.Duration = 3 * time.Second
	}
	if opt.RenewEvery == 0 {
		opt.RenewEvery = opt.Duration / 3
	}
	if opt.RenewDeadline == 0 {
		opt.RenewDeadline = opt.Duration * 2 / 3
	}
	if opt.RetryEvery == 0 {
		opt.RetryEvery = opt.Duration / 12
	}
	if opt.Clock == nil {
		opt.Clock = systemClock{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case opt.Holder == "":
		return nil, errors.New("lease: a holder name is required")
	case opt.RenewEvery <= 0 || opt.RenewEvery >= opt.RenewDeadline:
		return nil, fmt.Errorf("lease: renew every %v must be shorter than the renew deadline %v", opt.RenewEvery, opt.RenewDeadline)
	case opt.RenewDeadline >= opt.Duration:
		return nil, fmt.Errorf("lease: the renew deadline %v must end before the lease (%v)", opt.RenewDeadline, opt.Duration)
	}
	return &Elector{b: b, opt: opt}, nil
}

// Options returns the options with the defaults filled in.
func (e *Elector) Options() Options { return e.opt }

// Campaign tries to take the lease every RetryEvery until it does or ctx ends. It returns the
// term and when the successful attempt started: the lease is valid at least Duration from then.
func (e *Elector) Campaign(ctx context.Context) (term int64, from time.Time, err error) {
	for {
		start := e.opt.Clock.Now()
		actx, cancel := context.WithTimeout(ctx, e.opt.RenewDeadline)
		term, ok, err := e.b.Acquire(actx, e.opt.Holder, e.opt.Duration)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			e.opt.Logger.Debug("lease: acquire", "err", err)
		case ok:
			return term, start, nil
		}
		select {
		case <-ctx.Done():
			return 0, time.Time{}, ctx.Err()
		case <-e.opt.Clock.After(e.opt.RetryEvery):
		}
	}
}

// Leading reports whether this router leads now: it holds the lease and its renew deadline
// has not passed. Every action on Asterisk checks it first; after a freeze (SIGSTOP, a long
// pause) it is false at once, the monotonic clock having moved on.
func (e *Elector) Leading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.until.IsZero() && e.opt.Clock.Now().Before(e.until)
}

func (e *Elector) setUntil(t time.Time) {
	e.mu.Lock()
	e.until = t
	e.mu.Unlock()
}

type renewal struct {
	start time.Time
	err   error
}

// Hold renews the lease of term, taken at from, until ctx ends (nil) or leadership ends
// (ErrLost): the renewal is refused, or none that started less than RenewDeadline ago has
// succeeded. The caller stops acting as leader at once: the lease may expire Duration after
// the last successful renewal started, and RenewDeadline ends before.
func (e *Elector) Hold(ctx context.Context, term int64, from time.Time) error {
	c := e.opt.Clock
	lastOK := from
	e.setUntil(lastOK.Add(e.opt.RenewDeadline))
	defer e.setUntil(time.Time{})
	done := make(chan renewal, 1)
	inflight := false
	deadline := c.After(lastOK.Add(e.opt.RenewDeadline).Sub(c.Now()))
	tick := c.After(e.opt.RenewEvery)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			left := lastOK.Add(e.opt.RenewDeadline).Sub(c.Now())
			if left <= 0 {
				e.opt.Logger.Error("lease: no renewal in time; leadership ends", "term", term, "last_renewed", lastOK)
				return ErrLost
			}
			deadline = c.After(left)
		case <-tick:
			tick = c.After(e.opt.RenewEvery)
			if inflight {
				continue
			}
			inflight = true
			start := c.Now()
			rctx, cancel := context.WithTimeout(ctx, lastOK.Add(e.opt.RenewDeadline).Sub(start))
			go func() {
				defer cancel()
				done <- renewal{start: start, err: e.b.Renew(rctx, e.opt.Holder, term, e.opt.Duration)}
			}()
		case r := <-done:
			inflight = false
			switch {
			case errors.Is(r.err, ErrLost):
				e.opt.Logger.Error("lease: renewal refused; leadership ends", "term", term)
				return ErrLost
			case r.err != nil:
				e.opt.Logger.Warn("lease: renewal failed", "term", term, "err", r.err)
				tick = c.After(e.opt.RenewEvery / 4) // soon again: one failure must not cost the lease
			case r.start.After(lastOK):
				lastOK = r.start
				e.setUntil(lastOK.Add(e.opt.RenewDeadline))
				deadline = c.After(lastOK.Add(e.opt.RenewDeadline).Sub(c.Now()))
			}
		}
	}
}
