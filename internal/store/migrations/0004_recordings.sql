-- The recordings index: one row per stored call recording (the file lives in the recording
-- store folder; path, size and checksum let playback refuse a missing or altered file), and
-- the audit trail of who listened to or downloaded what, and of purges.
CREATE TABLE recordings (
    name        text        PRIMARY KEY,           -- ARI recording name, "call-<call id>"
    call_id     text        NOT NULL,
    queue       text        NOT NULL DEFAULT '',
    agent       text        NOT NULL DEFAULT '',   -- ACD agent id
    number      text        NOT NULL DEFAULT '',   -- caller number
    customer    text        NOT NULL DEFAULT '',
    ticket      text        NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    duration_ms bigint      NOT NULL CHECK (duration_ms >= 0),
    size_bytes  bigint      NOT NULL CHECK (size_bytes >= 0),
    format      text        NOT NULL,
    sha256      text        NOT NULL,              -- lower-case hex
    path        text        NOT NULL,
    indexed_at  timestamptz NOT NULL DEFAULT now()
);
-- Searches are newest first, keyset-paged on (started_at, name); each search key leads an
-- index in that order. Duration is filtered on the rows those indexes give.
CREATE INDEX recordings_started ON recordings (started_at DESC, name DESC);
CREATE INDEX recordings_queue ON recordings (queue, started_at DESC, name DESC);
CREATE INDEX recordings_agent ON recordings (agent, started_at DESC, name DESC);
CREATE INDEX recordings_number ON recordings (number, started_at DESC, name DESC) WHERE number <> '';
CREATE INDEX recordings_customer ON recordings (customer, started_at DESC, name DESC) WHERE customer <> '';
CREATE INDEX recordings_ticket ON recordings (ticket, started_at DESC, name DESC) WHERE ticket <> '';
CREATE INDEX recordings_call ON recordings (call_id);

CREATE TABLE audit (
    id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text        NOT NULL,   -- username, or "system" for jobs
    action text        NOT NULL,   -- play, download, purge, ...
    object text        NOT NULL,   -- e.g. "recording:call-ast1-1763880000.12"
    detail text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_object ON audit (object, at);
CREATE INDEX audit_actor ON audit (actor, at);
