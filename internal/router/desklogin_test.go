package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"switchboard/acd"
)

// Logging in from the desktop: not ready unless the site says ready; one phone, one agent
// (the refusal names the holder); a phone is free again once its agent logs out.
func TestAgentLoginPhone(t *testing.T) {
	cfg := Config{Node: "n1", App: "sb",
		Queues: []acd.QueueConfig{{Name: "support"}},
		Agents: []acd.AgentConfig{{ID: "a", Name: "Alice", Endpoint: "PJSIP/1001", Queues: []acd.Membership{{Queue: "support"}}},
			{ID: "b", Name: "Bob", Endpoint: "PJSIP/1002", Queues: []acd.Membership{{Queue: "support"}}}},
		DeskEndpoints: []string{"PJSIP/1*"},
	}
	r, err := New(cfg, &origTel{}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)

	if err := r.AgentLogin(ctx, "a", "PJSIP/1001", false); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Agent(ctx, "a"); v.State != acd.Paused || v.Reason != acd.ReasonNotReady {
		t.Fatalf("a after login: %v %q, want paused not ready", v.State, v.Reason)
	}
	err = r.AgentLogin(ctx, "b", "PJSIP/1001", true)
	var inUse *acd.Error
	if !errors.As(err, &inUse) || inUse.Key != "desk.err.phone_in_use" || fmt.Sprint(inUse.Args) != "[PJSIP/1001 Alice a]" || acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("b on a's phone: %v, want conflict held by a (Alice)", err)
	}
	if v, _ := r.Agent(ctx, "b"); v.State != acd.LoggedOut || v.Endpoint != "PJSIP/1002" {
		t.Fatalf("b after the refusal: %v %s", v.State, v.Endpoint)
	}
	if err := r.UpdateAgent(ctx, "b", nil, nil, "PJSIP/1001", nil); err != nil {
		t.Fatalf("a logged-out agent's phone set to a held one: %v (it is refused at login)", err)
	}
	if err := r.SetAgentState(ctx, "a", acd.LoggedOut, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.AgentLogin(ctx, "b", "PJSIP/1001", true); err != nil {
		t.Fatalf("b on the phone a left: %v", err)
	}
	if v, _ := r.Agent(ctx, "b"); v.State != acd.Available {
		t.Fatalf("b logged in ready: %v", v.State)
	}
	if err := r.UpdateAgent(ctx, "a", nil, nil, "PJSIP/1001", nil); err != nil {
		t.Fatal(err)
	}
	if err := r.AgentLogin(ctx, "a", "PJSIP/1001", false); !errors.As(err, &inUse) || inUse.Key != "desk.err.phone_in_use" || inUse.Args[2] != "b" {
		t.Fatalf("a back on its phone b holds: %v", err)
	}
	if err := r.AgentLogin(ctx, "b", "PJSIP/1001", false); err != nil {
		t.Fatalf("b again on its own phone: %v", err)
	}
	if err := r.SetAgentState(ctx, "a", acd.Available, ""); !errors.As(err, &inUse) || inUse.Key != "desk.err.phone_in_use" {
		t.Fatalf("a made available on the phone b holds: %v, want refused", err)
	}
	if err := r.UpdateAgent(ctx, "a", nil, nil, "PJSIP/1003", nil); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAgentState(ctx, "a", acd.Available, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateAgent(ctx, "a", nil, nil, "PJSIP/1001", nil); !errors.As(err, &inUse) || inUse.Key != "desk.err.phone_in_use" {
		t.Fatalf("a logged-in agent moved to a held phone: %v, want refused", err)
	}
}
