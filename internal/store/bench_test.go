package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// dayOfEvents drives an engine through a busy stretch (20 agents, three
// queues, answered calls with wrap-up, some abandons) until it has emitted n
// events.
func dayOfEvents(tb testing.TB, n int) []acd.Event {
	tb.Helper()
	clock := &acd.ManualClock{T: t0}
	var evs []acd.Event
	var offered []string
	e, err := acd.New(acd.Options{Clock: clock, OnEvent: func(ev acd.Event) {
		evs = append(evs, ev)
		if o, ok := ev.(acd.CallOffered); ok {
			offered = append(offered, o.Call)
		}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	queues := []string{"line1", "line2", "sales"}
	for _, q := range queues {
		if err := e.AddQueue(acd.QueueConfig{Name: q, WrapUp: 10 * time.Second}); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range 20 {
		id := fmt.Sprintf("a%02d", i)
		ms := []acd.Membership{{Queue: queues[i%3]}, {Queue: queues[(i+1)%3], Penalty: 1}}
		if err := e.AddAgent(acd.AgentConfig{ID: id, Endpoint: "PJSIP/" + id, Queues: ms}); err != nil {
			tb.Fatal(err)
		}
		if err := e.Login(id); err != nil {
			tb.Fatal(err)
		}
	}
	var connected []string
	for i := 0; len(evs) < n; i++ {
		clock.Advance(3 * time.Second)
		e.Tick()
		id := fmt.Sprintf("call-%06d", i)
		if err := e.Enqueue(acd.CallRequest{ID: id, Queue: queues[i%3], Priority: i % 2}); err != nil {
			tb.Fatal(err)
		}
		if i%7 == 3 {
			if v, ok := e.Call(id); ok && v.State == "waiting" {
				_ = e.Hangup(id) // abandons at once
			}
		}
		for _, c := range offered {
			if err := e.Answer(c); err == nil {
				connected = append(connected, c)
			}
		}
		offered = offered[:0]
		for len(connected) > 15 {
			if err := e.Hangup(connected[0]); err != nil {
				tb.Fatal(err)
			}
			connected = connected[1:]
		}
	}
	return evs[:n]
}

// BenchmarkJournal records 100k engine events and waits until they are all
// written; it reports rows and events written per second.
func BenchmarkJournal(b *testing.B) {
	const n = 100_000
	evs := dayOfEvents(b, n)
	ctx := context.Background()
	var rows, secs float64
	for b.Loop() {
		b.StopTimer()
		s := store.New(pgtest.Pool(b))
		j, err := store.NewJournal(s, store.JournalOptions{Node: "ast1"})
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- j.Run(rctx) }()
		b.StartTimer()
		t := time.Now()
		for _, ev := range evs {
			j.Record(ev)
		}
		if err := j.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		secs += time.Since(t).Seconds()
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		var k int
		err = s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM queue_events) + (SELECT count(*) FROM calls)
			+ (SELECT count(*) FROM call_legs) + (SELECT count(*) FROM agent_states)`).Scan(&k)
		if err != nil {
			b.Fatal(err)
		}
		rows += float64(k)
		b.StartTimer()
	}
	b.ReportMetric(rows/secs, "rows/s")
	b.ReportMetric(float64(b.N)*n/secs, "events/s")
	b.Logf("%d events → %.0f rows in %.2fs per run: %.0f rows/s, %.0f events/s",
		n, rows/float64(b.N), secs/float64(b.N), rows/secs, float64(b.N)*n/secs)
}
