-- Wrap-ups: what an agent recorded after a call (a disposition from the configured list, notes,
-- the ticket it concerned). One row per call and agent: after a transfer each agent who talked
-- to the caller wraps up their part; a second wrap-up by the same agent replaces the first.
CREATE TABLE call_wrapups (
    call_id     text        NOT NULL,
    agent       text        NOT NULL,
    disposition text        NOT NULL,
    notes       text        NOT NULL DEFAULT '',
    ticket_id   bigint,
    at          timestamptz NOT NULL,
    PRIMARY KEY (call_id, agent)
);
CREATE INDEX call_wrapups_agent_at ON call_wrapups (agent, at);
CREATE INDEX call_wrapups_at ON call_wrapups (at);

-- Callbacks an agent schedules from a call ("I'll call you back at three").
ALTER TABLE callbacks DROP CONSTRAINT callbacks_reason_check;
ALTER TABLE callbacks ADD CONSTRAINT callbacks_reason_check
    CHECK (reason IN ('offered', 'missed', 'after_hours', 'agent_scheduled'));
