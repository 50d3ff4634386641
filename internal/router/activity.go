package router

import (
	"context"
	"switchboard/internal/inbox"
	"sync"
	"time"
)

// Timers runs functions after a delay. An Options.Clock that implements it (routertest's
// manual clock) runs every timer and pause of the router, so that a test moves them by
// moving its clock; with any other clock the router uses the wall clock's timers.
type Timers interface {
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc; Stop reports whether it stopped it before it ran.
type Timer interface{ Stop() bool }

type wallTimers struct{}

func (wallTimers) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Activity counts what of a router is running or ready to run: the owner goroutine while it
// has events or requests to handle, its other goroutines and its call workers at work. At zero the router is
// idle: each of its goroutines has finished or is parked, asleep on the clock or waiting in
// something outside the router that called Park. The router only counts; tests wait on it
// (routertest). The zero value is ready to use.
type Activity struct {
	mu    sync.Mutex
	n     int64
	owner bool // the owner goroutine has work: counted once in n
	under bool
	zero  chan struct{} // closed while n <= 0; nil stands for a closed one
}

func (a *Activity) add(d int64) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addLocked(d)
}

func (a *Activity) addLocked(d int64) {
	was := a.n
	a.n += d
	if a.n < 0 {
		a.under = true
	}
	switch {
	case was <= 0 && a.n > 0:
		a.zero = make(chan struct{})
	case was > 0 && a.n <= 0:
		close(a.zero)
	}
}

// Park says that the calling goroutine of the router waits for something outside it; the
// one that wakes it calls Resume first.
func (a *Activity) Park() { a.add(-1) }

// Resume counts a parked goroutine again; call it before waking the goroutine.
func (a *Activity) Resume() { a.add(1) }

// Idle returns a channel that is closed while nothing of the router runs or waits to run.
func (a *Activity) Idle() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.zero == nil {
		a.zero = make(chan struct{})
		if a.n <= 0 {
			close(a.zero)
		}
	}
	return a.zero
}

// OwnerIdle reports whether the owner goroutine has handled everything posted to it: when
// it is parked in a request, what was posted behind it waits.
func (a *Activity) OwnerIdle() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.owner
}

// Busy returns the count now.
func (a *Activity) Busy() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// Miscounted reports whether more was parked than was counted: something of the router ran
// uncounted, and Idle cannot be trusted.
func (a *Activity) Miscounted() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.under
}

// executor runs the router's goroutines and timers and posts to the owner, counting all of
// it in the router's activity.
type executor struct {
	inbox  *inbox.Inbox[func()] // the owner loop's
	act    *Activity
	timers Timers
}

// post runs f on the owner goroutine (executor.post).
func (r *Router) post(f func()) { r.u.ex.post(f) }

// post runs f on the owner goroutine. The owner counts once in the activity while it has
// work, however many items wait: when it parks (in a request), what waits behind it is not
// running either.
func (x *executor) post(f func()) {
	a := x.act
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.owner {
		a.owner = true
		a.addLocked(1)
	}
	x.inbox.Push(f)
}

// ownerDone is the owner's end of a batch: idle unless more was posted meanwhile.
func (x *executor) ownerDone() {
	a := x.act
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.owner && x.inbox.Len() == 0 {
		a.owner = false
		a.addLocked(-1)
	}
}

// spawn runs f on a goroutine of its own, counted.
func (x *executor) spawn(f func()) {
	x.act.add(1)
	go func() {
		defer x.act.add(-1)
		f()
	}()
}

// spawnWork runs f off the owner goroutine with a context that ends after workTimeout.
func (x *executor) spawnWork(f func(ctx context.Context)) {
	x.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		f(ctx)
	})
}

// after runs f after d on the router's clock (off the owner goroutine: f posts what it does).
func (x *executor) after(d time.Duration, f func()) Timer { return x.timers.AfterFunc(d, f) }

// sleep pauses a goroutine of the router (a worker or a spawned one, never the owner) for d
// on the router's clock.
func (x *executor) sleep(d time.Duration) {
	done := make(chan struct{})
	x.after(d, func() {
		x.act.Resume()
		close(done)
	})
	x.act.Park()
	<-done
}

// track makes a new call's workers count in the router's activity.
func (x *executor) track(c *call) *call {
	c.w.act, c.offers.act = x.act, x.act
	return c
}

// within calls hook off the owner goroutine with a context that ends after wait, and hands
// its answer to done on the owner goroutine: context.DeadlineExceeded when it has not
// answered by then, even if it ignores its context (its late answer is dropped).
func within[T any](x *executor, wait time.Duration, hook func(context.Context) (T, error), done func(T, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	finish := func(v T, err error) {
		once.Do(func() {
			cancel()
			x.post(func() { done(v, err) })
		})
	}
	t := x.after(wait, func() {
		var zero T
		finish(zero, context.DeadlineExceeded)
	})
	x.spawn(func() {
		v, err := hook(ctx)
		t.Stop()
		finish(v, err)
	})
}
