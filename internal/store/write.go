package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"switchboard/acd/calllog"
)

// batch is a run of recorded items and, once built, the rows they produce.
// A built batch is a set of absolute row values: writing it again after a
// commit whose outcome was unknown changes nothing, and queue_events are
// guarded by journal_progress.
type batch struct {
	items    []item
	last     uint64
	built    bool
	attempts int

	events  []eventRow
	calls   []callFields
	legs    []legFields
	agents  []agentFields
	touched []*callRow
}

// snapshot moves the model's changes into b.
func (m *model) snapshot(b *batch) {
	b.events, m.events = m.events, nil
	for _, c := range m.dirtyCalls {
		f := c.fields()
		f.data = "{}"
		if len(c.Data) > 0 {
			if raw, err := json.Marshal(c.Data); err == nil {
				f.data = string(raw)
			}
		}
		b.calls = append(b.calls, f)
		b.touched = append(b.touched, c)
		c.dirty = false
	}
	for _, l := range m.dirtyLegs {
		b.legs = append(b.legs, legFieldsOf(l))
	}
	clear(m.legDirty)
	for _, a := range m.dirtyAgents {
		b.agents = append(b.agents, a.agentFields)
		a.dirty = false
	}
	m.dirtyCalls, m.dirtyLegs, m.dirtyAgents = nil, nil, nil
}

// prefetch reads the calls and agents the items mention that the model does
// not hold. Nothing is changed unless every read succeeds.
func (j *Journal) prefetch(ctx context.Context, items []item) error {
	callIDs, agentIDs, gone := j.m.needs(items)
	if len(agentIDs) > 0 {
		slots, err := j.s.openIntervals(ctx, j.opt.Node, agentIDs)
		if err != nil {
			return err
		}
		for _, id := range agentIDs {
			s := &agentSlot{}
			for _, a := range slots[id] { // oldest first: close all but the newest
				if s.cur != nil {
					s.cur.endedAt = a.startedAt
					j.m.touchAgent(s.cur)
				}
				s.cur = a
			}
			j.m.agents[id] = s
		}
	}
	callIDs = append(callIDs, j.m.wrapCalls(items)...)
	if gone {
		open, err := j.s.openCalls(ctx, j.opt.Node)
		if err != nil {
			return err
		}
		for _, id := range open {
			if j.m.calls[id] == nil && !slices.Contains(callIDs, id) {
				callIDs = append(callIDs, id)
			}
		}
	}
	if len(callIDs) == 0 {
		return nil
	}
	rows, err := j.s.liveRows(ctx, callIDs)
	if err != nil {
		return err
	}
	for _, c := range rows {
		j.m.calls[c.ID] = c
	}
	return nil
}

// openCalls lists the calls of node that have no outcome yet.
func (s *Store) openCalls(ctx context.Context, node string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM calls WHERE node = $1 AND outcome IS NULL`, node)
	if err != nil {
		return nil, fmt.Errorf("journal: read open calls: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("journal: read open calls: %w", err)
	}
	return ids, nil
}

// openIntervals reads agents' open agent_states rows on node, oldest first.
func (s *Store) openIntervals(ctx context.Context, node string, agents []string) (map[string][]*agentRow, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id::text, agent, node, state, coalesce(reason, ''), started_at, coalesce(call_id, '')
		FROM agent_states WHERE node = $1 AND agent = ANY($2) AND ended_at IS NULL
		ORDER BY agent, started_at, id`, node, agents)
	if err != nil {
		return nil, fmt.Errorf("journal: read agent states: %w", err)
	}
	out := map[string][]*agentRow{}
	var f agentFields
	_, err = pgx.ForEachRow(rows, []any{&f.id, &f.agent, &f.node, &f.state, &f.reason, &f.startedAt, &f.callID}, func() error {
		out[f.agent] = append(out[f.agent], &agentRow{agentFields: f})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: read agent states: %w", err)
	}
	return out, nil
}

// liveRows reads calls and their latest legs into model rows.
func (s *Store) liveRows(ctx context.Context, ids []string) ([]*callRow, error) {
	var b pgx.Batch
	// Written as one index probe per id, so that the plan stays right when
	// PostgreSQL switches the prepared statement to a generic plan (= ANY($1)
	// then became a scan of all of call_legs per batch).
	b.Queue(`SELECT c.* FROM unnest($1::text[]) AS u(id)
		CROSS JOIN LATERAL (SELECT `+callColumns+` FROM calls WHERE calls.id = u.id) c`, ids)
	b.Queue(`SELECT l.* FROM unnest($1::text[]) AS u(id)
		CROSS JOIN LATERAL (SELECT call_id, seq, queue, entered_at, offered_at, agent, answered_at, left_at,
			outcome, talk_seconds
			FROM call_legs WHERE call_id = u.id ORDER BY seq DESC LIMIT 1) l`, ids)
	br := s.pool.SendBatch(ctx, &b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("journal: read calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, scanCall)
	if err != nil {
		return nil, fmt.Errorf("journal: read calls: %w", err)
	}
	byID := make(map[string]*callRow, len(calls))
	out := make([]*callRow, 0, len(calls))
	for _, c := range calls {
		r := &callRow{Call: calllog.Call{
			ID: c.ID, Number: c.CallerNumber, DID: c.DID, Queue: c.Queue, Agent: c.Agent,
			Priority: c.Priority, EnqueuedAt: c.EnqueuedAt, FirstOfferedAt: c.FirstOfferedAt,
			AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt, Outcome: c.Outcome, Wait: c.Wait.Seconds(),
			Talk: c.Talk.Seconds(), WrapUp: c.WrapUp.Seconds(), Transfers: c.Transfers, UpdatedAt: c.UpdatedAt,
			Data: c.Data,
		}, node: c.Node}
		byID[c.ID] = r
		out = append(out, r)
	}
	if rows, err = br.Query(); err != nil {
		return nil, fmt.Errorf("journal: read legs: %w", err)
	}
	var (
		l                       legFields
		offered, answered, left pgtype.Timestamptz
		agent, outcome          pgtype.Text
	)
	_, err = pgx.ForEachRow(rows, []any{&l.callID, &l.seq, &l.queue, &l.enteredAt, &offered, &agent, &answered, &left,
		&outcome, &l.talk}, func() error {
		c := byID[l.callID]
		if c == nil {
			return nil
		}
		l.offeredAt, l.answeredAt, l.leftAt = tsTime(offered), tsTime(answered), tsTime(left)
		l.agent, l.outcome = agent.String, outcome.String
		c.Legs = l.seq
		if l.leftAt.IsZero() {
			c.Leg = legOf(l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: read legs: %w", err)
	}
	return out, nil
}

var queueEventColumns = []string{"at", "node", "call_id", "queue", "agent", "event", "data"}

// writeBatch writes a built batch in one transaction: queue events by COPY,
// then the row upserts, then the journal's progress mark.
func (s *Store) writeBatch(ctx context.Context, stream, node string, b *batch) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("journal: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if b.attempts > 1 {
		// An earlier attempt may have committed without our hearing of it.
		var seq int64
		err := tx.QueryRow(ctx, `SELECT seq FROM journal_progress WHERE stream = $1`, stream).Scan(&seq)
		switch {
		case err == nil && uint64(seq) >= b.last:
			return tx.Rollback(ctx)
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("journal: read progress: %w", err)
		}
	}
	if len(b.events) > 0 {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"queue_events"}, queueEventColumns,
			pgx.CopyFromSlice(len(b.events), func(i int) ([]any, error) {
				e := &b.events[i]
				return []any{e.at, clean(node), text(e.callID), text(e.queue), text(e.agent), e.kind, e.data}, nil
			}))
		if err != nil {
			return fmt.Errorf("journal: copy queue events: %w", err)
		}
	}
	var q pgx.Batch
	if len(b.calls) > 0 {
		q.Queue(upsertCalls, callArgs(b.calls)...)
	}
	if len(b.legs) > 0 {
		q.Queue(upsertLegs, legArgs(b.legs)...)
	}
	if len(b.agents) > 0 {
		q.Queue(upsertAgentStates, agentArgs(b.agents)...)
	}
	q.Queue(`INSERT INTO journal_progress (stream, node, seq, updated_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (stream) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()`, stream, node, int64(b.last))
	br := tx.SendBatch(ctx, &q)
	for range q.Len() {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("journal: upsert: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("journal: upsert: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("journal: commit: %w", err)
	}
	return nil
}

const upsertCalls = `
INSERT INTO calls (id, node, caller_number, did, queue, agent, priority, enqueued_at, first_offered_at,
	answered_at, ended_at, outcome, wait_seconds, talk_seconds, wrapup_seconds, transfers, data, updated_at)
SELECT id, node, caller_number, did, queue, agent, priority, enqueued_at, first_offered_at,
	answered_at, ended_at, outcome, wait_seconds, talk_seconds, wrapup_seconds, transfers, data::jsonb, updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
	$8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[],
	$13::float8[], $14::float8[], $15::float8[], $16::int[], $17::text[], $18::timestamptz[])
	AS u(id, node, caller_number, did, queue, agent, priority, enqueued_at, first_offered_at,
	answered_at, ended_at, outcome, wait_seconds, talk_seconds, wrapup_seconds, transfers, data, updated_at)
ON CONFLICT (id) DO UPDATE SET
	node = EXCLUDED.node, caller_number = EXCLUDED.caller_number, did = EXCLUDED.did,
	queue = EXCLUDED.queue, agent = EXCLUDED.agent, priority = EXCLUDED.priority,
	enqueued_at = EXCLUDED.enqueued_at, first_offered_at = EXCLUDED.first_offered_at,
	answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at, outcome = EXCLUDED.outcome,
	wait_seconds = EXCLUDED.wait_seconds, talk_seconds = EXCLUDED.talk_seconds,
	wrapup_seconds = EXCLUDED.wrapup_seconds, transfers = EXCLUDED.transfers, data = EXCLUDED.data,
	updated_at = EXCLUDED.updated_at`

func callArgs(cs []callFields) []any {
	n := len(cs)
	var (
		id, node, caller, did, queue, agent = make([]string, n), make([]string, n), make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
		prio, transfers                     = make([]int32, n), make([]int32, n)
		enq, offered, answered, ended, upd  = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		outcome                             = make([]pgtype.Text, n)
		wait, talk, wrap                    = make([]float64, n), make([]float64, n), make([]float64, n)
		data                                = make([]string, n)
	)
	for i, c := range cs {
		id[i], node[i], caller[i], did[i], queue[i], agent[i] = clean(c.id), clean(c.node), text(c.callerNumber), text(c.did), text(c.queue), text(c.agent)
		prio[i], transfers[i] = int32(c.priority), int32(c.transfers)
		enq[i], offered[i], answered[i], ended[i] = ts(c.enqueuedAt), ts(c.firstOfferedAt), ts(c.answeredAt), ts(c.endedAt)
		upd[i] = ts(c.updatedAt)
		if c.updatedAt.IsZero() {
			upd[i] = ts(time.Now())
		}
		outcome[i] = text(c.outcome)
		wait[i], talk[i], wrap[i], data[i] = c.wait, c.talk, c.wrapup, c.data
	}
	return []any{id, node, caller, did, queue, agent, prio, enq, offered, answered, ended, outcome,
		wait, talk, wrap, transfers, data, upd}
}

const upsertLegs = `
INSERT INTO call_legs (call_id, seq, queue, entered_at, offered_at, agent, answered_at, left_at, outcome, talk_seconds)
SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[],
	$7::timestamptz[], $8::timestamptz[], $9::text[], $10::float8[])
ON CONFLICT (call_id, seq) DO UPDATE SET
	queue = EXCLUDED.queue, entered_at = EXCLUDED.entered_at, offered_at = EXCLUDED.offered_at,
	agent = EXCLUDED.agent, answered_at = EXCLUDED.answered_at, left_at = EXCLUDED.left_at,
	outcome = EXCLUDED.outcome, talk_seconds = EXCLUDED.talk_seconds`

func legArgs(ls []legFields) []any {
	n := len(ls)
	var (
		call, queue                      = make([]string, n), make([]string, n)
		seq                              = make([]int32, n)
		entered, offered, answered, left = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		agent, outcome                   = make([]pgtype.Text, n), make([]pgtype.Text, n)
		talk                             = make([]float64, n)
	)
	for i, l := range ls {
		call[i], seq[i], queue[i] = clean(l.callID), int32(l.seq), clean(l.queue)
		entered[i], offered[i], answered[i], left[i] = ts(l.enteredAt), ts(l.offeredAt), ts(l.answeredAt), ts(l.leftAt)
		agent[i], outcome[i], talk[i] = text(l.agent), text(l.outcome), l.talk
	}
	return []any{call, seq, queue, entered, offered, agent, answered, left, outcome, talk}
}

const upsertAgentStates = `
INSERT INTO agent_states (id, agent, node, state, reason, started_at, ended_at, call_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
	$7::timestamptz[], $8::text[])
ON CONFLICT (id) DO UPDATE SET
	state = EXCLUDED.state, reason = EXCLUDED.reason, started_at = EXCLUDED.started_at,
	ended_at = EXCLUDED.ended_at, call_id = EXCLUDED.call_id`

func agentArgs(as []agentFields) []any {
	n := len(as)
	var (
		id, agent, node, state = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		reason, call           = make([]pgtype.Text, n), make([]pgtype.Text, n)
		started, ended         = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	)
	for i, a := range as {
		id[i], agent[i], node[i], state[i] = a.id, clean(a.agent), clean(a.node), a.state
		reason[i], call[i], started[i], ended[i] = text(a.reason), text(a.callID), ts(a.startedAt), ts(a.endedAt)
	}
	return []any{id, agent, node, state, reason, started, ended, call}
}

// text is a nullable text value: "" is NULL.
func text(s string) pgtype.Text { return pgtype.Text{String: clean(s), Valid: s != ""} }

// clean makes s storable in a text or jsonb column: PostgreSQL refuses NUL
// characters and invalid UTF-8, and one bad caller name must not hold up
// every write after it.
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()} }
