package router_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
)

// Call flows through the router as timelines (routertest): each test says what happens on
// Asterisk, step by step, and checks the exact ARI requests the router sends in answer.

func testConfig() router.Config { return routertest.Config() }

// start is a harness on cfg whose first requests (the reconciliation) are checked.
func start(t *testing.T, cfg router.Config, opt routertest.Options) *routertest.Harness {
	t.Helper()
	h := routertest.New(t, cfg, opt)
	h.ExpectRequests("GET /applications/switchboard", "GET /channels", "GET /bridges")
	return h
}

// count returns how many engine events of type T match.
func count[T acd.Event](h *routertest.Harness, match func(T) bool) int {
	n := 0
	for _, ev := range h.Events() {
		if e, ok := ev.(T); ok && (match == nil || match(e)) {
			n++
		}
	}
	return n
}

// last returns the last engine event of type T that matches.
func last[T acd.Event](h *routertest.Harness, match func(T) bool) (T, bool) {
	var out T
	found := false
	for _, ev := range h.Events() {
		if e, ok := ev.(T); ok && (match == nil || match(e)) {
			out, found = e, true
		}
	}
	return out, found
}

// queued are the requests that put a first caller c of queue q in its holding bridge, routed
// there by its DID: its place is the one reconciliation gives a caller without SB_PLACE.
func queued(c, q string) []string {
	return []string{
		"POST /bridges/sb-hold-" + q + "?type=holding",
		"POST /bridges/sb-hold-" + q + "/addChannel?channel=" + c + "&role=holding_participant",
	}
}

// callBridge is the request that makes caller c's call bridge, at its first offer.
func callBridge(c string) string { return "POST /bridges/sb-call-" + c + "?type=mixing" }

// bridged are the requests that connect caller c with agent channel a, in the call bridge
// made at the first offer (SB_ANSWER came with the originate: the call is not recorded).
func bridged(c, a string) []string {
	return []string{
		"POST /bridges/sb-call-" + c + "/addChannel?channel=" + c + "," + a,
	}
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func ring(c, a, endpoint string) string {
	return "POST /channels/" + a + "?endpoint=" + endpoint + "&appArgs=agent,ast1-" + c + "&callerId=*&timeout=2s&variables=SB_ANSWER=*"
}

// A caller is answered, queued and offered at once to a1 (the agent with no penalty), whose
// phone rings for the queue's 1.5 s plus the 0.5 s margin; a1 answers and both are bridged.
// The caller hangs up: the router hangs up the agent and removes the bridge; a1 wraps up
// for 200 ms and is available again, one call handled.
func TestAnsweredCallerHangsUp(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.ExpectRequests(cat([]string{ring(c, "c1-a1", "PJSIP/1001"), "POST /channels/c1/answer"}, queued(c, "line1"), []string{callBridge(c)})...)
	h.Answer("c1-a1")
	h.ExpectRequests(bridged(c, "c1-a1")...)
	h.Advance(10 * time.Second)
	h.Hangup(c)
	h.ExpectRequests("DELETE /channels/c1-a1?reason=normal", "DELETE /bridges/sb-call-c1")
	if v := h.Agent("a1"); v.State != acd.WrapUp {
		t.Fatalf("a1 after the call: %v", v.State)
	}
	h.Advance(200 * time.Millisecond)
	if v := h.Agent("a1"); v.State != acd.Available || v.Handled != 1 {
		t.Fatalf("a1 after wrap-up: %v, handled %d", v.State, v.Handled)
	}
	if n := count(h, func(e acd.CallEnded) bool { return e.Call == "ast1-c1" && e.Agent == "a1" && e.Talk == 10*time.Second }); n != 1 {
		t.Fatalf("CallEnded seen %d times: %v", n, h.Events())
	}
	if r, _ := h.Row("ast1-c1"); r.Outcome != routertest.Completed || r.Number != "+4930111" || r.DID != "5551000" {
		t.Fatalf("call row %+v", r)
	}
	if len(h.Bridges()) != 1 || h.Bridges()[0].ID != "sb-hold-line1" {
		t.Fatalf("bridges left: %+v", h.Bridges())
	}
}

// The agent hangs up first: the router hangs the caller up and forgets the call.
func TestAgentHangsUpFirst(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.Answer("c1-a1")
	h.TakeRequests()
	h.Hangup("c1-a1")
	h.ExpectRequests("DELETE /channels/c1?reason=normal", "DELETE /bridges/sb-call-c1")
	if h.Gone(c) != true {
		t.Fatal("caller still up")
	}
	if _, ok := h.EngineCall("ast1-c1"); ok {
		t.Fatal("call still held")
	}
	if r, _ := h.Row("ast1-c1"); r.Outcome != routertest.Completed {
		t.Fatalf("call row %+v", r)
	}
}

// With nobody logged in the caller waits; hanging up, it is abandoned, with no agent, and
// the router asks nothing more of Asterisk.
func TestCallerAbandonsWhileWaiting(t *testing.T) {
	cfg := testConfig()
	cfg.LoginAgents = false
	h := start(t, cfg, routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.ExpectRequests(cat([]string{"POST /channels/c1/answer"}, queued(c, "line1"))...)
	if v, ok := h.EngineCall("ast1-c1"); !ok || v.State != "waiting" {
		t.Fatalf("call %+v", v)
	}
	h.Advance(600 * time.Millisecond)
	h.Hangup(c)
	h.ExpectRequests()
	if n := count(h, func(e acd.CallAbandoned) bool {
		return e.Call == "ast1-c1" && e.Agent == "" && e.Waited == 600*time.Millisecond
	}); n != 1 {
		t.Fatalf("abandons: %d", n)
	}
	if r, _ := h.Row("ast1-c1"); r.Outcome != routertest.Abandoned {
		t.Fatalf("call row %+v", r)
	}
}

// The caller hangs up while a1's phone rings: abandoned with a1 named, the ringing leg hung
// up, a1 available again (not paused: it did nothing wrong).
func TestCallerHangsUpWhileAgentRings(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.TakeRequests()
	h.Advance(700 * time.Millisecond)
	h.Hangup(c)
	// The agent leg, and the call bridge made for the offer.
	h.ExpectRequests("DELETE /bridges/sb-call-c1", "DELETE /channels/c1-a1?reason=normal")
	if n := count(h, func(e acd.CallAbandoned) bool { return e.Call == "ast1-c1" && e.Agent == "a1" }); n != 1 {
		t.Fatalf("abandons with a ringing agent: %d", n)
	}
	if !h.Gone("c1-a1") {
		t.Fatal("agent leg still up")
	}
	if s := h.Agent("a1").State; s != acd.Available {
		t.Fatalf("a1: %v", s)
	}
}

// An offer that fails pauses the agent with the reason and offers the call to the next
// agent: no answer (the engine's 1.5 s ring timeout, before the originate's 2 s: the router
// hangs up the ringing phone itself), busy and unreachable (the channel's cause: 17, 20).
func TestOfferFailuresPauseAndMoveOn(t *testing.T) {
	cases := []struct {
		name   string
		fail   func(h *routertest.Harness)
		reason string
		hangup bool // the router hangs up a1's leg
	}{
		{"no answer", func(h *routertest.Harness) { h.Advance(1500 * time.Millisecond) }, acd.ReasonNoAnswer, true},
		{"busy", func(h *routertest.Harness) { h.Reject("c1-a1", 17) }, acd.ReasonBusy, false},
		{"unreachable", func(h *routertest.Harness) { h.Reject("c1-a1", 20) }, acd.ReasonUnreachable, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, testConfig(), routertest.Options{})
			c := h.Inbound("5551000", "+4930111")
			h.TakeRequests()
			tc.fail(h)
			want := []string{ring(c, "c1-a2", "PJSIP/1002")}
			if tc.hangup {
				want = append([]string{"DELETE /channels/c1-a1?reason=normal"}, want...)
			}
			h.ExpectRequests(want...)
			h.Answer("c1-a2")
			h.ExpectRequests(bridged(c, "c1-a2")...)
			h.Advance(300 * time.Millisecond)
			h.Hangup(c)
			h.ExpectRequests("DELETE /channels/c1-a2?reason=normal", "DELETE /bridges/sb-call-c1")
			if v := h.Agent("a1"); v.State != acd.Paused || v.Reason != tc.reason {
				t.Fatalf("a1: %v %q", v.State, v.Reason)
			}
			if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" && e.Agent == "a2" }); n != 1 {
				t.Fatalf("answered by a2: %d", n)
			}
			if n := count(h, func(e acd.CallRequeued) bool { return e.Call == "ast1-c1" && e.Agent == "a1" }); n != 1 {
				t.Fatalf("requeued once: %d", n)
			}
		})
	}
}

// A transfer to line2 lets a1 go and removes the call's bridge; the caller waits in line2's
// holding bridge, is offered to b1 and answered there, its wait counted from its first
// enqueue (1 s waited, 5 s with a1, 1 s in line2).
func TestTransferKeepsWait(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.Advance(time.Second)
	h.Answer("c1-a1")
	h.TakeRequests()
	first, _ := h.EngineCall("ast1-c1")
	h.Advance(5 * time.Second)
	if err := h.Router().TransferCall(context.Background(), "a1", "ast1-c1", "line2"); err != nil {
		t.Fatal(err)
	}
	h.Settle()
	h.ExpectRequests("DELETE /channels/c1-a1?reason=normal", "DELETE /bridges/sb-call-c1",
		"POST /bridges/sb-hold-line2?type=holding", ring(c, "c1-a2", "PJSIP/2001"),
		"POST /channels/c1/variable?variable=SB_PLACE&value=line2|0|2030-01-07T09:00:00Z",
		"POST /bridges/sb-hold-line2/addChannel?channel=c1&role=holding_participant", callBridge(c))
	h.Advance(time.Second)
	h.Answer("c1-a2")
	h.ExpectRequests(bridged(c, "c1-a2")...)
	answered, _ := last(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" && e.Agent == "b1" })
	if answered.Queue != "line2" || answered.Waited != 7*time.Second || first.Waited != time.Second {
		t.Fatalf("line2 answer %+v, first wait %v", answered, first.Waited)
	}
	h.Hangup(c)
	h.ExpectRequests("DELETE /channels/c1-a2?reason=normal", "DELETE /bridges/sb-call-c1")
}

// The Classify hook sends a known VIP to line2 with a higher priority and tags the call with
// the customer; a hook that fails, has not answered after the router's 200 ms, or names a
// queue that does not exist leaves the DID's route (an unknown queue keeps the priority).
// The caller waits in its queue only once the answer is in: nothing is queued before.
func TestClassifyRoutesBySegment(t *testing.T) {
	opt := routertest.Options{Router: router.Options{Lookups: router.Lookups{ClassifyTimeout: 200 * time.Millisecond,
		Classify: func(ctx context.Context, q router.ClassifyQuery) (router.Classification, bool, error) {
			if q.Queue != "line1" || q.Priority != 0 {
				return router.Classification{}, false, errors.New("unexpected route in the query")
			}
			switch q.Number {
			case "+4930700001": // VIP
				return router.Classification{Queue: "line2", Priority: 7, Data: map[string]string{"customer": "17", "segment": "vip"}}, true, nil
			case "+4930700002":
				return router.Classification{}, false, errors.New("crm down")
			case "+4930700004":
				return router.Classification{Queue: "nowhere", Priority: 3}, true, nil
			}
			return router.Classification{}, false, nil
		}}}}
	cfg := testConfig()
	cfg.Agents = nil // nobody answers: the calls stay in their queues to be looked at
	h := start(t, cfg, opt)
	h.Hold("classify +4930700003 *")

	type want struct {
		queue    string
		priority int
	}
	for _, tc := range []struct {
		number string
		want   want
	}{
		{"+4930700001", want{"line2", 7}},
		{"+4930700002", want{"line1", 0}},
		{"+4930700004", want{"line1", 3}},
		{"+4930700005", want{"line1", 0}},
	} {
		c := h.Inbound("5551000", tc.number)
		h.ExpectHooks("classify " + tc.number + " line1/0")
		v, ok := h.EngineCall("ast1-" + c)
		if !ok || v.Queue != tc.want.queue || v.Priority != tc.want.priority {
			t.Errorf("caller %s: %+v, want %s %d", tc.number, v, tc.want.queue, tc.want.priority)
		}
		if tc.number == "+4930700001" && (v.Data["customer"] != "17" || v.Data["segment"] != "vip") {
			t.Errorf("VIP call data %v", v.Data)
		}
	}
	h.TakeRequests()

	silent := h.Inbound("5551000", "+4930700003")
	h.ExpectRequests("POST /channels/c5/answer")
	h.Advance(199 * time.Millisecond)
	if _, ok := h.EngineCall("ast1-" + silent); ok {
		t.Fatal("queued before the classification's deadline")
	}
	h.Advance(time.Millisecond)
	// Queue and priority as its DID routes it: no SB_PLACE (a restarted router infers it).
	h.ExpectRequests("POST /bridges/sb-hold-line1/addChannel?channel=c5&role=holding_participant")
	if v, ok := h.EngineCall("ast1-" + silent); !ok || v.Queue != "line1" || v.Priority != 0 {
		t.Fatalf("silent hook: %+v", v)
	}
	h.Waiting("classify +4930700003 *").Release() // too late: changes nothing
	h.ExpectRequests()
}

// A reload adds an agent and a queue while a caller waits: the caller keeps its call and is
// served by the new agent, its wait counted from its first enqueue. A reload with a bad
// queue is refused, and what the first one applied stays.
func TestReloadKeepsCalls(t *testing.T) {
	cfg := testConfig()
	cfg.LoginAgents = false
	h := start(t, cfg, routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.TakeRequests()
	h.Advance(2 * time.Second)
	next := testConfig()
	next.LoginAgents = true
	next.Queues = append(next.Queues, acd.QueueConfig{Name: "line3"})
	next.Agents = []acd.AgentConfig{{ID: "new", Endpoint: "PJSIP/1009", Queues: []acd.Membership{{Queue: "line1"}, {Queue: "line3"}}}}
	if err := h.Router().Reload(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	h.Settle()
	h.ExpectRequests(callBridge(c), ring(c, "c1-a1", "PJSIP/1009"))
	h.Answer("c1-a1")
	h.ExpectRequests(bridged(c, "c1-a1")...)
	answered, _ := last(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" })
	if answered.Agent != "new" || answered.Waited != 2*time.Second {
		t.Fatalf("answered: %+v", answered)
	}
	bad := testConfig()
	bad.Queues = []acd.QueueConfig{{Name: "line1", Strategy: "random"}}
	if err := h.Router().Reload(context.Background(), bad); err == nil {
		t.Fatal("a bad queue was accepted")
	}
	if v := h.Agent("new"); v.ID != "new" || v.State != acd.OnCall {
		t.Fatalf("the good part of the first reload was lost: %+v", v)
	}
}

// Caller arrives, the pre-queue lookup is pending, the caller hangs up, the lookup answers:
// the call is never queued or offered, its record is closed (abandoned), and the router asks
// Asterisk nothing more for it (the ghost of issue 11's first defect).
func TestCallerHangsUpWhileLookupPending(t *testing.T) {
	opt := routertest.Options{Router: router.Options{Lookups: router.Lookups{Classify: func(context.Context, router.ClassifyQuery) (router.Classification, bool, error) {
		return router.Classification{Priority: 5}, true, nil
	}}}}
	h := start(t, testConfig(), opt)
	h.Hold("classify *")
	c := h.Inbound("5551000", "+4930111")
	h.ExpectRequests("POST /channels/c1/answer")
	lookup := h.Waiting("classify +4930111 line1/0")
	h.Advance(100 * time.Millisecond)
	h.Hangup(c)
	if r, _ := h.Row("ast1-c1"); r.Outcome != routertest.Abandoned || !r.Ended.Equal(h.Now()) {
		t.Fatalf("call row after the hang-up: %+v", r)
	}
	lookup.Release()
	h.Advance(time.Second)
	h.ExpectRequests()
	if n := count(h, func(e acd.CallEnqueued) bool { return e.Call == "ast1-c1" }); n != 0 {
		t.Fatalf("the call was queued %d times", n)
	}
	for _, a := range []string{"a1", "a2"} {
		if v := h.Agent(a); v.State != acd.Available {
			t.Fatalf("%s: %v", a, v.State)
		}
	}
	if late := h.LateRequests(); len(late) != 0 {
		t.Fatalf("requests for the gone caller: %q", late)
	}
}
