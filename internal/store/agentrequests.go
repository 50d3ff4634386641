package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AgentRequest is a pause or logout an agent asked for during a call; it takes effect when
// the call, and its wrap-up, end.
type AgentRequest struct {
	Node    string
	Agent   string
	State   string // "paused" or "logged-out" (acd.AgentState's names)
	Reason  string // the pause's
	CallID  string // the call it waits for
	AskedAt time.Time
}

func (r AgentRequest) validate() error {
	switch {
	case r.Node == "" || r.Agent == "" || r.CallID == "":
		return errors.New("node, agent and call are required")
	case r.State != "paused" && r.State != "logged-out":
		return fmt.Errorf("state %q is neither paused nor logged-out", r.State)
	case r.State == "paused" && r.Reason == "":
		return errors.New("a pause needs a reason")
	case r.State != "paused" && r.Reason != "":
		return errors.New("a reason goes with a pause only")
	case r.AskedAt.IsZero():
		return errors.New("the time it was asked is required")
	}
	return nil
}

// SaveAgentRequest keeps an agent's request, replacing the one before.
func (s *Store) SaveAgentRequest(ctx context.Context, r AgentRequest) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("store: agent %s request: %w", r.Agent, err)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO agent_requests (node, agent, state, reason, call_id, asked_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (node, agent) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason,
			call_id = EXCLUDED.call_id, asked_at = EXCLUDED.asked_at`,
		clean(r.Node), clean(r.Agent), r.State, clean(r.Reason), clean(r.CallID), r.AskedAt)
	if err != nil {
		return fmt.Errorf("store: agent %s request: %w", r.Agent, err)
	}
	return nil
}

// DropAgentRequest forgets an agent's request: it took effect at once, or the agent asked
// for something else. Dropping none is not an error.
func (s *Store) DropAgentRequest(ctx context.Context, node, agent string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM agent_requests WHERE node = $1 AND agent = $2`, node, agent); err != nil {
		return fmt.Errorf("store: agent %s request: %w", agent, err)
	}
	return nil
}

// PendingAgentRequests returns, by agent, the requests of node's agents that had not taken
// effect when the journal last wrote: the agent's latest state interval is open and still
// with the call the request waits for (reserved, on a call or in its wrap-up), or began before
// the request (nothing was written since); or the agent has none. An agent who moved on
// since (paused, available, another call, logged out) took the request, or left it.
func (s *Store) PendingAgentRequests(ctx context.Context, node string) (map[string]AgentRequest, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.node, r.agent, r.state, r.reason, r.call_id, r.asked_at
		FROM agent_requests r
		LEFT JOIN LATERAL (
			SELECT s.state, s.call_id, s.started_at, s.ended_at FROM agent_states s
			WHERE s.node = r.node AND s.agent = r.agent
			ORDER BY s.started_at DESC, s.ended_at DESC NULLS FIRST LIMIT 1
		) last ON true
		WHERE r.node = $1 AND (last.state IS NULL OR last.ended_at IS NULL AND (last.started_at < r.asked_at
			OR last.call_id = r.call_id AND last.state IN ('reserved', 'on-call', 'wrap-up')))`, node)
	if err != nil {
		return nil, fmt.Errorf("store: pending agent requests: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgentRequest, error) {
		var r AgentRequest
		err := row.Scan(&r.Node, &r.Agent, &r.State, &r.Reason, &r.CallID, &r.AskedAt)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending agent requests: %w", err)
	}
	out := make(map[string]AgentRequest, len(list))
	for _, r := range list {
		out[r.Agent] = r
	}
	return out, nil
}
