package router_test

import (
	"context"
	"strings"
	"testing"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
)

// Outbound calls across a restart, as callbacks: a connected one is re-attached to its agent
// from the customer's channel variables and its bridge; the legs of one still dialing are hung
// up and its agent is not left paused "outbound" by a call that no longer exists.

// dialLegs dials for a1 and returns the call id and the agent's leg, ringing.
func dialLegs(t *testing.T, h *routertest.Harness) (id, agentLeg string) {
	t.Helper()
	k := router.ControlsOf(h.Router())
	if err := h.Await(func() (err error) { id, err = k.Dial(context.Background(), "a1", "+4930123456"); return err }); err != nil {
		t.Fatal(err)
	}
	h.Settle()
	return id, obLeg(h, "-a1")
}

func obLeg(h *routertest.Harness, suffix string) string {
	for _, ch := range h.Channels() {
		if strings.HasPrefix(ch, "sb-ob-") && strings.HasSuffix(ch, suffix) && !h.Gone(ch) {
			return ch
		}
	}
	return ""
}

func TestDialConnectedSurvivesRestart(t *testing.T) {
	cfg := testConfig()
	cfg.Dialer = router.Dialer{CallerID: "+4930999"}
	h := start(t, cfg, routertest.Options{})
	id, agentLeg := dialLegs(t, h)
	h.Answer(agentLeg)
	cust := obLeg(h, "-c")
	if cust == "" {
		t.Fatalf("no customer leg; requests %q", h.TakeRequests())
	}
	h.Answer(cust)
	if v := h.Agent("a1"); v.State != acd.OnCall || v.Call != id {
		t.Fatalf("a1 after the customer answered: %+v", v)
	}
	h.Restart(nil)
	if v := h.Agent("a1"); v.State != acd.OnCall || v.Call != id {
		t.Fatalf("a1 after the restart: %+v", v)
	}
	if h.Gone(cust) || h.Gone(agentLeg) {
		t.Fatal("a leg of the connected call was hung up")
	}
	h.Hangup(cust)
	if !h.Gone(agentLeg) {
		t.Fatal("the agent's leg is still up after the customer left")
	}
	if v := h.Agent("a1"); v.State != acd.WrapUp {
		t.Fatalf("a1 after the call: %+v", v)
	}
	if r, _ := h.Row(id); r.Outcome != routertest.Completed {
		t.Fatalf("call row %+v", r)
	}
}

func TestDialingLegsHungUpAfterRestart(t *testing.T) {
	cfg := testConfig()
	cfg.Dialer = router.Dialer{CallerID: "+4930999"}
	h := start(t, cfg, routertest.Options{})
	_, agentLeg := dialLegs(t, h)
	h.Answer(agentLeg)
	cust := obLeg(h, "-c")
	h.Restart(nil)
	if !h.Gone(agentLeg) {
		t.Fatal("the agent's leg of a dial that did not connect is still up")
	}
	h.Answer(cust) // the customer answers a dial the new router never made
	if !h.Gone(cust) {
		t.Fatal("the customer's leg is still up")
	}
	if len(h.EngineCalls()) != 0 {
		t.Fatalf("the engine holds %q", h.EngineCalls())
	}
}

// The router is killed just as the customer answered, before its channel was marked: the new
// router must not take the customer for an inbound caller of the default route.
func TestDialAnsweredUnmarkedHungUpAfterRestart(t *testing.T) {
	cfg := testConfig()
	cfg.Dialer = router.Dialer{CallerID: "+4930999"}
	cfg.Default = &router.Route{Queue: "line1"}
	h := start(t, cfg, routertest.Options{})
	_, agentLeg := dialLegs(t, h)
	h.Answer(agentLeg)
	cust := obLeg(h, "-c")
	h.Hold("POST /channels/" + cust + "/variable*")
	h.Answer(cust)
	h.Restart(nil)
	if !h.Gone(cust) || !h.Gone(agentLeg) {
		t.Fatalf("legs left up: customer gone %v, agent gone %v", h.Gone(cust), h.Gone(agentLeg))
	}
	if n := count(h, func(e acd.CallEnqueued) bool { return strings.Contains(e.Call, "sb-ob-") }); n != 0 {
		t.Fatalf("the customer was queued %d times", n)
	}
}

// The event link drops while the customer's phone rings: the reconciliation leaves the dial's
// legs and bridge alone, and the call connects when the customer answers.
func TestDialSurvivesALinkDrop(t *testing.T) {
	cfg := testConfig()
	cfg.Dialer = router.Dialer{CallerID: "+4930999"}
	h := start(t, cfg, routertest.Options{})
	id, agentLeg := dialLegs(t, h)
	h.Answer(agentLeg)
	cust := obLeg(h, "-c")
	h.LinkDown()
	h.LinkUp()
	if h.Gone(agentLeg) {
		t.Fatal("the reconciliation hung up the agent's leg")
	}
	for _, r := range h.TakeRequests() {
		if strings.HasPrefix(r, "DELETE /bridges/sb-call-sb-ob-") {
			t.Fatalf("the reconciliation deleted the dial's bridge: %s", r)
		}
	}
	h.Answer(cust)
	if v := h.Agent("a1"); v.State != acd.OnCall || v.Call != id {
		t.Fatalf("a1: %+v", v)
	}
}
