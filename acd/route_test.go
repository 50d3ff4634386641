package acd

import (
	"testing"
	"time"
)

func TestStrategies(t *testing.T) {
	tests := []struct {
		name     string
		strategy Strategy
		prepare  func(h *harness) // agents a, b, c exist and are available
		calls    int
		want     []string
	}{
		{
			name:     "longest idle takes the agent free the longest",
			strategy: LongestIdle,
			prepare: func(h *harness) {
				h.must(h.e.Pause("a", "lunch"))
				h.advance(time.Second)
				h.must(h.e.Ready("a")) // a is now the most recently idle
			},
			calls: 3,
			want:  []string{"c1→b", "c2→c", "c3→a"},
		},
		{
			name:     "best skill takes the strongest match",
			strategy: BestSkill,
			calls:    3,
			want:     []string{"c1→c", "c2→b", "c3→a"},
		},
		{
			name:     "fewest calls balances the handled count",
			strategy: FewestCalls,
			prepare: func(h *harness) {
				for i, agent := range []string{"a", "a", "b"} {
					id := "w" + string(rune('0'+i))
					h.must(h.e.Pause("a", "x"))
					h.must(h.e.Pause("b", "x"))
					h.must(h.e.Pause("c", "x"))
					h.must(h.e.Ready(agent))
					h.call(id, "q", 0, nil)
					h.complete(id)
					h.must(h.e.Ready("a"))
					h.must(h.e.Ready("b"))
					h.must(h.e.Ready("c"))
				}
				h.offers()
			},
			calls: 3,
			want:  []string{"c1→c", "c2→b", "c3→a"},
		},
		{
			name:     "round robin goes around the members",
			strategy: RoundRobin,
			prepare: func(h *harness) {
				h.call("w", "q", 0, nil) // takes a
				h.complete("w")
				h.offers()
			},
			calls: 4,
			want:  []string{"c1→b", "c2→c", "c3→a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.queue(QueueConfig{Name: "q", Strategy: tt.strategy, Skills: map[string]int{"en": 1}})
			h.agent("a", map[string]int{"en": 2}, "q")
			h.advance(time.Second)
			h.agent("b", map[string]int{"en": 5}, "q")
			h.advance(time.Second)
			h.agent("c", map[string]int{"en": 9}, "q")
			h.advance(time.Second)
			if tt.prepare != nil {
				tt.prepare(h)
			}
			for i := 1; i <= tt.calls; i++ {
				h.call("c"+string(rune('0'+i)), "q", 0, nil)
			}
			eq(t, "offers", h.offers(), tt.want)
		})
	}
}

func TestPenaltyTiers(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.must(h.e.AddAgent(AgentConfig{ID: "backup", Queues: []Membership{{Queue: "q", Penalty: 2}}}))
	h.must(h.e.Login("backup"))
	h.advance(time.Second)
	h.must(h.e.AddAgent(AgentConfig{ID: "primary", Queues: []Membership{{Queue: "q", Penalty: 0}}}))
	h.must(h.e.Login("primary"))
	h.call("c1", "q", 0, nil)
	h.call("c2", "q", 0, nil)
	eq(t, "offers", h.offers(), []string{"c1→primary", "c2→backup"})
}

func TestSkillsAndExpansion(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", Skills: map[string]int{"en": 5}, Expansion: []ExpansionStep{
		{After: 30 * time.Second, LevelDrop: 2},
		{After: 60 * time.Second, Drop: []string{"billing"}},
	}})
	h.agent("junior", map[string]int{"en": 3}, "q")
	h.call("c1", "q", 0, map[string]int{"billing": 4})
	eq(t, "at once", h.offers(), nil)

	h.advance(29 * time.Second)
	eq(t, "before the first step", h.offers(), nil)
	h.advance(time.Second) // en 5 → 3, billing 4 → 2: junior still lacks billing
	eq(t, "first step", h.offers(), nil)
	if v, _ := h.e.Call("c1"); v.Step != 1 {
		t.Fatalf("step: got %d, want 1", v.Step)
	}
	h.advance(30 * time.Second) // billing dropped
	eq(t, "second step", h.offers(), []string{"c1→junior"})
}

func TestExpansionDoesNotLowerBelowOne(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", Skills: map[string]int{"en": 2}, Expansion: []ExpansionStep{{After: time.Second, LevelDrop: 9}}})
	h.agent("none", nil, "q")
	h.call("c1", "q", 0, nil)
	h.advance(2 * time.Second)
	eq(t, "an agent without the skill never matches", h.offers(), nil)
}

// An agent in two queues takes the higher priority first, then the more urgent against the
// queue's own threshold.
func TestFairnessAcrossQueues(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "vip", Priority: 5, SLThreshold: 10 * time.Second})
	h.queue(QueueConfig{Name: "fast", SLThreshold: 10 * time.Second})
	h.queue(QueueConfig{Name: "slow", SLThreshold: 60 * time.Second})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "vip"}, {Queue: "fast"}, {Queue: "slow"}}}))
	h.call("slow1", "slow", 0, nil)
	h.advance(5 * time.Second)
	h.call("fast1", "fast", 0, nil)
	h.advance(time.Second)
	h.call("vip1", "vip", 0, nil)
	h.advance(time.Second)
	h.must(h.e.Login("a"))
	eq(t, "priority first", h.offers(), []string{"vip1→a"})
	h.complete("vip1")
	// slow1 waited 7s of 60 (0.12), fast1 2s of 10 (0.2): fast1 is more urgent.
	eq(t, "urgency next", h.offers(), []string{"fast1→a"})
	h.complete("fast1")
	eq(t, "then the rest", h.offers(), []string{"slow1→a"})
}

func TestNoQueueStarves(t *testing.T) {
	h := newHarness(t, Options{StarveAfter: 3})
	h.queue(QueueConfig{Name: "high", Priority: 9, SLThreshold: 20 * time.Second})
	h.queue(QueueConfig{Name: "low", SLThreshold: 20 * time.Second})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "high"}, {Queue: "low"}}}))
	h.must(h.e.Login("a"))
	h.call("busy", "high", 0, nil)
	h.must(h.e.Answer("busy"))
	h.call("low1", "low", 0, nil)
	// A steady stream of high-priority calls, each younger than low1.
	for i := 0; i < 10; i++ {
		h.advance(10 * time.Second)
		h.call("h"+string(rune('a'+i)), "high", 0, nil)
	}
	h.offers()
	h.must(h.e.Hangup("busy")) // low1 has waited 100s, past 3×20s
	eq(t, "the starving call goes first", h.offers(), []string{"low1→a"})
}

func TestReservationTimeoutKeepsPlace(t *testing.T) {
	h := newHarness(t, Options{RingTimeout: 15 * time.Second})
	h.queue(QueueConfig{Name: "q"})
	h.agent("a", nil, "q")
	h.call("c1", "q", 0, nil)
	h.call("c2", "q", 0, nil)
	eq(t, "offer", h.offers(), []string{"c1→a"})
	h.advance(14 * time.Second)
	if h.state("a") != Reserved {
		t.Fatalf("a: got %v, want reserved", h.state("a"))
	}
	h.advance(time.Second)
	if v, _ := h.e.Agent("a"); v.State != Paused || v.Reason != ReasonNoAnswer {
		t.Fatalf("a: got %v %q, want paused %q", v.State, v.Reason, ReasonNoAnswer)
	}
	ids, _ := h.e.Waiting("q")
	eq(t, "c1 back at its place", ids, []string{"c1", "c2"})
	var requeued bool
	for _, ev := range h.events {
		if r, ok := ev.(CallRequeued); ok && r.Call == "c1" && r.Reason == NoAnswer {
			requeued = true
		}
	}
	if !requeued {
		t.Fatal("no CallRequeued event")
	}
	h.events = nil
	h.agent("b", nil, "q")
	eq(t, "next agent gets c1 first", h.offers(), []string{"c1→b"})
}

func TestOfferFailures(t *testing.T) {
	for _, why := range []OfferFailure{Busy, Unreachable, NoAnswer} {
		t.Run(why.String(), func(t *testing.T) {
			h := newHarness(t, Options{})
			h.queue(QueueConfig{Name: "q"})
			h.agent("a", nil, "q")
			h.agent("b", nil, "q")
			h.call("c1", "q", 0, nil)
			h.must(h.e.OfferFailed("c1", why))
			if v, _ := h.e.Agent("a"); v.State != Paused || v.Reason != why.String() {
				t.Fatalf("a: got %v %q", v.State, v.Reason)
			}
			eq(t, "offers", h.offers(), []string{"c1→a", "c1→b"})
		})
	}
}

// A withdrawn offer is not the agent's doing: the call goes back to its place and the agent is
// free again (or goes where it asked to go), not paused.
func TestOfferWithdrawn(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.agent("a", nil, "q")
	h.call("c1", "q", 0, nil)
	h.e.Hold()
	h.must(h.e.OfferFailed("c1", Withdrawn))
	if v, _ := h.e.Agent("a"); v.State != Available || v.Reason != "" {
		t.Fatalf("a: got %v %q, want available", v.State, v.Reason)
	}
	if v, _ := h.e.Call("c1"); v.State != "waiting" || !v.EnqueuedAt.Equal(t0) {
		t.Fatalf("c1: %+v", v)
	}
	h.e.Resume()
	eq(t, "offers", h.offers(), []string{"c1→a", "c1→a"})

	// A pause asked for while the phone rang is kept.
	h.must(h.e.Pause("a", "lunch"))
	h.must(h.e.OfferFailed("c1", Withdrawn))
	if v, _ := h.e.Agent("a"); v.State != Paused || v.Reason != "lunch" {
		t.Fatalf("a after a pause asked while ringing: got %v %q", v.State, v.Reason)
	}
}

// While offers are held calls queue and agents free up, but nothing is offered; Resume offers
// each available agent, longest idle first, the call it would have been offered.
func TestHoldResume(t *testing.T) {
	h := newHarness(t, Options{RingTimeout: 10 * time.Second})
	h.queue(QueueConfig{Name: "q"})
	h.queue(QueueConfig{Name: "vip", Priority: 5})
	h.agent("a", nil, "q")
	h.advance(time.Second)
	h.agent("b", nil, "q", "vip")
	h.e.Hold()
	if !h.e.Held() {
		t.Fatal("not held after Hold")
	}
	h.call("c1", "q", 0, nil)
	h.advance(time.Second)
	h.call("c2", "vip", 0, nil)
	h.advance(time.Minute) // no ring timeouts: nothing rings
	h.agent("c", nil, "q")
	eq(t, "offers while held", h.offers(), nil)
	eq(t, "states while held", []AgentState{h.state("a"), h.state("b"), h.state("c")}, []AgentState{Available, Available, Available})

	h.e.Resume()
	eq(t, "offers on resume", h.offers(), []string{"c1→a", "c2→b"})
	h.e.Resume() // a second Resume changes nothing
	eq(t, "offers on a second resume", h.offers(), nil)
	h.call("c3", "q", 0, nil)
	eq(t, "offers after resume", h.offers(), []string{"c3→c"})
}

func TestPriorityChangeKeepsPlaceInTime(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	for _, id := range []string{"c1", "c2", "c3"} {
		h.call(id, "q", 0, nil)
		h.advance(time.Second)
	}
	p := 5
	h.must(h.e.UpdateCall("c3", CallUpdate{Priority: &p}))
	ids, _ := h.e.Waiting("q")
	eq(t, "raised", ids, []string{"c3", "c1", "c2"})
	p = 0
	h.must(h.e.UpdateCall("c3", CallUpdate{Priority: &p}))
	ids, _ = h.e.Waiting("q")
	eq(t, "lowered again: back behind c2 by its original time", ids, []string{"c1", "c2", "c3"})
	h.must(h.e.UpdateCall("c1", CallUpdate{Skills: map[string]int{"fr": 3}}))
	ids, _ = h.e.Waiting("q")
	eq(t, "skills change keeps the place", ids, []string{"c1", "c2", "c3"})
	if v, _ := h.e.Call("c3"); !v.EnqueuedAt.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("enqueued at: got %v", v.EnqueuedAt)
	}
}

func TestHangups(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", WrapUp: 30 * time.Second})
	h.agent("a", nil, "q")

	// Caller hangs up while the agent's phone rings: the agent is free again at once.
	h.call("c1", "q", 0, nil)
	h.must(h.e.Hangup("c1"))
	if s := h.state("a"); s != Available {
		t.Fatalf("after ringing abandon: %v", s)
	}
	// Connected call ends: wrap-up, then available by the timer.
	h.call("c2", "q", 0, nil)
	h.must(h.e.Answer("c2"))
	h.advance(40 * time.Second)
	h.must(h.e.Hangup("c2"))
	if v, _ := h.e.Agent("a"); v.State != WrapUp || !v.WrapUpUntil.Equal(h.clock.T.Add(30*time.Second)) || v.Call != "c2" {
		t.Fatalf("after hangup: %+v", v)
	}
	h.offers()
	h.call("c3", "q", 0, nil)
	eq(t, "no offer during wrap-up", h.offers(), nil)
	h.advance(30 * time.Second)
	if v, _ := h.e.Agent("a"); v.State != Reserved || v.Call != "c3" || v.Handled != 1 || v.TalkTime != 40*time.Second {
		t.Fatalf("after wrap-up: %+v", v)
	}
	// Waiting caller hangs up: abandoned, removed.
	h.call("c4", "q", 0, nil)
	h.must(h.e.Hangup("c4"))
	if _, ok := h.e.Call("c4"); ok {
		t.Fatal("c4 still held")
	}
	if err := h.e.Hangup("c4"); ErrorCode(err) != ENotFound {
		t.Fatalf("second hangup: %v", err)
	}
}

func TestPauseAndLogoutDuringCall(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.agent("a", nil, "q")
	h.call("c1", "q", 0, nil)
	h.must(h.e.Answer("c1"))
	h.must(h.e.Pause("a", "break"))
	h.call("c2", "q", 0, nil)
	h.must(h.e.Hangup("c1"))
	if v, _ := h.e.Agent("a"); v.State != Paused || v.Reason != "break" {
		t.Fatalf("after call: %v %q", v.State, v.Reason)
	}
	h.must(h.e.Ready("a"))
	h.must(h.e.Answer("c2"))
	h.must(h.e.Logout("a"))
	h.must(h.e.Hangup("c2"))
	if s := h.state("a"); s != LoggedOut {
		t.Fatalf("after logout: %v", s)
	}
}

func TestTransferKeepsWaitAndData(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "line1"})
	h.queue(QueueConfig{Name: "line2"})
	h.agent("l1", nil, "line1")
	h.must(h.e.AddAgent(AgentConfig{ID: "l2", Queues: []Membership{{Queue: "line2"}}}))
	h.advance(time.Second)
	h.must(h.e.Enqueue(CallRequest{ID: "c1", Queue: "line2", EnqueuedAt: t0.Add(-time.Minute)}))
	h.must(h.e.Remove("c1", "test"))
	h.must(h.e.Enqueue(CallRequest{ID: "c2", Queue: "line1", Data: map[string]string{"customer": "42"}}))
	h.advance(5 * time.Second)
	h.must(h.e.Answer("c2"))
	h.advance(20 * time.Second)
	h.must(h.e.Transfer("c2", "line2"))
	v, _ := h.e.Call("c2")
	if v.Queue != "line2" || v.State != "waiting" || !v.EnqueuedAt.Equal(t0.Add(time.Second)) || v.Data["customer"] != "42" {
		t.Fatalf("after transfer: %+v", v)
	}
	h.advance(10 * time.Second)
	h.must(h.e.Login("l2"))
	h.must(h.e.Answer("c2"))
	var answered CallAnswered
	for _, ev := range h.events {
		if a, ok := ev.(CallAnswered); ok && a.Agent == "l2" {
			answered = a
		}
	}
	if answered.Waited != 35*time.Second {
		t.Fatalf("waited on line2: got %v, want 35s (the whole time since the first enqueue)", answered.Waited)
	}
}

func TestOverflow(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "backup"})
	h.queue(QueueConfig{Name: "q", MaxWait: time.Minute, Overflow: Overflow{Queue: "backup"}})
	h.queue(QueueConfig{Name: "cb", MaxWait: 2 * time.Minute, Overflow: Overflow{Callback: true}})
	h.call("c1", "q", 0, nil)
	h.call("c2", "cb", 0, nil)
	h.advance(time.Minute)
	ids, _ := h.e.Waiting("backup")
	eq(t, "moved to backup", ids, []string{"c1"})
	if v, _ := h.e.Call("c1"); !v.EnqueuedAt.Equal(t0) {
		t.Fatalf("enqueue time lost: %v", v.EnqueuedAt)
	}
	h.advance(time.Minute)
	if _, ok := h.e.Call("c2"); ok {
		t.Fatal("c2 should have left for a callback")
	}
	var cb bool
	for _, ev := range h.events {
		if o, ok := ev.(CallOverflowed); ok && o.Call == "c2" && o.Callback && o.Waited == 2*time.Minute {
			cb = true
		}
	}
	if !cb {
		t.Fatal("no callback overflow event")
	}
}

func TestOverflowToMissingQueueStaysPut(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", MaxWait: time.Minute, Overflow: Overflow{Queue: "later"}})
	h.call("c1", "q", 0, nil)
	h.advance(2 * time.Minute)
	if _, ok := h.e.NextDeadline(); ok {
		t.Fatal("a timer is left that would fire forever")
	}
	ids, _ := h.e.Waiting("q")
	eq(t, "still waiting", ids, []string{"c1"})
}

func TestCallbackOfferDue(t *testing.T) {
	h := newHarness(t, Options{DefaultHandle: time.Minute})
	h.queue(QueueConfig{Name: "q", CallbackThreshold: 90 * time.Second})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "q"}}}))
	h.must(h.e.Login("a"))
	h.call("busy", "q", 0, nil)
	h.call("c1", "q", 0, nil) // one agent, 1 min handle: 1 min expected
	h.call("c2", "q", 0, nil) // 2 min expected
	var due []string
	for _, ev := range h.events {
		if d, ok := ev.(CallbackOfferDue); ok {
			due = append(due, d.Call)
		}
	}
	eq(t, "offers due", due, []string{"c2"})
}

func TestBadRequests(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"empty queue name", h.e.AddQueue(QueueConfig{}), EInvalid},
		{"duplicate queue", h.e.AddQueue(QueueConfig{Name: "q"}), EConflict},
		{"bad strategy", h.e.AddQueue(QueueConfig{Name: "x", Strategy: "random"}), EInvalid},
		{"overflow to self", h.e.AddQueue(QueueConfig{Name: "x", Overflow: Overflow{Queue: "x"}}), EInvalid},
		{"skill level 11", h.e.AddQueue(QueueConfig{Name: "x", Skills: map[string]int{"en": 11}}), EInvalid},
		{"steps not increasing", h.e.AddQueue(QueueConfig{Name: "x", Expansion: []ExpansionStep{{After: 2}, {After: 1}}}), EInvalid},
		{"agent in unknown queue", h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "nope"}}}), ENotFound},
		{"call without id", h.e.Enqueue(CallRequest{Queue: "q"}), EInvalid},
		{"call to unknown queue", h.e.Enqueue(CallRequest{ID: "c", Queue: "nope"}), ENotFound},
		{"priority 10", h.e.Enqueue(CallRequest{ID: "c", Queue: "q", Priority: 10}), EInvalid},
		{"answer unknown", h.e.Answer("nope"), ENotFound},
		{"login unknown", h.e.Login("nope"), ENotFound},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.code {
			t.Errorf("%s: got %q (%v), want %q", tt.name, got, tt.err, tt.code)
		}
	}
	if len(h.e.Queues()) != 1 || len(h.e.CallIDs()) != 0 || len(h.e.AgentIDs()) != 0 {
		t.Fatalf("bad requests left state: %v %v %v", h.e.Queues(), h.e.CallIDs(), h.e.AgentIDs())
	}
	h.call("c", "q", 0, nil)
	if err := h.e.Answer("c"); ErrorCode(err) != EConflict {
		t.Fatalf("answer a waiting call: %v", err)
	}
}

func TestAdoptConnectedCall(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", WrapUp: 10 * time.Second})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "q"}}}))
	h.advance(time.Minute)
	answered := t0.Add(30 * time.Second)
	h.must(h.e.Adopt(CallRequest{ID: "c1", Queue: "q", EnqueuedAt: t0.Add(10 * time.Second), Data: map[string]string{"k": "v"}}, "a", answered))
	v, _ := h.e.Call("c1")
	if v.State != "connected" || v.Agent != "a" || v.Waited != 20*time.Second {
		t.Fatalf("adopted: %+v", v)
	}
	if s := h.state("a"); s != OnCall {
		t.Fatalf("agent: %v", s)
	}
	if err := h.e.Adopt(CallRequest{ID: "c2", Queue: "q"}, "a", answered); ErrorCode(err) != EConflict {
		t.Fatalf("second adopt on a busy agent: %v", err)
	}
	h.must(h.e.Hangup("c1"))
	var ended CallEnded
	for _, ev := range h.events {
		if e, ok := ev.(CallEnded); ok {
			ended = e
		}
	}
	if ended.Talk != 30*time.Second || h.state("a") != WrapUp {
		t.Fatalf("ended %+v, agent %v", ended, h.state("a"))
	}
}

// An agent's outbound call counts for the agent, not in the queue's statistics or handle times.
func TestAdoptOutboundNotCountedInQueue(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", WrapUp: 10 * time.Second})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "q"}}}))
	h.must(h.e.Login("a"))
	h.must(h.e.Adopt(CallRequest{ID: "o1", Queue: "q", Outbound: true}, "a", t0))
	h.advance(time.Minute)
	h.must(h.e.Hangup("o1"))
	h.advance(time.Minute) // the wrap-up ends
	s, err := h.e.Stats("q")
	if err != nil {
		t.Fatal(err)
	}
	if s.Today.Handled != 0 || s.Today.AHT != 0 {
		t.Fatalf("queue stats count the outbound call: %+v", s)
	}
	if v, _ := h.e.Agent("a"); v.State != Available {
		t.Fatalf("agent after the wrap-up: %+v", v)
	}
}

// An accepted offer (a callback's agent answered, the customer is being dialed) does not
// time out; removed when the customer is not reached, it counts neither as answered nor as
// abandoned and the agent is free at once, not paused; answered, it is a connected call.
func TestAcceptedOffer(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", RingTimeout: 10 * time.Second, WrapUp: 30 * time.Second})
	h.agent("a", nil, "q")
	h.call("c1", "q", 0, nil)
	h.must(h.e.Accept("c1"))
	h.advance(time.Minute)
	if v, _ := h.e.Agent("a"); v.State != Reserved || v.Call != "c1" {
		t.Fatalf("after the ring timeout: %+v", v)
	}
	h.must(h.e.Remove("c1", "callback not reached"))
	if s := h.state("a"); s != Available {
		t.Fatalf("after removal: %v", s)
	}
	for _, ev := range h.events {
		switch ev.(type) {
		case CallAnswered, CallAbandoned, CallRequeued, CallEnded:
			t.Fatalf("%T for an attempt that never reached the customer", ev)
		}
	}
	h.call("c2", "q", 0, nil)
	h.must(h.e.Accept("c2"))
	h.must(h.e.Answer("c2"))
	if s := h.state("a"); s != OnCall {
		t.Fatalf("answered: %v", s)
	}
	if err := h.e.Accept("c2"); ErrorCode(err) != EConflict {
		t.Fatalf("accepting a connected call: %v", err)
	}
}

// A parked call keeps its place but is offered to nobody: a later call of the same queue is
// offered past it, and Unpark offers it as soon as an agent is free.
func TestParkUnpark(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.call("c1", "q", 0, nil)
	h.must(h.e.Park("c1"))
	h.advance(time.Second)
	h.call("c2", "q", 0, nil)
	h.agent("a", nil, "q")
	eq(t, "offers", h.offers(), []string{"c2→a"})
	h.agent("b", nil, "q")
	eq(t, "offers while parked", h.offers(), nil)
	if v, _ := h.e.Call("c1"); v.State != "waiting" || !v.EnqueuedAt.Equal(t0) {
		t.Fatalf("c1: %+v", v)
	}
	h.must(h.e.Unpark("c1"))
	eq(t, "offers after unpark", h.offers(), []string{"c1→b"})
	if err := h.e.Park("nope"); err == nil {
		t.Fatal("park of an unknown call: no error")
	}
}
