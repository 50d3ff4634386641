package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ActiveCall is a call in one of the router's bridges: what a restarted router
// re-adopts, with the call's original place in time.
type ActiveCall struct {
	Node           string
	CallID         string
	ChannelID      string
	Queue          string
	Priority       int
	EnqueuedAt     time.Time
	BridgeID       string
	Agent          string
	AgentChannelID string
	State          string // the router's word: "waiting", "ringing", "connected"…
	Data           map[string]string
	UpdatedAt      time.Time // set by UpsertActiveCall
}

// UpsertActiveCall records or replaces a live call.
func (s *Store) UpsertActiveCall(ctx context.Context, c ActiveCall) error {
	data := c.Data
	if data == nil {
		data = map[string]string{}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO active_calls (node, call_id, channel_id, queue, priority, enqueued_at, bridge_id, agent,
			agent_channel_id, state, data, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
		ON CONFLICT (node, call_id) DO UPDATE SET
			channel_id = EXCLUDED.channel_id, queue = EXCLUDED.queue, priority = EXCLUDED.priority,
			enqueued_at = EXCLUDED.enqueued_at, bridge_id = EXCLUDED.bridge_id, agent = EXCLUDED.agent,
			agent_channel_id = EXCLUDED.agent_channel_id, state = EXCLUDED.state, data = EXCLUDED.data,
			updated_at = now()`,
		c.Node, c.CallID, c.ChannelID, c.Queue, c.Priority, c.EnqueuedAt, c.BridgeID, c.Agent,
		c.AgentChannelID, c.State, data)
	if err != nil {
		return fmt.Errorf("store: save active call %s: %w", c.CallID, err)
	}
	return nil
}

// DeleteActiveCall forgets a live call; forgetting an unknown one is not an error.
func (s *Store) DeleteActiveCall(ctx context.Context, node, callID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM active_calls WHERE node = $1 AND call_id = $2`, node, callID); err != nil {
		return fmt.Errorf("store: delete active call %s: %w", callID, err)
	}
	return nil
}

// ActiveCalls returns a node's live calls, oldest place first.
func (s *Store) ActiveCalls(ctx context.Context, node string) ([]ActiveCall, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT node, call_id, channel_id, queue, priority, enqueued_at, bridge_id, agent, agent_channel_id,
			state, data, updated_at
		FROM active_calls WHERE node = $1 ORDER BY enqueued_at, call_id`, node)
	if err != nil {
		return nil, fmt.Errorf("store: active calls: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ActiveCall, error) {
		var c ActiveCall
		err := row.Scan(&c.Node, &c.CallID, &c.ChannelID, &c.Queue, &c.Priority, &c.EnqueuedAt, &c.BridgeID,
			&c.Agent, &c.AgentChannelID, &c.State, &c.Data, &c.UpdatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: active calls: %w", err)
	}
	return out, nil
}
