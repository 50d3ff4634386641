-- Post-call survey scores (CSAT): one per call, against the agent who took it and the queue.
CREATE TABLE csat (
    call_id text        PRIMARY KEY,
    agent   text,
    queue   text,
    score   smallint    NOT NULL CHECK (score BETWEEN 1 AND 5),
    at      timestamptz NOT NULL
);
CREATE INDEX csat_agent ON csat (agent, at);
CREATE INDEX csat_queue ON csat (queue, at);
