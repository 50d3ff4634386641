-- Callbacks: requests to call a customer back, keeping the caller's original
-- place (enqueued_at), and their dialing attempts.

-- One row per callback. Active states are pending (waiting for its turn),
-- scheduled (waiting for next_at: a retry, or the window the caller chose)
-- and dialing (an attempt is claimed); done, expired and cancelled are final.
-- outcome is the last attempt's outcome ('expired' when it ran out of time).
CREATE TABLE callbacks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node         text NOT NULL,
    number       text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    queue        text NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    enqueued_at  timestamptz NOT NULL,         -- the caller's original place in the queue
    reason       text NOT NULL CHECK (reason IN ('offered', 'missed', 'after_hours')),
    call_id      text,                         -- the call it came from
    agent        text,                         -- the agent reserved for it, once known
    window_start timestamptz,                  -- the window the caller chose, optional
    window_end   timestamptz,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'scheduled', 'dialing', 'done', 'expired', 'cancelled')),
    attempts     integer NOT NULL DEFAULT 0,   -- attempts claimed so far
    max_attempts integer NOT NULL CHECK (max_attempts > 0),
    next_at      timestamptz NOT NULL,         -- earliest start of the next attempt
    expires_at   timestamptz NOT NULL,
    outcome      text CHECK (outcome IN ('connected', 'no_answer', 'busy', 'failed', 'expired')),
    requests     integer NOT NULL DEFAULT 1,   -- requests merged into this one, itself included
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    data         jsonb NOT NULL DEFAULT '{}',
    CHECK (attempts >= 0 AND attempts <= max_attempts),
    CHECK (window_end IS NULL OR window_start IS NULL OR window_start < window_end)
);
-- The same number is never queued twice in one queue: requests merge into the active row.
CREATE UNIQUE INDEX callbacks_active_number_queue_idx ON callbacks (number, queue)
    WHERE state IN ('pending', 'scheduled', 'dialing');
-- What ClaimCallbacks scans.
CREATE INDEX callbacks_due_idx ON callbacks (priority DESC, enqueued_at, id)
    WHERE state IN ('pending', 'scheduled');
CREATE INDEX callbacks_active_queue_idx ON callbacks (queue, state)
    WHERE state IN ('pending', 'scheduled', 'dialing');
CREATE INDEX callbacks_agent_idx ON callbacks (agent, updated_at) WHERE agent IS NOT NULL;
CREATE INDEX callbacks_created_at_idx ON callbacks (created_at);

-- One row per dialing attempt, written in the transaction that claims it:
-- the primary key makes a second claim of the same attempt impossible.
-- finished_at is NULL while the attempt is under way.
CREATE TABLE callback_attempts (
    callback_id bigint NOT NULL REFERENCES callbacks (id) ON DELETE CASCADE,
    attempt     integer NOT NULL CHECK (attempt > 0),
    claimed_by  text NOT NULL,
    claimed_at  timestamptz NOT NULL,
    finished_at timestamptz,
    outcome     text CHECK (outcome IN ('connected', 'no_answer', 'busy', 'failed', 'expired')),
    recovered   boolean NOT NULL DEFAULT false, -- finished by RecoverStale, not by its dialer
    PRIMARY KEY (callback_id, attempt)
);
CREATE INDEX callback_attempts_open_idx ON callback_attempts (claimed_by, claimed_at) WHERE finished_at IS NULL;
