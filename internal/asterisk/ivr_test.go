package asterisk_test

import (
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
