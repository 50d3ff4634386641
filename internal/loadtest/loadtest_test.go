package loadtest

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/acd"
)

// TestSmallLoad runs a short load end to end over real HTTP and websocket: every call must be
// answered by exactly one agent and completed, no event dropped, and every offer timed.
func TestSmallLoad(t *testing.T) {
	var enqueued atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{
		Rate: 40, Duration: 3 * time.Second, Agents: 100, Talk: time.Second, AnswerAfter: 100 * time.Millisecond,
		Queues: 2, Drain: 15 * time.Second,
		Observer: func(ev acd.Event) {
			if _, ok := ev.(acd.CallEnqueued); ok {
				enqueued.Add(1)
			}
		},
		StoreRate: func() float64 { return 42 },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	if rep.Placed != 120 {
		t.Errorf("placed %d, want 120", rep.Placed)
	}
	if rep.Lost != 0 || rep.Completed != rep.Placed {
		t.Errorf("completed %d of %d, lost %d: %+v", rep.Completed, rep.Placed, rep.Lost, rep.LostCalls)
	}
	if rep.EventsDropped != 0 {
		t.Errorf("events dropped: %v", rep.EventsDropped)
	}
	if rep.LatencySamples != rep.Placed {
		t.Errorf("latency samples %d, want %d (one offer per call)", rep.LatencySamples, rep.Placed)
	}
	if got := enqueued.Load(); got != int64(rep.Placed) {
		t.Errorf("observer saw %d enqueues, want %d", got, rep.Placed)
	}
	if q := rep.OfferLatency; q.P50 <= 0 || q.P50 > q.P90 || q.P90 > q.P99 || q.P99 > q.Max {
		t.Errorf("quantiles out of order: %+v", q)
	}
	if rep.ArrivalRate < 35 || rep.ArrivalRate > 45 {
		t.Errorf("arrival rate %.1f/s, want about 40", rep.ArrivalRate)
	}
	// The emulated Asterisk counted the router's requests and sessions (ariemu.Cost).
	if rep.ARIRequests < int64(rep.Placed) || rep.RequestsPerCall <= 1 || rep.PeakSessions < 1 || rep.SessionLimit != 100 {
		t.Errorf("ARI figures: %d requests (%.1f per call), peak %d sessions of %d", rep.ARIRequests, rep.RequestsPerCall, rep.PeakSessions, rep.SessionLimit)
	}
	if rep.PeakHeapBytes == 0 || rep.StoreWriteRate == nil || *rep.StoreWriteRate != 42 {
		t.Errorf("heap %d, store rate %v", rep.PeakHeapBytes, rep.StoreWriteRate)
	}
	if !rep.OK() {
		t.Error("report not OK")
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
}

func TestLatencyQuantiles(t *testing.T) {
	l := &latencies{}
	for i := 100; i >= 1; i-- {
		l.add(time.Duration(i) * time.Millisecond)
	}
	n, q := l.summary()
	want := Quantiles{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if n != 100 || q != want {
		t.Fatalf("got %d %+v, want 100 %+v", n, q, want)
	}
}

// TestPopsLoad: with a desktop per agent on the pop stream, every offer reaches the offered
// agent's desktop, and the delivery is timed.
func TestPopsLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{Rate: 40, Duration: 2 * time.Second, Agents: 50, Talk: 500 * time.Millisecond,
		AnswerAfter: 50 * time.Millisecond, Drain: 15 * time.Second, Pops: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	p := rep.Pops
	if p == nil || p.Clients != 50 || p.Offers != int64(rep.Placed) || p.Delivered != rep.Placed || p.HubP99 <= 0 {
		t.Fatalf("pop figures %+v, want every one of %d offers delivered", p, rep.Placed)
	}
	if q := p.Latency; q.P50 <= 0 || q.P50 > q.P99 || q.P99 > q.Max {
		t.Errorf("quantiles out of order: %+v", q)
	}
}

// TestPhonesHangUp: phones that hang up 100 ms after answering end every call before its
// caller does; the router then hangs the caller up, and the call still counts as completed,
// with the agents busy for the answer delay and 100 ms only.
func TestPhonesHangUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{Rate: 20, Duration: 2 * time.Second, Agents: 10, Talk: time.Minute,
		AnswerAfter: 50 * time.Millisecond, PhoneHangup: 100 * time.Millisecond, Drain: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	if rep.Placed != 40 || rep.Completed != rep.Placed || !rep.OK() {
		t.Fatalf("completed %d of %d: %+v", rep.Completed, rep.Placed, rep.LostCalls)
	}
	if want := 10 / 0.15; rep.Capacity < want-0.1 || rep.Capacity > want+0.1 {
		t.Fatalf("capacity %.1f calls/s, want %.1f (the phone's 100 ms, not the caller's minute)", rep.Capacity, want)
	}
}
