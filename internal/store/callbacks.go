package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/ivr/callback"
)

// Callbacks are durable: a request is a row in callbacks, and every dialing
// attempt is a row in callback_attempts, inserted in the same statement that
// claims it. The rules that keep them from being lost or dialed twice:
//
//   - One active callback per (number, queue): RequestCallback merges a new
//     request into the active one (partial unique index), keeping the
//     earliest enqueued_at (the caller's original place), the highest
//     priority, the larger attempt budget and the later expiry.
//   - ClaimCallbacks selects due rows FOR UPDATE SKIP LOCKED, moves them to
//     dialing with attempts+1 and inserts (callback, attempt), all in one
//     statement: two routers never claim the same row, and the primary key
//     of callback_attempts refuses a second claim of one attempt even if the
//     locks were bypassed. A router dials only after the claim committed; a
//     claim whose reply was lost is an attempt never dialed, recovered later.
//   - FinishAttempt is idempotent: an attempt finishes once; finishing it
//     again (a retry after a lost reply, or after RecoverStale got there
//     first) changes nothing and reports false.
//   - An attempt whose router died is never dialed again under the same
//     number. RecoverStale (attempts older than a lease) and RecoverOwner (a
//     router's own previous incarnation, on restart) finish it as failed,
//     with recovered set, and reschedule the callback for now, or end it
//     when it has no attempt left or has expired. The attempt counts:
//     the customer may have been rung. RecoverStale's lease must outlast any
//     attempt: until routers hold a lease with a fencing term (DESIGN.md,
//     Scale), a router paused longer than the lease could still dial an
//     attempt already recovered (never the same attempt number twice, but
//     the customer twice).
//   - A new request is pending, or scheduled when the caller chose a window;
//     after an attempt that did not connect it is scheduled at next_at.
//   - attempts never exceeds max_attempts (a CHECK constraint, and the claim
//     skips exhausted rows).
//
// Times: due-ness (next_at, expires_at, the caller's window) is judged
// against the now the caller passes; claimed_at, finished_at, updated_at and
// the stale lease use the store's clock (Store.WithClock), never the
// database's.

var _ callback.Store = (*Store)(nil)

// Claim is one claimed attempt: the router dials it, then calls FinishAttempt.
type Claim struct {
	callback.Callback
	Attempt int // equals Callback.Attempts
}

// LogValue logs a claim without its number's leading digits.
func (c Claim) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", c.ID), slog.Int("attempt", c.Attempt),
		slog.String("queue", c.Queue), slog.String("number", callback.Mask(c.Number)))
}

// CallbackAttempt is one dialing attempt.
type CallbackAttempt struct {
	CallbackID int64
	Attempt    int
	ClaimedBy  string
	ClaimedAt  time.Time
	FinishedAt time.Time // zero while under way
	Outcome    callback.Outcome
	Recovered  bool // finished by RecoverStale or RecoverOwner
}

const activeStates = `('pending', 'scheduled', 'dialing')`

const callbackColumns = `id, node, number, queue, priority, enqueued_at, reason, coalesce(call_id, ''),
	coalesce(agent, ''), window_start, window_end, state, attempts, max_attempts, next_at, expires_at,
	coalesce(outcome, ''), requests, created_at, updated_at, data`

func scanCallback(row pgx.CollectableRow) (callback.Callback, error) {
	var c callback.Callback
	var ws, we *time.Time
	err := row.Scan(&c.ID, &c.Node, &c.Number, &c.Queue, &c.Priority, &c.EnqueuedAt, &c.Reason, &c.CallID,
		&c.Agent, &ws, &we, &c.State, &c.Attempts, &c.MaxAttempts, &c.NextAt, &c.ExpiresAt,
		&c.Outcome, &c.Requests, &c.CreatedAt, &c.UpdatedAt, &c.Data)
	if ws != nil {
		c.WindowStart = *ws
	}
	if we != nil {
		c.WindowEnd = *we
	}
	return c, err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RequestCallback records a callback request, or merges it into the active
// callback for the same number and queue (merged true): the earliest
// enqueued_at and the highest priority win, the attempt budget and the
// expiry grow to the larger, the next attempt comes no later than either
// asks (unless one is under way), a window given by the new request replaces
// the old, and data is merged.
func (s *Store) RequestCallback(ctx context.Context, r callback.Request) (id int64, merged bool, err error) {
	return requestCallback(ctx, s.pool, r, s.now())
}

// rowQuerier is a pool or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func requestCallback(ctx context.Context, db rowQuerier, r callback.Request, now time.Time) (id int64, merged bool, err error) {
	if err := r.Validate(); err != nil {
		return 0, false, fmt.Errorf("store: request callback: %w", err)
	}
	next := r.NextAt
	if next.IsZero() {
		next = r.WindowStart
	}
	data := r.Data
	if data == nil {
		data = map[string]string{}
	}
	err = db.QueryRow(ctx, `
		INSERT INTO callbacks (node, number, queue, priority, enqueued_at, reason, call_id, window_start, window_end,
			state, max_attempts, next_at, expires_at, data, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
			CASE WHEN $8::timestamptz IS NULL THEN 'pending' ELSE 'scheduled' END,
			$11, coalesce($10::timestamptz, $14::timestamptz), $12, $13, $14, $14)
		ON CONFLICT (number, queue) WHERE state IN `+activeStates+` DO UPDATE SET
			priority = greatest(callbacks.priority, EXCLUDED.priority),
			enqueued_at = least(callbacks.enqueued_at, EXCLUDED.enqueued_at),
			max_attempts = greatest(callbacks.max_attempts, EXCLUDED.max_attempts),
			expires_at = greatest(callbacks.expires_at, EXCLUDED.expires_at),
			next_at = CASE WHEN callbacks.state = 'dialing' THEN callbacks.next_at
				ELSE least(callbacks.next_at, EXCLUDED.next_at) END,
			window_start = CASE WHEN EXCLUDED.window_start IS NULL AND EXCLUDED.window_end IS NULL
				THEN callbacks.window_start ELSE EXCLUDED.window_start END,
			window_end = CASE WHEN EXCLUDED.window_start IS NULL AND EXCLUDED.window_end IS NULL
				THEN callbacks.window_end ELSE EXCLUDED.window_end END,
			call_id = coalesce(callbacks.call_id, EXCLUDED.call_id),
			requests = callbacks.requests + 1,
			data = callbacks.data || EXCLUDED.data,
			updated_at = $14
		RETURNING id, requests > 1`,
		r.Node, r.Number, r.Queue, r.Priority, r.EnqueuedAt, string(r.Reason), nullText(r.CallID),
		nullTime(r.WindowStart), nullTime(r.WindowEnd), nullTime(next), r.MaxAttempts, r.ExpiresAt, data, now,
	).Scan(&id, &merged)
	if err != nil {
		return 0, false, fmt.Errorf("store: request callback: %w", err)
	}
	return id, merged, nil
}

// ClaimCallbacks claims up to limit due callbacks for owner (a name unique
// to one router process, e.g. "router-a"): pending or scheduled, next_at at
// or before now, not expired, inside the caller's window, best priority
// then earliest place first. Each claim is a new attempt the caller must
// dial and then finish with FinishAttempt. Rows another router is claiming
// at the same moment are skipped, not waited for.
func (s *Store) ClaimCallbacks(ctx context.Context, owner string, now time.Time, limit int) ([]Claim, error) {
	return s.ClaimCallbacksIn(ctx, owner, nil, now, limit)
}

// ClaimCallbacksIn is ClaimCallbacks limited to queues (nil: all). The
// router claims in the queues where an agent is reserved for a callback and
// whose hours are open now: next_at is computed with the hours
// (Policy.NextAttempt), but a recovered attempt is rescheduled for the
// moment of recovery, which the hours may not allow.
func (s *Store) ClaimCallbacksIn(ctx context.Context, owner string, queues []string, now time.Time, limit int) ([]Claim, error) {
	if queues != nil && len(queues) == 0 {
		return nil, nil
	}
	if owner == "" || limit <= 0 {
		return nil, fmt.Errorf("store: claim callbacks: owner and a positive limit are required: %w", callback.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM callbacks
			WHERE state IN ('pending', 'scheduled') AND next_at <= $1 AND expires_at > $1
				AND attempts < max_attempts
				AND (window_start IS NULL OR window_start <= $1)
				AND (window_end IS NULL OR window_end > $1)
				AND ($4::text[] IS NULL OR queue = ANY($4))
			ORDER BY priority DESC, enqueued_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE callbacks c SET state = 'dialing', attempts = c.attempts + 1, updated_at = $5
			FROM due WHERE c.id = due.id AND c.attempts < c.max_attempts
			RETURNING c.*
		), attempt AS (
			INSERT INTO callback_attempts (callback_id, attempt, claimed_by, claimed_at)
			SELECT id, attempts, $3, $5 FROM claimed
		)
		SELECT `+callbackColumns+` FROM claimed ORDER BY priority DESC, enqueued_at, id`,
		now, limit, owner, queues, s.now())
	if err != nil {
		return nil, fmt.Errorf("store: claim callbacks: %w", err)
	}
	cbs, err := pgx.CollectRows(rows, scanCallback)
	if err != nil {
		return nil, fmt.Errorf("store: claim callbacks: %w", err)
	}
	claims := make([]Claim, len(cbs))
	for i, c := range cbs {
		claims[i] = Claim{Callback: c, Attempt: c.Attempts}
	}
	return claims, nil
}

// FinishAttempt records how an attempt ended and what follows: connected
// ends the callback (done), expired expires it; otherwise next is the time
// of the next attempt (callback.Policy.NextAttempt), and a zero next, an
// exhausted budget or a next past the expiry or the caller's window ends it
// (done with this outcome, or expired). It reports false, and changes
// nothing, when the attempt was finished already.
//
// Leave the expiry and the end of the caller's window to the store: compute
// next without them (callback.Callback with ExpiresAt and WindowEnd zero),
// because a request merged into the callback while it was being dialed may
// have extended them; the store compares next with the current row. A zero
// next then means the policy has no attempt left at all.
func (s *Store) FinishAttempt(ctx context.Context, id int64, attempt int, outcome callback.Outcome, next time.Time) (bool, error) {
	if !outcome.Valid() {
		return false, fmt.Errorf("store: finish callback %d attempt %d: outcome %q: %w", id, attempt, outcome, callback.ErrInvalid)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("store: finish callback %d attempt %d: %w", id, attempt, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, `
		UPDATE callback_attempts SET finished_at = $4, outcome = $3
		WHERE callback_id = $1 AND attempt = $2 AND finished_at IS NULL`, id, attempt, string(outcome), s.now())
	if err != nil {
		return false, fmt.Errorf("store: finish callback %d attempt %d: %w", id, attempt, err)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM callback_attempts WHERE callback_id = $1 AND attempt = $2)`,
			id, attempt).Scan(&exists); err != nil {
			return false, fmt.Errorf("store: finish callback %d attempt %d: %w", id, attempt, err)
		}
		if !exists {
			return false, notFound("callback attempt", fmt.Sprintf("%d/%d", id, attempt))
		}
		return false, nil
	}
	if _, err := tx.Exec(ctx, `
		UPDATE callbacks SET
			state = CASE
				WHEN $3 = 'connected' THEN 'done'
				WHEN $3 = 'expired' THEN 'expired'
				WHEN $4::timestamptz IS NULL OR attempts >= max_attempts THEN 'done'
				WHEN $4 >= expires_at OR $4 >= window_end THEN 'expired'
				ELSE 'scheduled' END,
			outcome = CASE WHEN $3 <> 'connected' AND $4 IS NOT NULL AND attempts < max_attempts
				AND ($4 >= expires_at OR $4 >= window_end) THEN 'expired' ELSE $3 END,
			next_at = coalesce($4, next_at),
			updated_at = $5
		WHERE id = $1 AND state = 'dialing' AND attempts = $2`,
		id, attempt, string(outcome), nullTime(next), s.now()); err != nil {
		return false, fmt.Errorf("store: finish callback %d attempt %d: %w", id, attempt, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("store: finish callback %d attempt %d: %w", id, attempt, err)
	}
	return true, nil
}

// AssignCallback records the agent reserved for a callback's attempt under
// way, for the agent's list.
func (s *Store) AssignCallback(ctx context.Context, id int64, attempt int, agent string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE callbacks SET agent = $3, updated_at = $4
		WHERE id = $1 AND attempts = $2 AND state = 'dialing'`, id, attempt, nullText(agent), s.now())
	if err != nil {
		return fmt.Errorf("store: assign callback %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: assign callback %d attempt %d: %w", id, attempt, callback.ErrConflict)
	}
	return nil
}

// CancelCallback cancels a callback waiting for its turn (pending or
// scheduled); it reports false when the callback is dialing or final.
func (s *Store) CancelCallback(ctx context.Context, id int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE callbacks SET state = 'cancelled', updated_at = $2
		WHERE id = $1 AND state IN ('pending', 'scheduled')`, id, s.now())
	if err != nil {
		return false, fmt.Errorf("store: cancel callback %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ExpireCallbacks ends the waiting callbacks (pending, scheduled) whose
// expiry or caller's window has passed at now, and returns how many. A
// callback being dialed is left to its FinishAttempt.
func (s *Store) ExpireCallbacks(ctx context.Context, now time.Time) (int, error) {
	// Rows another router is claiming or expiring are skipped, not waited
	// for: two sweeps never deadlock, and a claimed row is not waiting.
	tag, err := s.pool.Exec(ctx, `
		WITH due AS (
			SELECT id FROM callbacks
			WHERE state IN ('pending', 'scheduled') AND (expires_at <= $1 OR window_end <= $1)
			ORDER BY id FOR UPDATE SKIP LOCKED
		)
		UPDATE callbacks c SET state = 'expired', outcome = 'expired', updated_at = $1
		FROM due WHERE c.id = due.id`, now)
	if err != nil {
		return 0, fmt.Errorf("store: expire callbacks: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RecoverStale finishes, as failed and recovered, the attempts claimed more
// than olderThan ago (the store's clock) and never finished, and reschedules
// their callbacks for now (or ends them: no attempt left, or expired). Call
// it with a lease longer than any attempt can last (agent ring plus
// customer ring, with margin): an attempt it finishes is never dialed
// again, but a live router still dialing it would not be stopped. It
// returns the number of attempts recovered.
func (s *Store) RecoverStale(ctx context.Context, olderThan time.Duration) (int, error) {
	return s.recover(ctx, `claimed_at < $2::timestamptz - make_interval(secs => $1)`, olderThan.Seconds())
}

// RecoverOwner is RecoverStale for the attempts of one owner, whatever their
// age: a router calls it at start for its own previous incarnation, which
// is known to be dead.
func (s *Store) RecoverOwner(ctx context.Context, owner string) (int, error) {
	return s.recover(ctx, `claimed_by = $1`, owner)
}

// recover finishes the open attempts matching cond. Attempts being finished
// or recovered at the same moment are skipped: their owner is alive after
// all, or another router is recovering them.
func (s *Store) recover(ctx context.Context, cond string, arg any) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `
		WITH pick AS (
			SELECT callback_id, attempt FROM callback_attempts
			WHERE finished_at IS NULL AND `+cond+`
			ORDER BY callback_id, attempt FOR UPDATE SKIP LOCKED
		), stale AS (
			UPDATE callback_attempts a SET finished_at = $2, outcome = 'failed', recovered = true
			FROM pick WHERE (a.callback_id, a.attempt) = (pick.callback_id, pick.attempt)
			RETURNING a.callback_id, a.attempt
		), rescheduled AS (
			UPDATE callbacks c SET
				state = CASE WHEN c.expires_at <= $2 OR c.window_end <= $2 THEN 'expired'
					WHEN c.attempts >= c.max_attempts THEN 'done'
					ELSE 'scheduled' END,
				outcome = CASE WHEN c.expires_at <= $2 OR c.window_end <= $2 THEN 'expired' ELSE 'failed' END,
				next_at = $2,
				updated_at = $2
			FROM stale WHERE c.id = stale.callback_id AND c.state = 'dialing' AND c.attempts = stale.attempt
		)
		SELECT count(*) FROM stale`, arg, s.now()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: recover callback attempts: %w", err)
	}
	return n, nil
}

// CallbackCounts returns the number of active callbacks (pending, scheduled,
// dialing) by queue and state. Final states are not counted: they only grow.
func (s *Store) CallbackCounts(ctx context.Context) (map[string]map[callback.State]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT queue, state, count(*) FROM callbacks
		WHERE state IN `+activeStates+` GROUP BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("store: callback counts: %w", err)
	}
	out := map[string]map[callback.State]int{}
	var q string
	var st callback.State
	var n int
	_, err = pgx.ForEachRow(rows, []any{&q, &st, &n}, func() error {
		if out[q] == nil {
			out[q] = map[callback.State]int{}
		}
		out[q][st] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: callback counts: %w", err)
	}
	return out, nil
}

// Callbacks lists callbacks, best priority then earliest place first (the
// order they are dialed in).
func (s *Store) Callbacks(ctx context.Context, f callback.Filter) ([]callback.Callback, error) {
	states := f.States
	if states == nil {
		states = callback.ActiveStates
	}
	ss := make([]string, len(states))
	for i, st := range states {
		ss[i] = string(st)
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	rows, err := s.pool.Query(ctx, `SELECT `+callbackColumns+` FROM callbacks
		WHERE state = ANY($1) AND ($2 = '' OR queue = $2) AND ($3 = '' OR agent = $3)
			AND ($5::text[] IS NULL OR queue = ANY($5))
		ORDER BY priority DESC, enqueued_at, id LIMIT $4`, ss, f.Queue, f.Agent, f.Limit, f.Queues)
	if err != nil {
		return nil, fmt.Errorf("store: callbacks: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCallback)
	if err != nil {
		return nil, fmt.Errorf("store: callbacks: %w", err)
	}
	return out, nil
}

// AgentCallbacks lists the active callbacks assigned to agent.
func (s *Store) AgentCallbacks(ctx context.Context, agent string) ([]callback.Callback, error) {
	if agent == "" {
		return nil, nil
	}
	return s.Callbacks(ctx, callback.Filter{Agent: agent})
}

// Callback returns one callback.
func (s *Store) Callback(ctx context.Context, id int64) (*callback.Callback, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("store: callback %d: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCallback)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("callback", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("store: callback %d: %w", id, err)
	}
	return &c, nil
}

// CallbackAttempts returns a callback's attempts in order.
func (s *Store) CallbackAttempts(ctx context.Context, id int64) ([]CallbackAttempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT callback_id, attempt, claimed_by, claimed_at, finished_at,
		coalesce(outcome, ''), recovered FROM callback_attempts WHERE callback_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return nil, fmt.Errorf("store: callback %d attempts: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CallbackAttempt, error) {
		var a CallbackAttempt
		var fin *time.Time
		err := row.Scan(&a.CallbackID, &a.Attempt, &a.ClaimedBy, &a.ClaimedAt, &fin, &a.Outcome, &a.Recovered)
		if fin != nil {
			a.FinishedAt = *fin
		}
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: callback %d attempts: %w", id, err)
	}
	return out, nil
}
