package main

import (
	"context"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/store"
)

// agentMemory is the router's Agents: where the agents stood when the previous router on
// this node stopped (last), the requests they were waiting for (asked), both read at start,
// and the store that keeps new requests.
type agentMemory struct {
	st    *store.Store
	node  string
	last  map[string]store.AgentInterval
	asked map[string]store.AgentRequest
}

var _ router.Agents = agentMemory{}

// LastState: an open interval is logged in (paused with its reason, or available: busy with
// a call reconciliation re-adopts); none open, logged out.
func (m agentMemory) LastState(id string) (acd.AgentState, string, bool) {
	iv, ok := m.last[id]
	switch {
	case !ok:
		return 0, "", false
	case !iv.EndedAt.IsZero():
		return acd.LoggedOut, "", true
	case iv.State == acd.Paused.String():
		return acd.Paused, iv.Reason, true
	}
	return acd.Available, "", true
}

func (m agentMemory) KeepRequest(ctx context.Context, agent string, req *router.AgentRequest) error {
	if req == nil {
		return m.st.DropAgentRequest(ctx, m.node, agent)
	}
	return m.st.SaveAgentRequest(ctx, store.AgentRequest{Node: m.node, Agent: agent, State: req.State.String(),
		Reason: req.Reason, CallID: req.Call, AskedAt: req.At})
}

func (m agentMemory) PendingRequest(agent string) (router.AgentRequest, bool) {
	p, ok := m.asked[agent]
	if !ok {
		return router.AgentRequest{}, false
	}
	state := acd.Paused
	if p.State == acd.LoggedOut.String() {
		state = acd.LoggedOut
	}
	return router.AgentRequest{State: state, Reason: p.Reason, Call: p.CallID, At: p.AskedAt}, true
}

// callMemory is the router's Journal: the store's call rows, and the journal that closes the
// calls that ended while the router was away.
type callMemory struct {
	st *store.Store
	j  *store.Journal
}

var _ router.Journal = callMemory{}

func (m callMemory) Recall(id string) (router.Recalled, bool) {
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := m.st.Call(rctx, id)
	if err != nil || c.EnqueuedAt.IsZero() || c.Outcome != "" {
		return router.Recalled{}, false
	}
	return router.Recalled{Queue: c.Queue, Priority: c.Priority, EnqueuedAt: c.EnqueuedAt}, true
}

func (m callMemory) Reconciled(live []string, at time.Time) { m.j.Reconciled(live, at) }
