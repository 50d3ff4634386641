package router_test

import (
	"errors"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/router/routertest"
)

// An originate Asterisk has not answered by the ring deadline never rang the agent's phone
// as far as anyone knows: the offer is withdrawn (the caller keeps its place, a1 is not
// paused "no answer"), offers pause a while, and the agent leg is hung up once Asterisk
// answers, whether it made it or not.
func TestSlowOriginateNotBlamedOnAgent(t *testing.T) {
	for _, late := range []struct {
		name string
		err  error
	}{{"made late", nil}, {"failed late", errors.New("originate: EOF")}} {
		t.Run(late.name, func(t *testing.T) {
			h := start(t, testConfig(), routertest.Options{})
			stop := h.Hold("POST /channels/c1-a1?*")
			c := h.Inbound("5551000", "+4930111")
			stop()
			h.Advance(1500 * time.Millisecond) // the queue's ring timeout
			if v := h.Agent("a1"); v.State == acd.Paused {
				t.Fatalf("a1 paused %q while its originate was still with Asterisk", v.Reason)
			}
			if n := count(h, func(e acd.CallRequeued) bool { return e.Call == "ast1-c1" && e.Reason == acd.Withdrawn }); n != 1 {
				t.Fatalf("offer withdrawn %d times: %v", n, h.Events())
			}
			orig := h.Waiting("POST /channels/c1-a1?*")
			if late.err != nil {
				orig.Fail(late.err)
			} else {
				orig.Release()
			}
			reqs := h.TakeRequests()
			if countOp(reqs, "DELETE /channels/c1-a1?reason=normal") != 1 {
				t.Errorf("a1's leg not hung up after its late originate: %q", reqs)
			}
			if v := h.Agent("a1"); v.State == acd.Paused {
				t.Fatalf("a1 paused %q", v.Reason)
			}
			// Offers resume after a short pause: the caller is rung again and connected.
			h.Advance(500 * time.Millisecond)
			var next string
			for _, r := range h.TakeRequests() {
				for _, a := range []string{"c1-a2", "c1-a3"} {
					if routertest.Match(ring(c, a, "PJSIP/100*"), r) {
						next = a
					}
				}
			}
			if next == "" {
				t.Fatalf("the caller was not offered again; events %v", h.Events())
			}
			h.Answer(next)
			if _, ok := last[acd.CallAnswered](h, func(e acd.CallAnswered) bool { return e.Call == "ast1-c1" }); !ok {
				t.Fatalf("not answered after the withdrawal: %v", h.Events())
			}
		})
	}
}
