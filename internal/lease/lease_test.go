package lease

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/internal/testkit"
)

// manualClock moves only when the test advances it.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

func (c *manualClock) pending() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.waiters) }

// advance moves the clock by d in steps of 10 ms, firing the timers due at each step.
func (c *manualClock) advance(d time.Duration) {
	for end := c.Now().Add(d); c.Now().Before(end); {
		c.mu.Lock()
		c.now = c.now.Add(10 * time.Millisecond)
		kept := c.waiters[:0]
		for _, w := range c.waiters {
			if w.at.After(c.now) {
				kept = append(kept, w)
			} else {
				w.ch <- c.now
			}
		}
		c.waiters = kept
		c.mu.Unlock()
		time.Sleep(50 * time.Microsecond) // lets the holder's loop take what fired
	}
}

// fakeBackend answers from its fields; block makes Renew wait for its context (a database
// that does not answer).
type fakeBackend struct {
	mu     sync.Mutex
	free   int // Acquire fails this many times first
	renews int
	block  bool
	refuse bool
	failAt int // this renewal (counting from 1) fails
}

func (b *fakeBackend) Acquire(ctx context.Context, holder string, d time.Duration) (int64, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.free > 0 {
		b.free--
		return 0, false, nil
	}
	return 7, true, nil
}

func (b *fakeBackend) Renew(ctx context.Context, holder string, term int64, d time.Duration) error {
	b.mu.Lock()
	b.renews++
	block, refuse, failing := b.block, b.refuse, b.renews == b.failAt
	b.mu.Unlock()
	switch {
	case block:
		<-ctx.Done()
		return ctx.Err()
	case refuse:
		return ErrLost
	case failing:
		return errors.New("connection refused")
	}
	return nil
}

func (b *fakeBackend) set(f func(b *fakeBackend)) { b.mu.Lock(); f(b); b.mu.Unlock() }
func (b *fakeBackend) count() int                 { b.mu.Lock(); defer b.mu.Unlock(); return b.renews }

var t0 = time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)

func newElector(t *testing.T, b Backend) (*Elector, *manualClock) {
	t.Helper()
	clk := &manualClock{now: t0}
	e, err := New(b, Options{Holder: "r1", Duration: 3 * time.Second, RenewEvery: time.Second, RenewDeadline: 2 * time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return e, clk
}

// hold runs Hold in the background; the channel gets its result and the clock's time then.
func hold(e *Elector, clk *manualClock, ctx context.Context) chan renewal {
	out := make(chan renewal, 1)
	go func() {
		err := e.Hold(ctx, 7, clk.Now())
		out <- renewal{start: clk.Now(), err: err}
	}()
	return out
}

func TestOptionsRefuseDeadlinePastLease(t *testing.T) {
	for _, o := range []Options{
		{Holder: "a", Duration: 3 * time.Second, RenewDeadline: 3 * time.Second},
		{Holder: "a", Duration: 3 * time.Second, RenewEvery: 2 * time.Second, RenewDeadline: 2 * time.Second},
		{Duration: 3 * time.Second},
	} {
		if _, err := New(&fakeBackend{}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestCampaignRetriesUntilFree(t *testing.T) {
	b := &fakeBackend{free: 3}
	e, clk := newElector(t, b)
	type won struct {
		term int64
		from time.Time
	}
	got := make(chan won, 1)
	go func() {
		term, from, _ := e.Campaign(context.Background())
		got <- won{term, from}
	}()
	for i := 0; i < 3; i++ {
		testkit.Eventually(t, "a retry waits", func() bool { return clk.pending() == 1 })
		clk.advance(e.Options().RetryEvery)
	}
	w := <-got
	if w.term != 7 || !w.from.Equal(t0.Add(3*e.Options().RetryEvery)) {
		t.Fatalf("won term %d from %v", w.term, w.from)
	}
}

// Renewals keep the leadership, a failed one among them.
func TestHoldRenews(t *testing.T) {
	b := &fakeBackend{failAt: 5}
	e, clk := newElector(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	out := hold(e, clk, ctx)
	testkit.Eventually(t, "timers armed", func() bool { return clk.pending() == 2 })
	for i := 1; i <= 10; i++ {
		clk.advance(time.Second)
		testkit.Eventually(t, "renewed", func() bool { return b.count() >= i })
	}
	select {
	case r := <-out:
		t.Fatalf("leadership ended: %v", r.err)
	default:
	}
	cancel()
	if r := <-out; r.err != nil {
		t.Fatal(r.err)
	}
}

// A database that does not answer: leadership ends at the renew deadline after the last
// renewal that succeeded, before the lease can expire.
func TestHoldStepsDownBeforeExpiry(t *testing.T) {
	b := &fakeBackend{}
	e, clk := newElector(t, b)
	out := hold(e, clk, context.Background())
	testkit.Eventually(t, "timers armed", func() bool { return clk.pending() == 2 })
	clk.advance(time.Second)
	testkit.Eventually(t, "renewed", func() bool { return b.count() == 1 })
	lastOK := clk.Now()
	if !e.Leading() {
		t.Fatal("not leading after a renewal")
	}
	b.set(func(b *fakeBackend) { b.block = true })
	clk.advance(1990 * time.Millisecond)
	if !e.Leading() {
		t.Fatal("not leading before the renew deadline")
	}
	clk.advance(10 * time.Millisecond)
	if e.Leading() {
		t.Fatal("leading at the renew deadline, without a renewal")
	}
	clk.advance(3 * time.Second)
	r := <-out
	if !errors.Is(r.err, ErrLost) {
		t.Fatalf("Hold = %v, want ErrLost", r.err)
	}
	// The renewal that started at lastOK - 10ms (the step that fired it) succeeded.
	if r.start.After(lastOK.Add(2*time.Second)) || !r.start.Before(lastOK.Add(3*time.Second)) {
		t.Fatalf("stepped down at %v after the last renewal, deadline 2s, lease 3s", r.start.Sub(lastOK))
	}
}

func TestHoldStepsDownWhenRefused(t *testing.T) {
	b := &fakeBackend{refuse: true}
	e, clk := newElector(t, b)
	out := hold(e, clk, context.Background())
	testkit.Eventually(t, "timers armed", func() bool { return clk.pending() == 2 })
	clk.advance(time.Second)
	r := <-out
	if !errors.Is(r.err, ErrLost) || r.start.After(t0.Add(time.Second)) {
		t.Fatalf("Hold = %v at %v, want ErrLost at the first renewal", r.err, r.start.Sub(t0))
	}
}
