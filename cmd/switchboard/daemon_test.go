package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/store"
	"switchboard/internal/testkit"
	"switchboard/ivr/callback"
)

// The daemon end to end: emulator over HTTP and websocket, router, journal into a real
// PostgreSQL, health and metrics over HTTP.
func TestDaemonWritesCallsAndServesMetrics(t *testing.T) {
	emu, d, cfg := demoDaemon(t)
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+d.addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testkit.Eventually(t, "healthy", func() bool { code, _ := get("/healthz", ""); return code == 200 })

	var chans []string
	for i := 0; i < 3; i++ {
		id, err := emu.PlaceCaller(ariemu.Caller{Number: "7999000000" + string(rune('1'+i)), DID: "5552000", TalkTime: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, id)
	}
	for _, ch := range chans {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rec, err := emu.WaitCall(ctx, ch, ariemu.Ended)
		cancel()
		if err != nil || rec.Outcome != ariemu.OutcomeCompleted {
			t.Fatalf("caller %s: %+v %v", ch, rec, err)
		}
	}
	if code, _ := get("/metrics", ""); code != 401 {
		t.Fatalf("metrics without a token: %d", code)
	}
	testkit.Eventually(t, "metrics", func() bool {
		_, body := get("/metrics", "tok")
		return strings.Contains(body, `switchboard_calls_answered_total{queue="billing"} 3`) &&
			strings.Contains(body, "switchboard_callbacks_up 1")
	})
	// A supervisor signs in (accounts and sessions in PostgreSQL) and sees the queue.
	addAccounts(t, d, testAccount{name: "sue", role: "supervisor", queues: []string{"billing"}})
	c := login(t, d.addr, "sue")
	var got struct {
		Queues []struct {
			Queue    string
			Answered int64
		}
	}
	testkit.Eventually(t, "the supervisor sees billing's three answered calls", func() bool {
		resp, err := c.Get("http://" + d.addr + "/api/queues")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got.Queues = nil
		json.NewDecoder(resp.Body).Decode(&got)
		return resp.StatusCode == 200 && len(got.Queues) == 1 && got.Queues[0].Queue == "billing" && got.Queues[0].Answered == 3
	})

	// Closing the daemon flushes the journal: every call is in the database, completed.
	d.close()
	st, err := store.Open(context.Background(), cfg.Database.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, ch := range chans {
		c, err := st.Call(context.Background(), "demo-"+ch)
		if err != nil {
			t.Fatalf("call %s: %v", ch, err)
		}
		if c.Outcome != "completed" || c.Queue != "billing" || c.DID != "5552000" || c.CallerNumber != "7999000000"+string(rune('1'+i)) {
			t.Fatalf("call row: %+v", c)
		}
	}
}

// Agents come back after a restart as they were: paused with their reason, or logged out.
func TestAgentStatesSurviveRestart(t *testing.T) {
	_, d, cfg := demoDaemon(t)
	ctx := context.Background()
	err := d.router.Do(ctx, func(e *acd.Engine) error {
		if err := e.Pause("1003", "lunch"); err != nil {
			return err
		}
		return e.Logout("1004")
	})
	if err != nil {
		t.Fatal(err)
	}
	d.close() // the journal writes what it holds before the router goes

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d2, err := startDaemon(ctx, cfg, daemonOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d2.close)
	want := map[string][2]string{"1003": {"paused", "lunch"}, "1004": {"logged-out", ""}, "1001": {"available", ""}}
	err = d2.router.Do(ctx, func(e *acd.Engine) error {
		for id, w := range want {
			v, _ := e.Agent(id)
			if v.State.String() != w[0] || v.Reason != w[1] {
				t.Errorf("agent %s after restart: %s %q, want %s %q", id, v.State, v.Reason, w[0], w[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A caller walks the demo's IVR, asks for a callback and is let go; the callback is in
// PostgreSQL with the caller's number and original time (and the dialer may be at it already).
func TestIVRCallbackIsStored(t *testing.T) {
	emu, d, _ := demoDaemon(t)
	ctx := context.Background()
	before := time.Now()
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "+79995550042", DID: "5554000", Digits: []ariemu.DigitPress{
		{Digit: "1", After: 200 * time.Millisecond}, {Digit: "3", After: 200 * time.Millisecond},
		{Digit: "1", After: 200 * time.Millisecond, AfterPrompt: true}}})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	rec, err := emu.WaitCall(wctx, ch, ariemu.Ended)
	cancel()
	if err != nil || rec.Outcome != ariemu.OutcomeHungUpByApp || rec.Digits != "131" {
		t.Fatalf("caller: %+v %v", rec, err)
	}
	list, err := d.store.Callbacks(ctx, callback.Filter{Queue: "support-l1", States: []callback.State{
		callback.StatePending, callback.StateScheduled, callback.StateDialing, callback.StateDone}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Number != "+79995550042" || list[0].EnqueuedAt.Before(before.Add(-time.Second)) || list[0].CallID != "demo-"+ch {
		t.Fatalf("callbacks: %+v", list)
	}
}
