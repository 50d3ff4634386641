package asterisk_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// Kill the router (not the emulator) with calls connected and waiting, start a new one:
// every caller is still served, each by exactly one agent, waiting callers keep their place.
// The new router logs every agent in; or puts each back as it was (the store's memory, here
// the engine's events: b1 stays paused); or knows nothing and starts them logged out. The
// agents of the re-adopted calls are put on them all the same, and serve the waiting callers
// after.
func TestRouterRestartLosesNothing(t *testing.T) {
	for _, mode := range []struct {
		name       string
		login      bool // the new router's LoginAgents
		asTheyWere bool // the new router's AgentState says where each agent stood
		b1         acd.AgentState
	}{
		{"every agent logged in", true, false, acd.Available},
		{"agents as they were", false, true, acd.Paused},
		{"agents unknown start logged out", false, false, acd.LoggedOut},
	} {
		t.Run(mode.name, func(t *testing.T) {
			g := newRig(t)
			for _, p := range []string{"PJSIP/1001", "PJSIP/1002"} {
				g.emu.SetPhone(p, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
			}
			g.start(testConfig())
			if err := g.r.Do(context.Background(), func(e *acd.Engine) error { return e.Pause("b1", "lunch") }); err != nil {
				t.Fatal(err)
			}
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

			last := map[string]acd.AgentStateChanged{}
			g.mu.Lock()
			for _, ev := range g.events {
				if s, ok := ev.(acd.AgentStateChanged); ok {
					last[s.Agent] = s
				}
			}
			g.events = nil
			g.mu.Unlock()
			if mode.asTheyWere {
				g.options = func(o *router.Options) {
					o.Agents = agentHooks{last: func(id string) (acd.AgentState, string, bool) {
						s, ok := last[id]
						return s.To, s.Reason, ok
					}}
				}
			}
			var infoMu sync.Mutex
			told := map[string]string{} // call id -> caller number, as the new router notes it (acd.CallArrived)
			prev := g.options
			g.options = func(o *router.Options) {
				if prev != nil {
					prev(o)
				}
				o.Observers = append(o.Observers, func(ev acd.Event) {
					if e, ok := ev.(acd.CallArrived); ok {
						infoMu.Lock()
						told[e.Call] = e.Number
						infoMu.Unlock()
					}
				})
			}
			cfg := testConfig()
			cfg.LoginAgents = mode.login
			g.start(cfg) // a new router, a new engine: the calls come from Asterisk
			infoMu.Lock()
			for ch := range enqueued {
				if told[callID(ch)] != "79990001111" {
					t.Errorf("re-adopted caller %s: CallArrived noted %q", ch, told[callID(ch)])
				}
			}
			infoMu.Unlock()
			for ch, at := range enqueued {
				v, ok := g.call(callID(ch))
				if !ok || v.State == "connected" && v.Agent == "" {
					t.Fatalf("waiting call %s not re-adopted: %+v", ch, v)
				}
				if !v.EnqueuedAt.Equal(at) {
					t.Fatalf("call %s lost its place: enqueued %v, was %v", ch, v.EnqueuedAt, at)
				}
			}
			if b1 := g.agent("b1"); b1.State != mode.b1 || (mode.b1 == acd.Paused) != (b1.Reason == "lunch") {
				t.Fatalf("b1 after the restart: %s %q, want %s", b1.State, b1.Reason, mode.b1)
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
		})
	}
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

// A caller whose channel variables are gone is re-adopted from the store's memory of it.
func TestRestartRecallsFromStore(t *testing.T) {
	g := newRig(t)
	cfg := testConfig()
	cfg.LoginAgents = false
	g.start(cfg)
	ch := g.place(ariemu.Caller{DID: "5551000"})
	g.eventually("waiting", func() bool { v, ok := g.call(callID(ch)); return ok && v.State == "waiting" })
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: "switchboard", Username: "sb", Password: "secret"})
	// Routed by its DID, the call has no SB_PLACE (a restarted router infers it); were it
	// set, it would be cleared here.
	g.stop()
	for _, v := range []string{"SB_PLACE"} {
		if err := rest.SetVar(context.Background(), ch, v, ""); err != nil {
			t.Fatal(err)
		}
	}
	stored := time.Now().Add(-5 * time.Minute).Truncate(time.Millisecond)
	g.recall = func(id string) (router.Recalled, bool) {
		if id != callID(ch) {
			return router.Recalled{}, false
		}
		return router.Recalled{Queue: "line2", Priority: 4, EnqueuedAt: stored}, true
	}
	g.start(cfg)
	v, ok := g.call(callID(ch))
	if !ok || v.Queue != "line2" || v.Priority != 4 || !v.EnqueuedAt.Equal(stored) {
		t.Fatalf("re-adopted as %+v, want line2, priority 4, enqueued %v", v, stored)
	}
}
