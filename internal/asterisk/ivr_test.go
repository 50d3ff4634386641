package asterisk_test

import (
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
	"switchboard/ivr"
)

// ivrConfig routes DID 5559000 through a flow: 1 → line1, 2 → line2 with priority and data,
// 3 → a callback offer; nothing → line1.
func ivrConfig() router.Config {
	cfg := testConfig()
	sound := func(n string) []ivr.Media { return []ivr.Media{ivr.Sound(n)} }
	prio := 4
	flow := &ivr.Flow{Name: "main", Start: "topics", Fallback: "l1", Nodes: map[string]*ivr.Node{
		"topics": {ID: "topics", Kind: ivr.KindMenu, Prompt: sound("queue-callswaiting"), Timeout: 500 * time.Millisecond,
			Retries: 1, Choices: map[string]string{"1": "l1", "2": "vip", "3": "offer"}, Fallback: "l1"},
		"vip":   {ID: "vip", Kind: ivr.KindSet, Priority: &prio, Data: map[string]string{"topic": "billing"}, Next: "l2"},
		"l1":    {ID: "l1", Kind: ivr.KindRoute, Queue: "line1"},
		"l2":    {ID: "l2", Kind: ivr.KindRoute, Queue: "line2"},
		"offer": {ID: "offer", Kind: ivr.KindCallback, Prompt: sound("queue-thankyou"), Queue: "line1", DeclineNode: "l1"},
	}}
	for i, n := range []string{"topics", "vip", "l1", "l2", "offer"} {
		flow.Nodes[n].Line = i + 1
	}
	cfg.DIDs["5559000"] = router.Route{Flow: flow}
	return cfg
}

func TestIVRRoutesByDigit(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(ivrConfig())
	ch := g.place(ariemu.Caller{DID: "5559000", TalkTime: 200 * time.Millisecond,
		Digits: []ariemu.DigitPress{{Digit: "2", After: 100 * time.Millisecond}}})
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeCompleted || rec.Digits != "2" {
		t.Fatalf("caller: %+v", rec)
	}
	var enq acd.CallEnqueued
	g.mu.Lock()
	for _, ev := range g.events {
		if e, ok := ev.(acd.CallEnqueued); ok && e.Call == callID(ch) {
			enq = e
		}
	}
	g.mu.Unlock()
	if enq.Queue != "line2" || enq.Priority != 4 {
		t.Fatalf("enqueued after the menu: %+v", enq)
	}
	if n := count(g, "", func(e acd.CallAnswered) bool { return e.Call == callID(ch) && e.Agent == "b1" }); n != 1 {
		t.Fatalf("answered by b1: %d", n)
	}
}

func TestIVRSilentCallerFallsBack(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(ivrConfig())
	ch := g.place(ariemu.Caller{DID: "5559000", TalkTime: 200 * time.Millisecond})
	if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller: %+v", rec)
	}
	if n := count(g, "", func(e acd.CallAnswered) bool { return e.Call == callID(ch) && e.Queue == "line1" }); n != 1 {
		t.Fatalf("a silent caller should reach line1 after the retries: %d", n)
	}
}

func TestIVRCallbackAndHangup(t *testing.T) {
	g := newRig(t)
	var mu sync.Mutex
	var got []ivr.Callback
	g.callback = func(id string, cb ivr.Callback, at time.Time) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, cb)
		return nil
	}
	cfg := ivrConfig()
	cfg.LoginAgents = false
	g.start(cfg)
	ch := g.place(ariemu.Caller{DID: "5559000", Number: "+79990001111",
		Digits: []ariemu.DigitPress{{Digit: "3", After: 100 * time.Millisecond}, {Digit: "1", After: 100 * time.Millisecond, AfterPrompt: true}}})
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeHungUpByApp {
		t.Fatalf("caller: %+v", rec)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Queue != "line1" || got[0].Number != "+79990001111" {
		t.Fatalf("callbacks: %+v", got)
	}
	mu.Unlock()
	// A caller who hangs up in the menu leaves nothing behind.
	ch2 := g.place(ariemu.Caller{DID: "5559000", Patience: 200 * time.Millisecond})
	g.ended(ch2)
	g.eventually("the router holds no call", func() bool { s := g.r.Snapshot(); return s != nil && s.Calls == 0 })
	if n := count(g, "", func(e acd.CallEnqueued) bool { return e.Call == callID(ch2) }); n != 0 {
		t.Fatalf("a caller who left the IVR was queued")
	}
}

// A caller whose expected wait passes the queue's callback threshold is offered a callback;
// pressing 1 takes it out of the queue and stores a callback at its original place in time.
func TestCallbackOfferKeepsPlace(t *testing.T) {
	g := newRig(t)
	type req struct {
		cb ivr.Callback
		at time.Time
	}
	var mu sync.Mutex
	var got []req
	g.callback = func(id string, cb ivr.Callback, at time.Time) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, req{cb, at})
		return nil
	}
	cfg := testConfig()
	cfg.LoginAgents = false                       // nobody free: the expected wait is long
	cfg.Queues[0].CallbackThreshold = time.Second // line1
	g.start(cfg)
	ch := g.place(ariemu.Caller{Number: "+79990002222",
		Digits: []ariemu.DigitPress{{Digit: "1", After: 300 * time.Millisecond, AfterPrompt: true}}})
	g.eventually("waiting", func() bool { v, ok := g.call(callID(ch)); return ok && v.State == "waiting" })
	waiting, _ := g.call(callID(ch))
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeHungUpByApp || rec.Digits != "1" {
		t.Fatalf("caller: %+v", rec)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].cb.Queue != "line1" || got[0].cb.Number != "+79990002222" || !got[0].at.Equal(waiting.EnqueuedAt) {
		t.Fatalf("callback %+v, want line1 at %v", got, waiting.EnqueuedAt)
	}
	if n := count(g, "", func(e acd.CallRemoved) bool { return e.Call == callID(ch) && e.Reason == "callback" }); n != 1 {
		t.Fatalf("removed for a callback: %d", n)
	}
	if n := count(g, "", func(e acd.CallAbandoned) bool { return e.Call == callID(ch) }); n != 0 {
		t.Fatal("a caller who took the callback counted as abandoned")
	}
}
