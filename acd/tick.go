package acd

import "time"

// NextDeadline returns when Tick next has work, and false when nothing is scheduled.
func (e *Engine) NextDeadline() (time.Time, bool) {
	t := e.timers.peek()
	if t == nil {
		return time.Time{}, false
	}
	return t.at, true
}

// Tick fires everything due by the clock's now: ring timeouts (the agent is paused "no
// answer" and the call goes back to its place), wrap-up ends, skill expansion steps and
// max-wait overflows.
func (e *Engine) Tick() {
	now := e.clock.Now()
	for {
		t := e.timers.peek()
		if t == nil || t.at.After(now) {
			return
		}
		e.timers.cancel(t)
		switch {
		case t.agent != nil:
			if t.agent.state == WrapUp && !t.agent.dispositionDue() {
				e.endWrapUp(t.agent, now)
			}
		case t.call != nil:
			c := t.call
			switch c.state {
			case offered:
				e.offerFailed(c, NoAnswer, now)
			case waiting:
				e.checkWaiting(c, now)
			}
		}
	}
}

// scheduleWaiting sets a waiting call's timer to its next expansion step or overflow.
func (e *Engine) scheduleWaiting(c *call, now time.Time) {
	q := c.q
	var next time.Time
	if int(c.step) < len(q.steps) {
		next = c.queuedAt.Add(q.steps[c.step].after)
	}
	if q.cfg.MaxWait > 0 && (q.cfg.Overflow.Queue != "" || q.cfg.Overflow.Callback) {
		// A past instant means the overflow target was missing: do not fire again.
		if over := c.queuedAt.Add(q.cfg.MaxWait); over.After(now) && (next.IsZero() || over.Before(next)) {
			next = over
		}
	}
	if next.IsZero() {
		e.timers.cancel(&c.timer)
		return
	}
	e.timers.schedule(&c.timer, next)
}

func (e *Engine) checkWaiting(c *call, now time.Time) {
	q := c.q
	inQueue := now.Sub(c.queuedAt)
	if q.cfg.MaxWait > 0 && inQueue >= q.cfg.MaxWait && e.overflow(c, now) {
		return
	}
	if step := q.stepAt(inQueue); step > int(c.step) {
		c.step = uint8(step)
		e.emit(CallSkillsExpanded{At: now, Call: c.id, Queue: q.cfg.Name, Step: step})
		e.scheduleWaiting(c, now)
		e.routeCall(c)
		return
	}
	e.scheduleWaiting(c, now)
}

// overflow moves a call that waited too long; it reports false when there is nowhere to go.
func (e *Engine) overflow(c *call, now time.Time) bool {
	q := c.q
	waited := now.Sub(c.enqueuedAt)
	switch {
	case q.cfg.Overflow.Callback:
		q.remove(c, now)
		delete(e.calls, c.id)
		e.timers.cancel(&c.timer)
		q.stats.overflowed(now, q)
		e.emit(CallOverflowed{At: now, Call: c.id, From: q.cfg.Name, Callback: true, Waited: waited})
		return true
	case q.cfg.Overflow.Queue != "":
		to, ok := e.queues[q.cfg.Overflow.Queue]
		if !ok {
			return false
		}
		q.remove(c, now)
		q.stats.overflowed(now, q)
		e.emit(CallOverflowed{At: now, Call: c.id, From: q.cfg.Name, To: to.cfg.Name, Waited: waited})
		e.enter(c, to, now)
		return true
	}
	return false
}
