-- Calls, their queue visits, queue_log-style events, agent state intervals,
-- configuration snapshots and the live calls a restarted router re-adopts.

-- One row per call. The journal writes every column as an absolute value, so
-- rewriting a row is harmless. outcome is NULL while the call is live.
CREATE TABLE calls (
    id               text PRIMARY KEY,
    node             text NOT NULL,
    caller_number    text,
    did              text,
    queue            text,                 -- current, or last
    agent            text,                 -- last agent offered or connected
    priority         integer NOT NULL DEFAULT 0,
    enqueued_at      timestamptz,          -- original place in time; NULL before it queues
    first_offered_at timestamptz,
    answered_at      timestamptz,          -- first answer
    ended_at         timestamptz,
    outcome          text CHECK (outcome IN ('completed', 'abandoned', 'removed', 'overflow_callback')),
    wait_seconds     double precision NOT NULL DEFAULT 0, -- time spent waiting in queues, all legs
    talk_seconds     double precision NOT NULL DEFAULT 0, -- all legs
    wrapup_seconds   double precision NOT NULL DEFAULT 0, -- all agents' wrap-up after the call
    transfers        integer NOT NULL DEFAULT 0,
    data             jsonb NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_enqueued_at_idx ON calls (enqueued_at);
CREATE INDEX calls_queue_enqueued_at_idx ON calls (queue, enqueued_at);
CREATE INDEX calls_caller_number_idx ON calls (caller_number, enqueued_at);
CREATE INDEX calls_live_idx ON calls (node) WHERE outcome IS NULL;

-- One row per visit of a call to a queue (the first queue, then each transfer
-- or overflow target).
CREATE TABLE call_legs (
    call_id      text NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    queue        text NOT NULL,
    entered_at   timestamptz NOT NULL,
    offered_at   timestamptz,              -- first offer in this queue
    agent        text,                     -- the agent who answered, or the last one rung
    answered_at  timestamptz,
    left_at      timestamptz,
    outcome      text CHECK (outcome IN ('answered', 'abandoned', 'transferred', 'overflowed', 'removed')),
    talk_seconds double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX call_legs_queue_entered_at_idx ON call_legs (queue, entered_at);

-- Like Asterisk's queue_log: one row per thing that happened, in order (id).
CREATE TABLE queue_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL,
    node    text NOT NULL,
    call_id text,
    queue   text,
    agent   text,
    event   text NOT NULL,
    data    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX queue_events_at_idx ON queue_events (at);
CREATE INDEX queue_events_call_id_idx ON queue_events (call_id) WHERE call_id IS NOT NULL;

-- Agent state intervals; ended_at is NULL for the current one. Logged-out
-- time has no rows.
CREATE TABLE agent_states (
    id         uuid PRIMARY KEY,
    agent      text NOT NULL,
    node       text NOT NULL,
    state      text NOT NULL,
    reason     text,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    call_id    text
);
CREATE INDEX agent_states_agent_started_at_idx ON agent_states (agent, started_at);
CREATE INDEX agent_states_started_at_idx ON agent_states (started_at);
CREATE INDEX agent_states_open_idx ON agent_states (node, agent) WHERE ended_at IS NULL;

-- How far each journal got: a batch whose commit outcome was unknown is not
-- written twice.
CREATE TABLE journal_progress (
    stream     uuid PRIMARY KEY,
    node       text NOT NULL,
    seq        bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every configuration the router loaded.
CREATE TABLE config_snapshots (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    sha256    text NOT NULL,
    body      text NOT NULL
);
CREATE INDEX config_snapshots_loaded_at_idx ON config_snapshots (loaded_at);

-- Calls in the router's bridges right now, what a restarted router re-adopts.
CREATE TABLE active_calls (
    node             text NOT NULL,
    call_id          text NOT NULL,
    channel_id       text NOT NULL,
    queue            text NOT NULL DEFAULT '',
    priority         integer NOT NULL DEFAULT 0,
    enqueued_at      timestamptz NOT NULL,
    bridge_id        text NOT NULL DEFAULT '',
    agent            text NOT NULL DEFAULT '',
    agent_channel_id text NOT NULL DEFAULT '',
    state            text NOT NULL DEFAULT '',
    data             jsonb NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, call_id)
);
