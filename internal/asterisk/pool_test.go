package asterisk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// A request Asterisk is slow to answer times out for its caller, but its connection is not
// closed under Asterisk, which keeps that session until it has answered: a connection dialed
// in its place would go past the session limit. A request still waiting for a connection
// gives up at its deadline, and the pool serves again once Asterisk has caught up.
func TestRESTTimeoutKeepsSessionsWithinPool(t *testing.T) {
	const (
		pool  = 2
		burst = 8
	)
	// One request at a time, 40 ms each, against a 100 ms timeout: the burst's later
	// requests time out, some on the wire and some still waiting for a connection.
	emu, err := ariemu.New(ariemu.Options{Username: "sb", Password: "secret",
		Cost: ariemu.Cost{SessionLimit: pool, Request: 40 * time.Millisecond, Workers: 1, Connect: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(emu)
	ts.Listener = emu.Listener(ts.Listener)
	ts.Start()
	t.Cleanup(func() { emu.Close(); ts.Close() })
	reg := prometheus.NewRegistry()
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: ts.URL + "/ari", App: "switchboard", Username: "sb", Password: "secret",
		MaxConns: pool, Timeout: 100 * time.Millisecond, Registerer: reg})

	errs := make(chan error, burst)
	for range burst {
		go func() {
			_, err := rest.Channels(context.Background())
			errs <- err
		}()
	}
	var failed int
	for range burst {
		if err := <-errs; err != nil {
			failed++
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("timed-out request: %v, want context.DeadlineExceeded", err)
			}
		}
	}
	if failed == 0 {
		t.Fatalf("no request of %d timed out: the test proves nothing", burst)
	}
	// The requests left on the wire finish in the background and free their connections.
	gauge := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "switchboard_ari_requests_in_flight" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		return -1
	}
	deadline := time.Now().Add(10 * time.Second)
	for gauge() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%v requests still in flight", gauge())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := rest.Channels(context.Background()); err != nil {
		t.Errorf("request after the burst: %v", err)
	}
	_, peak, refused, requests := emu.Sessions()
	t.Logf("%d requests, %d timed out: %d served, peak %d sessions, %d refused", burst+1, failed, requests, peak, refused)
	if refused != 0 {
		t.Errorf("%d connections refused by the session limit, want 0", refused)
	}
	if peak > pool {
		t.Errorf("peak %d HTTP sessions, want at most the pool's %d", peak, pool)
	}
}
