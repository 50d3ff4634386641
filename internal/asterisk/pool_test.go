package asterisk_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// newCostlyRig is a rig whose emulator counts HTTP sessions and charges each request like a
// real Asterisk (ariemu.Cost), here slowed down so that a burst of calls keeps many requests
// in flight at once.
func newCostlyRig(t *testing.T, cost ariemu.Cost, maxConns int) *rig {
	t.Helper()
	emu, err := ariemu.New(ariemu.Options{Username: "sb", Password: "secret", Cost: cost})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(emu)
	ts.Listener = emu.Listener(ts.Listener)
	ts.Start()
	t.Cleanup(func() { emu.Close(); ts.Close() })
	g := &rig{t: t, emu: emu, url: ts.URL + "/ari"}
	g.wrap = func(*asterisk.REST) router.Telephony {
		return asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: "switchboard", Username: "sb", Password: "secret", MaxConns: maxConns})
	}
	return g
}

// A burst of concurrent calls never makes the router open more HTTP sessions than its pool
// (plus the event websocket), and Asterisk's session limit never refuses one of them.
func TestRESTPoolBoundsSessions(t *testing.T) {
	const (
		pool    = 4
		agents  = 8
		callers = 40
	)
	// 2 ms a request on 2 workers: requests queue, as on a loaded Asterisk; a session limit of
	// 20 stands for Asterisk's 100 at this burst's scale.
	g := newCostlyRig(t, ariemu.Cost{SessionLimit: 20, Request: 2 * time.Millisecond, Workers: 2}, pool)
	cfg := testConfig()
	cfg.Agents = nil
	for i := range agents {
		ep := fmt.Sprintf("PJSIP/30%02d", i)
		cfg.Agents = append(cfg.Agents, acd.AgentConfig{ID: fmt.Sprintf("p%d", i), Endpoint: ep, Queues: []acd.Membership{{Queue: "line1"}}})
		g.emu.SetPhone(ep, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	}
	g.start(cfg)

	ids := make([]string, callers)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := g.emu.PlaceCaller(ariemu.Caller{DID: "5551000", Number: fmt.Sprintf("7999%07d", i), TalkTime: 100 * time.Millisecond})
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range ids {
		rec, err := g.emu.WaitCall(ctx, id, ariemu.Ended)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Outcome != ariemu.OutcomeCompleted {
			t.Errorf("caller %s: outcome %q, want completed (%+v)", id, rec.Outcome, rec)
		}
	}
	_, peak, refused, requests := g.emu.Sessions()
	t.Logf("%d calls: %d requests, peak %d sessions, %d refused", callers, requests, peak, refused)
	if refused != 0 {
		t.Errorf("%d connections refused by the session limit, want 0", refused)
	}
	if peak > pool+1 {
		t.Errorf("peak %d HTTP sessions, want at most the pool's %d and the event websocket", peak, pool)
	}
}
