// Package crm is Switchboard's customer side: customer records, tickets and interactions, the
// identification of a caller, the segment policy that routing applies to identified callers,
// the connector to an external CRM, and the definitions of the ticket KPIs.
//
// It holds the rules and does no storage: internal/store keeps customers, tickets, their
// linked calls and the interactions in PostgreSQL (and implements Local); internal/web serves
// them at /api/customers and /api/tickets.
//
// Decisions worth knowing:
//   - Phones are stored in E.164 (ivr/callback's Normalize). A phone or an account number may
//     belong to several customers, so identification returns every candidate: those whose
//     phone is the caller's number first, then those with the account number given.
//   - A ticket moves new → open/pending/resolved/closed, open ⇄ pending, and to resolved or
//     closed from any open status; resolved and closed only go back to open, which counts as a
//     reopening (CheckTransition). ResolvedAt is the last time it became resolved or closed.
//   - An interaction is one call leg with one agent (call id + agent), written and then updated
//     in place, so the hang-up and the wrap-up can each add what they know.
//   - The external CRM (Connector) is asked with a short timeout (300 ms by default) behind a
//     circuit breaker; its answer is mapped onto a customer by dotted paths (Mapping). When it
//     is slow, failing or its breaker open, the local record is the answer (Directory). Its API
//     key goes in a header, never the URL; log lines name the CRM's host, never the URL, which
//     carries the caller's number.
//   - The screen pop's assembly is here (pop.go): who is calling, their open tickets, last
//     contacts and recordings, each PopSource asked at once under the pop's deadline (AskAll);
//     internal/screenpop only delivers the result to the desks.
//   - LegWriter writes each call leg of an identified customer as an interaction, following
//     the event stream through calllog; the daemon runs it on a goroutine of its own.
//   - SegmentPolicy.Apply is pure: a segment's priority boost and/or dedicated queue, applied
//     by the router or the IVR to a call's route once the caller is known.
package crm
