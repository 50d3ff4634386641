// Package acd is Switchboard's automatic call distributor: queues, agents, calls, skills,
// routing, reservations, wait estimates and live statistics.
//
// The Engine is pure: no network, no SQL, no goroutines. Time comes from an injected Clock
// and every change is reported, in order, as a typed Event to the Options.OnEvent callback,
// so that storage, dashboards, metrics and screen pops all follow one stream. The owner adds
// what the engine does not decide (a call's caller and DID, its IVR path and data, the end of a
// call the engine never held) as facts in the same stream (Engine.Note); acd/calllog turns the
// stream into call and leg records. The owner
// calls the Engine from one goroutine and calls Tick at NextDeadline to fire reservation
// timeouts, wrap-up ends, skill expansion steps and max-wait overflows.
//
// Cost model: an agent state change touches only the queues that agent serves; a call
// arrival looks only at its own queue's available agents; a freed agent looks only at the
// queues it serves.
package acd
