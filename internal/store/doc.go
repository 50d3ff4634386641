// Package store is Switchboard's PostgreSQL store: call records, their queue
// legs, a queue_log-like event table, agent state intervals, configuration
// snapshots and the live calls a restarted router re-adopts. Callbacks and
// their dialing attempts are in callbacks.go, whose comment gives the rules
// that keep them from being lost or dialed twice. Customers, tickets and interactions are in
// crm*.go (CRM, whose rules are the crm package's).
//
// Store wraps a pgx pool with plain SQL. Journal turns the engine's event
// stream (acd.Event) into rows: the engine's goroutine hands events to
// Record, which only appends to an in-memory queue, and Run writes them in
// batches, one transaction per batch (queue_events through COPY, calls,
// call_legs and agent_states through upserts of absolute values). A batch that
// fails is kept and retried, in order, until the database is back; nothing is
// dropped.
//
// Decisions worth knowing:
//   - calls.wait_seconds is the time the caller spent waiting in queues, summed
//     over the legs (a transferred call's talk with the first agent is not
//     wait); talk_seconds and wrapup_seconds are summed over the agents.
//   - A call's first leg is opened by its first CallEnqueued. A CallEnqueued for
//     a call whose open leg is in the same queue and unanswered continues that
//     leg (re-adoption after a restart); any other open leg is closed as
//     "removed" first.
//   - A call id names one call. If a finished call's id queues again (a callback
//     that keeps the id), the row is reopened and gets new legs.
//   - Logged-out time has no agent_states rows. An interval left open by a
//     router that died is closed at the agent's next state change.
//   - A call that ended while no router listened (it died, or its link was
//     down) is closed when the router reconciles (Journal.Reconciled): at the
//     reconciliation's time, completed if it was answered, abandoned if not,
//     with its open leg, and a GONE event. A call that never queued (it ended
//     in the IVR) never gets an outcome.
//   - queue_events names follow Asterisk's queue_log where one exists
//     (ENTERQUEUE, CONNECT, RINGNOANSWER, ABANDON, TRANSFER, EXITWITHTIMEOUT,
//     PAUSE, UNPAUSE, AGENTLOGIN, AGENTLOGOFF); COMPLETE is neutral because the
//     engine does not know who hung up; OFFER, UPDATE, REMOVED, CALLBACKOFFER,
//     EXPAND and GONE are Switchboard's own.
package store
