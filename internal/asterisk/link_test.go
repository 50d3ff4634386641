package asterisk_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
)

// The event websocket drops while an agent's phone rings. The router cannot see that phone
// any more: it takes the offer back at once (the caller keeps its place, the ringing leg is
// hung up) instead of letting the ring timeout pause the agent "no answer", offers nothing
// while cut off, and offers the call again once the link is back and reconciled.
func TestLinkDownRingsNobody(t *testing.T) {
	g := newRig(t)
	cfg := testConfig()
	cfg.Agents = cfg.Agents[:1] // a1 only
	cfg.Queues[0].RingTimeout = 5 * time.Second
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneRingOut})
	var mu sync.Mutex
	var offeredAt []int64 // reconciliations done at each offer
	g.options = func(o *router.Options) {
		o.Observers = append(o.Observers, func(ev acd.Event) {
			if _, ok := ev.(acd.CallOffered); ok {
				mu.Lock()
				offeredAt = append(offeredAt, g.r.Reconciliations())
				mu.Unlock()
			}
		})
	}
	g.start(cfg)
	ch := g.place(ariemu.Caller{TalkTime: 200 * time.Millisecond})
	g.eventually("a1 rung", func() bool {
		return count(g, "", func(e acd.CallOffered) bool { return e.Call == callID(ch) }) == 1
	})

	g.emu.Partition()
	var requeued acd.CallRequeued
	g.eventually("the offer taken back", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, ev := range g.events {
			if e, ok := ev.(acd.CallRequeued); ok && e.Call == callID(ch) {
				requeued = e
				return true
			}
		}
		return false
	})
	if requeued.Reason != acd.Withdrawn {
		t.Fatalf("requeued with reason %q while the link was down, want withdrawn", requeued.Reason)
	}
	if v := g.agent("a1"); v.State != acd.Available {
		t.Fatalf("a1 is %s %q while the link is down", v.State, v.Reason)
	}
	g.eventually("the ringing leg hung up", func() bool {
		for _, r := range g.emu.Calls() {
			if r.Endpoint == "PJSIP/1001" && r.Ended.IsZero() {
				return false
			}
		}
		return true
	})

	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.emu.Heal()
	if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller: %+v", rec)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int64{1, 2}; !slices.Equal(offeredAt, want) {
		t.Fatalf("offers made after %v reconciliations, want %v", offeredAt, want)
	}
	if n := count(g, "", func(e acd.AgentStateChanged) bool { return e.To == acd.Paused }); n != 0 {
		t.Fatalf("%d pauses", n)
	}
}
