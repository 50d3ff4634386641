package asterisk_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/ivr/callback"
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
	nodes := slices.Clone(testNodes)
	nodes[0].DeskPhones = []string{"PJSIP/9*"}
	g.start(cfg, nodes)
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

// A callback is dialed on the node of the agent who takes it: a1's phone is on pbx-b, so a1
// is rung there as a local phone, and the customer through pbx-b's own carrier trunk, into a
// bridge on pbx-b; pbx-a carries nothing.
func TestNodesCallbackOnAgentNode(t *testing.T) {
	g := newNodesRig(t)
	answering(g, "pbx-b", "PJSIP/1001", "PJSIP/1002")
	g.nodes["pbx-b"].emu().SetCustomer("+4930555", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	store := &oneCallback{claim: callback.Claim{ID: 1, Attempt: 1, Number: "+4930555", Queue: "line1", EnqueuedAt: time.Now().Add(-time.Minute)}}
	g.options = func(o *router.Options) { o.Callbacks = store }
	cfg := nodesConfig()
	cfg.Settings = nil
	cfg.Dialer = router.Dialer{Endpoint: func(n string) string { return "PJSIP/" + n + "@carrier" }, RingTimeout: 2 * time.Second,
		Every: 50 * time.Millisecond}
	g.start(cfg, testNodes)

	emuB := g.nodes["pbx-b"].emu()
	g.eventually("the callback connected", func() bool { return len(store.finished()) > 0 })
	if got := store.finished(); len(got) != 1 || got[0] != callback.Connected {
		t.Fatalf("outcomes %v, want connected", got)
	}
	cust, ok := emuB.Call("sb-cb-1-1")
	if !ok || cust.Endpoint != "PJSIP/+4930555@carrier" {
		t.Fatalf("customer on pbx-b: %+v %v", cust, ok)
	}
	agentLeg := g.chanOn("pbx-b", "PJSIP/1001")
	if agentLeg == "" {
		agentLeg = g.chanOn("pbx-b", "PJSIP/1002")
	}
	g.eventually("customer and agent bridged on pbx-b", func() bool {
		return agentLeg != "" && emuB.BridgeOf(agentLeg) != "" && emuB.BridgeOf(agentLeg) == emuB.BridgeOf("sb-cb-1-1")
	})
	if n := len(g.nodes["pbx-a"].emu().Calls()); n != 0 {
		t.Fatalf("pbx-a carried %d channels", n)
	}
	g.eventually("pbx-b counts the callback", func() bool { return gauge(t, g.reg, "switchboard_node_calls", "pbx-b") == 1 })

	// A router that did not dial it (restarted, or a standby taking over) finds the
	// customer's channel, whose id names no node, and its bridge on pbx-b once it read
	// pbx-b's channels, as its reconciliation of pbx-b does.
	var clients []asterisk.NodeClient
	for _, n := range testNodes {
		clients = append(clients, asterisk.NodeClient{NodeConfig: n, Tel: asterisk.NewREST(asterisk.RESTOptions{URL: g.nodes[n.Name].url,
			App: cfg.App, Username: "sb", Password: "secret", Timeout: 2 * time.Second})})
	}
	fresh, err := asterisk.NewNodes(clients, testPhones)
	if err != nil {
		t.Fatal(err)
	}
	if node, named := fresh.NodeOf("sb-cb-1-1"); named {
		t.Fatalf("sb-cb-1-1 known on %s before pbx-b was read", node)
	}
	tb, _ := fresh.Node("pbx-b")
	if _, err := tb.Channels(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"sb-cb-1-1", "sb-call-sb-cb-1-1"} {
		if node, named := fresh.NodeOf(id); !named || node != "pbx-b" {
			t.Fatalf("%s on %q (%v), want pbx-b", id, node, named)
		}
	}
	if err := emuB.Hangup("sb-cb-1-1"); err != nil {
		t.Fatal(err)
	}
	id := callID("sb-cb-1-1")
	g.eventually("the callback ended", func() bool { _, ok := g.call(id); return !ok })
	if n := count(g.rig, "", func(e acd.CallEnded) bool { return e.Call == id }); n != 1 {
		t.Fatalf("CallEnded seen %d times", n)
	}
}

// An agent whose phone is on pbx-b dials a customer: both legs and their bridge are made on
// pbx-b, the phone rung as a local phone and the customer through pbx-b's carrier trunk;
// pbx-a carries nothing.
func TestNodesDialOnAgentNode(t *testing.T) {
	g := newNodesRig(t)
	answering(g, "pbx-b", "PJSIP/1001", "PJSIP/1002")
	emuB := g.nodes["pbx-b"].emu()
	emuB.SetCustomer("+4930777", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	cfg := nodesConfig()
	cfg.Settings = nil
	cfg.Dialer = router.Dialer{Endpoint: func(n string) string { return "PJSIP/" + n + "@carrier" }, RingTimeout: 2 * time.Second}
	g.start(cfg, testNodes)

	k := router.ControlsOf(g.r)
	id, err := k.Dial(context.Background(), "a1", "+4930777")
	if err != nil {
		t.Fatal(err)
	}
	g.eventually("a1 talks with the customer", func() bool {
		st, _, err := k.DialStatus(context.Background(), "a1")
		return err == nil && st.State == router.DialConnected
	})
	var agentLeg, custLeg string
	for _, rec := range emuB.Calls() {
		switch {
		case rec.Endpoint == "PJSIP/1001":
			agentLeg = rec.ChannelID
		case rec.Endpoint == "PJSIP/+4930777@carrier":
			custLeg = rec.ChannelID
		}
	}
	if agentLeg == "" || custLeg == "" {
		t.Fatalf("legs on pbx-b: agent %q customer %q (%+v)", agentLeg, custLeg, emuB.Calls())
	}
	g.eventually("agent and customer bridged on pbx-b", func() bool {
		return emuB.BridgeOf(agentLeg) != "" && emuB.BridgeOf(agentLeg) == emuB.BridgeOf(custLeg)
	})
	if n := len(g.nodes["pbx-a"].emu().Calls()); n != 0 {
		t.Fatalf("pbx-a carried %d channels", n)
	}
	g.eventually("pbx-b counts the call", func() bool { return gauge(t, g.reg, "switchboard_node_calls", "pbx-b") == 1 })
	if err := k.Hangup(context.Background(), "a1", id); err != nil {
		t.Fatal(err)
	}
	g.eventually("the call ended", func() bool { _, ok := g.call(id); return !ok })
}
