package router_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// ivrConfig routes DID 5559000 through a flow: 1 → line1, 2 → line2 with priority and data,
// 3 → a callback offer; nothing → line1.
func ivrConfig() router.Config {
	cfg := testConfig()
	prio := 4
	cfg.DIDs["5559000"] = router.Route{Flow: routertest.Flow("main", "l1",
		&ivr.Node{ID: "topics", Kind: ivr.KindMenu, Prompt: routertest.Sounds("queue-callswaiting"), Timeout: 500 * time.Millisecond,
			Retries: 1, Choices: map[string]string{"1": "l1", "2": "vip", "3": "offer"}, Fallback: "l1"},
		&ivr.Node{ID: "vip", Kind: ivr.KindSet, Priority: &prio, Data: map[string]string{"topic": "billing"}, Next: "l2"},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"},
		&ivr.Node{ID: "l2", Kind: ivr.KindRoute, Queue: "line2"},
		&ivr.Node{ID: "offer", Kind: ivr.KindCallback, Prompt: routertest.Sounds("queue-thankyou"), Queue: "line1", DeclineNode: "l1"},
	)}
	return cfg
}

func enqueuedTo(h *routertest.Harness, call string) (acd.CallEnqueued, bool) {
	return last(h, func(e acd.CallEnqueued) bool { return e.Call == call })
}

// A caller presses 2 during the menu prompt: the prompt stops, the call queues to line2 with
// the set node's priority and data, and b1 answers it.
func TestIVRRoutesByDigit(t *testing.T) {
	h := start(t, ivrConfig(), routertest.Options{})
	c := h.Inbound("5559000", "+4930111")
	h.ExpectRequests("POST /channels/c1/answer", "POST /channels/c1/play/sb-ivr-c1-1?media=sound:queue-callswaiting")
	h.Advance(100 * time.Millisecond)
	h.Press(c, "2")
	h.ExpectRequests("DELETE /playbacks/sb-ivr-c1-1",
		"POST /bridges/sb-hold-line2?type=holding",
		ring(c, "c1-a1", "PJSIP/2001"),
		"POST /channels/c1/variable?variable=SB_PLACE&value=line2|4|2030-01-07T09:00:00.1Z",
		"POST /bridges/sb-hold-line2/addChannel?channel=c1&role=holding_participant", "POST /bridges/sb-call-c1?type=mixing")
	enq, _ := enqueuedTo(h, "ast1-c1")
	if enq.Queue != "line2" || enq.Priority != 4 {
		t.Fatalf("enqueued after the menu: %+v", enq)
	}
	if r, _ := h.Row("ast1-c1"); r.Data["topic"] != "billing" {
		t.Fatalf("call row data %v", r.Data)
	}
	h.Answer("c1-a1")
	h.ExpectRequests(bridged(c, "c1-a1")...)
	if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" && e.Agent == "b1" }); n != 1 {
		t.Fatalf("answered by b1: %d", n)
	}
}

// A caller who presses nothing hears the menu twice (500 ms after each prompt) and reaches
// line1 by the node's fallback.
func TestIVRSilentCallerFallsBack(t *testing.T) {
	h := start(t, ivrConfig(), routertest.Options{})
	c := h.Inbound("5559000", "+4930111")
	h.TakeRequests()
	h.FinishPlayback(c)
	h.Advance(499 * time.Millisecond)
	h.ExpectRequests()
	h.Advance(time.Millisecond)
	h.ExpectRequests("POST /channels/c1/play/sb-ivr-c1-3?media=sound:queue-callswaiting")
	h.FinishPlayback(c)
	h.Advance(500 * time.Millisecond)
	h.ExpectRequests("POST /bridges/sb-hold-line1?type=holding",
		ring(c, "c1-a1", "PJSIP/1001"),
		"POST /channels/c1/variable?variable=SB_PLACE&value=line1|0|2030-01-07T09:00:01Z",
		"POST /bridges/sb-hold-line1/addChannel?channel=c1&role=holding_participant", "POST /bridges/sb-call-c1?type=mixing")
	h.Answer("c1-a1")
	if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" && e.Queue == "line1" }); n != 1 {
		t.Fatalf("a silent caller should reach line1 after the retries: %d", n)
	}
}

// Pressing 3 takes the callback offer; 1 after its prompt accepts: the callback is stored
// for line1 at the caller's number, the caller hears thanks and is hung up 3 s later. A
// caller who hangs up in the menu leaves nothing behind: no call, no queue entry, no request.
func TestIVRCallbackAndHangup(t *testing.T) {
	var got []ivr.Callback
	opt := routertest.Options{Router: router.Options{Callback: func(id string, cb ivr.Callback, at time.Time) error {
		got = append(got, cb)
		return nil
	}}}
	cfg := ivrConfig()
	cfg.LoginAgents = false
	h := start(t, cfg, opt)
	c := h.Inbound("5559000", "+79990001111")
	h.TakeRequests()
	h.Press(c, "3")
	h.ExpectRequests("DELETE /playbacks/sb-ivr-c1-1", "POST /channels/c1/play/sb-ivr-c1-2?media=sound:queue-thankyou")
	h.FinishPlayback(c)
	h.Press(c, "1")
	h.ExpectHooks("callback ast1-c1 +79990001111 line1")
	h.ExpectRequests("POST /channels/c1/play/sb-bye-c1?media=sound:queue-thankyou")
	h.Advance(3 * time.Second)
	h.ExpectRequests("DELETE /channels/c1?reason=normal")
	if len(got) != 1 || got[0].Queue != "line1" || got[0].Number != "+79990001111" {
		t.Fatalf("callbacks: %+v", got)
	}

	c2 := h.Inbound("5559000", "+79990001111")
	h.ExpectRequests("POST /channels/c2/answer", "POST /channels/c2/play/sb-ivr-c2-1?media=sound:queue-callswaiting")
	h.Advance(200 * time.Millisecond)
	h.Hangup(c2)
	h.Advance(time.Minute)
	h.ExpectRequests()
	if s := h.Router().Snapshot(); s.Calls != 0 {
		t.Fatalf("the router holds %d calls", s.Calls)
	}
	if _, ok := enqueuedTo(h, "ast1-c2"); ok {
		t.Fatal("a caller who left the IVR was queued")
	}
}

// A caller whose expected wait passes the queue's callback threshold is offered a callback;
// pressing 1 takes it out of the queue and stores a callback at its original place in time.
// It is not an abandon.
func TestCallbackOfferKeepsPlace(t *testing.T) {
	type req struct {
		cb ivr.Callback
		at time.Time
	}
	var got []req
	opt := routertest.Options{Router: router.Options{Callback: func(id string, cb ivr.Callback, at time.Time) error {
		got = append(got, req{cb, at})
		return nil
	}}}
	cfg := testConfig()
	cfg.LoginAgents = false                       // nobody free: the expected wait is long
	cfg.Queues[0].CallbackThreshold = time.Second // line1
	h := start(t, cfg, opt)
	c := h.Inbound("5551000", "+79990002222")
	h.ExpectRequests(cat([]string{"POST /channels/c1/answer"}, queued(c, "line1"),
		[]string{"POST /channels/c1/play/sb-ann-c1-1?media=sound:vm-press&media=digits:1"})...)
	waiting, _ := h.EngineCall("ast1-c1")
	h.Advance(2 * time.Second)
	h.FinishPlayback(c)
	h.Press(c, "1")
	h.ExpectHooks("callback ast1-c1 +79990002222 line1")
	h.ExpectRequests("POST /channels/c1/play/sb-bye-c1?media=sound:queue-thankyou")
	h.Advance(3 * time.Second)
	h.ExpectRequests("DELETE /channels/c1?reason=normal")
	if len(got) != 1 || got[0].cb.Queue != "line1" || got[0].cb.Number != "+79990002222" || !got[0].at.Equal(waiting.EnqueuedAt) {
		t.Fatalf("callback %+v, want line1 at %v", got, waiting.EnqueuedAt)
	}
	if n := count(h, func(e acd.CallRemoved) bool { return e.Call == "ast1-c1" && e.Reason == "callback" }); n != 1 {
		t.Fatalf("removed for a callback: %d", n)
	}
	if n := count(h, func(e acd.CallAbandoned) bool { return e.Call == "ast1-c1" }); n != 0 {
		t.Fatal("a caller who took the callback counted as abandoned")
	}
}

// A lookup node asks the Lookup hook by the caller's number: a customer found has their
// balance read out and goes to line2; nobody found goes to line1; a hook that has not
// answered within the router's 300 ms takes the failed branch (a message, then goodbye),
// long before the node's own 10 s timer, and its late answer changes nothing.
func TestIVRLookupHook(t *testing.T) {
	var asked []router.LookupQuery
	opt := routertest.Options{Router: router.Options{Lookups: router.Lookups{LookupTimeout: 300 * time.Millisecond,
		Lookup: func(ctx context.Context, q router.LookupQuery) (ivr.Customer, bool, error) {
			asked = append(asked, q)
			if q.Number == "+4930111111" {
				return ivr.Customer{ID: "C7", Fields: map[string]string{"balance": "42"}}, true, nil
			}
			return ivr.Customer{}, false, nil
		}}}}
	cfg := testConfig()
	cfg.DIDs["5559100"] = router.Route{Flow: routertest.Flow("lookup", "l1",
		&ivr.Node{ID: "who", Kind: ivr.KindLookup, By: ivr.ByCaller, Found: "balance", NotFound: "l1", Failed: "sorry",
			LookupTimeout: 10 * time.Second},
		&ivr.Node{ID: "balance", Kind: ivr.KindInfo, Prompt: routertest.Sounds("your-balance-is"), Field: "balance", SayAs: ivr.MediaNumber,
			Next: "l2", Missing: "l1"},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"},
		&ivr.Node{ID: "l2", Kind: ivr.KindRoute, Queue: "line2"},
		&ivr.Node{ID: "sorry", Kind: ivr.KindHangup, Message: routertest.Sounds("tt-somethingwrong")},
	)}
	h := start(t, cfg, opt)

	found := h.Inbound("5559100", "+4930111111")
	h.ExpectHooks("lookup caller +4930111111")
	h.ExpectRequests("POST /channels/c1/answer", "POST /channels/c1/play/sb-ivr-c1-3?media=sound:your-balance-is&media=number:42")
	h.FinishPlayback(found)
	h.ExpectRequests("POST /bridges/sb-hold-line2?type=holding", ring(found, "c1-a1", "PJSIP/2001"),
		"POST /channels/c1/variable?variable=SB_PLACE&value=line2|0|2030-01-07T09:00:00Z",
		"POST /bridges/sb-hold-line2/addChannel?channel=c1&role=holding_participant", "POST /bridges/sb-call-c1?type=mixing")
	h.Answer("c1-a1")
	h.ExpectRequests(bridged(found, "c1-a1")...)
	if e, _ := enqueuedTo(h, "ast1-c1"); e.Queue != "line2" {
		t.Fatalf("found customer queued to %q", e.Queue)
	}
	if r, _ := h.Row("ast1-c1"); r.Data["customer"] != "C7" {
		t.Fatalf("found customer's row %+v", r)
	}

	nobody := h.Inbound("5559100", "+4930222222")
	h.ExpectHooks("lookup caller +4930222222")
	h.ExpectRequests("POST /channels/c2/answer", "POST /bridges/sb-hold-line1?type=holding",
		ring(nobody, "c2-a1", "PJSIP/1001"),
		"POST /channels/c2/variable?variable=SB_PLACE&value=line1|0|2030-01-07T09:00:00Z",
		"POST /bridges/sb-hold-line1/addChannel?channel=c2&role=holding_participant", "POST /bridges/sb-call-c2?type=mixing")
	h.Answer("c2-a1")
	h.ExpectRequests(bridged(nobody, "c2-a1")...)
	for _, id := range []string{"ast1-c1", "ast1-c2"} {
		if n := count(h, func(e acd.CallAnswered) bool { return e.Call == id }); n != 1 {
			t.Fatalf("%s answered %d times", id, n)
		}
	}

	h.Hold("lookup caller +4930333333")
	slow := h.Inbound("5559100", "+4930333333")
	h.ExpectRequests("POST /channels/c3/answer")
	h.Advance(299 * time.Millisecond)
	h.ExpectRequests()
	h.Advance(time.Millisecond)
	h.ExpectRequests("POST /channels/c3/play/sb-bye-c3?media=sound:tt-somethingwrong")
	h.Waiting("lookup caller +4930333333").Release() // too late
	h.Advance(3 * time.Second)
	h.ExpectRequests("DELETE /channels/c3?reason=normal")
	if !h.Gone(slow) {
		t.Fatal("the caller of the failed lookup is still up")
	}
	if _, ok := enqueuedTo(h, "ast1-c3"); ok {
		t.Fatal("timed-out lookup queued")
	}
	h.ExpectHooks("lookup caller +4930333333")
	if len(asked) != 3 || asked[0].By != ivr.ByCaller || asked[0].CallID != "ast1-c1" {
		t.Fatalf("lookups: %+v", asked)
	}
}

// Without a transfer context a transfer node plays "no service" and hangs up: no continue.
func TestIVRTransferWithoutContext(t *testing.T) {
	cfg := testConfig()
	cfg.DIDs["5559200"] = router.Route{Flow: routertest.Flow("xfer", "",
		&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"})}
	h := start(t, cfg, routertest.Options{})
	c := h.Inbound("5559200", "+4930111")
	h.ExpectRequests("POST /channels/c1/answer", "POST /channels/c1/play/sb-bye-c1?media=sound:ss-noservice")
	h.Advance(3 * time.Second)
	h.ExpectRequests("DELETE /channels/c1?reason=normal")
	if !h.Gone(c) {
		t.Fatal("caller still up")
	}
}

// With a transfer context the caller is sent into the dialplan at the node's number, and
// the router forgets it.
func TestIVRTransferContinues(t *testing.T) {
	cfg := testConfig()
	cfg.IVR.TransferContext = "sb-transfer"
	cfg.DIDs["5559200"] = router.Route{Flow: routertest.Flow("xfer", "",
		&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"})}
	h := start(t, cfg, routertest.Options{})
	c := h.Inbound("5559200", "+4930111")
	h.ExpectRequests("POST /channels/c1/answer", "POST /channels/c1/continue?context=sb-transfer&extension=+4930123456&priority=1")
	if ch, ok := h.Channel(c); !ok || ch.InApp {
		t.Fatalf("caller after the transfer: %+v", ch)
	}
	if s := h.Router().Snapshot(); s.Calls != 0 {
		t.Fatalf("the router holds %d calls", s.Calls)
	}
	if _, ok := enqueuedTo(h, "ast1-c1"); ok {
		t.Fatal("a transferred caller was queued")
	}
}

// When the agent hangs up first in a queue with a survey, the caller stays and rates the call:
// the call bridge goes, the survey prompt plays, and the score goes to the CSAT hook with the
// call, queue and agent. A wrong digit and then silence leave no score; a caller who hangs up
// in the survey leaves nothing behind.
func TestPostCallSurvey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		act   func(h *routertest.Harness, c string)
		want  []string // after the act
		score int
	}{
		{"rated", func(h *routertest.Harness, c string) { h.Press(c, "4") }, []string{
			"DELETE /playbacks/sb-ivr-c1-1",
			"DELETE /playbacks/sb-ivr-c1-1", // once by the session, once by the farewell: the call is forgotten by then
			"POST /channels/c1/play/sb-bye-c1?media=sound:thank-you",
		}, 4},
		{"wrong digit then silence", func(h *routertest.Harness, c string) {
			h.Press(c, "9")
			h.FinishPlayback(c)
			h.Advance(300 * time.Millisecond)
		}, []string{
			"DELETE /playbacks/sb-ivr-c1-1",
			"POST /channels/c1/play/sb-ivr-c1-2?media=sound:invalid&media=sound:rate-1-to-5",
			"POST /channels/c1/play/sb-bye-c1?media=sound:thank-you",
		}, 0},
		{"caller leaves", func(h *routertest.Harness, c string) { h.Hangup(c) }, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var scores []router.CSAT
			opt := routertest.Options{Router: router.Options{CSAT: func(_ context.Context, s router.CSAT) error {
				scores = append(scores, s)
				return nil
			}}}
			cfg := testConfig()
			cfg.Settings = map[string]router.QueueSettings{"line1": {Survey: routertest.Flow("survey", "",
				&ivr.Node{ID: "rate", Kind: ivr.KindSurvey, Prompt: routertest.Sounds("rate-1-to-5"), Invalid: routertest.Sounds("invalid"), Next: "thanks",
					Retries: 1, Timeout: 300 * time.Millisecond},
				&ivr.Node{ID: "thanks", Kind: ivr.KindHangup, Message: routertest.Sounds("thank-you")})}}
			h := start(t, cfg, opt)
			c := h.Inbound("5551000", "+4930111")
			h.Answer("c1-a1")
			h.TakeRequests()
			h.Advance(5 * time.Second)
			h.Hangup("c1-a1")
			h.ExpectRequests("DELETE /bridges/sb-call-c1", "POST /channels/c1/play/sb-ivr-c1-1?media=sound:rate-1-to-5")
			if n := count(h, func(e acd.CallEnded) bool { return e.Call == "ast1-c1" }); n != 1 {
				t.Fatalf("call ended %d times", n)
			}
			tc.act(h, c)
			h.ExpectRequests(tc.want...)
			h.Advance(3 * time.Second)
			if tc.want != nil {
				h.ExpectRequests("DELETE /channels/c1?reason=normal")
			}
			if !h.Gone(c) {
				t.Fatal("caller still up")
			}
			if s := h.Router().Snapshot(); s.Calls != 0 {
				t.Fatalf("the router holds %d calls", s.Calls)
			}
			switch {
			case tc.score == 0 && len(scores) != 0:
				t.Fatalf("scores: %+v", scores)
			case tc.score == 0:
			case len(scores) != 1:
				t.Fatalf("scores: %+v", scores)
			case scores[0].CallID != "ast1-c1" || scores[0].Agent != "a1" || scores[0].Queue != "line1" ||
				scores[0].Score != tc.score || !scores[0].At.Equal(h.Now().Add(-3*time.Second)):
				t.Fatalf("score: %+v", scores[0])
			}
		})
	}
}

// In a callback offer the caller enters another number: the callback goes to it in E.164; a
// premium number is refused and the caller keeps their own.
func TestIVRCallbackOtherNumber(t *testing.T) {
	got := map[string]string{}
	opt := routertest.Options{Router: router.Options{Callback: func(id string, cb ivr.Callback, _ time.Time) error {
		got[id] = cb.Number
		return nil
	}}}
	cfg := testConfig()
	cfg.LoginAgents = false
	cfg.DIDs["5559300"] = router.Route{Flow: routertest.Flow("callme", "l1",
		&ivr.Node{ID: "offer", Kind: ivr.KindCallback, Prompt: routertest.Sounds("offer"), Queue: "line1", DeclineNode: "l1", Other: "3",
			NumberPrompt: routertest.Sounds("enter-number"), NumberRefused: routertest.Sounds("refused"), Numbers: callback.Policy{HomeCountry: "49", DenyPrefixes: []string{"+49900"}}},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"})}
	h := start(t, cfg, opt)

	other := h.Inbound("5559300", "+4930111222")
	h.FinishPlayback(other)
	h.Press(other, "3")
	h.FinishPlayback(other)
	h.Press(other, "030555123#")
	h.ExpectHooks("callback ast1-c1 +4930555123 line1")

	premium := h.Inbound("5559300", "+4930111333")
	h.FinishPlayback(premium)
	h.Press(premium, "3")
	h.FinishPlayback(premium)
	h.Press(premium, "09001234567#")
	h.ExpectHooks()
	h.FinishPlayback(premium)
	h.Press(premium, "1")
	h.ExpectHooks("callback ast1-c2 +4930111333 line1")
	h.Advance(3 * time.Second)
	for _, ch := range []string{other, premium} {
		if !h.Gone(ch) {
			t.Fatalf("caller %s still up", ch)
		}
	}
	if got["ast1-c1"] != "+4930555123" || got["ast1-c2"] != "+4930111333" {
		t.Fatalf("callbacks: %v", got)
	}
	h.ExpectRequests(
		"POST /channels/c1/answer", "POST /channels/c1/play/sb-ivr-c1-1?media=sound:offer",
		"POST /channels/c1/play/sb-ivr-c1-3?media=sound:enter-number",
		"POST /channels/c1/play/sb-bye-c1?media=sound:queue-thankyou",
		"POST /channels/c2/answer", "POST /channels/c2/play/sb-ivr-c2-1?media=sound:offer",
		"POST /channels/c2/play/sb-ivr-c2-3?media=sound:enter-number",
		"POST /channels/c2/play/sb-ivr-c2-16?media=sound:refused&media=sound:offer",
		"POST /channels/c2/play/sb-bye-c2?media=sound:queue-thankyou",
		"DELETE /channels/c1?reason=normal", "DELETE /channels/c2?reason=normal")
}

// A lookup by digits of a sensitive collect node (a PIN) tells the hook they are sensitive,
// so that it keeps them out of URLs (cmd/switchboard looks them up in the local records only).
func TestIVRLookupSensitive(t *testing.T) {
	var asked []router.LookupQuery
	opt := routertest.Options{Router: router.Options{Lookups: router.Lookups{Lookup: func(ctx context.Context, q router.LookupQuery) (ivr.Customer, bool, error) {
		asked = append(asked, q)
		return ivr.Customer{}, false, nil
	}}}}
	cfg := testConfig()
	cfg.DIDs["5559110"] = router.Route{Flow: routertest.Flow("pin", "l1",
		&ivr.Node{ID: "pin", Kind: ivr.KindCollect, Prompt: routertest.Sounds("enter-pin"), MinDigits: 4, MaxDigits: 4, Terminator: "none",
			Sensitive: true, Var: "pin", Next: "check", Fallback: "l1", NoRetry: true, Timeout: 5 * time.Second},
		&ivr.Node{ID: "check", Kind: ivr.KindLookup, By: ivr.ByVar, Var: "pin", Found: "l1", NotFound: "l1", Failed: "l1"},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"},
	)}
	h := start(t, cfg, opt)
	c := h.Inbound("5559110", "+4930444444")
	h.Press(c, "1234")
	h.ExpectHooks("lookup var ****")
	if len(asked) != 1 || asked[0].By != ivr.ByVar || asked[0].Account != "1234" || !asked[0].Sensitive {
		t.Fatalf("lookup of a sensitive entry: %+v", asked)
	}
	if e, _ := enqueuedTo(h, "ast1-c1"); e.Queue != "line1" {
		t.Fatalf("queued to %q", e.Queue)
	}
	h.Answer("c1-a1")
	if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" && e.Agent == "a1" }); n != 1 {
		t.Fatalf("answered %d times", n)
	}
	for _, r := range h.TakeRequests() {
		if strings.Contains(r, "1234") {
			t.Fatalf("the PIN reached Asterisk: %s", r)
		}
	}
}
