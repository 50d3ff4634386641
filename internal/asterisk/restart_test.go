package asterisk_test

import (
	"context"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
)

// Kill the router (not the emulator) with calls connected and waiting, start a new one:
// every caller is still served, each by exactly one agent, waiting callers keep their place.
func TestRouterRestartLosesNothing(t *testing.T) {
	g := newRig(t)
	for _, p := range []string{"PJSIP/1001", "PJSIP/1002"} {
		g.emu.SetPhone(p, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	g.start(testConfig())
	var chans []string
	for i := 0; i < 6; i++ {
		chans = append(chans, g.place(ariemu.Caller{TalkTime: 1500 * time.Millisecond}))
		time.Sleep(20 * time.Millisecond)
	}
	enqueued := map[string]time.Time{}
	g.eventually("2 connected, 4 waiting", func() bool {
		connected, waiting := 0, 0
		for _, ch := range chans {
			v, ok := g.call(callID(ch))
			if !ok {
				return false
			}
			switch v.State {
			case "connected":
				connected++
			case "waiting":
				waiting++
				enqueued[ch] = v.EnqueuedAt
			}
		}
		return connected == 2 && waiting == 4
	})
	g.stop()
	time.Sleep(100 * time.Millisecond)

	g.events = nil
	g.start(testConfig()) // a new router, a new engine: everything comes from Asterisk
	for ch, at := range enqueued {
		v, ok := g.call(callID(ch))
		if !ok || v.State == "connected" && v.Agent == "" {
			t.Fatalf("waiting call %s not re-adopted: %+v", ch, v)
		}
		if !v.EnqueuedAt.Equal(at) {
			t.Fatalf("call %s lost its place: enqueued %v, was %v", ch, v.EnqueuedAt, at)
		}
	}
	for _, ch := range chans {
		rec := g.ended(ch)
		if rec.Outcome != ariemu.OutcomeCompleted {
			t.Fatalf("caller %s: %+v", ch, rec)
		}
		answered := 0
		for _, peer := range rec.Peers {
			if r, ok := g.emu.Call(peer); ok && r.Kind == ariemu.KindAgent && !r.Answered.IsZero() {
				answered++
			}
		}
		if answered != 1 {
			t.Fatalf("caller %s talked to %d agents: %v", ch, answered, rec.Peers)
		}
	}
	g.eventually("agents free", func() bool {
		return g.agent("a1").State == acd.Available && g.agent("a2").State == acd.Available
	})
}

// The websocket drops; while it is down a waiting caller hangs up. On reconnection the
// router notices, and the caller who stayed is served.
func TestWebsocketLossReconciles(t *testing.T) {
	g := newRig(t)
	cfg := testConfig()
	cfg.LoginAgents = false
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(cfg)
	stay := g.place(ariemu.Caller{TalkTime: 300 * time.Millisecond})
	leave := g.place(ariemu.Caller{Number: "79990002222"})
	g.eventually("both waiting", func() bool {
		_, a := g.call(callID(stay))
		_, b := g.call(callID(leave))
		return a && b
	})
	before := g.r.Reconciliations()
	g.emu.Partition()
	if err := g.emu.Hangup(leave); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, ok := g.call(callID(leave)); !ok {
		t.Fatal("the router saw a hangup while cut off")
	}
	g.emu.Heal()
	g.eventually("reconciled", func() bool { return g.r.Reconciliations() > before })
	if _, ok := g.call(callID(leave)); ok {
		t.Fatal("the caller who left is still held after reconciliation")
	}
	if err := g.r.Do(context.Background(), func(e *acd.Engine) error { return e.Login("a1") }); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(stay); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller who stayed: %+v", rec)
	}
}
