package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/store"
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
	eventually(t, "reconciled", func() bool { return d.router.Reconciliations() > 0 })
	return d
}

// Calls that end while the router is down do not stay open in the database: the new router
// closes them when it reconciles, at that time, completed (answered) or abandoned (not), with
// their legs; the call it re-adopts stays open. They stayed open (ended_at NULL, no outcome).
func TestCallsEndedWhileDownAreClosed(t *testing.T) {
	emu, d, cfg := billingByHeidi(t)
	talking, talkingID := billingCaller(t, emu, "79990000001")
	eventually(t, "Heidi talks", func() bool { return callState(d, talkingID) == "connected" })
	waiting, waitingID := billingCaller(t, emu, "79990000002")
	stays, staysID := billingCaller(t, emu, "79990000003")
	eventually(t, "two wait", func() bool { return callState(d, waitingID) == "waiting" && callState(d, staysID) == "waiting" })
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
	for id, want := range map[string][2]string{talkingID: {store.OutcomeCompleted, store.LegAnswered}, waitingID: {store.OutcomeAbandoned, store.LegAbandoned}} {
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
	eventually(t, "Heidi takes the caller who stayed", func() bool { return callState(d2, staysID) == "connected" })
	if err := emu.Hangup(stays); err != nil {
		t.Fatal(err)
	}
}
