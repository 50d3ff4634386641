package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/internal/store/migrate"
	"switchboard/ivr/callback"
)

func cbReq(number, queue string, enq time.Time) callback.Request {
	return callback.Request{
		Node: "ast1", Number: number, Queue: queue, EnqueuedAt: enq, Reason: callback.Missed,
		MaxAttempts: 3, NextAt: enq, ExpiresAt: enq.Add(24 * time.Hour),
	}
}

// cbStore is a store on a manual clock at t0: claim, finish and recovery
// times come from it, never from the calendar.
func cbStore(t *testing.T) (*store.Store, *acd.ManualClock) {
	clock := &acd.ManualClock{T: t0}
	return store.New(pgtest.Pool(t)).WithClock(clock), clock
}

func mustRequest(t *testing.T, s *store.Store, r callback.Request) (int64, bool) {
	t.Helper()
	id, merged, err := s.RequestCallback(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return id, merged
}

func mustCallback(t *testing.T, s *store.Store, id int64) *callback.Callback {
	t.Helper()
	c, err := s.Callback(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequestCallbackMerges(t *testing.T) {
	ctx := context.Background()
	s, _ := cbStore(t)
	r1 := cbReq("+49301110001", "line1", at(100))
	r1.Data = map[string]string{"customer": "42"}
	id1, merged := mustRequest(t, s, r1)
	eq(t, "first merged", merged, false)

	// The same caller again, later, with a higher priority: same callback, earliest place kept.
	r2 := cbReq("+49301110001", "line1", at(300))
	r2.Priority, r2.MaxAttempts, r2.Data = 5, 4, map[string]string{"ticket": "7"}
	id2, merged := mustRequest(t, s, r2)
	eq(t, "second id", id2, id1)
	eq(t, "second merged", merged, true)
	// An earlier place than the stored one wins too (a late-written missed call).
	id3, _ := mustRequest(t, s, cbReq("+49301110001", "line1", at(50)))
	eq(t, "third id", id3, id1)
	c := mustCallback(t, s, id1)
	eq(t, "place", c.EnqueuedAt.Sub(t0), sec(50))
	eq(t, "priority", c.Priority, 5)
	eq(t, "max attempts", c.MaxAttempts, 4)
	eq(t, "requests", c.Requests, 3)
	eq(t, "data", c.Data, map[string]string{"customer": "42", "ticket": "7"})
	eq(t, "state", c.State, callback.StatePending)

	// Another queue is another callback.
	idq, merged := mustRequest(t, s, cbReq("+49301110001", "line2", at(100)))
	if idq == id1 || merged {
		t.Errorf("other queue: id %d merged %v, want a new callback", idq, merged)
	}
	// Once the first is final, the number may queue again.
	if ok, err := s.CancelCallback(ctx, id1); !ok || err != nil {
		t.Fatalf("cancel = %v, %v", ok, err)
	}
	id4, merged := mustRequest(t, s, cbReq("+49301110001", "line1", at(400)))
	if id4 == id1 || merged {
		t.Errorf("after cancel: id %d merged %v, want a new callback", id4, merged)
	}
}

func TestRequestCallbackInvalid(t *testing.T) {
	s, _ := cbStore(t)
	for name, mod := range map[string]func(*callback.Request){
		"number":   func(r *callback.Request) { r.Number = "0301234567" },
		"queue":    func(r *callback.Request) { r.Queue = "" },
		"reason":   func(r *callback.Request) { r.Reason = "walk_in" },
		"attempts": func(r *callback.Request) { r.MaxAttempts = 0 },
		"expiry":   func(r *callback.Request) { r.ExpiresAt = time.Time{} },
		"window":   func(r *callback.Request) { r.WindowStart, r.WindowEnd = at(10), at(5) },
	} {
		r := cbReq("+49301110001", "line1", at(0))
		mod(&r)
		_, _, err := s.RequestCallback(context.Background(), r)
		if !errors.Is(err, callback.ErrInvalid) || acd.ErrorCode(err) != acd.EInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestClaimOrderAndWindows(t *testing.T) {
	ctx := context.Background()
	s, _ := cbStore(t)
	a, _ := mustRequest(t, s, cbReq("+49301110001", "line1", at(30)))
	b, _ := mustRequest(t, s, cbReq("+49301110002", "line1", at(10)))
	rc := cbReq("+49301110003", "line1", at(20))
	rc.Priority = 1
	c, _ := mustRequest(t, s, rc)
	rd := cbReq("+49301110004", "line1", at(0)) // the caller chose a window from t0+1h
	rd.WindowStart, rd.WindowEnd, rd.NextAt = at(3600), at(7200), time.Time{}
	d, _ := mustRequest(t, s, rd)
	re := cbReq("+49301110005", "line1", at(0)) // not due before t0+10m
	re.NextAt = at(600)
	e, _ := mustRequest(t, s, re)

	claims, err := s.ClaimCallbacks(ctx, "r1", at(60), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, cl := range claims {
		got = append(got, cl.ID)
		eq(t, "attempt", cl.Attempt, 1)
		eq(t, "state", cl.State, callback.StateDialing)
	}
	eq(t, "claimed, best first", got, []int64{c, b, a})
	if more, _ := s.ClaimCallbacks(ctx, "r2", at(60), 10); len(more) != 0 {
		t.Errorf("second claim got %d, want none", len(more))
	}
	claims, _ = s.ClaimCallbacks(ctx, "r1", at(3600), 10)
	got = nil
	for _, cl := range claims {
		got = append(got, cl.ID)
	}
	eq(t, "claimed later", got, []int64{d, e})

	// Claims limited to queues.
	f, _ := mustRequest(t, s, cbReq("+49301110006", "line2", at(0)))
	g, _ := mustRequest(t, s, cbReq("+49301110007", "line3", at(0)))
	if cs, err := s.ClaimCallbacksIn(ctx, "r1", []string{}, at(60), 10); len(cs) != 0 || err != nil {
		t.Errorf("claim in no queue = %v, %v", cs, err)
	}
	claims, err = s.ClaimCallbacksIn(ctx, "r1", []string{"line1", "line3"}, at(60), 10)
	if err != nil || len(claims) != 1 || claims[0].ID != g {
		t.Errorf("claim in line1, line3 = %v, %v; want callback %d", claims, err, g)
	}
	claims, err = s.ClaimCallbacks(ctx, "r1", at(60), 10)
	if err != nil || len(claims) != 1 || claims[0].ID != f {
		t.Errorf("claim in all = %v, %v; want callback %d", claims, err, f)
	}
}

func TestClaimConcurrentNeverTwice(t *testing.T) {
	ctx := context.Background()
	s, _ := cbStore(t)
	const n = 60
	for i := range n {
		mustRequest(t, s, cbReq(fmt.Sprintf("+4930200%04d", i), "line1", at(i)))
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("r%d", w)
			for {
				claims, err := s.ClaimCallbacks(ctx, owner, at(1000), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(claims) == 0 {
					return
				}
				mu.Lock()
				for _, c := range claims {
					if prev, dup := seen[c.ID]; dup {
						t.Errorf("callback %d claimed by %s and %s", c.ID, prev, owner)
					}
					seen[c.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	eq(t, "claimed", len(seen), n)
}

func TestFinishAttempt(t *testing.T) {
	ctx := context.Background()
	s, _ := cbStore(t)
	id, _ := mustRequest(t, s, cbReq("+49301110001", "line1", at(0)))
	claim := func(now time.Time) store.Claim {
		t.Helper()
		cs, err := s.ClaimCallbacks(ctx, "r1", now, 1)
		if err != nil || len(cs) != 1 {
			t.Fatalf("claim at %v = %v, %v", now.Sub(t0), cs, err)
		}
		return cs[0]
	}
	finish := func(attempt int, o callback.Outcome, next time.Time) bool {
		return finishID(t, s, id, attempt, o, next)
	}
	c1 := claim(at(1))
	eq(t, "finish", finish(c1.Attempt, callback.NoAnswer, at(61)), true)
	eq(t, "finish again", finish(c1.Attempt, callback.Connected, time.Time{}), false)
	cb := mustCallback(t, s, id)
	eq(t, "after no answer", fmt.Sprint(cb.State, " ", cb.Outcome, " ", cb.Attempts, " ", cb.NextAt.Sub(t0)), "scheduled no_answer 1 1m1s")
	if cs, _ := s.ClaimCallbacks(ctx, "r1", at(60), 1); len(cs) != 0 {
		t.Fatal("claimed before the retry time")
	}
	c2 := claim(at(61))
	eq(t, "second attempt", c2.Attempt, 2)
	finish(c2.Attempt, callback.Busy, at(120))
	c3 := claim(at(120))
	finish(c3.Attempt, callback.Busy, at(180)) // the budget is spent: done whatever next says
	cb = mustCallback(t, s, id)
	eq(t, "exhausted", fmt.Sprint(cb.State, " ", cb.Outcome, " ", cb.Attempts), "done busy 3")
	if _, err := s.FinishAttempt(ctx, id, 4, callback.Busy, time.Time{}); !store.IsNotFound(err) {
		t.Errorf("finish unknown attempt = %v, want not found", err)
	}
	as, err := s.CallbackAttempts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, a := range as {
		outs = append(outs, fmt.Sprintf("%d:%s:%s", a.Attempt, a.ClaimedBy, a.Outcome))
	}
	eq(t, "attempts", outs, []string{"1:r1:no_answer", "2:r1:busy", "3:r1:busy"})

	// Connected ends it; a next past the expiry expires it.
	id2, _ := mustRequest(t, s, cbReq("+49301110002", "line1", at(0)))
	c := claim(at(1))
	finishID(t, s, id2, c.Attempt, callback.Connected, at(100))
	eq(t, "connected", mustCallback(t, s, id2).State, callback.StateDone)
	r := cbReq("+49301110003", "line1", at(0))
	r.ExpiresAt = at(100)
	id3, _ := mustRequest(t, s, r)
	c = claim(at(1))
	finishID(t, s, id3, c.Attempt, callback.Failed, at(100))
	cb = mustCallback(t, s, id3)
	eq(t, "past expiry", fmt.Sprint(cb.State, " ", cb.Outcome), "expired expired")
}

func TestRecoverAndExpire(t *testing.T) {
	ctx := context.Background()
	s, clock := cbStore(t)
	id, _ := mustRequest(t, s, cbReq("+49301110001", "line1", at(0)))
	rb := cbReq("+49301110002", "line1", at(1))
	rb.MaxAttempts = 1
	idb, _ := mustRequest(t, s, rb)
	clock.Set(at(10))
	cs, err := s.ClaimCallbacks(ctx, "dead", at(10), 5)
	if err != nil || len(cs) != 2 {
		t.Fatalf("claim = %v, %v", cs, err)
	}
	// A router that is alive keeps its attempts.
	if n, err := s.RecoverStale(ctx, time.Hour); n != 0 || err != nil {
		t.Fatalf("RecoverStale(1h) = %d, %v", n, err)
	}
	if n, err := s.RecoverOwner(ctx, "someone-else"); n != 0 || err != nil {
		t.Fatalf("RecoverOwner(other) = %d, %v", n, err)
	}
	if n, err := s.RecoverOwner(ctx, "dead"); n != 2 || err != nil {
		t.Fatalf("RecoverOwner = %d, %v", n, err)
	}
	cb := mustCallback(t, s, id)
	eq(t, "recovered", fmt.Sprint(cb.State, " ", cb.Outcome, " ", cb.Attempts), "scheduled failed 1")
	eq(t, "no attempt left", mustCallback(t, s, idb).State, callback.StateDone)
	// The dead router's late finish changes nothing; the next claim is a new attempt.
	if ok, err := s.FinishAttempt(ctx, id, 1, callback.Connected, time.Time{}); ok || err != nil {
		t.Fatalf("late finish = %v, %v", ok, err)
	}
	eq(t, "rescheduled for the recovery's time", cb.NextAt.Sub(t0), sec(10))
	clock.Set(at(20))
	cs, err = s.ClaimCallbacks(ctx, "r2", at(20), 5)
	if err != nil || len(cs) != 1 || cs[0].Attempt != 2 {
		t.Fatalf("claim after recovery = %v, %v", cs, err)
	}
	as, _ := s.CallbackAttempts(ctx, id)
	eq(t, "first attempt recovered", as[0].Recovered, true)
	clock.Set(at(20 + 59))
	if n, err := s.RecoverStale(ctx, time.Minute); n != 0 || err != nil {
		t.Fatalf("RecoverStale(1m) after 59s = %d, %v", n, err)
	}
	clock.Set(at(20 + 61))
	if n, err := s.RecoverStale(ctx, time.Minute); n != 1 || err != nil {
		t.Fatalf("RecoverStale(1m) after 61s = %d, %v", n, err)
	}

	// Expiry sweeps waiting callbacks only.
	re := cbReq("+49301110003", "line1", at(0))
	re.ExpiresAt = at(50)
	ide, _ := mustRequest(t, s, re)
	rw := cbReq("+49301110004", "line2", at(0))
	rw.WindowEnd = at(40)
	idw, _ := mustRequest(t, s, rw)
	if n, err := s.ExpireCallbacks(ctx, at(49)); n != 1 || err != nil {
		t.Fatalf("ExpireCallbacks(49) = %d, %v", n, err)
	}
	eq(t, "window over", mustCallback(t, s, idw).State, callback.StateExpired)
	if n, err := s.ExpireCallbacks(ctx, at(50)); n != 1 || err != nil {
		t.Fatalf("ExpireCallbacks(50) = %d, %v", n, err)
	}
	eq(t, "expired", fmt.Sprint(mustCallback(t, s, ide).Outcome), "expired")
}

func TestCallbackCountsAndLists(t *testing.T) {
	ctx := context.Background()
	s, _ := cbStore(t)
	for i := range 3 {
		mustRequest(t, s, cbReq(fmt.Sprintf("+4930300000%d", i), "line1", at(i)))
	}
	later := cbReq("+49303000009", "line2", at(0))
	later.WindowStart = at(3600)
	mustRequest(t, s, later)
	cs, err := s.ClaimCallbacks(ctx, "r1", at(10), 1)
	if err != nil || len(cs) != 1 {
		t.Fatal(cs, err)
	}
	if err := s.AssignCallback(ctx, cs[0].ID, cs[0].Attempt, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignCallback(ctx, cs[0].ID, cs[0].Attempt+1, "bob"); !errors.Is(err, callback.ErrConflict) {
		t.Errorf("assign wrong attempt = %v, want conflict", err)
	}
	counts, err := s.CallbackCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "counts", counts, map[string]map[callback.State]int{
		"line1": {callback.StatePending: 2, callback.StateDialing: 1},
		"line2": {callback.StateScheduled: 1},
	})
	mine, err := s.AgentCallbacks(ctx, "alice")
	if err != nil || len(mine) != 1 || mine[0].ID != cs[0].ID || mine[0].Agent != "alice" {
		t.Fatalf("AgentCallbacks = %v, %v", mine, err)
	}
	list, err := s.Callbacks(ctx, callback.Filter{Queue: "line1", States: []callback.State{callback.StatePending}})
	if err != nil || len(list) != 2 {
		t.Fatalf("Callbacks(line1 pending) = %v, %v", list, err)
	}
	// A scope is applied before the limit: line2's callback, last in dialing order, is not
	// crowded out by line1's.
	list, err = s.Callbacks(ctx, callback.Filter{Queues: []string{"line2"}, Limit: 1})
	if err != nil || len(list) != 1 || list[0].Queue != "line2" {
		t.Fatalf("Callbacks(scope line2, limit 1) = %v, %v", list, err)
	}
	if list, err = s.Callbacks(ctx, callback.Filter{Queues: []string{}}); err != nil || len(list) != 0 {
		t.Fatalf("Callbacks(empty scope) = %v, %v", list, err)
	}
	if _, err := s.Callback(ctx, 999999); !store.IsNotFound(err) {
		t.Errorf("Callback(unknown) = %v", err)
	}
}

// A database migrated by the previous release (0001 only) gets 0002 on
// top, with its rows kept.
func TestCallbacksMigrationOnExistingDatabase(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	if _, err := pool.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"); err != nil {
		t.Fatal(err)
	}
	init, err := fs.ReadFile(store.Migrations, "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := migrate.New(fstest.MapFS{"0001_init.sql": {Data: init}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Up(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO calls (id, node) VALUES ('ast1/c1', 'ast1')`); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	v, err := migrate.Version(ctx, pool)
	if err != nil || v < 2 {
		t.Fatalf("version = %d, %v", v, err)
	}
	s := store.New(pool)
	if _, err := s.Call(ctx, "ast1/c1"); err != nil {
		t.Fatal(err)
	}
	mustRequest(t, s, cbReq("+49301110001", "line1", at(0)))
	var names []string
	rows, _ := pool.Query(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 2 || names[1] != "0002_callbacks" {
		t.Errorf("applied = %v", names)
	}
}

func finishID(t *testing.T, s *store.Store, id int64, attempt int, o callback.Outcome, next time.Time) bool {
	t.Helper()
	ok, err := s.FinishAttempt(context.Background(), id, attempt, o, next)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// A late finish racing the recovery of the same attempt: exactly one of
// them ends it, and the callback moves on once.
func TestFinishRacesRecovery(t *testing.T) {
	ctx := context.Background()
	s, _ := cbStore(t)
	for i := range 20 {
		id, _ := mustRequest(t, s, cbReq(fmt.Sprintf("+4930400%04d", i), "line1", at(i)))
		cs, err := s.ClaimCallbacks(ctx, "r1", at(100), 1)
		if err != nil || len(cs) != 1 || cs[0].ID != id {
			t.Fatalf("claim = %v, %v", cs, err)
		}
		var finished bool
		var recovered int
		var ferr, rerr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); finished, ferr = s.FinishAttempt(ctx, id, 1, callback.NoAnswer, at(200)) }()
		go func() { defer wg.Done(); recovered, rerr = s.RecoverOwner(ctx, "r1") }()
		wg.Wait()
		if ferr != nil || rerr != nil {
			t.Fatal(ferr, rerr)
		}
		if finished == (recovered == 1) {
			t.Fatalf("round %d: finish %v, recovered %d: want exactly one", i, finished, recovered)
		}
		c := mustCallback(t, s, id)
		as, _ := s.CallbackAttempts(ctx, id)
		if c.State != callback.StateScheduled || c.Attempts != 1 || len(as) != 1 || as[0].Recovered == finished {
			t.Fatalf("round %d: %+v, attempts %+v", i, c, as)
		}
		if ok, err := s.CancelCallback(ctx, id); !ok || err != nil {
			t.Fatalf("cancel = %v, %v", ok, err)
		}
	}
}
