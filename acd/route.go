package acd

import (
	"sort"
	"time"
)

// The engine keeps one invariant between operations: no available agent is eligible for a
// waiting call (unless offers are held; Resume restores it). So a new call only looks at available agents, and a freed agent only looks
// at waiting calls, each in the queues concerned.

// Hold stops every offer: calls still queue, agents still free up and timers still run, but
// no call is offered until Resume. The owner holds while it cannot reach the telephony, so
// that no agent is rung, or blamed for not answering, through a link that is down.
func (e *Engine) Hold() { e.held = true }

// Resume ends a Hold: each available agent, longest idle first, is offered the most deserving
// call it can take, as if it had just become available.
func (e *Engine) Resume() {
	if !e.held {
		return
	}
	e.held = false
	var idle []*agent
	for _, a := range e.agents {
		if a.state == Available {
			idle = append(idle, a)
		}
	}
	sort.Slice(idle, func(i, j int) bool {
		if !idle[i].idleSince.Equal(idle[j].idleSince) {
			return idle[i].idleSince.Before(idle[j].idleSince)
		}
		return idle[i].cfg.ID < idle[j].cfg.ID
	})
	for _, a := range idle {
		e.routeAgent(a)
	}
}

// Held reports whether offers are held.
func (e *Engine) Held() bool { return e.held }

// Park stops offers of one call: it keeps its place in its queue, its timers run, but no
// agent is offered it until Unpark (an offer ringing now goes on). The owner parks the calls
// of an Asterisk node it cannot see while the other nodes' calls are offered as usual.
func (e *Engine) Park(id string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	c.parked = true
	return nil
}

// Unpark ends a Park: a waiting call is offered at once if an agent can take it.
func (e *Engine) Unpark(id string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	if c.parked {
		c.parked = false
		e.routeCall(c)
	}
	return nil
}

// routeCall offers a waiting call to the best available agent of its queue, if any.
func (e *Engine) routeCall(c *call) {
	if c.state != waiting || e.held || c.parked {
		return
	}
	if a := e.pickAgent(c); a != nil {
		e.offer(c, a, e.clock.Now())
	}
}

// pickAgent chooses by penalty tier first, then by the queue's strategy.
func (e *Engine) pickAgent(c *call) *agent {
	q := c.q
	step := int(c.step)
	for _, t := range q.tiers {
		var best *member
		bestKey := 0
		for m := t.head; m != nil; m = m.next {
			if !meets(m.a.skills, c.req, q.steps, step) {
				continue
			}
			var key int // lower is better; ties go to the longest idle (list order)
			switch q.cfg.Strategy {
			case "", LongestIdle:
				return m.a
			case BestSkill:
				key = -score(m.a.skills, c.req)
			case FewestCalls:
				key = m.a.handled
			case RoundRobin:
				key = (m.rr - q.rrLast - 1 + q.rrSeq) % q.rrSeq
			}
			if best == nil || key < bestKey {
				best, bestKey = m, key
			}
		}
		if best != nil {
			if q.cfg.Strategy == RoundRobin {
				q.rrLast = best.rr
			}
			return best.a
		}
	}
	return nil
}

// candidate is a call an agent could take from one of its queues.
type candidate struct {
	c *call
	m *member
}

// routeAgent offers an available agent the most deserving call among its queues: calls
// starving past StarveAfter first (most overdue first), then higher priority (queue's plus
// call's), then the agent's lower penalty, then the most urgent against the queue's
// service-level threshold, then the earliest.
func (e *Engine) routeAgent(a *agent) {
	if a.state != Available || e.held {
		return
	}
	now := e.clock.Now()
	var best candidate
	for _, m := range a.members {
		q := m.q
		for _, c := range q.waiting {
			if c.parked {
				continue
			}
			if meets(a.skills, c.req, q.steps, int(c.step)) {
				cand := candidate{c, m}
				if best.c == nil || e.better(cand, best, now) {
					best = cand
				}
				break
			}
		}
	}
	if best.c != nil {
		e.offer(best.c, a, now)
	}
}

func (e *Engine) urgency(c *call, now time.Time) float64 {
	return float64(now.Sub(c.enqueuedAt)) / float64(c.q.slThreshold())
}

func (e *Engine) better(x, y candidate, now time.Time) bool {
	ux, uy := e.urgency(x.c, now), e.urgency(y.c, now)
	sx, sy := ux >= e.opt.StarveAfter, uy >= e.opt.StarveAfter
	if sx != sy {
		return sx
	}
	if !sx {
		px := x.m.q.cfg.Priority + int(x.c.prio)
		py := y.m.q.cfg.Priority + int(y.c.prio)
		if px != py {
			return px > py
		}
		if x.m.penalty != y.m.penalty {
			return x.m.penalty < y.m.penalty
		}
	}
	if ux != uy {
		return ux > uy
	}
	return x.c.enqueuedAt.Before(y.c.enqueuedAt)
}

// offer reserves agent a for call c and starts the ring timer.
func (e *Engine) offer(c *call, a *agent, now time.Time) {
	q := c.q
	q.remove(c, now)
	if now.After(c.queuedAt) {
		q.hist.served(len(q.waiting) + 1)
	}
	c.state = offered
	c.agent = a
	c.offeredAt = now
	a.call = c
	ring := q.cfg.RingTimeout
	if ring <= 0 {
		ring = e.opt.RingTimeout
	}
	deadline := now.Add(ring)
	e.timers.schedule(&c.timer, deadline)
	e.setState(a, Reserved, "", now)
	e.emit(CallOffered{At: now, Call: c.id, Queue: q.cfg.Name, Agent: a.cfg.ID, Endpoint: a.cfg.Endpoint, Waited: now.Sub(c.enqueuedAt), Deadline: deadline})
}
