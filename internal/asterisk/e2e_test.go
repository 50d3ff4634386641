package asterisk_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
)

// These tests run the router end to end on the ARI emulator, over HTTP and a websocket, on
// the wall clock: a handful of call flows (a call answered, the metrics, an IVR menu, a
// transfer into the dialplan), the recordings' way into the store, and restarts and a lost
// websocket. The call flows themselves are tested as timelines in internal/router
// (routertest), in milliseconds.

// rig is the router on a real ARI emulator, over HTTP and a websocket.
type rig struct {
	t       *testing.T
	emu     *ariemu.Server
	url     string
	r       *router.Router
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	events  []acd.Event
	reg     *prometheus.Registry
	recall  func(string) (router.Recalled, bool)
	options func(*router.Options) // sets more router options before start
	wrap    func(*asterisk.REST) router.Telephony
}

func testConfig() router.Config { return routertest.Config() }

func newRig(t *testing.T, emuOpts ...func(*ariemu.Options)) *rig {
	t.Helper()
	eo := ariemu.Options{Username: "sb", Password: "secret"}
	for _, f := range emuOpts {
		f(&eo)
	}
	emu, err := ariemu.New(eo)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); ts.Close() })
	return &rig{t: t, emu: emu, url: ts.URL + "/ari"}
}

func (g *rig) start(cfg router.Config) {
	g.t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	g.reg = prometheus.NewRegistry()
	var rest router.Telephony = asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: cfg.App, Username: "sb", Password: "secret", Registerer: g.reg})
	if g.wrap != nil {
		rest = g.wrap(rest.(*asterisk.REST))
	}
	opts := router.Options{Logger: logger, Probes: router.Probes{Registerer: g.reg}, Observers: []func(acd.Event){func(ev acd.Event) {
		g.mu.Lock()
		g.events = append(g.events, ev)
		g.mu.Unlock()
	}}}
	if g.recall != nil {
		opts.Journal = recallOnly(g.recall)
	}
	if g.options != nil {
		g.options(&opts)
	}
	r, err := router.New(cfg, rest, opts)
	if err != nil {
		g.t.Fatal(err)
	}
	ev := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: g.url, App: cfg.App, Username: "sb", Password: "secret", Logger: logger, Registerer: g.reg, MinBackoff: 20 * time.Millisecond}, r)
	ctx, cancel := context.WithCancel(context.Background())
	g.r, g.cancel = r, cancel
	g.wg.Add(2)
	go func() { defer g.wg.Done(); _ = r.Run(ctx) }()
	go func() { defer g.wg.Done(); _ = ev.Run(ctx) }()
	g.t.Cleanup(g.stop)
	g.eventually("router connected", func() bool { return r.Reconciliations() > 0 })
}

// stop kills the router (not the emulator), like a crash: nothing is cleaned up on Asterisk.
func (g *rig) stop() {
	if g.cancel != nil {
		g.cancel()
		g.wg.Wait()
		g.cancel = nil
	}
}

func (g *rig) eventually(what string, cond func() bool) {
	g.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.t.Fatalf("timed out waiting for %s", what)
}

func (g *rig) agent(id string) acd.AgentView {
	var v acd.AgentView
	_ = g.r.Do(context.Background(), func(e *acd.Engine) error { v, _ = e.Agent(id); return nil })
	return v
}

func (g *rig) call(id string) (acd.CallView, bool) {
	var v acd.CallView
	var ok bool
	_ = g.r.Do(context.Background(), func(e *acd.Engine) error { v, ok = e.Call(id); return nil })
	return v, ok
}

func (g *rig) ended(ch string) ariemu.CallRecord {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rec, err := g.emu.WaitCall(ctx, ch, ariemu.Ended)
	if err != nil {
		g.t.Fatal(err)
	}
	return rec
}

func (g *rig) place(c ariemu.Caller) string {
	g.t.Helper()
	if c.DID == "" {
		c.DID = "5551000"
	}
	if c.Number == "" {
		c.Number = "79990001111"
	}
	id, err := g.emu.PlaceCaller(c)
	if err != nil {
		g.t.Fatal(err)
	}
	return id
}

// count returns how many engine events of type T were seen for a call.
func count[T acd.Event](g *rig, call string, match func(T) bool) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, ev := range g.events {
		if e, ok := ev.(T); ok && (match == nil || match(e)) {
			n++
		}
	}
	return n
}

func callID(ch string) string { return "ast1-" + ch }

func TestAnsweredCallerHangsUp(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})
	g.start(testConfig())
	ch := g.place(ariemu.Caller{TalkTime: 800 * time.Millisecond})
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeCompleted || len(rec.Peers) == 0 {
		t.Fatalf("caller: %+v", rec)
	}
	agentRec := g.ended(rec.Peers[0])
	if agentRec.Endpoint != "PJSIP/1001" || agentRec.HungUpBy != "app" {
		t.Fatalf("agent leg: %+v", agentRec)
	}
	g.eventually("a1 back after wrap-up", func() bool { return g.agent("a1").State == acd.Available })
	if v := g.agent("a1"); v.Handled != 1 {
		t.Fatalf("a1 handled %d", v.Handled)
	}
	if n := count(g, "", func(e acd.CallEnded) bool { return e.Call == callID(ch) && e.Agent == "a1" }); n != 1 {
		t.Fatalf("CallEnded seen %d times", n)
	}
}

func TestMetricsFollowCalls(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(testConfig())
	g.ended(g.place(ariemu.Caller{TalkTime: 200 * time.Millisecond}))
	g.eventually("metrics", func() bool {
		mfs, _ := g.reg.Gather()
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.Metric {
				switch {
				case m.Counter != nil:
					got[mf.GetName()] += m.Counter.GetValue()
				case m.Gauge != nil:
					got[mf.GetName()] += m.Gauge.GetValue()
				}
			}
		}
		return got["switchboard_calls_offered_total"] == 1 && got["switchboard_calls_answered_total"] == 1 &&
			got["switchboard_ari_connected"] == 1 && got["switchboard_ari_events_dropped_total"] == 0 &&
			got["switchboard_agents"] == 3
	})
}

func logLevel() slog.Level {
	if os.Getenv("E2E_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
