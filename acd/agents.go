package acd

import "time"

func (e *Engine) agentByID(id string) (*agent, error) {
	a, ok := e.agents[id]
	if !ok {
		return nil, errorf(ENotFound, "agent %s not found", id)
	}
	return a, nil
}

// Login makes a logged-out agent available. Logging in an agent already in is a no-op.
func (e *Engine) Login(id string) error {
	a, err := e.agentByID(id)
	if err != nil {
		return err
	}
	if a.state != LoggedOut {
		return nil
	}
	now := e.clock.Now()
	e.setState(a, Available, "", now)
	e.routeAgent(a)
	return nil
}

// LoginNotReady logs a logged-out agent in paused "not ready": it takes no call until it
// says it is ready (Ready). Logging in an agent already in is a no-op.
func (e *Engine) LoginNotReady(id string) error {
	a, err := e.agentByID(id)
	if err != nil {
		return err
	}
	if a.state == LoggedOut {
		e.setState(a, Paused, ReasonNotReady, e.clock.Now())
	}
	return nil
}

// Disposed records that the call an agent is wrapping up has its disposition. A wrap-up the
// queue's time no longer holds (one that waited for the disposition) ends now. Anything else
// (another call, no wrap-up) is a no-op: a disposition may be saved after the wrap-up.
func (e *Engine) Disposed(id, callID string) error {
	a, err := e.agentByID(id)
	if err != nil {
		return err
	}
	if a.state != WrapUp || a.wrapCall != callID {
		return nil
	}
	a.disposed = true
	if now := e.clock.Now(); !now.Before(a.until) {
		e.endWrapUp(a, now)
	}
	return nil
}

// dispositionDue: the agent's wrap-up waits for a disposition its queue requires.
func (a *agent) dispositionDue() bool {
	return a.state == WrapUp && !a.disposed && a.wrapQueue != nil && a.wrapQueue.cfg.RequireDisposition
}

// Ready makes an agent available: it ends a pause or a wrap-up early, or cancels a pause or
// logout asked for during a call.
func (e *Engine) Ready(id string) error {
	a, err := e.agentByID(id)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	switch a.state {
	case LoggedOut:
		return keyed(EConflict, "desk.err.logged_out", "agent %s is logged out", id)
	case Paused:
		e.setState(a, Available, "", now)
		e.routeAgent(a)
	case WrapUp:
		if a.dispositionDue() {
			return keyed(EConflict, "desk.err.disposition_first", "agent %s must choose a disposition before leaving wrap-up", id)
		}
		a.next, a.nextReason, a.nextSet = 0, "", false
		e.endWrapUp(a, now)
	case Reserved, OnCall:
		a.next, a.nextReason, a.nextSet = 0, "", false
	}
	return nil
}

// Pause takes an agent out of routing with a reason. During a call the pause starts when
// the call (and its wrap-up) ends.
func (e *Engine) Pause(id, reason string) error {
	a, err := e.agentByID(id)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	switch a.state {
	case LoggedOut:
		return keyed(EConflict, "desk.err.logged_out", "agent %s is logged out", id)
	case Available, Paused:
		e.setState(a, Paused, reason, now)
	default:
		a.next, a.nextReason, a.nextSet = Paused, reason, true
	}
	return nil
}

// Logout takes an agent out; during a call the logout happens when the call ends. A wrap-up
// ends at once, unless it waits for a disposition its queue requires: then with it.
func (e *Engine) Logout(id string) error {
	a, err := e.agentByID(id)
	if err != nil {
		return err
	}
	now := e.clock.Now()
	switch {
	case a.state == LoggedOut:
	case a.state == Available, a.state == Paused:
		e.setState(a, LoggedOut, "", now)
	case a.state == WrapUp && !a.dispositionDue():
		a.next, a.nextReason, a.nextSet = LoggedOut, "", true
		e.endWrapUp(a, now)
	default:
		a.next, a.nextReason, a.nextSet = LoggedOut, "", true
	}
	return nil
}

// wrapUp ends an agent's call: counters, then wrap-up for the queue's time, or free at once.
func (e *Engine) wrapUp(a *agent, c *call, talk time.Duration, now time.Time) {
	q := c.q
	a.call = nil
	a.handled++
	a.talk += talk
	if !c.outbound {
		q.stats.talked(now, q, talk)
	}
	a.wrapCall, a.wrapQueue, a.wrapOut, a.disposed = c.id, q, c.outbound, false
	wrap := q.cfg.WrapUp
	if wrap <= 0 && !q.cfg.RequireDisposition {
		if !c.outbound {
			q.hist.handled(talk.Seconds())
		}
		e.free(a, now)
		return
	}
	a.until = now.Add(wrap)
	a.wrapTalk = talk.Seconds()
	e.setState(a, WrapUp, "", now)
	e.timers.schedule(&a.timer, a.until)
}

func (e *Engine) endWrapUp(a *agent, now time.Time) {
	e.timers.cancel(&a.timer)
	if q := a.wrapQueue; q != nil && !a.wrapOut {
		wrap := now.Sub(a.since)
		q.stats.wrapped(now, q, wrap)
		q.hist.handled(a.wrapTalk + wrap.Seconds())
	}
	e.free(a, now)
}

// free ends a call's hold on an agent: it becomes available, or goes where it asked to.
func (e *Engine) free(a *agent, now time.Time) {
	next, reason := Available, ""
	if a.nextSet {
		next, reason = a.next, a.nextReason
		a.next, a.nextReason, a.nextSet = 0, "", false
	}
	a.wrapCall, a.wrapQueue = "", nil
	e.setState(a, next, reason, now)
	if next == Available {
		e.routeAgent(a)
	}
}

// setState moves an agent, touching only the queues it serves.
func (e *Engine) setState(a *agent, s AgentState, reason string, now time.Time) {
	old := a.state
	if old == s && a.reason == reason {
		return
	}
	if s == Available && old != Available {
		a.idleSince = now
	}
	for _, m := range a.members {
		q := m.q
		q.touch(now)
		q.byState[old]--
		q.byState[s]++
		if s == Available {
			m.link()
		} else if old == Available {
			m.unlink()
		}
	}
	a.state, a.reason, a.since = s, reason, now
	ev := AgentStateChanged{At: now, Agent: a.cfg.ID, From: old, To: s, Reason: reason}
	switch s {
	case WrapUp:
		ev.Until, ev.Call = a.until, a.wrapCall
	case Reserved, OnCall:
		ev.Call = a.call.id
	}
	e.emit(ev)
}
