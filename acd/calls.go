package acd

import "time"

// OfferFailure says why an offered call was not answered.
type OfferFailure uint8

const (
	NoAnswer    OfferFailure = iota + 1 // rang out
	Busy                                // the phone answered busy
	Unreachable                         // the endpoint is not registered or cannot be reached
	// Withdrawn: the owner took the offer back for a reason that is not the agent's (it lost
	// its link to the telephony, or the telephony refused the call); the agent is not paused.
	Withdrawn
)

func (f OfferFailure) String() string {
	switch f {
	case NoAnswer:
		return ReasonNoAnswer
	case Busy:
		return ReasonBusy
	case Unreachable:
		return ReasonUnreachable
	case Withdrawn:
		return "withdrawn"
	}
	return "unknown"
}

// Enqueue queues a call and routes it if an agent is free.
func (e *Engine) Enqueue(req CallRequest) error {
	q, extra, err := e.checkRequest(req)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	at := req.EnqueuedAt
	if at.IsZero() || at.After(now) {
		at = now
	}
	e.seq++
	c := &call{id: req.ID, prio: int8(req.Priority), extra: extra, seq: e.seq, enqueuedAt: at, data: copyData(req.Data)}
	c.timer.index = -1
	c.timer.call = c
	e.calls[c.id] = c
	e.enter(c, q, now)
	return nil
}

// checkRequest validates a new call and returns its queue and own skill requirements.
func (e *Engine) checkRequest(req CallRequest) (*queue, []skillLevel, error) {
	if req.ID == "" {
		return nil, nil, errorf(EInvalid, "call: id is required")
	}
	if _, ok := e.calls[req.ID]; ok {
		return nil, nil, errorf(EConflict, "call %s exists", req.ID)
	}
	q, ok := e.queues[req.Queue]
	if !ok {
		return nil, nil, errorf(ENotFound, "call %s: queue %s not found", req.ID, req.Queue)
	}
	if req.Priority < 0 || req.Priority > MaxPriority {
		return nil, nil, errorf(EInvalid, "call %s: priority %d outside 0-%d", req.ID, req.Priority, MaxPriority)
	}
	extra, err := e.skills.levels(req.Skills)
	if err != nil {
		return nil, nil, errorf(EInvalid, "call %s: %v", req.ID, err)
	}
	return q, extra, nil
}

// enter places a call at its place in q, announces it and routes it.
func (e *Engine) enter(c *call, q *queue, now time.Time) {
	c.q = q
	c.req = mergeReq(q.req, c.extra)
	c.queuedAt = now
	c.state = waiting
	c.agent = nil
	c.offerDue = false
	c.step = uint8(q.stepAt(0))
	q.insert(c, now)
	pos := q.index(c) + 1
	est := e.estimate(q, pos, now.Sub(c.enqueuedAt), now)
	q.stats.entered(now, q)
	e.emit(CallEnqueued{At: now, Call: c.id, Queue: q.cfg.Name, Priority: int(c.prio), EnqueuedAt: c.enqueuedAt, Position: pos, Estimate: est})
	e.checkCallbackOffer(c, est, now)
	e.scheduleWaiting(c, now)
	e.routeCall(c)
}

func (e *Engine) checkCallbackOffer(c *call, est time.Duration, now time.Time) {
	th := c.q.cfg.CallbackThreshold
	if th > 0 && est > th && !c.offerDue {
		c.offerDue = true
		e.emit(CallbackOfferDue{At: now, Call: c.id, Queue: c.q.cfg.Name, Estimate: est})
	}
}

func (e *Engine) lookup(id string) (*call, error) {
	c, ok := e.calls[id]
	if !ok {
		return nil, errorf(ENotFound, "call %s not found", id)
	}
	return c, nil
}

// Answer records that the agent offered the call answered it.
func (e *Engine) Answer(id string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	if c.state != offered {
		return errorf(EConflict, "call %s is %s, not offered", id, c.state)
	}
	now := e.clock.Now()
	e.timers.cancel(&c.timer)
	c.state = connected
	c.answeredAt = now
	a := c.agent
	waited := now.Sub(c.enqueuedAt)
	q := c.q
	q.stats.answered(now, q, waited, now.Sub(c.queuedAt))
	q.hist.answered(waited.Seconds(), now.Sub(c.queuedAt).Seconds())
	e.setState(a, OnCall, "", now)
	e.emit(CallAnswered{At: now, Call: id, Queue: q.cfg.Name, Agent: a.cfg.ID, Waited: waited})
	return nil
}

// Accept records that the offered agent took a call whose other party is still being
// reached (a callback: the agent answers first, then the customer is dialed). The offer no
// longer times out; Answer follows when the two are connected, and Remove when they never are,
// so that an attempt that did not reach the customer counts neither as answered nor as
// abandoned, and does not pause the agent.
func (e *Engine) Accept(id string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	if c.state != offered {
		return errorf(EConflict, "call %s is %s, not offered", id, c.state)
	}
	e.timers.cancel(&c.timer)
	return nil
}

// OfferFailed records that the offered agent did not take the call: the agent is paused
// with the failure as reason (Withdrawn: freed instead) and the call goes back to its
// original place.
func (e *Engine) OfferFailed(id string, why OfferFailure) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	if c.state != offered {
		return errorf(EConflict, "call %s is %s, not offered", id, c.state)
	}
	if why < NoAnswer || why > Withdrawn {
		return errorf(EInvalid, "call %s: unknown offer failure %d", id, why)
	}
	e.offerFailed(c, why, e.clock.Now())
	return nil
}

func (e *Engine) offerFailed(c *call, why OfferFailure, now time.Time) {
	e.timers.cancel(&c.timer)
	a := c.agent
	a.call = nil
	c.agent = nil
	c.state = waiting
	q := c.q
	q.insert(c, now)
	e.emit(CallRequeued{At: now, Call: c.id, Queue: q.cfg.Name, Agent: a.cfg.ID, Reason: why})
	if why == Withdrawn {
		e.scheduleWaiting(c, now)
		e.free(a, now) // may take the call again at once: the owner holds offers first
		e.routeCall(c)
		return
	}
	next, reason := Paused, why.String()
	if a.nextSet && a.next == LoggedOut {
		next, reason = LoggedOut, ""
	}
	a.next, a.nextReason, a.nextSet = 0, "", false
	e.setState(a, next, reason, now)
	e.scheduleWaiting(c, now)
	e.routeCall(c)
}

// Hangup records that a call ended: abandoned if it was waiting or ringing, completed if it
// was connected (the agent then wraps up). Either party may have hung up.
func (e *Engine) Hangup(id string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	q := c.q
	delete(e.calls, id)
	e.timers.cancel(&c.timer)
	switch c.state {
	case waiting, offered:
		waited := now.Sub(c.enqueuedAt)
		q.stats.abandoned(now, q, waited)
		q.hist.abandoned(now.Sub(c.queuedAt).Seconds())
		ev := CallAbandoned{At: now, Call: id, Queue: q.cfg.Name, Waited: waited}
		if c.state == waiting {
			q.remove(c, now)
			e.emit(ev)
			return nil
		}
		a := c.agent
		ev.Agent = a.cfg.ID
		a.call = nil
		e.emit(ev)
		e.free(a, now)
	case connected:
		a := c.agent
		talk := now.Sub(c.answeredAt)
		e.emit(CallEnded{At: now, Call: id, Queue: q.cfg.Name, Agent: a.cfg.ID, Talk: talk})
		e.wrapUp(a, c, talk, now)
	}
	return nil
}

// Transfer sends a connected call to another queue (line 1 → line 2, say). The call keeps
// its original enqueue time, priority and data; the agent goes to wrap-up.
func (e *Engine) Transfer(id, toQueue string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	to, ok := e.queues[toQueue]
	if !ok {
		return errorf(ENotFound, "queue %s not found", toQueue)
	}
	if c.state != connected {
		return errorf(EConflict, "call %s is %s, not connected", id, c.state)
	}
	now := e.clock.Now()
	a := c.agent
	talk := now.Sub(c.answeredAt)
	from := c.q
	e.emit(CallTransferred{At: now, Call: id, From: from.cfg.Name, To: toQueue, Agent: a.cfg.ID, Talk: talk})
	e.wrapUp(a, c, talk, now)
	e.enter(c, to, now)
	return nil
}

// CallUpdate changes a call while it waits. Nil fields are left alone.
type CallUpdate struct {
	Priority *int
	Skills   map[string]int // replaces the call's own requirements when non-nil
	Data     map[string]string
}

// UpdateCall changes a call's priority, skills or data without losing its place in time.
func (e *Engine) UpdateCall(id string, u CallUpdate) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	if u.Priority != nil && (*u.Priority < 0 || *u.Priority > MaxPriority) {
		return errorf(EInvalid, "call %s: priority %d outside 0-%d", id, *u.Priority, MaxPriority)
	}
	var extra []skillLevel
	if u.Skills != nil {
		if extra, err = e.skills.levels(u.Skills); err != nil {
			return errorf(EInvalid, "call %s: %v", id, err)
		}
	}
	now := e.clock.Now()
	wasWaiting := c.state == waiting
	if wasWaiting {
		c.q.remove(c, now)
	}
	if u.Priority != nil {
		c.prio = int8(*u.Priority)
	}
	if u.Skills != nil {
		c.extra = extra
		c.req = mergeReq(c.q.req, extra)
	}
	for k, v := range u.Data {
		if c.data == nil {
			c.data = map[string]string{}
		}
		c.data[k] = v
	}
	if wasWaiting {
		c.q.insert(c, now)
	}
	e.emit(CallUpdated{At: now, Call: id, Queue: c.q.cfg.Name, Priority: int(c.prio)})
	if wasWaiting {
		e.routeCall(c)
	}
	return nil
}

// Remove takes a waiting or ringing call out of the engine without counting it as
// abandoned: the caller chose a callback, or the router found the channel gone.
func (e *Engine) Remove(id, reason string) error {
	c, err := e.lookup(id)
	if err != nil {
		return err
	}
	if c.state == connected {
		return errorf(EConflict, "call %s is connected; hang it up instead", id)
	}
	now := e.clock.Now()
	delete(e.calls, id)
	e.timers.cancel(&c.timer)
	if c.state == waiting {
		c.q.remove(c, now)
	}
	e.emit(CallRemoved{At: now, Call: id, Queue: c.q.cfg.Name, Reason: reason, Waited: now.Sub(c.enqueuedAt)})
	if c.state == offered {
		a := c.agent
		a.call = nil
		e.free(a, now)
	}
	return nil
}

// Adopt puts back a call that was already connected to an agent when the router restarted:
// the call is held as connected since answeredAt, and the agent is marked on it (logged in
// if it was not). Nothing is counted again in the statistics.
func (e *Engine) Adopt(req CallRequest, agentID string, answeredAt time.Time) error {
	q, extra, err := e.checkRequest(req)
	if err != nil {
		return err
	}
	a, err := e.agentByID(agentID)
	if err != nil {
		return err
	}
	if a.state != LoggedOut && a.state != Available && a.state != Paused {
		return errorf(EConflict, "agent %s is %s", agentID, a.state)
	}
	now := e.clock.Now()
	if answeredAt.IsZero() || answeredAt.After(now) {
		answeredAt = now
	}
	at := req.EnqueuedAt
	if at.IsZero() || at.After(answeredAt) {
		at = answeredAt
	}
	e.seq++
	c := &call{id: req.ID, q: q, prio: int8(req.Priority), extra: extra, req: mergeReq(q.req, extra), seq: e.seq,
		enqueuedAt: at, queuedAt: at, offeredAt: answeredAt, answeredAt: answeredAt, state: connected, agent: a, data: copyData(req.Data),
		outbound: req.Outbound}
	c.timer.index = -1
	c.timer.call = c
	e.calls[c.id] = c
	a.call = c
	e.setState(a, OnCall, "", now)
	return nil
}
