package router_test

import (
	"slices"
	"strings"
	"testing"

	"switchboard/acd"
	"switchboard/internal/router/routertest"
)

// While the event link is down the agent hangs up a connected call. Back on the link, the
// router reconciles: the call is over, so it hangs the caller up and removes the bridge, and
// nothing more. It does not take the caller it is hanging up for a new one (reading its
// variables, queueing it again): that reopened the finished call's record and ended it
// again as abandoned.
func TestReconcileDoesNotAdoptWhatItEnded(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.Answer("c1-a1")
	h.TakeRequests()
	h.LinkDown()
	h.Hangup("c1-a1")
	h.LinkUp()
	h.ExpectRequests("GET /applications/switchboard", "GET /channels", "GET /bridges",
		"GET /bridges/sb-hold-line1", "GET /bridges/sb-call-c1",
		"DELETE /bridges/sb-call-c1", // reconcile's clean-up of bridges of no call
		"DELETE /channels/c1?reason=normal", "DELETE /bridges/sb-call-c1")
	if !h.Gone(c) {
		t.Fatal("the caller is still up")
	}
	if n := count(h, func(e acd.CallEnqueued) bool { return e.Call == "ast1-c1" }); n != 1 {
		t.Fatalf("the call was queued %d times", n)
	}
	if r, _ := h.Row("ast1-c1"); r.Outcome != routertest.Completed {
		t.Fatalf("call row %+v", r)
	}
}

// The router is killed while a1's phone rings for a caller. The new router hangs that leg up,
// the offer of a router that is gone, before it offers the caller again: no phone rings for a
// call offered to another, nobody answers into nothing. The new leg is numbered above the old
// one, whose id Asterisk would refuse (409) while it lingers.
func TestRestartDropsRingingLegBeforeOfferingAgain(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	h.Inbound("5551000", "+4930111")
	h.TakeRequests()
	h.Restart(nil)
	var gen2 []string
	for _, r := range h.Requests() {
		if r.Gen == 2 && (routertest.Match("POST /channels/c1-a*?endpoint=*", r.Op) || routertest.Match("DELETE /channels/c1-a*", r.Op)) {
			gen2 = append(gen2, r.Op)
			if r.Err != nil {
				t.Errorf("%s: %v", r.Op, r.Err)
			}
		}
	}
	if len(gen2) != 2 || gen2[0] != "DELETE /channels/c1-a1?reason=normal" || !routertest.Match("POST /channels/c1-a2?endpoint=PJSIP/100*", gen2[1]) {
		t.Fatalf("the new router's requests on agent legs: %q, want the old leg hung up, then c1-a2 rung", gen2)
	}
	if !h.Gone("c1-a1") {
		t.Fatal("the first leg still rings")
	}
}

// The call bridge made for an offer is the call's: the link drops while the agent's phone
// rings (the offer is withdrawn), and the reconciliation after it, which sees every call
// bridge, leaves the bridge to the call; the next offer's answer is bridged in it.
func TestReconcileKeepsOfferedCallBridge(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	c := h.Inbound("5551000", "+4930111")
	h.TakeRequests()
	h.LinkDown()
	h.LinkUp()
	h.Settle()
	reqs := h.TakeRequests()
	if slices.Contains(reqs, "DELETE /bridges/sb-call-"+c) {
		t.Fatalf("the offered call's bridge was deleted by the reconciliation: %q", reqs)
	}
	if !slices.ContainsFunc(reqs, func(r string) bool { return strings.HasPrefix(r, "POST /channels/c1-a2?") }) {
		t.Fatalf("no second offer: %q", reqs)
	}
	h.Answer("c1-a2")
	h.ExpectRequests(bridged(c, "c1-a2")...)
}

// A connected call that is not recorded has its SB_ANSWER on the agent leg only, set by the
// leg's originate: a new router re-attaches it to its agent from there, with no request at
// the answer. A caller's SB_ANSWER older than the leg's offer (an earlier, recorded
// connection) does not name the agent: the leg's does.
func TestRestartReattachesFromAgentLeg(t *testing.T) {
	for _, stale := range []bool{false, true} {
		h := start(t, testConfig(), routertest.Options{})
		h.Inbound("5551000", "+4930111")
		if stale {
			h.SetVar("c1", "SB_ANSWER", "a9|2000-01-01T00:00:00Z|call-ast1-c1")
		}
		h.Answer("c1-a1")
		if ch, _ := h.Channel("c1"); ch.Vars["SB_ANSWER"] != "" && !stale {
			t.Fatalf("the caller got SB_ANSWER %q for an unrecorded call", ch.Vars["SB_ANSWER"])
		}
		if ch, _ := h.Channel("c1-a1"); !strings.HasPrefix(ch.Vars["SB_ANSWER"], "a1|") {
			t.Fatalf("the agent leg's SB_ANSWER: %q", ch.Vars["SB_ANSWER"])
		}
		h.Restart(nil)
		h.Settle()
		if a := h.Agent("a1"); a.State != acd.OnCall || a.Call != "ast1-c1" {
			t.Fatalf("stale %v: a1 after the restart: %s on %q", stale, a.State, a.Call)
		}
		if h.Gone("c1-a1") || h.Gone("c1") {
			t.Fatalf("stale %v: a leg of the re-attached call was hung up", stale)
		}
		h.Close()
	}
}
