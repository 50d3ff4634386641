-- How a call that never queued ended, besides its caller hanging up (abandoned): the IVR said
-- goodbye (self_service), a callback request was taken (callback_requested), the caller was
-- sent to the dialplan (transferred_out), or the line was closed (closed). None of them has a
-- leg, so none counts in the queue reports.
ALTER TABLE calls DROP CONSTRAINT calls_outcome_check;
ALTER TABLE calls ADD CONSTRAINT calls_outcome_check CHECK (outcome IN (
    'completed', 'abandoned', 'removed', 'overflow_callback',
    'self_service', 'callback_requested', 'transferred_out', 'closed'));
