// Package screenpop tells each agent, the moment a call is offered to them, who is calling and
// why: caller number, DID, queue, time waited, the IVR path (sensitive entries masked), the
// call's attached data, and what an Enricher finds (customers, open tickets, last interactions,
// recordings, a link into the CRM).
//
// A Hub follows the router's event stream (Observe, on the router's owner goroutine): the
// engine's events and the router's facts (acd.CallArrived, acd.CallRouted), kept per call by
// acd/calllog; each is handed to the hub's own goroutine (Run), so the router is never held up.
// What is known of the caller is put together by crm (crm/pop.go). On offer, answer, transfer, end and wrap-up the hub builds the
// agent's Pop and delivers it to that agent's subscribers only. Every subscriber has a bounded
// buffer; when a slow one is full the oldest pop in it is dropped (each pop is the whole picture
// of the agent's call, so the newest supersedes the ones before), and neither the hub nor the
// other subscribers wait for it. A subscriber gets the agent's latest pop on subscribing, or
// the idle pop.
//
// Enrichment starts when a call is queued, runs off the hub's goroutine under a tight timeout,
// and never delays a pop: a pop goes out with what is known, and is sent again, enriched, when
// the enrichers answer in time. A failing or slow enricher costs those parts, never the pop.
//
// Desk carries out what an agent does from the call: the wrap-up (a disposition from the
// configured list, notes, a ticket) and a callback scheduled to the caller.
package screenpop
