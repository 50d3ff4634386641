package asterisk_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// These tests run one router over two emulated Asterisk nodes, "pbx-a" and "pbx-b", each a
// real ARI server (HTTP and websocket) whose channel ids carry its name (systemname). A
// node is killed by taking its server away (every request and websocket refused, its
// channels gone with it) and comes back as a fresh Asterisk on the same address.

// liveNode is an emulated node that can be killed and started again on the same address.
type liveNode struct {
	name string
	url  string
	cur  atomic.Pointer[ariemu.Server]
	ts   *httptest.Server
	t    *testing.T
}

func (n *liveNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e := n.cur.Load(); e != nil {
		e.ServeHTTP(w, r)
		return
	}
	http.Error(w, "node down", http.StatusServiceUnavailable)
}

func (n *liveNode) emu() *ariemu.Server { return n.cur.Load() }

// boot starts a fresh Asterisk behind the node's address.
func (n *liveNode) boot() *ariemu.Server {
	n.t.Helper()
	emu, err := ariemu.New(ariemu.Options{Username: "sb", Password: "secret", SystemName: n.name, RecordingsDir: n.t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))})
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { emu.Close() })
	n.cur.Store(emu)
	return emu
}

// kill takes the node away: its websockets close and every request is refused.
func (n *liveNode) kill() {
	if e := n.cur.Swap(nil); e != nil {
		e.Close()
	}
}

type nodesRig struct {
	*rig
	nodes map[string]*liveNode
	idx   *memIndex
}

func newNodesRig(t *testing.T) *nodesRig {
	g := &nodesRig{rig: &rig{t: t}, nodes: map[string]*liveNode{}}
	for _, name := range []string{"pbx-a", "pbx-b"} {
		n := &liveNode{name: name, t: t}
		n.ts = httptest.NewServer(n)
		t.Cleanup(n.ts.Close)
		n.url = n.ts.URL + "/ari"
		n.boot()
		g.nodes[name] = n
	}
	return g
}

// nodesConfig is the test configuration over the two nodes (testNodes): a1 and a2 (line1)
// have their phones on pbx-b, b1 (line2) on pbx-a.
func nodesConfig() router.Config {
	cfg := testConfig()
	cfg.Settings = map[string]router.QueueSettings{"line1": {RecordShare: 1}}
	return cfg
}

// testNodes are the two nodes; pbx-b's calls end 300 ms after it went away.
var testNodes = []router.NodeConfig{{Name: "pbx-a", Trunk: "to-a"}, {Name: "pbx-b", Trunk: "to-b", DownAfter: 300 * time.Millisecond}}

var testPhones = map[string]string{"PJSIP/1001": "pbx-b", "PJSIP/1002": "pbx-b", "PJSIP/2001": "pbx-a"}

func (g *nodesRig) start(cfg router.Config, nodes []router.NodeConfig) {
	g.t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	g.reg = prometheus.NewRegistry()
	var clients []asterisk.NodeClient
	for _, n := range nodes {
		clients = append(clients, asterisk.NodeClient{NodeConfig: n, Tel: asterisk.NewREST(asterisk.RESTOptions{URL: g.nodes[n.Name].url,
			App: cfg.App, Username: "sb", Password: "secret", Registerer: g.reg, Timeout: 2 * time.Second})})
	}
	tel, err := asterisk.NewNodes(clients, testPhones)
	if err != nil {
		g.t.Fatal(err)
	}
	g.idx = &memIndex{rows: map[string]router.Recorded{}}
	opts := router.Options{Logger: logger, Probes: router.Probes{Registerer: g.reg},
		Recordings: router.RecordingOptions{Dir: g.t.TempDir(), Index: g.idx.index},
		Observers: []func(acd.Event){func(ev acd.Event) {
			g.mu.Lock()
			g.events = append(g.events, ev)
			g.mu.Unlock()
		}}}
	if g.options != nil {
		g.options(&opts)
	}
	r, err := router.New(cfg, tel, opts)
	if err != nil {
		g.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.r, g.cancel = r, cancel
	g.wg.Add(1)
	go func() { defer g.wg.Done(); _ = r.Run(ctx) }()
	for _, n := range nodes {
		ev := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: g.nodes[n.Name].url, App: cfg.App, Username: "sb",
			Password: "secret", Logger: logger, Registerer: g.reg, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
			Node: n.Name}, tel.Sink(n.Name, router.NodeSink(r, n.Name)))
		g.wg.Add(1)
		go func() { defer g.wg.Done(); _ = ev.Run(ctx) }()
	}
	g.t.Cleanup(func() { g.stop(); r.WaitRecordings() })
	alive := int64(0)
	for _, n := range nodes {
		if g.nodes[n.Name].emu() != nil {
			alive++
		}
	}
	g.eventually("the nodes up reconciled", func() bool { return r.Reconciliations() >= alive })
}

func (g *nodesRig) placeOn(node string, c ariemu.Caller) string {
	g.t.Helper()
	g.emu = g.nodes[node].emu()
	defer func() { g.emu = nil }()
	return g.place(c)
}

func (g *nodesRig) endedOn(node, ch string) ariemu.CallRecord {
	g.t.Helper()
	g.emu = g.nodes[node].emu()
	defer func() { g.emu = nil }()
	return g.ended(ch)
}

// A caller on node A offered to an agent whose phone is on node B is rung through the trunk
// to B from A: the agent leg, the bridge and the recording are A's, as for a local call, and
// B carries no channel of the router's.
func TestNodesCallAcrossTrunk(t *testing.T) {
	g := newNodesRig(t)
	g.nodes["pbx-a"].emu().SetPhone("PJSIP/1001@to-b", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(nodesConfig(), testNodes)
	ch := g.placeOn("pbx-a", ariemu.Caller{Number: "79990003333", TalkTime: 1200 * time.Millisecond})
	if !strings.HasPrefix(ch, "pbx-a-") {
		t.Fatalf("caller channel %q does not carry its node", ch)
	}
	rec := g.endedOn("pbx-a", ch)
	if rec.Outcome != ariemu.OutcomeCompleted || len(rec.Peers) != 1 {
		t.Fatalf("caller: %+v", rec)
	}
	leg := g.endedOn("pbx-a", rec.Peers[0])
	if leg.Endpoint != "PJSIP/1001@to-b" || leg.Answered.IsZero() {
		t.Fatalf("agent leg on pbx-a: %+v", leg)
	}
	if n := len(g.nodes["pbx-b"].emu().Calls()); n != 0 {
		t.Fatalf("pbx-b carried %d channels", n)
	}
	if n := count(g.rig, "", func(e acd.CallEnded) bool { return e.Call == callID(ch) && e.Agent == "a1" }); n != 1 {
		t.Fatalf("CallEnded by a1 seen %d times", n)
	}
	var r router.Recorded
	g.eventually("recording on pbx-a fetched and indexed", func() bool {
		var ok bool
		r, ok = g.idx.get("call-" + callID(ch))
		return ok
	})
	if r.Agent != "a1" || r.Queue != "line1" || r.Number != "79990003333" || r.Duration < time.Second {
		t.Fatalf("recording %+v", r)
	}
}

// A node killed during traffic: its calls end (after NodeDownAfter), its agents are paused
// "node down", the other node's call goes on untouched, and when the node comes back its
// agents are available again by themselves and take calls.
func TestNodesOneKilledDuringTraffic(t *testing.T) {
	g := newNodesRig(t)
	for _, name := range []string{"pbx-a", "pbx-b"} {
		g.nodes[name].emu().SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
		g.nodes[name].emu().SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	cfg := nodesConfig()
	cfg.Settings = nil
	g.start(cfg, testNodes)

	onA := g.placeOn("pbx-a", ariemu.Caller{DID: "5552000"}) // b1, local on pbx-a
	onB := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000"}) // a1, local on pbx-b
	g.eventually("both calls connected", func() bool {
		a, okA := g.call(callID(onA))
		b, okB := g.call(callID(onB))
		return okA && okB && a.State == "connected" && b.State == "connected"
	})

	g.nodes["pbx-b"].kill()
	g.eventually("pbx-b's call ended", func() bool { _, ok := g.call(callID(onB)); return !ok })
	g.eventually("pbx-b's agents paused node down", func() bool {
		a1, a2 := g.agent("a1"), g.agent("a2")
		return a1.State == acd.Paused && a1.Reason == router.ReasonNodeDown && a2.State == acd.Paused && a2.Reason == router.ReasonNodeDown
	})
	if v, ok := g.call(callID(onA)); !ok || v.State != "connected" || v.Agent != "b1" {
		t.Fatalf("pbx-a's call after pbx-b went: %+v %v", v, ok)
	}
	if rec, _ := g.nodes["pbx-a"].emu().Call(onA); !rec.Ended.IsZero() {
		t.Fatalf("pbx-a's caller was hung up: %+v", rec)
	}
	if got := gauge(t, g.reg, "switchboard_ari_connected", "pbx-b"); got != 0 {
		t.Fatalf("switchboard_ari_connected{node=pbx-b} = %v", got)
	}
	g.eventually("each node's metrics", func() bool {
		return gauge(t, g.reg, "switchboard_node_ready", "pbx-b") == 0 && gauge(t, g.reg, "switchboard_node_ready", "pbx-a") == 1 &&
			gauge(t, g.reg, "switchboard_node_calls", "pbx-b") == 0 && gauge(t, g.reg, "switchboard_node_calls", "pbx-a") == 1 &&
			gauge(t, g.reg, "switchboard_node_agents", "pbx-b") == 2 && gauge(t, g.reg, "switchboard_node_agents", "pbx-a") == 1
	})

	emuB := g.nodes["pbx-b"].boot()
	emuB.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.eventually("pbx-b's agents available again", func() bool {
		return g.agent("a1").State == acd.Available && g.agent("a2").State == acd.Available
	})
	again := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000", TalkTime: 300 * time.Millisecond})
	if rec := g.endedOn("pbx-b", again); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("a call on pbx-b once back: %+v", rec)
	}
	if v, ok := g.call(callID(onA)); !ok || v.State != "connected" {
		t.Fatalf("pbx-a's call after pbx-b came back: %+v %v", v, ok)
	}
	g.eventually("pbx-b ready in the metrics", func() bool { return gauge(t, g.reg, "switchboard_node_ready", "pbx-b") == 1 })
}

// gauge reads the gauge name{node=node} from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name, node string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "node" && l.GetValue() == node {
					return m.Gauge.GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{node=%q}", name, node)
	return 0
}

// A node's websocket that drops for less than NodeDownAfter loses nothing: its connected
// call stays up and its agent on it, its caller who waits meanwhile keeps the place and is
// offered once the node is back; the other node's callers are offered all along.
func TestNodesShortDropLosesNothing(t *testing.T) {
	g := newNodesRig(t)
	for _, name := range []string{"pbx-a", "pbx-b"} {
		g.nodes[name].emu().SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
		g.nodes[name].emu().SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
		g.nodes[name].emu().SetPhone("PJSIP/1002", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	cfg := nodesConfig()
	cfg.Settings = nil
	nodes := slices.Clone(testNodes)
	nodes[1].DownAfter = time.Minute
	g.start(cfg, nodes)

	if err := g.r.Do(context.Background(), func(e *acd.Engine) error { return e.Logout("a2") }); err != nil {
		t.Fatal(err)
	}
	talking := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000"}) // a1 on pbx-b
	g.eventually("pbx-b's call connected", func() bool { v, ok := g.call(callID(talking)); return ok && v.State == "connected" })
	waiting := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000"}) // nobody free in line1
	var place time.Time
	g.eventually("pbx-b's second caller waits", func() bool {
		v, ok := g.call(callID(waiting))
		place = v.EnqueuedAt
		return ok && v.State == "waiting"
	})
	g.nodes["pbx-b"].emu().Partition()
	g.eventually("pbx-b seen away", func() bool { return gauge(t, g.reg, "switchboard_node_ready", "pbx-b") == 0 })
	if err := g.r.Do(context.Background(), func(e *acd.Engine) error { return e.Login("a2") }); err != nil {
		t.Fatal(err)
	}
	onA := g.placeOn("pbx-a", ariemu.Caller{DID: "5552000", TalkTime: 200 * time.Millisecond})
	if rec := g.endedOn("pbx-a", onA); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("pbx-a's caller while pbx-b is away: %+v", rec)
	}
	if v, ok := g.call(callID(talking)); !ok || v.State != "connected" || v.Agent != "a1" {
		t.Fatalf("pbx-b's connected call during the drop: %+v %v", v, ok)
	}
	if v, _ := g.call(callID(waiting)); v.State != "waiting" {
		t.Fatalf("pbx-b's waiting caller offered while pbx-b is away: %+v", v)
	}
	g.nodes["pbx-b"].emu().Heal()
	g.eventually("pbx-b's waiting caller answered by a2 once back, from its place", func() bool {
		v, ok := g.call(callID(waiting))
		return ok && v.State == "connected" && v.Agent == "a2" && v.EnqueuedAt.Equal(place)
	})
	if v, ok := g.call(callID(talking)); !ok || v.State != "connected" || v.Agent != "a1" {
		t.Fatalf("pbx-b's connected call after the drop: %+v %v", v, ok)
	}
	if rec, _ := g.nodes["pbx-b"].emu().Call(talking); !rec.Ended.IsZero() {
		t.Fatalf("pbx-b's caller was hung up: %+v", rec)
	}
}

// A phone an agent logs in on at the desk, that no agent is configured with, is on the node
// whose desk phones it matches: b1 (configured on pbx-a) moves to PJSIP/3001, one of pbx-b's
// desk phones, and a caller on pbx-a is put through to it over the trunk. A desk phone of
// no node is refused with a clear error, at login and as a supervisor's phone.
func TestNodesDeskPhoneNode(t *testing.T) {
	g := newNodesRig(t)
	answering(g, "pbx-a", "PJSIP/3001@to-b")
	cfg := nodesConfig()
	cfg.Settings = nil
	cfg.DeskEndpoints = []string{"PJSIP/3*", "PJSIP/4*"}
	nodes := slices.Clone(testNodes)
	nodes[1].DeskPhones = []string{"PJSIP/3*"}
	g.start(cfg, nodes)
	ctx := context.Background()

	err := g.r.AgentLogin(ctx, "b1", "PJSIP/4001", true)
	var ae *acd.Error
	if !errors.As(err, &ae) || ae.Code != acd.EInvalid || ae.Key != "desk.err.phone_no_node" || !strings.Contains(ae.Message, "PJSIP/4001 is on no node") {
		t.Fatalf("login on a phone of no node: %v", err)
	}
	if err := g.r.AgentLogin(ctx, "b1", "PJSIP/3001", true); err != nil {
		t.Fatal(err)
	}
	ch := g.placeOn("pbx-a", ariemu.Caller{DID: "5552000", TalkTime: 300 * time.Millisecond})
	rec := g.endedOn("pbx-a", ch)
	if rec.Outcome != ariemu.OutcomeCompleted || len(rec.Peers) != 1 {
		t.Fatalf("caller: %+v", rec)
	}
	if leg := g.endedOn("pbx-a", rec.Peers[0]); leg.Endpoint != "PJSIP/3001@to-b" || leg.Answered.IsZero() {
		t.Fatalf("b1's leg on pbx-a: %+v", leg)
	}
	g.eventually("b1 counted on pbx-b", func() bool { return gauge(t, g.reg, "switchboard_node_agents", "pbx-b") == 3 })

	answering(g, "pbx-b", "PJSIP/1001")
	onB := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000"})
	g.eventually("pbx-b's call connected", func() bool { v, ok := g.call(callID(onB)); return ok && v.State == "connected" })
	_, err = router.ControlsOf(g.r).Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeMonitor, Endpoint: "PJSIP/4002"})
	if !errors.As(err, &ae) || ae.Key != "desk.err.phone_no_node" {
		t.Fatalf("monitoring from a phone of no node: %v", err)
	}
}

// A node away when the router starts: offers wait for it up to the longest DownAfter (an
// agent may be talking on one of its calls), then go on without it, its agents paused "node
// down"; when it comes up it is reconciled and its agents are available again.
func TestNodesAwayAtStart(t *testing.T) {
	g := newNodesRig(t)
	answering(g, "pbx-a", "PJSIP/2001", "PJSIP/1001@to-b")
	g.nodes["pbx-b"].kill()
	cfg := nodesConfig()
	cfg.Settings = nil
	nodes := slices.Clone(testNodes)
	nodes[0].DownAfter = 300 * time.Millisecond // the wait is the longest of the nodes'
	g.start(cfg, nodes)
	start := time.Now()

	onA := g.placeOn("pbx-a", ariemu.Caller{DID: "5552000", TalkTime: 200 * time.Millisecond}) // b1, local on pbx-a
	g.eventually("pbx-a's caller answered once pbx-b's wait is over", func() bool { v, ok := g.call(callID(onA)); return ok && v.State == "connected" })
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("offered %v after the start, before pbx-b's DownAfter (300 ms)", waited)
	}
	g.eventually("pbx-b's agents paused node down", func() bool {
		a1, a2 := g.agent("a1"), g.agent("a2")
		return a1.State == acd.Paused && a1.Reason == router.ReasonNodeDown && a2.State == acd.Paused && a2.Reason == router.ReasonNodeDown
	})
	g.nodes["pbx-b"].boot()
	g.eventually("pbx-b's agents available once it is up", func() bool {
		return g.agent("a1").State == acd.Available && g.agent("a2").State == acd.Available
	})
	line1 := g.placeOn("pbx-a", ariemu.Caller{DID: "5551000", TalkTime: 200 * time.Millisecond})
	if rec := g.endedOn("pbx-a", line1); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("a caller for pbx-b's agents once it is up: %+v", rec)
	}
}
