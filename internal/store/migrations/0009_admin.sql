-- Accounts admin and reports.
-- API tokens for integrations: a token acts as its owning user, with that user's role and
-- scope. Like session tokens, only the SHA-256 hash is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    name         text        NOT NULL CHECK (name <> ''),
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- Reports (store/reports.go) read call legs by time and agent-state intervals by overlap with
-- the report's range. greatest() keeps the range valid should an interval ever end before it
-- starts; an open interval runs to infinity.
CREATE INDEX call_legs_entered_at_idx ON call_legs (entered_at);
CREATE INDEX agent_states_during_idx ON agent_states
    USING gist (tstzrange(started_at, greatest(started_at, coalesce(ended_at, 'infinity'::timestamptz))));
