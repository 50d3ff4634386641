-- Accounts and their sessions. Passwords are bcrypt hashes; session tokens are stored as
-- SHA-256 hashes so that a database dump does not hand out live sessions.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    role          text        NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    agent_id      text,                       -- the ACD agent an agent account works as
    queues        text[]      NOT NULL DEFAULT '{}', -- a supervisor's scope; empty = none
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    token_hash bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
