package screenpop

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/testkit"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func startHub(t *testing.T, opt Options) *Hub {
	t.Helper()
	h := New(opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// next reads the subscriber's next pop, failing after a second.
func next(t *testing.T, s *Subscriber) Pop {
	t.Helper()
	select {
	case b := <-s.C:
		var p Pop
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("pop %s: %v", b, err)
		}
		return p
	case <-time.After(time.Second):
		t.Fatal("no pop within a second")
	}
	return Pop{}
}

// quiet checks that s receives nothing for a moment.
func quiet(t *testing.T, s *Subscriber, who string) {
	t.Helper()
	select {
	case b := <-s.C:
		t.Fatalf("%s received %s", who, b)
	case <-time.After(100 * time.Millisecond):
	}
}

// arrive walks a call through the router's hooks and the engine's events up to the offer.
func arrive(h *Hub, call, agent string) {
	h.CallInfo(call, "+4930111222", "5551002")
	h.Routed(call, []acd.IVRStep{{Node: "lang", Input: "1"}, {Node: "card", Input: "****"}},
		map[string]string{"account": "A-1", "language": "en"})
	h.Observe(acd.CallEnqueued{At: t0, Call: call, Queue: "support-l1", EnqueuedAt: t0})
	h.Observe(acd.CallOffered{At: t0.Add(2 * time.Second), Call: call, Queue: "support-l1", Agent: agent, Waited: 2 * time.Second,
		Deadline: t0.Add(17 * time.Second)})
}

func TestOnlyTheOfferedAgentGetsThePop(t *testing.T) {
	h := startHub(t, Options{})
	a, b := h.Subscribe("1001"), h.Subscribe("1002")
	defer a.Close()
	defer b.Close()
	for _, s := range []*Subscriber{a, b} {
		if p := next(t, s); p.Kind != KindIdle {
			t.Fatalf("first pop %+v, want idle", p)
		}
	}
	arrive(h, "ast1-c1", "1001")
	p := next(t, a)
	if p.Kind != KindOffered || p.CallID != "ast1-c1" || p.Agent != "1001" || p.Caller != "+4930111222" ||
		p.DID != "5551002" || p.Queue != "support-l1" || p.WaitedS != 2 || p.RingTimeoutS != 15 || p.Data["account"] != "A-1" ||
		len(p.IVR) != 2 || p.IVR[1] != (acd.IVRStep{Node: "card", Input: "****"}) || !p.At.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("offered pop %+v", p)
	}
	quiet(t, b, "another agent")

	h.Observe(acd.CallAnswered{At: t0.Add(5 * time.Second), Call: "ast1-c1", Queue: "support-l1", Agent: "1001", Waited: 5 * time.Second})
	if p := next(t, a); p.Kind != KindAnswered || p.WaitedS != 5 || p.Caller != "+4930111222" {
		t.Fatalf("answered pop %+v", p)
	}
	h.Observe(acd.CallEnded{At: t0.Add(time.Minute), Call: "ast1-c1", Queue: "support-l1", Agent: "1001"})
	h.Observe(acd.AgentStateChanged{At: t0.Add(time.Minute), Agent: "1001", From: acd.OnCall, To: acd.WrapUp, Call: "ast1-c1"})
	for _, kind := range []string{KindEnded, KindWrapup} {
		if p := next(t, a); p.Kind != kind || p.CallID != "ast1-c1" || len(p.IVR) != 2 {
			t.Fatalf("pop %+v, want %s", p, kind)
		}
	}
	quiet(t, b, "another agent")
	if f, ok := h.Handled("1001", "ast1-c1"); !ok || f.Caller != "+4930111222" || f.Queue != "support-l1" {
		t.Fatalf("Handled: %+v %v", f, ok)
	}
	if _, ok := h.Handled("1002", "ast1-c1"); ok {
		t.Fatal("Handled by an agent who never had the call")
	}
	h.WrappedUp("1001", "ast1-c1")
	if p := next(t, a); p.Kind != KindIdle {
		t.Fatalf("after the wrap-up %+v, want idle", p)
	}
}

// A desktop that (re)connects gets the agent's current pop first, then the ones that follow.
func TestReconnectGetsTheCurrentCall(t *testing.T) {
	h := startHub(t, Options{})
	first := h.Subscribe("1001")
	next(t, first)
	arrive(h, "ast1-c2", "1001")
	next(t, first)
	first.Close()
	h.Observe(acd.CallAnswered{At: t0.Add(3 * time.Second), Call: "ast1-c2", Queue: "support-l1", Agent: "1001", Waited: 3 * time.Second})
	testkit.Eventually(t, "1001's pop says answered", func() bool { p, _, ok := h.Current("1001"); return ok && p.Kind == KindAnswered })

	again := h.Subscribe("1001")
	defer again.Close()
	if p := next(t, again); p.Kind != KindAnswered || p.CallID != "ast1-c2" || p.IVR[0].Node != "lang" {
		t.Fatalf("on reconnect %+v, want the answered call", p)
	}
	if _, b, ok := h.Current("1002"); ok || string(b) != `{"kind":"idle"}` {
		t.Fatalf("another agent's current pop: %s", b)
	}
	// The offer to an agent who does not answer goes away from that agent.
	arrive(h, "ast1-c3", "1003")
	other := h.Subscribe("1003")
	defer other.Close()
	testkit.Eventually(t, "1003's pop shows ast1-c3", func() bool { p, _, _ := h.Current("1003"); return p.CallID == "ast1-c3" })
	h.Observe(acd.CallRequeued{At: t0.Add(20 * time.Second), Call: "ast1-c3", Queue: "support-l1", Agent: "1003", Reason: acd.NoAnswer})
	for p := next(t, other); p.Kind != KindIdle; p = next(t, other) {
		if p.CallID != "ast1-c3" {
			t.Fatalf("unexpected %+v", p)
		}
	}
}

// The sensitive digits never reach a pop, whatever the hub is handed alongside.
func TestPopMasksSensitiveInput(t *testing.T) {
	h := startHub(t, Options{})
	s := h.Subscribe("1001")
	defer s.Close()
	next(t, s)
	arrive(h, "ast1-c4", "1001")
	b := <-s.C
	if !strings.Contains(string(b), `{"node":"card","input":"****"}`) {
		t.Fatalf("pop %s: no masked card entry", b)
	}
}

type slowEnricher struct{ release chan struct{} }

func (e slowEnricher) Enrich(ctx context.Context, q Query) (Enrichment, error) {
	<-e.release // ignores its context: the hub must not wait for it
	return Enrichment{Tickets: []Ticket{{ID: 9}}}, nil
}

// A slow or failing enricher costs its part of the pop, never the pop; what the others found in
// time follows in a second pop.
func TestEnricherTimeout(t *testing.T) {
	slow := slowEnricher{release: make(chan struct{})}
	defer close(slow.release)
	var asked Query
	crm := EnricherFunc(func(ctx context.Context, q Query) (Enrichment, error) {
		asked = q
		return Enrichment{Customers: []Customer{{ID: 1, Name: "Ada", Accounts: []string{"A-1"}}}, PopURL: "https://crm.example/c/1"}, nil
	})
	broken := EnricherFunc(func(context.Context, Query) (Enrichment, error) { return Enrichment{}, errors.New("crm down") })
	h := startHub(t, Options{Enrichers: []Enricher{slow, crm, broken}, EnrichTimeout: 50 * time.Millisecond})
	s := h.Subscribe("1001")
	defer s.Close()
	next(t, s)
	start := time.Now()
	arrive(h, "ast1-c5", "1001")
	p := next(t, s)
	if p.Kind != KindOffered || p.Caller == "" {
		t.Fatalf("first pop %+v", p)
	}
	p = next(t, s)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("enriched pop after %v", took)
	}
	if p.Kind != KindOffered || len(p.Customers) != 1 || p.Customers[0].Name != "Ada" || p.PopURL != "https://crm.example/c/1" || len(p.Tickets) != 0 {
		t.Fatalf("enriched pop %+v", p)
	}
	if asked.Caller != "+4930111222" || asked.Account != "A-1" || asked.DID != "5551002" || asked.Queue != "support-l1" {
		t.Errorf("enricher asked %+v", asked)
	}
	// The answer pop carries the enrichment too.
	h.Observe(acd.CallAnswered{At: t0.Add(3 * time.Second), Call: "ast1-c5", Queue: "support-l1", Agent: "1001"})
	if p := next(t, s); p.Kind != KindAnswered || len(p.Customers) != 1 {
		t.Fatalf("answered pop %+v", p)
	}
}

// A subscriber that does not read loses its oldest pops, and holds up nobody.
func TestSlowSubscriberDropsOldest(t *testing.T) {
	h := startHub(t, Options{Buffer: 2})
	slow, fast := h.Subscribe("1001"), h.Subscribe("1001")
	defer slow.Close()
	defer fast.Close()
	next(t, fast)
	for i, call := range []string{"c1", "c2", "c3", "c4", "c5"} {
		h.Observe(acd.CallOffered{At: t0.Add(time.Duration(i) * time.Second), Call: call, Queue: "q", Agent: "1001"})
		if p := next(t, fast); p.CallID != call {
			t.Fatalf("fast subscriber got %+v, want %s", p, call)
		}
	}
	var got []string
	for len(slow.C) > 0 {
		got = append(got, next(t, slow).CallID)
	}
	if strings.Join(got, ",") != "c4,c5" {
		t.Fatalf("slow subscriber kept %v, want the newest two", got)
	}
}

func TestTransferPops(t *testing.T) {
	h := startHub(t, Options{})
	a, b := h.Subscribe("1001"), h.Subscribe("2001")
	defer a.Close()
	defer b.Close()
	next(t, a)
	next(t, b)
	arrive(h, "ast1-c6", "1001")
	h.Observe(acd.CallAnswered{At: t0.Add(3 * time.Second), Call: "ast1-c6", Queue: "support-l1", Agent: "1001"})
	h.Observe(acd.CallTransferred{At: t0.Add(time.Minute), Call: "ast1-c6", From: "support-l1", To: "support-l2", Agent: "1001"})
	h.Observe(acd.CallEnqueued{At: t0.Add(time.Minute), Call: "ast1-c6", Queue: "support-l2", EnqueuedAt: t0})
	h.Observe(acd.CallOffered{At: t0.Add(61 * time.Second), Call: "ast1-c6", Queue: "support-l2", Agent: "2001", Waited: 61 * time.Second})
	for _, kind := range []string{KindOffered, KindAnswered, KindTransferred} {
		if p := next(t, a); p.Kind != kind || (kind == KindTransferred && p.Queue != "support-l2") {
			t.Fatalf("agent 1001: %+v, want %s", p, kind)
		}
	}
	p := next(t, b)
	if p.Kind != KindOffered || p.Queue != "support-l2" || p.Caller != "+4930111222" || len(p.IVR) != 2 || p.Data["account"] != "A-1" {
		t.Fatalf("line 2 offer %+v", p)
	}
}

// Calls that never queued (the caller left in the IVR) are forgotten after a while; queued ones
// are kept.
func TestSweepForgetsCallsThatNeverQueued(t *testing.T) {
	now := t0
	h := New(Options{Now: func() time.Time { return now }})
	h.CallInfo("ivr-only", "+4930111222", "5554000")
	h.CallInfo("queued", "+4930111333", "5551000")
	h.Observe(acd.CallEnqueued{At: t0, Call: "queued", Queue: "q", EnqueuedAt: t0})
	for _, f := range h.inbox.Drain() {
		f()
	}
	now = t0.Add(staleAfter + time.Minute)
	h.sweep(now)
	if _, ok := h.calls["ivr-only"]; ok {
		t.Error("a call that never queued is still held")
	}
	if _, ok := h.calls["queued"]; !ok {
		t.Error("a waiting call was forgotten")
	}
}
