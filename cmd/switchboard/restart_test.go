package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// billingByHeidi starts the demo daemon with billing served by Heidi (1008) alone (Carol and
// Ivan paused) and short wrap-ups.
func billingByHeidi(t *testing.T) (*ariemu.Server, *daemon, *config.Config) {
	t.Helper()
	emu, d, cfg := demoDaemon(t, func(c *config.Config) {
		for i := range c.Queues {
			c.Queues[i].WrapUp = 100 * time.Millisecond
		}
	})
	err := d.router.Do(context.Background(), func(e *acd.Engine) error {
		if err := e.Pause("1003", "lunch"); err != nil {
			return err
		}
		return e.Pause("1009", "lunch")
	})
	if err != nil {
		t.Fatal(err)
	}
	return emu, d, cfg
}

// billingCaller places a caller to billing who stays until hung up.
func billingCaller(t *testing.T, emu *ariemu.Server, number string) (ch, callID string) {
	t.Helper()
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: number, DID: "5552000"})
	if err != nil {
		t.Fatal(err)
	}
	return ch, "demo-" + ch
}

func callState(d *daemon, id string) string {
	var v acd.CallView
	_ = d.router.Do(context.Background(), func(e *acd.Engine) error { v, _ = e.Call(id); return nil })
	return v.State
}

func agentView(d *daemon, id string) acd.AgentView {
	var v acd.AgentView
	_ = d.router.Do(context.Background(), func(e *acd.Engine) error { v, _ = e.Agent(id); return nil })
	return v
}

// restart starts a new daemon on the same configuration (database and emulator) and waits
// until it has reconciled.
func restart(t *testing.T, cfg *config.Config) *daemon {
	t.Helper()
	d, err := startDaemon(context.Background(), cfg, daemonOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	testkit.Eventually(t, "reconciled", func() bool { return d.router.Reconciliations() > 0 })
	return d
}

// Calls that end while the router is down do not stay open in the database: the new router
// closes them when it reconciles, at that time, completed (answered) or abandoned (not), with
// their legs; the call it re-adopts stays open. They stayed open (ended_at NULL, no outcome).
func TestCallsEndedWhileDownAreClosed(t *testing.T) {
	emu, d, cfg := billingByHeidi(t)
	talking, talkingID := billingCaller(t, emu, "79990000001")
	testkit.Eventually(t, "Heidi talks", func() bool { return callState(d, talkingID) == "connected" })
	waiting, waitingID := billingCaller(t, emu, "79990000002")
	stays, staysID := billingCaller(t, emu, "79990000003")
	testkit.Eventually(t, "two wait", func() bool { return callState(d, waitingID) == "waiting" && callState(d, staysID) == "waiting" })
	d.close() // the router stops; Asterisk keeps the calls
	for _, ch := range []string{talking, waiting} {
		if err := emu.Hangup(ch); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	d2 := restart(t, cfg)
	ctx := context.Background()
	report := func() (string, bool) {
		out, closed := "", true
		for _, id := range []string{talkingID, waitingID} {
			c, err := d2.store.Call(ctx, id)
			if err != nil {
				return err.Error(), false
			}
			legs, err := d2.store.CallLegs(ctx, id)
			if err != nil {
				return err.Error(), false
			}
			out += fmt.Sprintf("\n%s: outcome %q ended %v legs %+v", id, c.Outcome, c.EndedAt, legs)
			closed = closed && c.Outcome != "" && len(legs) > 0 && !legs[len(legs)-1].LeftAt.IsZero()
		}
		return out, closed
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, closed := report()
		if closed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls that ended while the router was down still open:%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for id, want := range map[string][2]string{talkingID: {calllog.Completed, calllog.LegAnswered}, waitingID: {calllog.Abandoned, calllog.LegAbandoned}} {
		c, _ := d2.store.Call(ctx, id)
		legs, _ := d2.store.CallLegs(ctx, id)
		last := legs[len(legs)-1]
		if c.Outcome != want[0] || last.Outcome != want[1] || c.EndedAt.Before(before) || c.EndedAt.After(time.Now()) || !last.LeftAt.Equal(c.EndedAt) {
			t.Errorf("%s: outcome %q, leg %q, ended %v, left %v; want %s, %s, after %v", id, c.Outcome, last.Outcome, c.EndedAt, last.LeftAt, want[0], want[1], before)
		}
	}
	if c, err := d2.store.Call(ctx, staysID); err != nil || c.Outcome != "" {
		t.Errorf("the re-adopted call: %+v %v", c, err)
	}
	testkit.Eventually(t, "Heidi takes the caller who stayed", func() bool { return callState(d2, staysID) == "connected" })
	if err := emu.Hangup(stays); err != nil {
		t.Fatal(err)
	}
}

// A pause and a logout asked during calls survive a restart: the agent whose call is still up
// is on it again and goes paused, with the reason asked, when it ends; the agent whose call
// ended while the router was down is logged out at once. Both came back available.
func TestStateAskedDuringCallSurvivesRestart(t *testing.T) {
	emu, d, cfg := demoDaemon(t, func(c *config.Config) {
		for i := range c.Queues {
			c.Queues[i].WrapUp = 100 * time.Millisecond
		}
	})
	ctx := context.Background()
	if err := d.router.Do(ctx, func(e *acd.Engine) error { return e.Pause("1003", "lunch") }); err != nil {
		t.Fatal(err) // billing is Heidi's (1008) and Ivan's (1009)
	}
	stays, staysID := billingCaller(t, emu, "79990000001")
	leaves, leavesID := billingCaller(t, emu, "79990000002")
	testkit.Eventually(t, "both talk", func() bool { return callState(d, staysID) == "connected" && callState(d, leavesID) == "connected" })
	testkit.Eventually(t, "the channel of the call that stays says it is answered", func() bool {
		var v struct{ Value string }
		return ariGet(t, cfg, "/channels/"+stays+"/variable?variable=SB_ANSWER", &v) == 200 && v.Value != ""
	})
	pausing, leaving := "", ""
	for _, id := range []string{"1008", "1009"} {
		switch agentView(d, id).Call {
		case staysID:
			pausing = id
		case leavesID:
			leaving = id
		}
	}
	if pausing == "" || leaving == "" {
		t.Fatalf("billing's calls: 1008 on %q, 1009 on %q", agentView(d, "1008").Call, agentView(d, "1009").Call)
	}
	if err := d.router.SetAgentState(ctx, pausing, acd.Paused, "training"); err != nil {
		t.Fatal(err)
	}
	if err := d.router.SetAgentState(ctx, leaving, acd.LoggedOut, ""); err != nil {
		t.Fatal(err)
	}
	d.close()
	if err := emu.Hangup(leaves); err != nil {
		t.Fatal(err)
	}

	d2 := restart(t, cfg)
	if v := agentView(d2, pausing); v.State != acd.OnCall || v.Call != staysID {
		t.Fatalf("agent %s after the restart: %s on %q, want on-call on %s", pausing, v.State, v.Call, staysID)
	}
	if v := agentView(d2, leaving); v.State != acd.LoggedOut {
		t.Errorf("agent %s, whose call ended while the router was down: %s, want logged out as asked", leaving, v.State)
	}
	if err := emu.Hangup(stays); err != nil {
		t.Fatal(err)
	}
	var v acd.AgentView
	deadline := time.Now().Add(10 * time.Second)
	for v = agentView(d2, pausing); v.State == acd.OnCall || v.State == acd.WrapUp; v = agentView(d2, pausing) {
		if time.Now().After(deadline) {
			t.Fatalf("agent %s still %s", pausing, v.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v.State != acd.Paused || v.Reason != "training" {
		t.Errorf("agent %s after the call: %s %q, want paused %q as asked before the restart", pausing, v.State, v.Reason, "training")
	}
}
