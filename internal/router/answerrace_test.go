package router_test

import (
	"testing"

	"switchboard/acd"
	"switchboard/internal/router/routertest"
)

// The agent's phone answers and hangs up before the router has caller and agent in the
// call's bridge (a phone that hangs up 100 ms after answering, a router slowed by load):
// Asterisk refuses the add. Nobody was connected, so the call is not answered: the offer
// failed through no fault of the agent, who is not paused, and the caller, still in the
// holding bridge, keeps its place and is offered again.
func TestAgentGoneBeforeBridged(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.TakeRequests()
	stop := h.Hold("POST /bridges/sb-call-c1/addChannel*")
	h.Answer("c1-a1")
	add := h.Waiting("POST /bridges/sb-call-c1/addChannel*")
	h.Hangup("c1-a1")
	stop()
	add.Release()
	if add.Err == nil {
		t.Fatal("Asterisk added a channel that was gone")
	}
	assertRequeued(t, h, c)
	h.ExpectRequests(cat(bridged(c, "c1-a1"), []string{"DELETE /channels/c1-a1?reason=normal", ring(c, "c1-a2", "PJSIP/1001")})...)
	h.Answer("c1-a2")
	h.ExpectRequests(bridged(c, "c1-a2")...)
	if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" }); n != 1 {
		t.Fatalf("CallAnswered %d times, want once (the second offer): %v", n, h.Events())
	}
}

// The add moves caller and agent, and the agent hangs up before the router has Asterisk's
// answer (its ChannelDestroyed overtakes it): they were bridged, so the call was answered,
// and it ends as when an agent hangs up first.
func TestAgentGoneAsBridged(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.TakeRequests()
	stop := h.Hold("POST /bridges/sb-call-c1/addChannel*")
	h.Answer("c1-a1")
	add := h.Waiting("POST /bridges/sb-call-c1/addChannel*")
	stop()
	add.ReleaseThen(func() { h.Hangup("c1-a1") })
	if add.Err != nil {
		t.Fatalf("add: %v", add.Err)
	}
	h.ExpectRequests(cat(bridged(c, "c1-a1"), []string{"DELETE /channels/c1?reason=normal", "DELETE /bridges/sb-call-c1"})...)
	if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" && e.Agent == "a1" }); n != 1 {
		t.Fatalf("CallAnswered %d times: %v", n, h.Events())
	}
	if r, _ := h.Row("ast1-c1"); r.Outcome != routertest.Completed {
		t.Fatalf("call row %+v", r)
	}
	if v := h.Agent("a1"); v.State != acd.WrapUp {
		t.Fatalf("a1 after the call: %v", v.State)
	}
}

// assertRequeued: the call was never answered, went back to its place (offered again), a1
// was not paused, and the caller waits in the holding bridge.
func assertRequeued(t *testing.T, h *routertest.Harness, c string) {
	t.Helper()
	if n := count(h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" }); n != 0 {
		t.Fatalf("answered although nobody was bridged: %v", h.Events())
	}
	if n := count(h, func(e acd.CallRequeued) bool { return e.Call == "ast1-c1" && e.Reason == acd.Withdrawn }); n != 1 {
		t.Fatalf("requeued (withdrawn) %d times: %v", n, h.Events())
	}
	if v := h.Agent("a1"); v.State == acd.Paused {
		t.Fatalf("a1 paused (%s) for a phone that answered", v.Reason)
	}
	if h.Gone(c) {
		t.Fatal("caller hung up")
	}
	if ch, _ := h.Channel(c); ch.Bridge != "sb-hold-line1" {
		t.Fatalf("caller in %q, want the holding bridge", ch.Bridge)
	}
}
