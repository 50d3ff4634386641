package store

import (
	"context"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/pgtest"
)

// A batch written again after a commit whose outcome the journal never heard
// (the connection died on COMMIT) changes nothing.
func TestWriteBatchRetryAfterUnknownCommit(t *testing.T) {
	ctx := context.Background()
	s := New(pgtest.Pool(t))
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	stream := newUUID()
	m := newModel("ast1")
	m.apply(acd.CallEnqueued{At: t0, Call: "c1", Queue: "line1", EnqueuedAt: t0, Position: 1})
	m.apply(acd.CallAbandoned{At: t0.Add(9 * time.Second), Call: "c1", Queue: "line1", Waited: 9 * time.Second})
	b := &batch{last: 2}
	m.snapshot(b)
	for attempt := 1; attempt <= 3; attempt++ {
		b.attempts = attempt
		if err := s.writeBatch(ctx, stream, "ast1", b); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	m.apply(acd.CallEnqueued{At: t0.Add(time.Minute), Call: "c2", Queue: "line1", EnqueuedAt: t0.Add(time.Minute), Position: 1})
	b2 := &batch{last: 3, attempts: 2} // a retry of a batch that did not commit: written
	m.snapshot(b2)
	if err := s.writeBatch(ctx, stream, "ast1", b2); err != nil {
		t.Fatal(err)
	}
	var events, calls, legs int
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM queue_events), (SELECT count(*) FROM calls),
		(SELECT count(*) FROM call_legs)`).Scan(&events, &calls, &legs)
	if err != nil {
		t.Fatal(err)
	}
	if events != 3 || calls != 2 || legs != 2 {
		t.Fatalf("events, calls, legs = %d, %d, %d; want 3, 2, 2", events, calls, legs)
	}
	c, err := s.Call(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Outcome != calllog.Abandoned || c.Wait != 9*time.Second {
		t.Fatalf("c1 = %+v", c)
	}
}

func TestNewUUID(t *testing.T) {
	u := newUUID()
	if len(u) != 36 || u[14] != '4' || u[8] != '-' || u == newUUID() {
		t.Fatalf("newUUID() = %q", u)
	}
}

func TestJournalQueueTakesInOrder(t *testing.T) {
	j, err := NewJournal(&Store{}, JournalOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	next := uint64(1)
	for i := range n {
		j.Record(acd.CallUpdated{Call: "c", Priority: i})
		if i%5 == 4 { // take less than is added so the queue grows and compacts
			for _, it := range j.take(3) {
				if it.seq != next {
					t.Fatalf("took seq %d, want %d", it.seq, next)
				}
				next++
			}
		}
	}
	for {
		items := j.take(1000)
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			if it.seq != next || it.ev.(acd.CallUpdated).Priority != int(it.seq-1) {
				t.Fatalf("took seq %d (%v), want %d", it.seq, it.ev, next)
			}
			next++
		}
	}
	if next != n+1 || j.Pending() != n {
		t.Fatalf("took up to %d, pending %d; want %d and %d", next-1, j.Pending(), n, n)
	}
}
