package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/acd"
)

// CSAT is one post-call survey score (table csat).
type CSAT struct {
	CallID string
	Agent  string
	Queue  string
	Score  int // 1-5
	At     time.Time
}

// ErrCSATExists is returned (wrapped) when the call already has a score: the first one stays.
var ErrCSATExists error = &acd.Error{Code: acd.EConflict, Message: "call already has a survey score"}

// SaveCSAT stores a call's survey score. A score outside 1-5, or no call or time, is refused
// with acd.EInvalid; a second score for the same call with ErrCSATExists.
func (s *Store) SaveCSAT(ctx context.Context, c CSAT) error {
	if c.CallID == "" || c.At.IsZero() || c.Score < 1 || c.Score > 5 {
		return &acd.Error{Code: acd.EInvalid, Message: fmt.Sprintf("csat: want a call, a time and a score 1-5, got call %q score %d", c.CallID, c.Score)}
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO csat (call_id, agent, queue, score, at) VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), $4, $5)
		ON CONFLICT (call_id) DO NOTHING`, c.CallID, c.Agent, c.Queue, c.Score, c.At)
	if err != nil {
		return fmt.Errorf("save csat for call %s: %w", c.CallID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save csat for call %s: %w", c.CallID, ErrCSATExists)
	}
	return nil
}

// CSATFor returns a call's survey score, ErrNotFound when it has none.
func (s *Store) CSATFor(ctx context.Context, callID string) (CSAT, error) {
	c := CSAT{CallID: callID}
	var agent, queue *string
	err := s.pool.QueryRow(ctx, `SELECT agent, queue, score, at FROM csat WHERE call_id = $1`, callID).
		Scan(&agent, &queue, &c.Score, &c.At)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return CSAT{}, notFound("csat for call", callID)
		}
		return CSAT{}, fmt.Errorf("csat for call %s: %w", callID, err)
	}
	if agent != nil {
		c.Agent = *agent
	}
	if queue != nil {
		c.Queue = *queue
	}
	return c, nil
}
