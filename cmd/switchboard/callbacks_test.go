package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
	"switchboard/ivr/callback"
)

// The demo's callbacks end to end: a caller asks for a callback in the IVR and is called back
// (agent first, then the customer through the trunk) and connected to an agent; a caller who
// hangs up after missed_after in the queue becomes a callback at the place they queued at; a
// supervisor sees them over the API.
func TestDemoCallbacks(t *testing.T) {
	emu, d, _ := demoDaemonWith(t, func(cfg *config.Config) {
		cfg.Callbacks.Queues["billing"] = config.QueueCallbacks{MissedAfter: 500 * time.Millisecond}
	})
	const ivrCaller, missedCaller, lateCaller = "+4930200001", "+4930200002", "+4930200003"
	for _, n := range []string{ivrCaller, missedCaller, lateCaller} {
		emu.SetCustomer(n, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 300 * time.Millisecond})
	}
	// The IVR: 1 (English), 3 (a callback), then 1 to accept.
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: ivrCaller, DID: "5554000", Digits: []ariemu.DigitPress{
		{Digit: "1", After: 300 * time.Millisecond}, {Digit: "3", After: 200 * time.Millisecond},
		{Digit: "1", After: 100 * time.Millisecond, AfterPrompt: true}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if rec, err := emu.WaitCall(ctx, ch, ariemu.Ended); err != nil || rec.Digits != "131" {
		t.Fatalf("ivr caller: %+v %v", rec, err)
	}
	connected := func(number string) func() bool {
		return func() bool {
			calls := emu.CustomerCalls(number)
			if len(calls) != 1 || calls[0].Bridged.IsZero() || len(calls[0].Peers) != 1 {
				return false
			}
			agent, _ := emu.Call(calls[0].Peers[0])
			return agent.Kind == ariemu.KindAgent && strings.HasPrefix(agent.Endpoint, "PJSIP/10")
		}
	}
	testkit.Eventually(t, "the IVR caller called back and connected to an agent", connected(ivrCaller))

	// Billing's agents are away: a caller waits past missed_after and hangs up.
	setBilling := func(f func(e *acd.Engine, id string) error) {
		err := d.router.Do(context.Background(), func(e *acd.Engine) error {
			for _, id := range []string{"1003", "1008", "1009"} {
				if err := f(e, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setBilling(func(e *acd.Engine, id string) error { return e.Pause(id, "meeting") })
	ch, err = emu.PlaceCaller(ariemu.Caller{Number: missedCaller, DID: "5552000", Patience: 900 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	caller, err := emu.WaitCall(ctx, ch, ariemu.Ended)
	if err != nil || caller.Outcome != ariemu.OutcomeAbandoned {
		t.Fatalf("missed caller: %+v %v", caller, err)
	}
	var missed callback.Callback
	testkit.Eventually(t, "the missed call stored as a callback", func() bool {
		cbs, _ := d.store.Callbacks(context.Background(), callback.Filter{Queue: "billing"})
		for _, c := range cbs {
			if c.Number == missedCaller {
				missed = c
				return true
			}
		}
		return false
	})
	if missed.Reason != callback.Missed || missed.EnqueuedAt.Sub(caller.Created).Abs() > time.Second {
		t.Fatalf("missed callback %+v, caller arrived %v", missed, caller.Created)
	}

	// A supervisor of billing sees it waiting.
	addAccounts(t, d, testAccount{name: "sue", role: "supervisor", queues: []string{"billing"}})
	sue := login(t, d.addr, "sue")
	resp, err := sue.Get("http://" + d.addr + "/api/callbacks")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list struct {
		Callbacks []struct{ Number, Queue, Reason, State string }
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != http.StatusOK || len(list.Callbacks) != 1 ||
		list.Callbacks[0].Number != missedCaller || list.Callbacks[0].State != "pending" {
		t.Fatalf("supervisor's callbacks: %d %s", resp.StatusCode, body)
	}

	// The agents come back: the missed caller is called back too.
	setBilling(func(e *acd.Engine, id string) error { return e.Ready(id) })
	testkit.Eventually(t, "the missed caller called back and connected to an agent", connected(missedCaller))
	testkit.Eventually(t, "both callbacks done", func() bool {
		cbs, _ := d.store.Callbacks(context.Background(), callback.Filter{States: []callback.State{callback.StateDone}})
		n := 0
		for _, c := range cbs {
			if c.Outcome == callback.Connected && c.Agent != "" && c.Attempts == 1 {
				n++
			}
		}
		return n == 2
	})

	// The closed line: 1 for a callback, 1 to confirm the number being read back.
	ch, err = emu.PlaceCaller(ariemu.Caller{Number: lateCaller, DID: "5555000", Digits: []ariemu.DigitPress{
		{Digit: "1", After: 500 * time.Millisecond}, {Digit: "1", After: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if rec, err := emu.WaitCall(ctx, ch, ariemu.Ended); err != nil || rec.Digits != "11" || rec.HungUpBy != "app" {
		t.Fatalf("after-hours caller: %+v %v", rec, err)
	}
	testkit.Eventually(t, "the after-hours caller called back and connected to an agent", connected(lateCaller))
	cbs, err := d.store.Callbacks(context.Background(), callback.Filter{Queue: "support-l1", States: []callback.State{callback.StateDone, callback.StateDialing}})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]callback.Reason{}
	for _, c := range cbs {
		reasons[c.Number] = c.Reason
	}
	if reasons[lateCaller] != callback.AfterHours || reasons[ivrCaller] != callback.Offered {
		t.Fatalf("reasons: %v", reasons)
	}
}
