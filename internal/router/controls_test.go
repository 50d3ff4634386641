package router_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/internal/testkit"
)

// The call controls and the supervisors' monitoring, end to end on the ARI emulator over HTTP
// and a websocket: each control's requests, and what the emulator's channels then hear.

type ctlRig struct {
	t   *testing.T
	emu *ariemu.Server
	r   *router.Router
	k   *router.Controls
	mu  sync.Mutex
	evs []acd.Event
}

func newCtlRig(t *testing.T, cfg router.Config) *ctlRig {
	t.Helper()
	emu, err := ariemu.New(ariemu.Options{Username: "sb", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); ts.Close() })
	g := &ctlRig{t: t, emu: emu}
	level := slog.LevelWarn
	if os.Getenv("E2E_DEBUG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	url := ts.URL + "/ari"
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: url, App: cfg.App, Username: "sb", Password: "secret"})
	r, err := router.New(cfg, rest, router.Options{Logger: logger, Observers: []func(acd.Event){func(ev acd.Event) {
		g.mu.Lock()
		g.evs = append(g.evs, ev)
		g.mu.Unlock()
	}}})
	if err != nil {
		t.Fatal(err)
	}
	g.r, g.k = r, router.ControlsOf(r)
	ev := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: url, App: cfg.App, Username: "sb", Password: "secret",
		Logger: logger, MinBackoff: 20 * time.Millisecond}, r)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	go func() { defer wg.Done(); _ = ev.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	testkit.Eventually(t, "router connected", func() bool { return r.Reconciliations() > 0 })
	return g
}

// connected places a caller to line1 and waits until a1 talks with it; it returns the
// caller's channel and a1's.
func (g *ctlRig) connected() (caller, agent string) {
	g.t.Helper()
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	caller, err := g.emu.PlaceCaller(ariemu.Caller{DID: "5551000", Number: "79990001111", TalkTime: time.Hour})
	if err != nil {
		g.t.Fatal(err)
	}
	testkit.Eventually(g.t, "caller bridged with a1", func() bool {
		rec, _ := g.emu.Call(caller)
		v := g.agent("a1")
		return !rec.Bridged.IsZero() && len(rec.Peers) > 0 && v.State == acd.OnCall && v.Call == "ast1-"+caller
	})
	rec, _ := g.emu.Call(caller)
	return caller, rec.Peers[0]
}

func (g *ctlRig) agent(id string) acd.AgentView {
	var v acd.AgentView
	_ = g.r.Do(context.Background(), func(e *acd.Engine) error { v, _ = e.Agent(id); return nil })
	return v
}

func (g *ctlRig) ended(ch string) ariemu.CallRecord {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	rec, err := g.emu.WaitCall(ctx, ch, ariemu.Ended)
	if err != nil {
		g.t.Fatal(err)
	}
	return rec
}

func (g *ctlRig) seen(match func(acd.Event) bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ev := range g.evs {
		if match(ev) {
			return true
		}
	}
	return false
}

// bridgedWith says whether ch shares a bridge with a channel of endpoint now.
func bridgedWith(emu *ariemu.Server, ch, endpoint string) bool {
	rec, _ := emu.Call(ch)
	for _, p := range rec.Peers {
		if pr, _ := emu.Call(p); pr.Endpoint == endpoint && pr.Ended.IsZero() && !pr.Bridged.IsZero() {
			return true
		}
	}
	return false
}

func code(err error) string {
	var ae *acd.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestControlHangup(t *testing.T) {
	g := newCtlRig(t, routertest.Config())
	caller, agent := g.connected()
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Hangup(ctx, "a2", id); code(err) != acd.EConflict {
		t.Fatalf("another agent hangs up a1's call: %v", err)
	}
	if err := g.k.Hangup(ctx, "a1", "ast1-nosuch"); code(err) != acd.ENotFound {
		t.Fatalf("unknown call: %v", err)
	}
	if err := g.k.Hangup(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(agent); rec.HungUpBy != "app" {
		t.Fatalf("agent leg: %+v", rec)
	}
	if rec := g.ended(caller); rec.HungUpBy != "app" {
		t.Fatalf("caller: %+v", rec)
	}
	testkit.Eventually(t, "the call ended for a1", func() bool {
		return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id && e.Agent == "a1" })
	})
}

func TestControlHoldAndMute(t *testing.T) {
	g := newCtlRig(t, routertest.Config())
	caller, agent := g.connected()
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Hold(ctx, "a2", id, true); code(err) != acd.EConflict {
		t.Fatalf("another agent holds a1's call: %v", err)
	}
	if err := g.k.Hold(ctx, "a1", id, true); err != nil {
		t.Fatal(err)
	}
	callerIn, _ := g.emu.Muted(caller)
	agentIn, _ := g.emu.Muted(agent)
	if !g.emu.HearsMusic(caller) || !callerIn || !agentIn {
		t.Fatalf("on hold: caller hears music %v, caller muted %v, agent muted %v", g.emu.HearsMusic(caller), callerIn, agentIn)
	}
	if err := g.k.Mute(ctx, "a1", id, true); err != nil {
		t.Fatal(err)
	}
	if err := g.k.Hold(ctx, "a1", id, false); err != nil {
		t.Fatal(err)
	}
	callerIn, _ = g.emu.Muted(caller)
	agentIn, _ = g.emu.Muted(agent)
	if g.emu.HearsMusic(caller) || callerIn || !agentIn {
		t.Fatalf("resumed, agent muted: caller hears music %v, caller muted %v, agent muted %v", g.emu.HearsMusic(caller), callerIn, agentIn)
	}
	if err := g.k.Mute(ctx, "a1", id, false); err != nil {
		t.Fatal(err)
	}
	if agentIn, _ = g.emu.Muted(agent); agentIn {
		t.Fatal("agent still muted after unmute")
	}
}

func TestControlDTMF(t *testing.T) {
	g := newCtlRig(t, routertest.Config())
	caller, _ := g.connected()
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.DTMF(ctx, "a1", id, "12x"); code(err) != acd.EInvalid {
		t.Fatalf("bad digits: %v", err)
	}
	if err := g.k.DTMF(ctx, "a2", id, "1"); code(err) != acd.EConflict {
		t.Fatalf("another agent's call: %v", err)
	}
	if err := g.k.DTMF(ctx, "a1", id, "12#"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := g.emu.Call(caller); rec.DTMFSent != "12#" {
		t.Fatalf("caller was sent %q", rec.DTMFSent)
	}
}

func TestControlBlindTransferToQueue(t *testing.T) {
	g := newCtlRig(t, routertest.Config())
	g.emu.SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	caller, agent := g.connected()
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Transfer(ctx, "a1", id, router.Target{Queue: "line2", Number: "1"}); code(err) != acd.EInvalid {
		t.Fatalf("queue and number: %v", err)
	}
	if err := g.k.Hold(ctx, "a1", id, true); err != nil {
		t.Fatal(err)
	}
	if err := g.k.Transfer(ctx, "a1", id, router.Target{Queue: "line2"}); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(agent); rec.HungUpBy != "app" {
		t.Fatalf("a1's leg: %+v", rec)
	}
	testkit.Eventually(t, "b1 talks with the caller", func() bool {
		v := g.agent("b1")
		return v.State == acd.OnCall && v.Call == id && bridgedWith(g.emu, caller, "PJSIP/2001")
	})
	if g.emu.HearsMusic(caller) {
		t.Fatal("the caller still hears the hold music with b1")
	}
	if callerIn, _ := g.emu.Muted(caller); callerIn {
		t.Fatal("the caller is still muted with b1")
	}
}

func TestControlBlindTransferToNumber(t *testing.T) {
	cfg := routertest.Config()
	if err := newCtlRig(t, cfg).k.Transfer(context.Background(), "a1", "ast1-x", router.Target{Number: "12ab"}); code(err) != acd.EInvalid {
		t.Fatalf("bad number: %v", err)
	}
	g := newCtlRig(t, cfg)
	caller, _ := g.connected()
	if err := g.k.Transfer(context.Background(), "a1", "ast1-"+caller, router.Target{Number: "5550123"}); code(err) != acd.EConflict {
		t.Fatalf("no transfer context: %v", err)
	}
	cfg.IVR.TransferContext = "transfers"
	g = newCtlRig(t, cfg)
	caller, agent := g.connected()
	id := "ast1-" + caller
	if err := g.k.Transfer(context.Background(), "a1", id, router.Target{Number: "+5550123"}); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(agent); rec.HungUpBy != "app" {
		t.Fatalf("a1's leg: %+v", rec)
	}
	testkit.Eventually(t, "the caller left for the number", func() bool {
		rec, _ := g.emu.Call(caller)
		return rec.Continued == "transfers,+5550123,1"
	})
	testkit.Eventually(t, "a1 is done with the call", func() bool {
		return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id && e.Agent == "a1" })
	})
}

// supervisorConfig lets supervisors' phones PJSIP/9xxx be rung.
func supervisorConfig() router.Config {
	cfg := routertest.Config()
	cfg.DeskEndpoints = []string{"PJSIP/9???"}
	return cfg
}

func TestMonitorThenWhisper(t *testing.T) {
	g := newCtlRig(t, supervisorConfig())
	var mu sync.Mutex
	var audited []router.MonitorEnded
	g.k.OnMonitorEnded(func(_ context.Context, e router.MonitorEnded) { mu.Lock(); audited = append(audited, e); mu.Unlock() })
	g.emu.SetPhone("PJSIP/9001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	caller, agent := g.connected()
	ctx := context.Background()
	req := router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeMonitor, Endpoint: "PJSIP/9001",
		InScope: func(q string) bool { return q == "line2" }}
	if _, err := g.k.Monitor(ctx, req); code(err) != acd.ENotFound {
		t.Fatalf("agent outside the supervisor's queues: %v", err)
	}
	req.InScope = func(q string) bool { return q == "line1" }
	if _, err := g.k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeMonitor, Endpoint: "PJSIP/1002"}); code(err) != acd.EInvalid {
		t.Fatalf("into a phone not among the desk phones: %v", err)
	}
	if _, err := g.k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a2", Mode: router.ModeMonitor, Endpoint: "PJSIP/9001"}); code(err) != acd.EConflict {
		t.Fatalf("agent not on a call: %v", err)
	}
	s, err := g.k.Monitor(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	phone := func() ariemu.CallRecord {
		for _, rec := range g.emu.Calls() {
			if rec.Endpoint == "PJSIP/9001" {
				return rec
			}
		}
		return ariemu.CallRecord{}
	}
	var spy string
	testkit.Eventually(t, "the supervisor's phone hears a snoop on a1", func() bool {
		for _, p := range phone().Peers {
			if target, sp, wh, ok := g.emu.SnoopOf(p); ok && target == agent && sp == "both" && wh == "none" {
				spy = p
				return true
			}
		}
		return false
	})
	req.Mode = router.ModeWhisper
	if _, err := g.k.Monitor(ctx, req); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the supervisor whispers to a1", func() bool {
		for _, p := range phone().Peers {
			if target, sp, wh, ok := g.emu.SnoopOf(p); ok && p != spy && target == agent && sp == "both" && wh == "out" {
				return true
			}
		}
		return false
	})
	testkit.Eventually(t, "the silent snoop hung up", func() bool {
		_, _, _, ok := g.emu.SnoopOf(spy)
		return !ok
	})
	if err := g.k.StopMonitor(ctx, "sue"); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(phone().ChannelID); rec.HungUpBy != "app" {
		t.Fatalf("supervisor's phone: %+v", rec)
	}
	testkit.Eventually(t, "the session audited", func() bool { mu.Lock(); defer mu.Unlock(); return len(audited) > 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(audited) != 1 || audited[0].ID != s.ID || audited[0].Supervisor != "sue" || audited[0].Agent != "a1" || audited[0].Ended.Before(audited[0].Started) {
		t.Fatalf("audit: %+v", audited)
	}
	if rec, _ := g.emu.Call(caller); !rec.Ended.IsZero() {
		t.Fatal("the caller went with the monitoring")
	}
}

func TestMonitorEndsWithTheCall(t *testing.T) {
	g := newCtlRig(t, supervisorConfig())
	ended := make(chan router.MonitorEnded, 1)
	g.k.OnMonitorEnded(func(_ context.Context, e router.MonitorEnded) { ended <- e })
	g.emu.SetPhone("PJSIP/9001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	caller, _ := g.connected()
	ctx := context.Background()
	if _, err := g.k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeBarge, Endpoint: "PJSIP/9001"}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the supervisor's phone is bridged", func() bool {
		for _, rec := range g.emu.Calls() {
			if rec.Endpoint == "PJSIP/9001" && !rec.Bridged.IsZero() {
				return true
			}
		}
		return false
	})
	if err := g.emu.Hangup(caller); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ended:
		if e.Agent != "a1" || e.Mode != router.ModeBarge {
			t.Fatalf("audit: %+v", e)
		}
	case <-time.After(testkit.Patience):
		t.Fatal("the session did not end with the call")
	}
	if s, _ := g.k.Monitoring(ctx); len(s) != 0 {
		t.Fatalf("sessions left: %+v", s)
	}
}

// consultConfig has a1 and a2 on line1 and b1 on line2; only a1 takes line1's calls at first.
func consultRig(t *testing.T) (*ctlRig, string, string) {
	g := newCtlRig(t, routertest.Config())
	if err := g.r.Do(context.Background(), func(e *acd.Engine) error { return e.Pause("a2", "break") }); err != nil {
		t.Fatal(err)
	}
	caller, agent := g.connected()
	g.emu.SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	g.emu.SetPhone("PJSIP/5550123", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	return g, caller, agent
}

// legOf is the live channel of endpoint, or "".
func legOf(emu *ariemu.Server, endpoint string) string {
	for _, rec := range emu.Calls() {
		if rec.Endpoint == endpoint && rec.Ended.IsZero() && !rec.Answered.IsZero() {
			return rec.ChannelID
		}
	}
	return ""
}

func TestConsultAgentThenComplete(t *testing.T) {
	g, caller, agent := consultRig(t)
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Consult(ctx, "a1", id, router.Target{Agent: "a2"}); code(err) != acd.EConflict {
		t.Fatalf("consult a paused agent: %v", err)
	}
	if err := g.k.Consult(ctx, "a2", id, router.Target{Agent: "b1"}); code(err) != acd.EConflict {
		t.Fatalf("consult from another agent's call: %v", err)
	}
	if err := g.k.Complete(ctx, "a1", id); code(err) != acd.EConflict {
		t.Fatalf("complete without a consultation: %v", err)
	}
	if err := g.k.Consult(ctx, "a1", id, router.Target{Agent: "b1"}); err != nil {
		t.Fatal(err)
	}
	var b1 string
	testkit.Eventually(t, "a1 talks with b1, the caller on hold", func() bool {
		b1 = legOf(g.emu, "PJSIP/2001")
		return b1 != "" && bridgedWith(g.emu, b1, "PJSIP/1001") && g.emu.HearsMusic(caller)
	})
	if v := g.agent("b1"); v.State != acd.Paused || v.Reason != "consult" {
		t.Fatalf("b1 while consulted: %+v", v)
	}
	if err := g.k.Consult(ctx, "a1", id, router.Target{Number: "5550123"}); code(err) != acd.EConflict {
		t.Fatalf("a second consultation: %v", err)
	}
	if err := g.k.Complete(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(agent); rec.HungUpBy != "app" {
		t.Fatalf("a1's leg: %+v", rec)
	}
	testkit.Eventually(t, "the caller talks with b1 without music", func() bool {
		return bridgedWith(g.emu, caller, "PJSIP/2001") && !g.emu.HearsMusic(caller)
	})
	testkit.Eventually(t, "the call ended for a1", func() bool {
		return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id && e.Agent == "a1" })
	})
	if err := g.emu.Hangup(caller); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(b1); rec.HungUpBy != "app" {
		t.Fatalf("b1's leg after the caller left: %+v", rec)
	}
	testkit.Eventually(t, "b1 available again", func() bool { return g.agent("b1").State == acd.Available })
}

func TestConsultNumberThenCancel(t *testing.T) {
	g, caller, agent := consultRig(t)
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Consult(ctx, "a1", id, router.Target{Number: "5550123"}); err != nil {
		t.Fatal(err)
	}
	var leg string
	testkit.Eventually(t, "a1 talks with the number", func() bool {
		leg = legOf(g.emu, "PJSIP/5550123")
		return leg != "" && bridgedWith(g.emu, leg, "PJSIP/1001")
	})
	if err := g.k.CancelConsult(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(leg); rec.HungUpBy != "app" {
		t.Fatalf("the consulted leg: %+v", rec)
	}
	if err := g.k.Hold(ctx, "a1", id, false); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "a1 back with the caller, off hold", func() bool {
		in, _ := g.emu.Muted(agent)
		return !g.emu.HearsMusic(caller) && !in && sharesBridge(g.emu, caller, agent)
	})
}

func TestConferenceThenAgentLeaves(t *testing.T) {
	g, caller, agent := consultRig(t)
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Conference(ctx, "a1", id); code(err) != acd.EConflict {
		t.Fatalf("conference without a consultation: %v", err)
	}
	if err := g.k.Consult(ctx, "a1", id, router.Target{Number: "5550123"}); err != nil {
		t.Fatal(err)
	}
	var leg string
	testkit.Eventually(t, "the number answered", func() bool {
		leg = legOf(g.emu, "PJSIP/5550123")
		return leg != "" && bridgedWith(g.emu, leg, "PJSIP/1001")
	})
	if err := g.k.Conference(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "all three in one bridge", func() bool {
		return sharesBridge(g.emu, caller, agent) && sharesBridge(g.emu, caller, leg) && !g.emu.HearsMusic(caller)
	})
	if err := g.emu.Hangup(agent); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(leg); rec.HungUpBy != "app" {
		t.Fatalf("the third leg after the call ended: %+v", rec)
	}
}

func TestBlindTransferToAgent(t *testing.T) {
	g, caller, agent := consultRig(t)
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Transfer(ctx, "a1", id, router.Target{Agent: "b1"}); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(agent); rec.HungUpBy != "app" {
		t.Fatalf("a1's leg: %+v", rec)
	}
	testkit.Eventually(t, "the caller talks with b1", func() bool { return bridgedWith(g.emu, caller, "PJSIP/2001") })
}

// sharesBridge says whether a and b are in the same bridge now.
func sharesBridge(emu *ariemu.Server, a, b string) bool {
	ba, bb := emu.BridgeOf(a), emu.BridgeOf(b)
	return ba != "" && ba == bb
}

func TestMonitorSurvivesALinkDrop(t *testing.T) {
	g := newCtlRig(t, supervisorConfig())
	g.emu.SetPhone("PJSIP/9001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	g.connected()
	ctx := context.Background()
	if _, err := g.k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeMonitor, Endpoint: "PJSIP/9001"}); err != nil {
		t.Fatal(err)
	}
	var phone string
	testkit.Eventually(t, "the supervisor's phone is bridged", func() bool {
		for _, rec := range g.emu.Calls() {
			if rec.Endpoint == "PJSIP/9001" && !rec.Bridged.IsZero() {
				phone = rec.ChannelID
				return true
			}
		}
		return false
	})
	n := g.r.Reconciliations()
	if g.emu.DropConnections() == 0 {
		t.Fatal("no connection dropped")
	}
	testkit.Eventually(t, "reconciled again", func() bool { return g.r.Reconciliations() > n })
	if rec, _ := g.emu.Call(phone); !rec.Ended.IsZero() {
		t.Fatalf("the supervisor's phone was hung up at reconciliation: %+v", rec)
	}
	if s, _ := g.k.Monitoring(ctx); len(s) != 1 {
		t.Fatalf("sessions after the link drop: %+v", s)
	}
}

func TestTakeOver(t *testing.T) {
	g := newCtlRig(t, supervisorConfig())
	g.emu.SetPhone("PJSIP/9001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	caller, agent := g.connected()
	ctx := context.Background()
	id := "ast1-" + caller
	if _, err := g.k.TakeOver(ctx, "sue", "a1"); code(err) != acd.ENotFound {
		t.Fatalf("take over without a session: %v", err)
	}
	if _, err := g.k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeBarge, Endpoint: "PJSIP/9001"}); err != nil {
		t.Fatal(err)
	}
	var phone string
	testkit.Eventually(t, "the session is up", func() bool {
		phone = legOf(g.emu, "PJSIP/9001")
		s, _ := g.k.Monitoring(ctx)
		return phone != "" && len(s) == 1 && s[0].Up
	})
	if _, err := g.k.TakeOver(ctx, "sue", "a1"); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(agent); rec.HungUpBy != "app" {
		t.Fatalf("a1's leg: %+v", rec)
	}
	testkit.Eventually(t, "the supervisor talks with the caller", func() bool { return sharesBridge(g.emu, caller, phone) })
	if s, _ := g.k.Monitoring(ctx); len(s) != 0 {
		t.Fatalf("sessions after the take-over: %+v", s)
	}
	if err := g.emu.Hangup(phone); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(caller); rec.HungUpBy != "app" {
		t.Fatalf("the caller after the supervisor hung up: %+v", rec)
	}
	testkit.Eventually(t, "the call ended on a1", func() bool {
		return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id && e.Agent == "a1" })
	})
}

func TestConsultQueueThenCancel(t *testing.T) {
	g, caller, _ := consultRig(t)
	ctx := context.Background()
	id := "ast1-" + caller
	if err := g.k.Consult(ctx, "a1", id, router.Target{Queue: "line1"}); code(err) != acd.EConflict {
		t.Fatalf("consult a queue with nobody available (a2 paused, a1 itself): %v", err)
	}
	if err := g.k.Consult(ctx, "a1", id, router.Target{Queue: "nosuch"}); code(err) != acd.ENotFound {
		t.Fatalf("consult no queue: %v", err)
	}
	if err := g.k.Consult(ctx, "a1", id, router.Target{Queue: "line2"}); err != nil {
		t.Fatal(err)
	}
	var b1 string
	testkit.Eventually(t, "a1 talks with b1 of line2, the caller on hold", func() bool {
		b1 = legOf(g.emu, "PJSIP/2001")
		return b1 != "" && bridgedWith(g.emu, b1, "PJSIP/1001") && g.emu.HearsMusic(caller)
	})
	if v := g.agent("b1"); v.State != acd.Paused || v.Reason != "consult" {
		t.Fatalf("b1 while consulted: %+v", v)
	}
	if err := g.k.CancelConsult(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(b1); rec.HungUpBy != "app" {
		t.Fatalf("b1's leg: %+v", rec)
	}
	testkit.Eventually(t, "b1 available again", func() bool { return g.agent("b1").State == acd.Available })
}

// legs keeps the latest copy of every leg of a record.
type legs map[int]calllog.Leg

func (legs) CallChanged(*calllog.Call, time.Time) {}
func (l legs) LegChanged(x *calllog.Leg)          { l[x.Seq] = *x }

// record projects the events seen so far into call id's record and its legs.
func (g *ctlRig) record(id string) (calllog.Call, legs) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ls := &calllog.Call{ID: id}, legs{}
	for _, ev := range g.evs {
		if calllog.CallOf(ev) == id {
			c.Apply(ev, ls)
		}
	}
	return *c, ls
}

func TestTransferRecords(t *testing.T) {
	t.Run("blind to an agent", func(t *testing.T) {
		g, caller, _ := consultRig(t)
		id := "ast1-" + caller
		if err := g.k.Transfer(context.Background(), "a1", id, router.Target{Agent: "b1"}); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "the caller talks with b1", func() bool { return bridgedWith(g.emu, caller, "PJSIP/2001") })
		testkit.Eventually(t, "a1 is done with the call", func() bool {
			return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id })
		})
		if c, ls := g.record(id); !c.Open() || c.Agent != "b1" || c.Transfers != 1 || len(ls) != 2 || ls[1].Outcome != calllog.LegTransferred ||
			ls[1].Agent != "a1" || ls[2].Agent != "b1" || ls[2].Outcome != "" || ls[2].AnsweredAt.IsZero() {
			t.Fatalf("while b1 talks: %+v %+v", c, ls)
		}
		if err := g.emu.Hangup(caller); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "the record ends with b1's leg", func() bool { c, _ := g.record(id); return !c.Open() })
		c, ls := g.record(id)
		if c.Outcome != calllog.Completed || ls[2].Outcome != calllog.LegAnswered || ls[2].LeftAt.IsZero() || c.Talk < ls[1].Talk+ls[2].Talk-1e-9 {
			t.Fatalf("after the caller left: %+v %+v", c, ls)
		}
	})
	t.Run("blind to a number", func(t *testing.T) {
		cfg := routertest.Config()
		cfg.IVR.TransferContext = "transfers"
		g := newCtlRig(t, cfg)
		caller, _ := g.connected()
		id := "ast1-" + caller
		if err := g.k.Transfer(context.Background(), "a1", id, router.Target{Number: "5550123"}); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "a1 is done with the call", func() bool {
			return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id })
		})
		if c, ls := g.record(id); c.Outcome != calllog.TransferredOut || c.Transfers != 1 || len(ls) != 1 || ls[1].Outcome != calllog.LegTransferred || ls[1].Agent != "a1" {
			t.Fatalf("record: %+v %+v", c, ls)
		}
	})
}
