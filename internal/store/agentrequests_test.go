package store_test

import (
	"context"
	"slices"
	"testing"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// A request asked during a call is pending while the agent's latest interval is still with
// that call, or older than the request, or there is none; once the agent moved on (the
// request taken, or the agent logged out) it is not. Other nodes' requests are theirs.
func TestPendingAgentRequests(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	ctx := context.Background()
	r := newRig(t, s, store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	for _, a := range []string{"a1", "a2", "a3", "a4"} {
		r.agent(a, "line1")
		r.advance(sec(1))
	}
	for _, c := range []string{"c1", "c2", "c3", "c4"} { // each to the longest idle agent: a1, a2, a3, a4
		r.enqueue(c, "line1")
		r.must(r.e.Answer(c))
	}
	r.advance(sec(10))
	ask := func(agent, state, reason, call string) {
		t.Helper()
		r.must(s.SaveAgentRequest(ctx, store.AgentRequest{Node: "ast1", Agent: agent, State: state, Reason: reason, CallID: call, AskedAt: r.clock.Now()}))
	}
	ask("a1", "paused", "training", "c1") // still on c1
	r.must(r.e.Pause("a2", "lunch"))
	ask("a2", "paused", "lunch", "c2") // c2 ends: a2 pauses
	r.must(r.e.Logout("a3"))
	ask("a3", "logged-out", "", "c3") // c3 ends: a3 logs out
	r.must(r.e.Pause("a4", "coffee"))
	r.flush()
	ask("a4", "paused", "coffee", "c4") // still on c4
	ask("a9", "paused", "late", "c9")   // the journal never wrote a9's states
	r.must(s.SaveAgentRequest(ctx, store.AgentRequest{Node: "ast2", Agent: "a1", State: "logged-out", CallID: "x", AskedAt: r.clock.Now()}))
	r.advance(sec(5))
	for _, c := range []string{"c2", "c3"} {
		r.must(r.e.Hangup(c))
	}
	r.flush()

	got, err := s.PendingAgentRequests(ctx, "ast1")
	r.must(err)
	var agents []string
	for a := range got {
		agents = append(agents, a)
	}
	slices.Sort(agents)
	eq(t, "pending", agents, []string{"a1", "a4", "a9"})
	eq(t, "a1", []string{got["a1"].State, got["a1"].Reason, got["a1"].CallID}, []string{"paused", "training", "c1"})
	eq(t, "a1 asked", got["a1"].AskedAt, at(14))

	r.must(s.DropAgentRequest(ctx, "ast1", "a1"))
	got, err = s.PendingAgentRequests(ctx, "ast1")
	r.must(err)
	if _, ok := got["a1"]; ok || len(got) != 2 {
		t.Errorf("after dropping a1's: %v", got)
	}
	for _, bad := range []store.AgentRequest{
		{Node: "ast1", Agent: "a1", State: "available", CallID: "c1", AskedAt: at(1)},
		{Node: "ast1", Agent: "a1", State: "paused", CallID: "c1", AskedAt: at(1)},
		{Node: "ast1", Agent: "a1", State: "logged-out", Reason: "x", CallID: "c1", AskedAt: at(1)},
		{Node: "ast1", Agent: "a1", State: "paused", Reason: "x", AskedAt: at(1)},
		{Node: "ast1", Agent: "a1", State: "paused", Reason: "x", CallID: "c1"},
	} {
		if err := s.SaveAgentRequest(ctx, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
