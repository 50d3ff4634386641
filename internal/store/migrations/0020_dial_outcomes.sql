-- An agent's outbound call that never connected is recorded too (direction outbound in its
-- data, no leg, so in no report's figures): its outcome says why, "dial_" and the router's
-- reason (the agent's phone or the customer's not answering, busy, failing, or cancelled).
ALTER TABLE calls DROP CONSTRAINT calls_outcome_check;
ALTER TABLE calls ADD CONSTRAINT calls_outcome_check CHECK (outcome IN (
    'completed', 'abandoned', 'removed', 'overflow_callback',
    'self_service', 'callback_requested', 'transferred_out', 'closed',
    'dial_agent_no_answer', 'dial_agent_busy', 'dial_agent_failed',
    'dial_no_answer', 'dial_busy', 'dial_failed', 'dial_cancelled'));
