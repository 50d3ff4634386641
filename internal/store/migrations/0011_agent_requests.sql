-- A pause or logout an agent asked for during a call, which takes effect when the call and its
-- wrap-up end: kept when it is asked, so that a router restarted before then still applies it.
-- One row per agent and node, the latest request; it is pending only while the agent's latest
-- state interval is still with that call, or older than the request (PendingAgentRequests).
CREATE TABLE agent_requests (
    node     text        NOT NULL,
    agent    text        NOT NULL,
    state    text        NOT NULL CHECK (state IN ('paused', 'logged-out')),
    reason   text        NOT NULL DEFAULT '',
    call_id  text        NOT NULL,              -- the call it waits for
    asked_at timestamptz NOT NULL,              -- the router's clock
    PRIMARY KEY (node, agent)
);
