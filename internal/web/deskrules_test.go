package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/screenpop"
	"switchboard/ivr/callback"
)

// TestDeskWrapUpAndAfter: the agent's row tells the desktop the wrap-up's time left, whether
// it waits for a disposition, and what the agent asked for during the call; a saved wrap-up
// reaches the router (Disposed), which lets a wrap-up that waited for it end.
func TestDeskWrapUpAndAfter(t *testing.T) {
	users := testUsers("alice")
	hub := screenpop.New(screenpop.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	desktop := newMemDesktop()
	store := &memDesk{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Pops: hubPops(hub), Desktop: desktop,
		AgentDay: memAgentDay, Desk: deskOf(&screenpop.Desk{Hub: hub, Store: store, Node: "ast1", Dispositions: []string{"resolved"},
			Callbacks: callback.Policy{AllowInternational: true}}),
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}))
	defer ts.Close()
	s := &popSite{recSite: &recSite{site: &site{t: t, ts: ts, logs: &bytes.Buffer{}}, users: users}, hub: hub, desk: store}
	alice := s.as("alice")
	s.offer("ast1-c1", "1001", true)

	desktop.mu.Lock()
	v := desktop.agents["1001"]
	v.State, v.Call, v.Since = acd.OnCall, "ast1-c1", time.Now()
	v.NextAsked, v.Next, v.NextReason = true, acd.Paused, "lunch"
	desktop.agents["1001"] = v
	desktop.mu.Unlock()
	var row AgentRow
	get := func() {
		t.Helper()
		code, body := s.get(alice, "/api/agent")
		row = AgentRow{}
		if code != 200 || json.Unmarshal([]byte(body), &row) != nil {
			t.Fatalf("GET /api/agent: %d %s", code, body)
		}
	}
	get()
	if row.After != "paused" || row.AfterReason != "lunch" || row.WrapUpLeft != nil {
		t.Fatalf("on the call: %+v, want after paused (lunch) and no wrap-up", row)
	}

	desktop.mu.Lock()
	v.State, v.NextAsked, v.DispositionDue, v.WrapUpUntil = acd.WrapUp, false, true, time.Now().Add(20*time.Second)
	desktop.agents["1001"] = v
	desktop.mu.Unlock()
	get()
	if row.WrapUpLeft == nil || *row.WrapUpLeft <= 15 || *row.WrapUpLeft > 20 || !row.DispositionDue || row.After != "" || row.WrapUpUntil == nil {
		t.Fatalf("in wrap-up: %+v, want about 20 s left and a disposition due", row)
	}
	if code, body := s.send(alice, "POST", "/api/calls/ast1-c1/wrapup", s.csrf("alice"), `{"disposition":"resolved"}`); code != 204 {
		t.Fatalf("wrap-up: %d %s", code, body)
	}
	get()
	if row.State != "available" || row.DispositionDue {
		t.Fatalf("after the saved wrap-up: %+v, want the router told (available)", row)
	}
}
