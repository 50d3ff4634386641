package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/ivr/callback"
)

// ErrInvalidWrapup is returned (wrapped) for a wrap-up the store refuses.
var ErrInvalidWrapup error = &acd.Error{Code: acd.EInvalid, Message: "invalid wrap-up"}

// SaveWrapup records a wrap-up; the same agent wrapping up the same call again replaces it.
func (s *Store) SaveWrapup(ctx context.Context, w crm.Wrapup) error {
	if w.CallID == "" || w.Agent == "" || w.Disposition == "" || w.At.IsZero() {
		return fmt.Errorf("store: wrap-up: call, agent, disposition and time are required: %w", ErrInvalidWrapup)
	}
	var ticket *int64
	if w.TicketID != 0 {
		ticket = &w.TicketID
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO call_wrapups (call_id, agent, disposition, notes, ticket_id, at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (call_id, agent) DO UPDATE SET disposition = EXCLUDED.disposition, notes = EXCLUDED.notes,
			ticket_id = EXCLUDED.ticket_id, at = EXCLUDED.at`,
		w.CallID, w.Agent, w.Disposition, w.Notes, ticket, w.At)
	if err != nil {
		return fmt.Errorf("store: wrap-up of %s: %w", w.CallID, err)
	}
	return nil
}

// Wrapup returns an agent's wrap-up of a call.
func (s *Store) Wrapup(ctx context.Context, callID, agent string) (*crm.Wrapup, error) {
	w := crm.Wrapup{CallID: callID, Agent: agent}
	var ticket *int64
	err := s.pool.QueryRow(ctx, `SELECT disposition, notes, ticket_id, at FROM call_wrapups
		WHERE call_id = $1 AND agent = $2`, callID, agent).Scan(&w.Disposition, &w.Notes, &ticket, &w.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("wrap-up", callID+"/"+agent)
	}
	if err != nil {
		return nil, fmt.Errorf("store: wrap-up of %s: %w", callID, err)
	}
	if ticket != nil {
		w.TicketID = *ticket
	}
	return &w, nil
}

// CallHandledBy returns the queue in which agent last answered callID and the caller's number;
// ErrNotFound when the agent never answered it (as far as the journal has written).
func (s *Store) CallHandledBy(ctx context.Context, callID, agent string) (queue, number string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT l.queue, coalesce(c.caller_number, '')
		FROM call_legs l JOIN calls c ON c.id = l.call_id
		WHERE l.call_id = $1 AND l.agent = $2 AND l.answered_at IS NOT NULL
		ORDER BY l.seq DESC LIMIT 1`, callID, agent).Scan(&queue, &number)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", notFound("call answered by "+agent, callID)
	}
	if err != nil {
		return "", "", fmt.Errorf("store: call %s: %w", callID, err)
	}
	return queue, number, nil
}

// ScheduleAgentCallback records a callback an agent promised (RequestCallback, merged like any
// other) and puts it on that agent's list while it waits; the dialer's AssignCallback
// records whoever is reserved when it is dialed. Both are one transaction: a callback is never
// left stored off the agent's list while the agent is told it was not stored.
func (s *Store) ScheduleAgentCallback(ctx context.Context, r callback.Request, agent string) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if id, _, err = requestCallback(ctx, tx, r, s.now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE callbacks SET agent = $2, updated_at = $3
			WHERE id = $1 AND state IN ('pending', 'scheduled')`, id, nullText(agent), s.now()); err != nil {
			return fmt.Errorf("store: assign callback %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}
