package asterisk_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/ivr/callback"
)

// oneCallback is a callback store holding one callback, claimed once.
type oneCallback struct {
	mu       sync.Mutex
	claim    callback.Claim
	claimed  bool
	outcomes []callback.Outcome
}

func (o *oneCallback) Request(context.Context, callback.Request) error { return nil }

func (o *oneCallback) Claim(_ context.Context, queue string, _ time.Time, _ int) ([]callback.Claim, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.claimed || queue != o.claim.Queue {
		return nil, nil
	}
	o.claimed = true
	return []callback.Claim{o.claim}, nil
}

func (o *oneCallback) Assign(context.Context, callback.Claim, string) error { return nil }

func (o *oneCallback) Finish(_ context.Context, _ callback.Claim, out callback.Outcome, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes = append(o.outcomes, out)
	return nil
}

func (o *oneCallback) Recover(context.Context) (int, error)           { return 0, nil }
func (o *oneCallback) Expire(context.Context, time.Time) (int, error) { return 0, nil }

// gatedTel holds back the originate of callback customers until open is closed, and says on
// asked when one is held.
type gatedTel struct {
	*asterisk.REST
	open  chan struct{}
	asked chan struct{}
}

func (g gatedTel) Originate(ctx context.Context, o router.Originate) error {
	if strings.HasPrefix(o.ChannelID, "sb-cb-") && !strings.HasPrefix(o.ChannelID, "sb-cb-agent-") {
		select {
		case g.asked <- struct{}{}:
		default:
		}
		<-g.open
	}
	return g.REST.Originate(ctx, o)
}

// A connected callback and a caller waiting for the same (only) agent when the router dies,
// the caller's channel older than the customer's: the new router re-attaches the callback to
// its agent before it queues the caller again. Queued first, the caller took the agent, and
// the callback was torn down ("agent b1 is reserved") and queued again.
func TestRestartReattachesConnectedCallsFirst(t *testing.T) {
	g := newRig(t)
	cfg := testConfig()
	cfg.Settings = map[string]router.QueueSettings{"line2": {RecordShare: 1}}
	cfg.Dialer = router.Dialer{Every: 20 * time.Millisecond, CallerID: "+4930999"}
	g.emu.SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	const number = "+4930100001"
	g.emu.SetCustomer(number, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	cbs := &oneCallback{claim: callback.Claim{ID: 7, Attempt: 1, Number: number, Queue: "line2",
		EnqueuedAt: time.Now().Add(-time.Hour)}}
	open, asked := make(chan struct{}), make(chan struct{}, 1)
	g.wrap = func(r *asterisk.REST) router.Telephony { return gatedTel{r, open, asked} }
	idx := &memIndex{rows: map[string]router.Recorded{}}
	dir := t.TempDir()
	g.options = func(o *router.Options) {
		o.Callbacks = cbs
		o.Recordings.Dir, o.Recordings.Index = dir, idx.index
	}
	g.start(cfg)
	const cbCall = "ast1-sb-cb-7-1"
	select { // b1 took the callback; its customer is about to be dialed
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for b1 to take the callback")
	}
	waiting := g.place(ariemu.Caller{DID: "5552000", TalkTime: 100 * time.Millisecond})
	g.eventually("the caller waits", func() bool { v, ok := g.call(callID(waiting)); return ok && v.State == "waiting" })
	close(open) // the customer is dialed now: its channel is younger than the caller's
	g.eventually("customer bridged and recorded", func() bool {
		calls := g.emu.CustomerCalls(number)
		return len(calls) == 1 && !calls[0].Bridged.IsZero() && liveState(t, g.url, "call-"+cbCall) == "recording"
	})
	customer := g.emu.CustomerCalls(number)[0].ChannelID
	agentLeg := g.emu.CustomerCalls(number)[0].Peers[0]

	g.stop()
	g.mu.Lock()
	g.events = nil
	g.mu.Unlock()
	g.start(cfg)
	if v, ok := g.call(cbCall); !ok || v.State != "connected" || v.Agent != "b1" {
		t.Fatalf("callback after the restart: %+v (held %v), want connected to b1", v, ok)
	}
	if v, ok := g.call(callID(waiting)); !ok || v.State != "waiting" {
		t.Fatalf("caller after the restart: %+v (held %v), want waiting", v, ok)
	}
	if rec, _ := g.emu.Call(agentLeg); !rec.Ended.IsZero() {
		t.Fatalf("the callback's agent leg was hung up: %+v", rec)
	}
	if err := g.emu.Hangup(customer); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(waiting); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("the waiting caller was not served after the callback: %+v", rec)
	}
	if calls := g.emu.CustomerCalls(number); len(calls) != 1 || calls[0].Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("customer calls: %+v", calls)
	}
	g.eventually("both recordings indexed", func() bool {
		_, a := idx.get("call-" + cbCall)
		_, b := idx.get("call-" + callID(waiting))
		return a && b
	})
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if len(idx.rows) != 2 {
		t.Fatalf("recordings: %v, want one per call", idx.rows)
	}
	if n := count(g, "", func(e acd.CallAnswered) bool { return e.Call == cbCall }); n != 0 {
		t.Fatalf("the new router answered the callback %d times: it was queued again", n)
	}
}

// recLog is the names of the recordings the routers of a test started, in order.
type recLog struct {
	mu    sync.Mutex
	names []string
}

func (l *recLog) started() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.names...)
}

// recSpy is one router's ARI adapter, noting the recordings it starts in log.
type recSpy struct {
	*asterisk.REST
	log *recLog
}

func (s recSpy) RecordBridge(ctx context.Context, bridge, name string) error {
	s.log.mu.Lock()
	s.log.names = append(s.log.names, name)
	s.log.mu.Unlock()
	return s.REST.RecordBridge(ctx, bridge, name)
}

// recordingsOf starts the router with a recording store and notes the recordings it starts.
func recordingsOf(g *rig, cfg router.Config) (*recLog, *memIndex) {
	g.t.Helper()
	log := &recLog{}
	idx := &memIndex{rows: map[string]router.Recorded{}}
	dir := g.t.TempDir()
	g.wrap = func(r *asterisk.REST) router.Telephony { return recSpy{r, log} }
	g.options = func(o *router.Options) { o.Recordings.Dir, o.Recordings.Index = dir, idx.index }
	g.start(cfg)
	return log, idx
}

// checkTwoRecordings waits until the recordings started are indexed, and checks there are two
// of call id, under two names, in two files, each with its own agent. A recording that ends
// as a new router connects may do so before Asterisk sends it events (between the websocket's
// upgrade and the application's registration): the sweep of leftovers, which the daemon runs
// at start and hourly, collects it.
func checkTwoRecordings(g *rig, spy *recLog, idx *memIndex, id string, agents ...string) {
	g.t.Helper()
	g.eventually("the recordings indexed", func() bool {
		for _, n := range spy.started() {
			if _, ok := idx.get(n); !ok {
				_, _ = g.r.CollectStored(context.Background())
				return false
			}
		}
		return true
	})
	names := spy.started()
	if len(names) != 2 || names[0] == names[1] {
		g.t.Fatalf("recordings started: %v, want two names", names)
	}
	for i, n := range names {
		rec, _ := idx.get(n)
		if rec.CallID != id || rec.Agent != agents[i] || !strings.HasPrefix(n, "call-"+id) {
			g.t.Errorf("recording %s indexed as %+v, want call %s, agent %s", n, rec, id, agents[i])
		}
		if _, err := os.Stat(rec.Path); err != nil {
			g.t.Errorf("recording %s: %v", n, err)
		}
	}
	if a, b := must(idx.get(names[0])), must(idx.get(names[1])); a.Path == b.Path {
		g.t.Errorf("both recordings in one file %s", a.Path)
	}
}

func must[T any](v T, _ bool) T { return v }

// A call transferred from a recording queue to another is recorded twice: two files under two
// names, both indexed. The second recording took the first one's name.
func TestTransferredCallRecordedTwice(t *testing.T) {
	g := newRig(t)
	cfg := testConfig()
	cfg.Settings = map[string]router.QueueSettings{"line1": {RecordShare: 1}, "line2": {RecordShare: 1}}
	for _, p := range []string{"PJSIP/1001", "PJSIP/2001"} {
		g.emu.SetPhone(p, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	spy, idx := recordingsOf(g, cfg)
	ch := g.place(ariemu.Caller{})
	id := callID(ch)
	g.eventually("a1 records the call", func() bool {
		v, ok := g.call(id)
		return ok && v.Agent == "a1" && v.State == "connected" && len(spy.started()) == 1 && liveState(t, g.url, spy.started()[0]) == "recording"
	})
	if err := g.r.TransferCall(context.Background(), "a1", id, "line2"); err != nil {
		t.Fatal(err)
	}
	g.eventually("b1 records the call", func() bool {
		v, ok := g.call(id)
		n := spy.started()
		return ok && v.Agent == "b1" && v.State == "connected" && len(n) == 2 && liveState(t, g.url, n[1]) == "recording"
	})
	if err := g.emu.Hangup(ch); err != nil {
		t.Fatal(err)
	}
	checkTwoRecordings(g, spy, idx, id, "a1", "b1")
}

// The agent of a connected, recorded call hangs up while the router is away: the caller, left
// alone in the call's bridge, is queued again by the new router and served again. That second
// recording has a name of its own; it took the first one's, whose file and index row it
// replaced.
func TestRequeuedCallAfterRestartRecordedAgain(t *testing.T) {
	g := newRig(t)
	cfg := recordingConfig()
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	spy, idx := recordingsOf(g, cfg)
	ch := g.place(ariemu.Caller{})
	id := callID(ch)
	g.eventually("a1 records the call", func() bool {
		v, ok := g.call(id)
		return ok && v.Agent == "a1" && v.State == "connected" && len(spy.started()) == 1 && liveState(t, g.url, spy.started()[0]) == "recording"
	})
	agentLeg := ""
	if rec, _ := g.emu.Call(ch); len(rec.Peers) == 1 {
		agentLeg = rec.Peers[0]
	}
	g.stop()
	if err := g.emu.Hangup(agentLeg); err != nil {
		t.Fatalf("agent leg %q: %v", agentLeg, err)
	}
	g.start(cfg)
	g.eventually("a1 records the call again", func() bool {
		v, ok := g.call(id)
		n := spy.started()
		return ok && v.Agent == "a1" && v.State == "connected" && len(n) == 2 && liveState(t, g.url, n[1]) == "recording"
	})
	if err := g.emu.Hangup(ch); err != nil {
		t.Fatal(err)
	}
	checkTwoRecordings(g, spy, idx, id, "a1", "a1")
}

// What an agent asks for during a call is kept as it is asked (the latest request; none once
// the agent asks to stay available), and a new router gives it back to the agent: on the call
// it re-attaches, taken when the call ends.
func TestAskedStateKeptAndTakenAfterRestart(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	var mu sync.Mutex
	kept := map[string]router.AgentRequest{}
	g.options = func(o *router.Options) {
		keep := func(_ context.Context, agent string, req *router.AgentRequest) error {
			mu.Lock()
			defer mu.Unlock()
			if req == nil {
				delete(kept, agent)
			} else {
				kept[agent] = *req
			}
			return nil
		}
		pending := func(agent string) (router.AgentRequest, bool) {
			mu.Lock()
			defer mu.Unlock()
			r, ok := kept[agent]
			return r, ok
		}
		o.Agents = agentHooks{keep: keep, pending: pending}
	}
	g.start(testConfig())
	ch := g.place(ariemu.Caller{})
	id := callID(ch)
	g.eventually("a1 talks", func() bool { v, ok := g.call(id); return ok && v.State == "connected" && v.Agent == "a1" })
	// The call's worker bridges the legs after the engine has the call connected; the new
	// router re-attaches the call by the legs in the call's bridge and the agent leg's
	// SB_ANSWER, set by its originate.
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: "switchboard", Username: "sb", Password: "secret"})
	g.eventually("caller and agent bridged", func() bool {
		m, _ := rest.BridgeChannels(context.Background(), "sb-call-"+ch)
		return len(m) == 2
	})
	if v, _ := rest.Var(context.Background(), ch+"-a1", "SB_ANSWER"); !strings.HasPrefix(v, "a1|") {
		t.Fatalf("agent leg's SB_ANSWER = %q", v)
	}
	keptNow := func() (router.AgentRequest, bool) {
		mu.Lock()
		defer mu.Unlock()
		r, ok := kept["a1"]
		return r, ok
	}
	ctx := context.Background()
	for _, step := range []struct {
		state  acd.AgentState
		reason string
		kept   bool
	}{
		{acd.Paused, "training", true},
		{acd.Available, "", false}, // stays available after the call: nothing waits
		{acd.LoggedOut, "", true},
	} {
		if err := g.r.SetAgentState(ctx, "a1", step.state, step.reason); err != nil {
			t.Fatal(err)
		}
		r, ok := keptNow()
		if ok != step.kept || ok && (r.State != step.state || r.Reason != step.reason || r.Call != id || r.At.IsZero()) {
			t.Fatalf("after asking %s %q: kept %+v (%v)", step.state, step.reason, r, ok)
		}
	}
	g.stop()
	g.start(testConfig())
	if v := g.agent("a1"); v.State != acd.OnCall || v.Call != id {
		t.Fatalf("a1 after the restart: %s on %q", v.State, v.Call)
	}
	if err := g.emu.Hangup(ch); err != nil {
		t.Fatal(err)
	}
	g.eventually("a1 logged out after its call, as asked", func() bool { return g.agent("a1").State == acd.LoggedOut })
}
