package router

import (
	"context"
	"errors"
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
	r.post(r.linkLost)
}

func (r *Router) linkConnected(attempt int) {
	r.link.up, r.link.attempt, r.link.ready = true, attempt, false
	r.updateHold()
}

// linkReconciled: a reconciliation on connection attempt finished; offers resume if that
// connection is still the current one.
func (r *Router) linkReconciled(attempt int) {
	if !r.link.up || r.link.attempt != attempt {
		return
	}
	r.link.ready = true
	r.link.backoff = 0
	r.updateHold()
}

func (r *Router) linkLost() {
	r.link.up, r.link.ready = false, false
	r.updateHold()
	n := 0
	for _, id := range r.eng.CallIDs() {
		v, ok := r.eng.Call(id)
		if !ok || v.State != "offered" {
			continue
		}
		if c := r.calls[id]; c != nil && c.dialing() != nil && c.dialing().dialed {
			// The agent took the callback and its customer is being dialed under this
			// attempt's channel id: the attempt ends (no fault of the agent's), both legs are
			// hung up, and a retry dials under a new attempt, never the same id twice.
			if err := r.eng.Remove(id, "callback interrupted: event link lost"); err == nil {
				n++
			}
			continue
		}
		if err := r.eng.OfferFailed(id, acd.Withdrawn); err == nil {
			n++
		}
	}
	r.log.Warn("ari event link down; offers held until it is back and reconciled", "withdrawn", n)
}

// updateHold holds or resumes offers as the link and the originate cool-off say.
func (r *Router) updateHold() {
	hold := !r.link.ready || r.link.cooling
	switch {
	case hold && !r.eng.Held():
		r.eng.Hold()
	case !hold && r.eng.Held():
		r.eng.Resume()
	}
}

// originateFailed takes back an offer whose agent leg Asterisk did not create.
func (r *Router) originateFailed(c *call, agentChan, agent string, err error) {
	if c.offer.offerChan != agentChan {
		return // withdrawn or ended meanwhile
	}
	delete(r.chans, agentChan)
	c.offer.offerChan, c.offer.offerAgent = "", ""
	why := acd.Withdrawn
	if errors.Is(err, ErrUnreachable) {
		why = acd.Unreachable
	} else {
		r.coolOff(agent, err)
	}
	if err := r.eng.OfferFailed(c.id, why); err != nil {
		r.log.Warn("offer failure in engine", "call", c.id, "err", err)
	}
}

// coolOff pauses offers for the current backoff, doubling it for the next time.
func (r *Router) coolOff(agent string, err error) {
	if r.link.cooling {
		return
	}
	r.link.backoff = min(max(2*r.link.backoff, minOriginateBackoff), maxOriginateBackoff)
	r.link.cooling = true
	r.updateHold()
	wait := r.link.backoff
	r.log.Warn("offer failed on asterisk's side; offers pause, the agent is not blamed", "agent", agent, "err", err, "for", wait)
	r.after(wait, func() {
		r.post(func() {
			r.link.cooling = false
			r.updateHold()
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
