package asterisk_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// What a caller noticed on a real Asterisk 22 (issue 12), against the emulator that behaves
// like it there.

// waitingConfig is a queue with no agent: callers wait in its holding bridge.
func waitingConfig(s router.QueueSettings) router.Config {
	cfg := testConfig()
	cfg.Queues = append(cfg.Queues, acd.QueueConfig{Name: "empty", RingTimeout: time.Second})
	cfg.DIDs["5553000"] = router.Route{Queue: "empty"}
	cfg.Settings = map[string]router.QueueSettings{"empty": s}
	return cfg
}

// Position announcements are lists of prompts; Asterisk plays a list only when it comes as a
// JSON array (a comma string in the JSON body is one file that does not exist).
func TestAnnouncementListsPlay(t *testing.T) {
	g := newRig(t)
	g.start(waitingConfig(router.QueueSettings{AnnounceEvery: 300 * time.Millisecond, AnnouncePosition: true}))
	g.place(ariemu.Caller{DID: "5553000", Number: "100"})
	second := g.place(ariemu.Caller{DID: "5553000", Number: "200"})
	g.eventually("the second caller told there is one call ahead", func() bool {
		rec, _ := g.emu.Call(second)
		return slices.Contains(rec.Played, "sound:queue-thereare") && slices.Contains(rec.Played, "number:1")
	})
}

// Asterisk's music in a holding bridge leaves with the last caller: the next caller hears it
// only if music on hold is asked for again after it joins.
func TestHoldMusicAfterBridgeEmptied(t *testing.T) {
	g := newRig(t)
	g.start(waitingConfig(router.QueueSettings{}))
	first := g.place(ariemu.Caller{DID: "5553000", Number: "100"})
	g.eventually("the first caller hears music", func() bool { return g.emu.HearsMusic(first) })
	if err := g.emu.Hangup(first); err != nil {
		t.Fatal(err)
	}
	g.ended(first)
	second := g.place(ariemu.Caller{DID: "5553000", Number: "200"})
	g.eventually("the next caller, alone in the emptied bridge, hears music", func() bool { return g.emu.HearsMusic(second) })
}

// A recorded call's bridge is deleted only after its recording finished (its legs left), or
// Asterisk may never send RecordingFinished and the recording is not collected. Both paths
// where the caller was still in the bridge when the router deleted it: a transfer (the caller
// goes on to the next queue) and a survey after the agent hung up first.
func TestRecordingCollectedWhenCallerStays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		settings router.QueueSettings
		act      func(g *rig, ch string)
	}{
		{"transfer", router.QueueSettings{RecordShare: 1}, func(g *rig, ch string) {
			id := callID(ch)
			g.eventually("connected to a1", func() bool { v, ok := g.call(id); return ok && v.State == "connected" && v.Agent == "a1" })
			g.eventually("recording", func() bool { return liveState(g.t, g.url, "call-"+id) == "recording" })
			if err := g.r.Do(context.Background(), func(e *acd.Engine) error { return e.Transfer(id, "line2") }); err != nil {
				g.t.Fatal(err)
			}
		}},
		{"survey", router.QueueSettings{RecordShare: 1, Survey: routertest.Flow("survey", "",
			&ivr.Node{ID: "rate", Kind: ivr.KindSurvey, Prompt: routertest.Sounds("rate-1-to-5"), Next: "thanks", Timeout: 300 * time.Millisecond},
			&ivr.Node{ID: "thanks", Kind: ivr.KindHangup, Message: routertest.Sounds("thank-you")})}, func(g *rig, ch string) {
			g.eventually("the agent hung up", func() bool {
				rec, _ := g.emu.Call(ch)
				if len(rec.Peers) == 0 {
					return false
				}
				agent, _ := g.emu.Call(rec.Peers[0])
				return !agent.Ended.IsZero()
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newRig(t)
			g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 600 * time.Millisecond})
			g.emu.SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 300 * time.Millisecond})
			cfg := testConfig()
			cfg.Settings = map[string]router.QueueSettings{"line1": tc.settings}
			idx := &memIndex{rows: map[string]router.Recorded{}}
			startRecordingRouter(g, cfg, t.TempDir(), idx)
			ch := g.place(ariemu.Caller{Number: "79990003333"})
			tc.act(g, ch)
			g.ended(ch)
			name := "call-" + callID(ch)
			g.eventually("the recording collected", func() bool { _, ok := idx.get(name); return ok })
			if rec, _ := idx.get(name); rec.CallID != callID(ch) || rec.Size <= 44 {
				t.Fatalf("indexed %+v", rec)
			}
		})
	}
}

// dropRecordingEnds hides RecordingFinished from the router, as when Asterisk never sends it.
type dropRecordingEnds struct{ *router.Router }

func (d dropRecordingEnds) Deliver(ev router.Event) {
	if _, ok := ev.(router.RecordingFinished); ok {
		return
	}
	d.Router.Deliver(ev)
}

// When RecordingFinished never comes, the router still deletes the bridge and collects the
// stored file, RecordingWait after the call ended.
func TestRecordingCollectedWithoutItsEnd(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	cfg := testConfig()
	cfg.Settings = map[string]router.QueueSettings{"line1": {RecordShare: 1}}
	idx := &memIndex{rows: map[string]router.Recorded{}}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: cfg.App, Username: "sb", Password: "secret"})
	r, err := router.New(cfg, rest, router.Options{Logger: logger, Probes: router.Probes{Registerer: prometheus.NewRegistry()},
		Recordings: router.RecordingOptions{Dir: t.TempDir(), Index: idx.index, Wait: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ev := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: g.url, App: cfg.App, Username: "sb",
		Password: "secret", Logger: logger, Registerer: prometheus.NewRegistry(), MinBackoff: 20 * time.Millisecond}, dropRecordingEnds{r})
	ctx, cancel := context.WithCancel(context.Background())
	g.r, g.cancel = r, cancel
	g.wg.Add(2)
	go func() { defer g.wg.Done(); _ = r.Run(ctx) }()
	go func() { defer g.wg.Done(); _ = ev.Run(ctx) }()
	t.Cleanup(func() { g.stop(); r.WaitRecordings() })
	g.eventually("router connected", func() bool { return r.Reconciliations() > 0 })

	ch := g.place(ariemu.Caller{TalkTime: 800 * time.Millisecond})
	g.ended(ch)
	name := "call-" + callID(ch)
	g.eventually("the recording collected", func() bool { _, ok := idx.get(name); return ok })
	if rec, _ := idx.get(name); rec.Size <= 44 || rec.Duration < 500*time.Millisecond {
		t.Fatalf("indexed %+v", rec)
	}
	g.eventually("the bridge deleted", func() bool { return len(bridgeIDs(t, g.url)) == 1 }) // the holding bridge stays
	g.eventually("asterisk's copy deleted", func() bool { return storedStatus(t, g.url, name) == http.StatusNotFound })
}

func bridgeIDs(t *testing.T, url string) []string {
	req, _ := http.NewRequest("GET", url+"/bridges", nil)
	req.SetBasicAuth("sb", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(list))
	for i, b := range list {
		ids[i] = b.ID
	}
	return ids
}

func (o *oneCallback) finished() []callback.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]callback.Outcome(nil), o.outcomes...)
}

// A callback whose customer Asterisk refuses to dial (here a live channel's id begins with the
// customer's) failed: it counts neither as answered nor as abandoned, and its agent, who
// answered, is free again at once, neither paused nor wrapping up.
func TestRefusedCustomerNotAnswered(t *testing.T) {
	g := newRig(t)
	for _, ep := range []string{"PJSIP/1001", "PJSIP/1002"} {
		g.emu.SetPhone(ep, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	g.emu.SetPhone("PJSIP/blocker", ariemu.Phone{Behaviour: ariemu.PhoneRingOut})
	req, _ := http.NewRequest("POST", g.url+"/channels?endpoint=PJSIP/blocker&app=other&timeout=60&channelId=sb-cb-1-1-blocker", nil)
	req.SetBasicAuth("sb", "secret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("blocking channel: %v %v", resp, err)
	}
	store := &oneCallback{claim: callback.Claim{ID: 1, Attempt: 1, Number: "+4930555", Queue: "line1",
		EnqueuedAt: time.Now().Add(-time.Minute)}}
	g.options = func(o *router.Options) { o.Callbacks = store }
	cfg := testConfig()
	cfg.Dialer = router.Dialer{Endpoint: func(n string) string { return "PJSIP/" + n + "@trunk" }, RingTimeout: 2 * time.Second,
		Every: 50 * time.Millisecond}
	g.start(cfg)
	g.eventually("the attempt finished", func() bool { return len(store.finished()) > 0 })
	if got := store.finished(); len(got) != 1 || got[0] != callback.Failed {
		t.Fatalf("outcomes %v, want failed", got)
	}
	id := callID("sb-cb-1-1")
	g.eventually("the engine let the attempt go", func() bool { _, ok := g.call(id); return !ok })
	if n := count(g, "", func(e acd.CallAnswered) bool { return e.Call == id }); n != 0 {
		t.Errorf("the refused attempt counted as answered (%d CallAnswered)", n)
	}
	if n := count(g, "", func(e acd.CallAbandoned) bool { return e.Call == id }); n != 0 {
		t.Errorf("the refused attempt counted as abandoned (%d CallAbandoned)", n)
	}
	for _, a := range []string{"a1", "a2"} {
		if v := g.agent(a); v.State != acd.Available {
			t.Errorf("agent %s: %s %q, want available", a, v.State, v.Reason)
		}
	}
}
