package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Call is a call record. Zero times stand for NULL.
type Call struct {
	ID             string
	Node           string
	CallerNumber   string
	DID            string
	Queue          string // current or last
	Agent          string // last agent offered or connected
	Priority       int
	EnqueuedAt     time.Time // original place in time
	FirstOfferedAt time.Time
	AnsweredAt     time.Time
	EndedAt        time.Time
	Outcome        string
	Wait           time.Duration // waiting in queues, summed over legs
	Talk           time.Duration
	WrapUp         time.Duration
	Transfers      int
	Data           map[string]string
	UpdatedAt      time.Time
}

// CallLeg is one visit of a call to a queue. Zero times stand for NULL.
type CallLeg struct {
	CallID     string
	Seq        int
	Queue      string
	EnteredAt  time.Time
	OfferedAt  time.Time
	Agent      string
	AnsweredAt time.Time
	LeftAt     time.Time
	Outcome    string
	Talk       time.Duration
}

// QueueEvent is one row of queue_events.
type QueueEvent struct {
	ID     int64
	At     time.Time
	Node   string
	CallID string
	Queue  string
	Agent  string
	Event  string
	Data   map[string]any
}

// AgentInterval is one row of agent_states. A zero EndedAt means current.
type AgentInterval struct {
	ID        string
	Agent     string
	Node      string
	State     string
	Reason    string
	StartedAt time.Time
	EndedAt   time.Time
	CallID    string
}

const callColumns = `id, node, caller_number, did, queue, agent, priority, enqueued_at, first_offered_at,
	answered_at, ended_at, outcome, wait_seconds, talk_seconds, wrapup_seconds, transfers, data, updated_at`

// Call returns a call record.
func (s *Store) Call(ctx context.Context, id string) (*Call, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("store: call %s: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCall)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("call", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: call %s: %w", id, err)
	}
	return c, nil
}

func scanCall(row pgx.CollectableRow) (*Call, error) {
	var (
		c                           Call
		caller, did, queue, agent   pgtype.Text
		outcome                     pgtype.Text
		enq, offered, answered, end pgtype.Timestamptz
		wait, talk, wrap            float64
	)
	err := row.Scan(&c.ID, &c.Node, &caller, &did, &queue, &agent, &c.Priority, &enq, &offered,
		&answered, &end, &outcome, &wait, &talk, &wrap, &c.Transfers, &c.Data, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	c.CallerNumber, c.DID, c.Queue, c.Agent, c.Outcome = caller.String, did.String, queue.String, agent.String, outcome.String
	c.EnqueuedAt, c.FirstOfferedAt, c.AnsweredAt, c.EndedAt = tsTime(enq), tsTime(offered), tsTime(answered), tsTime(end)
	c.Wait, c.Talk, c.WrapUp = seconds(wait), seconds(talk), seconds(wrap)
	return &c, nil
}

// CallLegs returns a call's legs in order; none for an unknown call.
func (s *Store) CallLegs(ctx context.Context, callID string) ([]CallLeg, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT call_id, seq, queue, entered_at, offered_at, agent, answered_at, left_at, outcome, talk_seconds
		FROM call_legs WHERE call_id = $1 ORDER BY seq`, callID)
	if err != nil {
		return nil, fmt.Errorf("store: legs of call %s: %w", callID, err)
	}
	legs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CallLeg, error) {
		var (
			l                       CallLeg
			offered, answered, left pgtype.Timestamptz
			agent, outcome          pgtype.Text
			talk                    float64
		)
		err := row.Scan(&l.CallID, &l.Seq, &l.Queue, &l.EnteredAt, &offered, &agent, &answered, &left, &outcome, &talk)
		l.OfferedAt, l.AnsweredAt, l.LeftAt = tsTime(offered), tsTime(answered), tsTime(left)
		l.Agent, l.Outcome, l.Talk = agent.String, outcome.String, seconds(talk)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: legs of call %s: %w", callID, err)
	}
	return legs, nil
}

// QueueEvents returns up to limit queue events at or after since, oldest first
// (in the order they were written).
func (s *Store) QueueEvents(ctx context.Context, since time.Time, limit int) ([]QueueEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, at, node, call_id, queue, agent, event, data
		FROM queue_events WHERE at >= $1 ORDER BY at, id LIMIT $2`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("store: queue events: %w", err)
	}
	evs, err := pgx.CollectRows(rows, scanQueueEvent)
	if err != nil {
		return nil, fmt.Errorf("store: queue events: %w", err)
	}
	return evs, nil
}

// CallEvents returns a call's queue events in the order they were written.
func (s *Store) CallEvents(ctx context.Context, callID string) ([]QueueEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, at, node, call_id, queue, agent, event, data
		FROM queue_events WHERE call_id = $1 ORDER BY id`, callID)
	if err != nil {
		return nil, fmt.Errorf("store: events of call %s: %w", callID, err)
	}
	evs, err := pgx.CollectRows(rows, scanQueueEvent)
	if err != nil {
		return nil, fmt.Errorf("store: events of call %s: %w", callID, err)
	}
	return evs, nil
}

func scanQueueEvent(row pgx.CollectableRow) (QueueEvent, error) {
	var (
		e                  QueueEvent
		call, queue, agent pgtype.Text
	)
	err := row.Scan(&e.ID, &e.At, &e.Node, &call, &queue, &agent, &e.Event, &e.Data)
	e.CallID, e.Queue, e.Agent = call.String, queue.String, agent.String
	return e, err
}

// AgentStates returns an agent's state intervals that started at or after
// since, oldest first.
func (s *Store) AgentStates(ctx context.Context, agent string, since time.Time) ([]AgentInterval, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id::text, agent, node, state, reason, started_at, ended_at, call_id
		FROM agent_states WHERE agent = $1 AND started_at >= $2 ORDER BY started_at, ended_at NULLS LAST`, agent, since)
	if err != nil {
		return nil, fmt.Errorf("store: states of agent %s: %w", agent, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgentInterval, error) {
		var (
			a            AgentInterval
			reason, call pgtype.Text
			ended        pgtype.Timestamptz
		)
		err := row.Scan(&a.ID, &a.Agent, &a.Node, &a.State, &reason, &a.StartedAt, &ended, &call)
		a.Reason, a.CallID, a.EndedAt = reason.String, call.String, tsTime(ended)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: states of agent %s: %w", agent, err)
	}
	return out, nil
}

func tsTime(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// LastAgentStates returns each agent's latest state interval on a node: open (EndedAt zero)
// while the agent was in that state when the journal last wrote, closed when the agent logged
// out after it (logged-out time has no rows).
func (s *Store) LastAgentStates(ctx context.Context, node string) (map[string]AgentInterval, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT ON (agent) id::text, agent, node, state, reason, started_at, ended_at, call_id
		FROM agent_states WHERE node = $1 ORDER BY agent, started_at DESC, ended_at DESC NULLS FIRST`, node)
	if err != nil {
		return nil, fmt.Errorf("store: last agent states: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgentInterval, error) {
		var (
			a            AgentInterval
			reason, call pgtype.Text
			ended        pgtype.Timestamptz
		)
		err := row.Scan(&a.ID, &a.Agent, &a.Node, &a.State, &reason, &a.StartedAt, &ended, &call)
		a.Reason, a.CallID, a.EndedAt = reason.String, call.String, tsTime(ended)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: last agent states: %w", err)
	}
	out := make(map[string]AgentInterval, len(list))
	for _, a := range list {
		out[a.Agent] = a
	}
	return out, nil
}
