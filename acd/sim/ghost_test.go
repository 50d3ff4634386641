package sim

import (
	"slices"
	"testing"
	"time"

	"switchboard/acd"
)

// An abandoned caller is scored on the wait it would have had: until the first caller who
// arrived after it and stayed was taken. Callers abandon in another order than they arrived,
// and a ghost that arrived later but gave up sooner must not hold back an earlier one.
func TestGhostScoredWhenNextStayingCallerIsTaken(t *testing.T) {
	sc := Scenario{
		Duration: time.Hour,
		Queues:   []QueueSpec{{Name: "q", HandleTime: Dist{Kind: Deterministic, Mean: 100 * time.Second}}},
		Agents:   []AgentGroup{{Count: 1, Queues: []string{"q"}}},
	}
	r, err := newRunner(sc)
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int) { r.clock.Set(epoch.Add(time.Duration(sec) * time.Second)) }
	arrive := func(sec int) *simCall {
		t.Helper()
		at(sec)
		before := len(r.calls)
		if err := r.arrive(0); err != nil {
			t.Fatal(err)
		}
		r.drain()
		if len(r.calls) != before+1 {
			t.Fatalf("t=%d: %d calls, want %d", sec, len(r.calls), before+1)
		}
		for _, c := range r.calls {
			if c.arrived.Equal(r.clock.Now()) {
				r.seq++ // a fresh call id for the next arrival
				return c
			}
		}
		t.Fatalf("t=%d: the new call is missing", sec)
		return nil
	}
	hangup := func(sec int, c *simCall) {
		t.Helper()
		at(sec)
		if err := r.e.Hangup(c.id); err != nil {
			t.Fatal(err)
		}
		r.drain()
	}

	arrive(0)          // taken at once, busy until 100
	g1 := arrive(1)    // abandons at 5; had it stayed, it would have been taken at 100
	stays := arrive(2) // taken at 100, busy until 200
	g2 := arrive(3)    // abandons at 4, before g1; would have been taken at 200
	hangup(4, g2)
	hangup(5, g1)
	if err := r.loop(); err != nil {
		t.Fatal(err)
	}
	if r.calls[stays.id] != nil {
		t.Fatal("the staying caller never finished")
	}

	ql := slices.Index(r.ests, acd.EstimatorQL)
	got := r.acc[ql]
	// Scored: g1 99 s (until 100), the staying caller 98 s, g2 197 s (the agent went idle at 200).
	if want := 99.0 + 98 + 197; got.n != 3 || got.w != want {
		t.Errorf("scored %d callers with %.0f s of waits, want 3 with %.0f s", got.n, got.w, want)
	}
}
