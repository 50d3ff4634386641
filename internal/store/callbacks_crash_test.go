package store_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/ivr/callback"
)

// The crash test of issue 4: dialer processes (this test binary re-executed
// as TestHelperDialer) claim, dial and finish callbacks while the parent
// feeds a stream of requests, duplicates included, and SIGKILLs a dialer at
// random moments. A dial is a row in dial_log, written after the claim
// committed and before the outcome: every dial that may have rung a phone is
// in the log, so a (callback, attempt) dialed twice would show as two rows.

const helperEnv = "GO_WANT_HELPER"

// crashPolicy is the dialers' policy: small delays so that retries happen
// within the test.
var crashPolicy = callback.Policy{
	AllowInternational: true,
	MaxAttempts:        3,
	Backoff:            []time.Duration{10 * time.Millisecond, 25 * time.Millisecond},
}

// TestHelperDialer is not a test: it is the dialer process of
// TestCallbacksCrash, and runs until it is killed.
func TestHelperDialer(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestCallbacksCrash")
	}
	owner := os.Getenv("CB_OWNER")
	seed, _ := strconv.ParseUint(os.Getenv("CB_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, uint64(os.Getpid())))
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("CB_URL"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["application_name"] = os.Getenv("CB_OWNER") // see waitGone
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(pool)
	// My previous incarnation is dead: its unfinished attempts are failed
	// attempts, never dialed again under their number.
	if _, err := s.RecoverOwner(ctx, owner); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecoverStale(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	parent := os.Getppid()
	deadline := time.Now().Add(2 * time.Minute) // an orphan does not live on
	for time.Now().Before(deadline) && os.Getppid() == parent {
		claims, err := s.ClaimCallbacks(ctx, owner, time.Now(), 1+rng.IntN(3))
		if err != nil {
			t.Logf("claim: %v", err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if len(claims) == 0 {
			time.Sleep(time.Duration(1+rng.IntN(4)) * time.Millisecond)
			continue
		}
		for _, c := range claims {
			// The dial: durable before the phone can ring.
			if _, err := pool.Exec(ctx, `INSERT INTO dial_log (callback_id, attempt, owner, pid) VALUES ($1, $2, $3, $4)`,
				c.ID, c.Attempt, owner, os.Getpid()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.IntN(25)) * time.Millisecond) // ringing
			var o callback.Outcome
			switch r := rng.IntN(100); {
			case r < 35:
				o = callback.Connected
			case r < 65:
				o = callback.NoAnswer
			case r < 85:
				o = callback.Busy
			default:
				o = callback.Failed
			}
			// The expiry is left to the store: a request merged during the
			// attempt may have extended it.
			next, _ := crashPolicy.NextAttempt(callback.Callback{Attempts: c.Attempt, Outcome: o,
				WindowStart: c.WindowStart}, time.Now(), nil)
			if _, err := s.FinishAttempt(ctx, c.ID, c.Attempt, o, next); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// dialer is one running helper process.
type dialer struct {
	owner string
	cmd   *exec.Cmd
	out   bytes.Buffer
}

func startDialer(t *testing.T, url, owner string, seed uint64) *dialer {
	t.Helper()
	d := &dialer{owner: owner}
	d.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperDialer$", "-test.v")
	d.cmd.Env = append(os.Environ(), helperEnv+"=1", "CB_URL="+url, "CB_OWNER="+owner, fmt.Sprint("CB_SEED=", seed))
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return d
}

// kill SIGKILLs the dialer and reports whether it was still running (it
// must never stop by itself).
func (d *dialer) kill(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	err := d.cmd.Wait()
	if ws, ok := d.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Errorf("dialer %s stopped by itself (%v):\n%s", d.owner, err, d.out.String())
	}
}

// waitGone waits until the killed dialer's database sessions are gone. A statement it sent
// just before the kill (a COMMIT of a finished attempt) still runs to its end on the server;
// looking at its open attempts before that would count one that then finishes normally.
func waitGone(t *testing.T, pool *pgxpool.Pool, owner string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, owner).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dialer %s: %d database sessions still there 10 s after the kill", owner, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type crashRequest struct {
	id       int64
	merged   bool
	enqueued time.Time
	priority int
}

func TestCallbacksCrash(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in a helper process")
	}
	iterations, requests := 100, 500
	if testing.Short() {
		iterations, requests = 20, 100
	}
	ctx := context.Background()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := store.New(pool)
	if _, err := pool.Exec(ctx, `CREATE TABLE dial_log (
		callback_id bigint NOT NULL, attempt integer NOT NULL, owner text NOT NULL, pid integer NOT NULL,
		at timestamptz NOT NULL DEFAULT clock_timestamp())`); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	dialers := make([]*dialer, 2)
	for i := range dialers {
		dialers[i] = startDialer(t, url, fmt.Sprintf("dialer-%d", i), rng.Uint64())
	}
	defer func() {
		for _, d := range dialers {
			if d.cmd.ProcessState == nil {
				_ = d.cmd.Process.Kill()
				_ = d.cmd.Wait()
			}
		}
	}()

	// The stream of requests, with duplicates by number, and the expiry sweep.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var reqs []crashRequest
	base := time.Now().Truncate(time.Millisecond) // the database keeps microseconds
	feedRng := rand.New(rand.NewPCG(seed, 2))
	wg.Add(2)
	go func() {
		defer wg.Done()
		var last callback.Request
		for i := range requests {
			now := time.Now()
			r := callback.Request{
				Node:       "ast1",
				Number:     fmt.Sprintf("+4930555%04d", feedRng.IntN(100)),
				Queue:      []string{"line1", "line2"}[feedRng.IntN(2)],
				Priority:   feedRng.IntN(3),
				EnqueuedAt: base.Add(time.Duration(feedRng.IntN(600)) * time.Second), // places out of order
				Reason:     []callback.Reason{callback.Offered, callback.Missed, callback.AfterHours}[feedRng.IntN(3)],
				CallID:     fmt.Sprintf("ast1/c%d", i),
				// Waiting for the dialers reasonably; about one in ten expires within the test.
				MaxAttempts: crashPolicy.Attempts(),
				ExpiresAt:   now.Add(time.Minute),
			}
			if feedRng.IntN(10) == 0 {
				r.ExpiresAt = now.Add(time.Duration(20+feedRng.IntN(200)) * time.Millisecond)
			}
			if i > 0 && feedRng.IntN(3) == 0 { // the same caller again, soon: merged while active
				r.Number, r.Queue = last.Number, last.Queue
			}
			last = r
			id, merged, err := s.RequestCallback(ctx, r)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			reqs = append(reqs, crashRequest{id: id, merged: merged, enqueued: r.EnqueuedAt, priority: r.Priority})
			mu.Unlock()
			time.Sleep(time.Duration(feedRng.IntN(40)) * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := s.ExpireCallbacks(ctx, time.Now()); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	// Kill a dialer at random moments, and restart it.
	// Attempts left open by a kill, and those of them already dialed.
	type key struct {
		id      int64
		attempt int
	}
	kills := 0
	open, openDialed := map[key]bool{}, map[key]bool{}
	for i := range iterations {
		time.Sleep(time.Duration(5+rng.IntN(80)) * time.Millisecond)
		k := rng.IntN(len(dialers))
		d := dialers[k]
		d.kill(t)
		waitGone(t, pool, d.owner)
		kills++
		rows, err := pool.Query(ctx, `SELECT a.callback_id, a.attempt, EXISTS (SELECT 1 FROM dial_log l
				WHERE (l.callback_id, l.attempt) = (a.callback_id, a.attempt))
			FROM callback_attempts a WHERE a.claimed_by = $1 AND a.finished_at IS NULL`, d.owner)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		var attempt int
		var dialed bool
		if _, err := pgx.ForEachRow(rows, []any{&id, &attempt, &dialed}, func() error {
			open[key{id, attempt}] = true
			if dialed {
				openDialed[key{id, attempt}] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		dialers[k] = startDialer(t, url, d.owner, rng.Uint64()+uint64(i))
	}

	// Let the stream end and the dialers finish every callback.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		fed := len(reqs)
		mu.Unlock()
		counts, err := s.CallbackCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fed == requests && len(counts) == 0 {
			break
		}
		if time.Now().After(deadline) || t.Failed() {
			t.Fatalf("callbacks still active after the stream: %v (%d of %d requests fed)", counts, fed, requests)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for _, d := range dialers {
		d.kill(t)
	}

	// Every request reached a final state; merges kept the earliest place and the highest priority.
	type want struct {
		enqueued time.Time
		priority int
		requests int
	}
	wants := map[int64]*want{}
	merges := 0
	for _, r := range reqs {
		w := wants[r.id]
		if w == nil {
			w = &want{enqueued: r.enqueued, priority: r.priority}
			wants[r.id] = w
		} else if !r.merged {
			t.Errorf("callback %d: a request that was not merged returned an existing id", r.id)
		}
		if r.merged {
			merges++
		}
		w.requests++
		if r.enqueued.Before(w.enqueued) {
			w.enqueued = r.enqueued
		}
		w.priority = max(w.priority, r.priority)
	}
	var attempts, connected, expired, exhausted, recovered int
	for id, w := range wants {
		c, err := s.Callback(ctx, id)
		if err != nil {
			t.Fatalf("callback %d lost: %v", id, err)
		}
		switch c.State {
		case callback.StateDone:
			if c.Outcome == callback.Connected {
				connected++
			} else {
				exhausted++
				if c.Attempts != c.MaxAttempts {
					t.Errorf("callback %d done (%s) after %d of %d attempts", id, c.Outcome, c.Attempts, c.MaxAttempts)
				}
			}
		case callback.StateExpired:
			expired++
		default:
			t.Errorf("callback %d ended in state %s", id, c.State)
		}
		if c.Attempts > c.MaxAttempts {
			t.Errorf("callback %d: %d attempts, max %d", id, c.Attempts, c.MaxAttempts)
		}
		if !c.EnqueuedAt.Equal(w.enqueued) || c.Priority != w.priority || c.Requests != w.requests {
			t.Errorf("callback %d: place %v priority %d requests %d; want %v, %d, %d",
				id, c.EnqueuedAt, c.Priority, c.Requests, w.enqueued, w.priority, w.requests)
		}
		as, err := s.CallbackAttempts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != c.Attempts {
			t.Errorf("callback %d: %d attempt rows for %d attempts", id, len(as), c.Attempts)
		}
		for i, a := range as {
			if a.Attempt != i+1 || a.FinishedAt.IsZero() {
				t.Errorf("callback %d: attempt %d of %d is %+v", id, i+1, len(as), a)
			}
			if a.Outcome == callback.Connected && (i != len(as)-1 || c.State != callback.StateDone) {
				t.Errorf("callback %d: connected attempt %d is not its last (%d attempts, %s)", id, a.Attempt, len(as), c.State)
			}
			if a.Recovered {
				recovered++
			}
		}
		attempts += len(as)
	}

	// Nobody dialed an attempt twice, or one they had not claimed, or more than the maximum.
	var dials, duplicates, unclaimed, overMax, total int
	if err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM dial_log),
			(SELECT count(*) FROM (SELECT 1 FROM dial_log GROUP BY callback_id, attempt HAVING count(*) > 1) d),
			(SELECT count(*) FROM dial_log l LEFT JOIN callback_attempts a
				ON (a.callback_id, a.attempt, a.claimed_by) = (l.callback_id, l.attempt, l.owner) WHERE a.callback_id IS NULL),
			(SELECT count(*) FROM (SELECT 1 FROM dial_log l JOIN callbacks c ON c.id = l.callback_id
				GROUP BY c.id, c.max_attempts HAVING count(*) > c.max_attempts) o),
			(SELECT count(*) FROM callbacks)`).Scan(&dials, &duplicates, &unclaimed, &overMax, &total); err != nil {
		t.Fatal(err)
	}
	if duplicates != 0 || unclaimed != 0 || overMax != 0 {
		t.Errorf("dial log: %d attempts dialed twice, %d dialed without a claim, %d callbacks dialed over the maximum",
			duplicates, unclaimed, overMax)
	}
	if total != len(wants) {
		t.Errorf("%d callbacks stored, %d requested", total, len(wants))
	}
	if kills != iterations {
		t.Errorf("%d kills", kills)
	}
	// More may be recovered than were seen open: a claim sent just before the
	// kill can commit after the look.
	if recovered < len(open) {
		t.Errorf("%d attempts recovered, %d left open by kills", recovered, len(open))
	}
	t.Logf("iterations %d, kills %d, attempts cut by a kill %d (%d after the dial), requests %d, merged %d, callbacks %d "+
		"(connected %d, exhausted %d, expired %d), attempts %d (recovered %d), dials %d, dialed twice %d",
		iterations, kills, len(open), len(openDialed), len(reqs), merges, len(wants), connected, exhausted, expired,
		attempts, recovered, dials, duplicates)
}
