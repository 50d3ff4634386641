package asterisk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
)

// The call controls over two nodes: what they make for a call (a consulted leg, a snoop, a
// supervisor's phone, their bridges) is made on the call's node, and a phone on the other
// node is rung through the trunk, as offers are.

// chanOn is the channel of node whose endpoint is endpoint, "" when there is none.
func (g *nodesRig) chanOn(node, endpoint string) string {
	for _, c := range g.nodes[node].emu().Calls() {
		if c.Endpoint == endpoint && c.Ended.IsZero() {
			return c.ChannelID
		}
	}
	return ""
}

func answering(g *nodesRig, node string, endpoints ...string) {
	for _, ep := range endpoints {
		g.nodes[node].emu().SetPhone(ep, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
}

// An agent whose call is on pbx-b consults an agent whose phone is on pbx-a and hands the
// caller over: the consulted leg rings through the trunk from pbx-b, talks with the agent in
// a bridge on pbx-b, and is bridged with the caller there once completed.
func TestNodesConsultAcrossNodes(t *testing.T) {
	g := newNodesRig(t)
	answering(g, "pbx-b", "PJSIP/1001", "PJSIP/2001@to-a")
	cfg := nodesConfig()
	cfg.Settings = nil
	g.start(cfg, testNodes)
	ctx := context.Background()

	caller := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000"}) // a1, local on pbx-b
	id := callID(caller)
	g.eventually("pbx-b's call connected to a1", func() bool { v, ok := g.call(id); return ok && v.State == "connected" && v.Agent == "a1" })
	k := router.ControlsOf(g.r)
	if err := k.Consult(ctx, "a1", id, router.Target{Agent: "b1"}); err != nil {
		t.Fatal(err)
	}
	emuB := g.nodes["pbx-b"].emu()
	var leg, agentLeg string
	g.eventually("the consulted leg on pbx-b through the trunk, bridged with a1", func() bool {
		leg, agentLeg = g.chanOn("pbx-b", "PJSIP/2001@to-a"), g.chanOn("pbx-b", "PJSIP/1001")
		return leg != "" && agentLeg != "" && emuB.BridgeOf(leg) != "" && emuB.BridgeOf(leg) == emuB.BridgeOf(agentLeg)
	})
	if !strings.Contains(leg, "pbx-b") {
		t.Fatalf("consulted leg %q does not name its node", leg)
	}
	if n := len(g.nodes["pbx-a"].emu().Calls()); n != 0 {
		t.Fatalf("pbx-a carried %d channels", n)
	}
	if v := g.agent("b1"); v.State != acd.Paused || v.Reason != "consult" {
		t.Fatalf("b1 during the consultation: %+v", v)
	}
	if err := k.Complete(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	g.eventually("the caller bridged with b1's leg on pbx-b", func() bool {
		return emuB.BridgeOf(caller) != "" && emuB.BridgeOf(caller) == emuB.BridgeOf(leg)
	})
	if err := emuB.Hangup(caller); err != nil {
		t.Fatal(err)
	}
	g.eventually("b1 available after the handed-over call", func() bool { return g.agent("b1").State == acd.Available })
	if rec := g.endedOn("pbx-b", leg); rec.HungUpBy != "app" {
		t.Fatalf("b1's leg after the caller left: %+v", rec)
	}
}

// A supervisor whose phone is on pbx-a listens to a call on pbx-b and takes it over: the
// snoop, the session's bridge and the supervisor's phone (through the trunk) are pbx-b's.
func TestNodesMonitorAcrossNodes(t *testing.T) {
	g := newNodesRig(t)
	answering(g, "pbx-b", "PJSIP/1001", "PJSIP/9001@to-a")
	cfg := nodesConfig()
	cfg.Settings = nil
	cfg.DeskEndpoints = []string{"PJSIP/9*"}
	g.start(cfg, testNodes)
	ctx := context.Background()

	caller := g.placeOn("pbx-b", ariemu.Caller{DID: "5551000"})
	id := callID(caller)
	g.eventually("pbx-b's call connected to a1", func() bool { v, ok := g.call(id); return ok && v.State == "connected" && v.Agent == "a1" })
	k := router.ControlsOf(g.r)
	if _, err := k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeMonitor, Endpoint: "PJSIP/9001"}); err != nil {
		t.Fatal(err)
	}
	emuB := g.nodes["pbx-b"].emu()
	agentLeg := g.chanOn("pbx-b", "PJSIP/1001")
	var phone, snoop string
	g.eventually("the supervisor's phone on pbx-b through the trunk, with the snoop of a1's leg", func() bool {
		phone = g.chanOn("pbx-b", "PJSIP/9001@to-a")
		if phone == "" || emuB.BridgeOf(phone) == "" {
			return false
		}
		for _, ch := range emuB.ChannelIDs() {
			if target, _, _, ok := emuB.SnoopOf(ch); ok && target == agentLeg && emuB.BridgeOf(ch) == emuB.BridgeOf(phone) {
				snoop = ch
				return true
			}
		}
		return false
	})
	g.eventually("the session up", func() bool {
		s, _ := k.Monitoring(ctx)
		return len(s) == 1 && s[0].Up
	})
	if _, err := k.Monitor(ctx, router.MonitorRequest{Supervisor: "sue", Agent: "a1", Mode: router.ModeWhisper, Endpoint: "PJSIP/9001"}); err != nil {
		t.Fatal(err)
	}
	g.eventually("the whisper's snoop replaces the first on pbx-b", func() bool {
		for _, ch := range emuB.ChannelIDs() {
			if target, _, whisper, ok := emuB.SnoopOf(ch); ok && ch != snoop && target == agentLeg && whisper == "out" &&
				emuB.BridgeOf(ch) == emuB.BridgeOf(phone) {
				return true
			}
		}
		return false
	})
	if _, err := k.TakeOver(ctx, "sue", "a1"); err != nil {
		t.Fatal(err)
	}
	g.eventually("the supervisor's phone in the call's bridge on pbx-b", func() bool {
		return emuB.BridgeOf(caller) != "" && emuB.BridgeOf(phone) == emuB.BridgeOf(caller)
	})
	if rec := g.endedOn("pbx-b", agentLeg); rec.HungUpBy != "app" {
		t.Fatalf("a1's leg after the take-over: %+v", rec)
	}
	if n := len(g.nodes["pbx-a"].emu().Calls()); n != 0 {
		t.Fatalf("pbx-a carried %d channels", n)
	}
}
