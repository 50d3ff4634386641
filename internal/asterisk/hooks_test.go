package asterisk_test

import (
	"context"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
)

// agentHooks is a router.Agents of functions; a nil one knows nothing and keeps nothing.
type agentHooks struct {
	last    func(string) (acd.AgentState, string, bool)
	keep    func(context.Context, string, *router.AgentRequest) error
	pending func(string) (router.AgentRequest, bool)
}

func (a agentHooks) LastState(id string) (acd.AgentState, string, bool) {
	if a.last == nil {
		return acd.LoggedOut, "", false
	}
	return a.last(id)
}

func (a agentHooks) KeepRequest(ctx context.Context, agent string, req *router.AgentRequest) error {
	if a.keep == nil {
		return nil
	}
	return a.keep(ctx, agent, req)
}

func (a agentHooks) PendingRequest(agent string) (router.AgentRequest, bool) {
	if a.pending == nil {
		return router.AgentRequest{}, false
	}
	return a.pending(agent)
}

// recallOnly is a router.Journal that only recalls calls.
type recallOnly func(string) (router.Recalled, bool)

func (f recallOnly) Recall(id string) (router.Recalled, bool) { return f(id) }
func (recallOnly) Reconciled([]string, time.Time)             {}
