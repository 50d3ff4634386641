package router

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"switchboard/acd"
)

// The router offers calls only while it can see what Asterisk does with them. Until the first
// reconciliation, and from the moment the event link drops until a reconciliation on the new
// link has finished, the engine holds every offer: an agent leg the router cannot see answer
// would ring out and pause its agent "no answer", or be answered into nothing. Offers ringing
// when the link drops are withdrawn (the call keeps its place, the agent is not blamed) and
// their agent legs hung up.
//
// Only a failure of the agent's phone counts against the agent: a ring-out, busy, or an
// endpoint Asterisk cannot reach (ErrUnreachable, or the agent leg's end cause). An originate
// that Asterisk refuses or does not answer for another reason, or an agent leg that ends by
// congestion, withdraws the offer, and offers pause for a short while that grows with each
// failure (min/maxOriginateBackoff) so that the same agent is not rung again at once into the
// same error.

const (
	minOriginateBackoff = 500 * time.Millisecond
	maxOriginateBackoff = 10 * time.Second
)

// linker holds or resumes offers as the event link and the originate failures say.
type linker struct {
	eng   *acd.Engine
	log   *slog.Logger
	ex    *executor
	calls map[string]*call // the owner's
	chans map[string]*call // the owner's
	link  link
	// With several nodes (nodes.go): the nodes in order, their links by name, and what
	// says which node a phone is on.
	order []NodeConfig
	nodes map[string]*nodeLink
	topo  NodeTelephony
	// started: every node was reconciled once since the router started, or the start's
	// grace (startGrace, armed once) passed.
	started, graceArmed bool
}

// link is the owner's view of the event link and of offering.
type link struct {
	up      bool // connected (Connected seen, Disconnected not since)
	attempt int  // the connection's attempt number
	ready   bool // reconciled on this connection
	cooling bool // offers paused after a failure on Asterisk's side
	backoff time.Duration
	ctx     context.Context // the owner loop's (Run), for the requests the owner makes
}

func (l *link) context() context.Context {
	if l.ctx == nil {
		return context.Background()
	}
	return l.ctx
}

// Disconnected queues the loss of the event link: offers stop until the next reconciliation.
func (r *Router) Disconnected() {
	r.post(r.u.lnk.linkLost)
}

func (lk *linker) linkConnected(attempt int) {
	lk.link.up, lk.link.attempt, lk.link.ready = true, attempt, false
	lk.updateHold()
}

// linkReconciled: a reconciliation on connection attempt finished; offers resume if that
// connection is still the current one.
func (lk *linker) linkReconciled(attempt int) {
	if !lk.link.up || lk.link.attempt != attempt {
		return
	}
	lk.link.ready = true
	lk.link.backoff = 0
	lk.updateHold()
}

func (lk *linker) linkLost() {
	lk.link.up, lk.link.ready = false, false
	lk.updateHold()
	n := 0
	for _, id := range lk.eng.CallIDs() {
		v, ok := lk.eng.Call(id)
		if !ok || v.State != "offered" {
			continue
		}
		if c := lk.calls[id]; c != nil && c.dialing() != nil && c.dialing().dialed {
			// The agent took the callback and its customer is being dialed under this
			// attempt's channel id: the attempt ends (no fault of the agent's), both legs are
			// hung up, and a retry dials under a new attempt, never the same id twice.
			if err := lk.eng.Remove(id, "callback interrupted: event link lost"); err == nil {
				n++
			}
			continue
		}
		if err := lk.eng.OfferFailed(id, acd.Withdrawn); err == nil {
			n++
		}
	}
	lk.log.Warn("ari event link down; offers held until it is back and reconciled", "withdrawn", n)
}

// updateHold holds or resumes offers as the link and the originate cool-off say.
func (lk *linker) updateHold() {
	hold := !lk.link.ready || lk.link.cooling
	switch {
	case hold && !lk.eng.Held():
		lk.eng.Hold()
	case !hold && lk.eng.Held():
		lk.eng.Resume()
	}
}

// originateFailed takes back an offer whose agent leg Asterisk did not create.
func (lk *linker) originateFailed(c *call, agentChan, agent string, err error) {
	if c.offer.offerChan != agentChan {
		return // withdrawn or ended meanwhile
	}
	delete(lk.chans, agentChan)
	c.offer.offerChan, c.offer.offerAgent = "", ""
	why := acd.Withdrawn
	if errors.Is(err, ErrUnreachable) {
		why = acd.Unreachable
	} else {
		lk.coolOff(agent, err)
	}
	if err := lk.eng.OfferFailed(c.id, why); err != nil {
		lk.log.Warn("offer failure in engine", "call", c.id, "err", err)
	}
}

// coolOff pauses offers for the current backoff, doubling it for the next time.
func (lk *linker) coolOff(agent string, err error) {
	if lk.link.cooling {
		return
	}
	lk.link.backoff = min(max(2*lk.link.backoff, minOriginateBackoff), maxOriginateBackoff)
	lk.link.cooling = true
	lk.updateHold()
	wait := lk.link.backoff
	lk.log.Warn("offer failed on asterisk's side; offers pause, the agent is not blamed", "agent", agent, "err", err, "for", wait)
	lk.ex.after(wait, func() {
		lk.ex.post(func() {
			lk.link.cooling = false
			lk.updateHold()
		})
	})
}

// agentLegFailure says what the end of a ringing agent leg, by its hangup cause, means for
// the agent: the phone was busy, did not answer, or could not be reached, or the leg failed
// for a reason that is not the phone's (Asterisk's or the network's congestion, or a cause
// not known because the router did not see the leg end).
func agentLegFailure(cause int) acd.OfferFailure {
	switch cause {
	case 17: // user busy
		return acd.Busy
	case 18, 19, 21: // no user responding, no answer, call rejected
		return acd.NoAnswer
	case 0, // not seen: the leg ended while the event link was down
		34, 38, 41, 42, 44, 47: // no circuit, network out of order, temporary failure, congestion, resources
		return acd.Withdrawn
	}
	return acd.Unreachable // not registered, out of order, no route to the endpoint...
}
