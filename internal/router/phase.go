package router

import "switchboard/ivr"

// A call is in one phase at a time: walking an IVR flow, hearing the closed line's callback
// offer, in the queue (waiting, offered to an agent or connected: the engine holds which; a
// callback being dialed is a queued call from its claim on),
// entering digits securely while connected, or answering the survey after the agent left.
// The phase takes the caller's inputs; a call between phases (the customer lookup between the
// IVR and the queue) has none and ignores them.
type phase interface {
	// digit is one DTMF key from the caller's channel.
	digit(r *Router, c *call, d string)
	// playbackFinished: a playback on the caller's channel ended.
	playbackFinished(r *Router, c *call, id string)
	// callerGone: the caller hung up; true when the phase ended the call itself.
	callerGone(r *Router, c *call) bool
}

// between is the phase of a call that has none: it ignores the caller's inputs.
type between struct{}

func (between) digit(*Router, *call, string)            {}
func (between) playbackFinished(*Router, *call, string) {}
func (between) callerGone(*Router, *call) bool          { return false }

// inIVR is a caller walking an IVR flow: before the queue, or the survey after the agent.
type inIVR struct {
	sess   *ivr.Session
	survey bool
}

func (p *inIVR) digit(r *Router, c *call, d string) {
	r.ivrInput(c, ivr.Digit{D: d[0]})
}

func (p *inIVR) playbackFinished(r *Router, c *call, id string) {
	if n, ok := ivrPlaybackID(id, c.callerChan); ok {
		r.ivrInput(c, ivr.PlaybackFinished{ID: n})
	}
}

// callerGone: hung up in the IVR (or the survey after it).
func (p *inIVR) callerGone(r *Router, c *call) bool {
	delete(r.chans, c.callerChan)
	c.callerChan = ""
	p.sess.Handle(r.clock.Now(), ivr.CallerHangup{})
	c.setPhase(nil)
	r.endUnqueued(c, GoneAbandoned)
	return true
}

// closedLine is an after-hours caller offered a callback (afterhours.go). The phase stays
// once the offer ended: the call's record ends as a closed line's.
type closedLine struct{ off *closedOffer }

func (p *closedLine) digit(r *Router, c *call, d string) { r.closedDigit(c, p.off, d) }

func (p *closedLine) playbackFinished(r *Router, c *call, id string) {
	r.closedPromptDone(c, p.off, id)
}

// callerGone: an after-hours caller hung up during the callback offer.
func (p *closedLine) callerGone(r *Router, c *call) bool {
	r.endUnqueued(c, GoneClosed)
	return true
}

// queued is a call the engine holds: waiting, offered or connected.
type queued struct {
	cb              *cbState // a callback being dialed (dialer.go): the customer is called once an agent answers
	callbackOffered bool     // the caller was told 1 gets a callback that keeps their place
	recPaused       bool     // the agent paused the call's recording
}

func (p *queued) digit(r *Router, c *call, d string) {
	if p.callbackOffered && d == "1" {
		r.acceptCallback(c)
	}
}

func (p *queued) playbackFinished(*Router, *call, string) {}
func (p *queued) callerGone(*Router, *call) bool          { return false }

// secureEntry is a secure digit entry over a connected call (secure.go); the call goes back
// to its phase when the entry ends, and a phase the call enters meanwhile waits for it.
type secureEntry struct {
	col  *collection
	prev phase
}

func (p *secureEntry) digit(r *Router, c *call, d string) { r.collectDigit(c, p.col, d[0]) }

func (p *secureEntry) playbackFinished(r *Router, c *call, id string) {
	p.prev.playbackFinished(r, c, id)
}

func (p *secureEntry) callerGone(r *Router, c *call) bool { return p.prev.callerGone(r, c) }

// in is the call's phase.
func (c *call) in() phase {
	if c.phase == nil {
		return between{}
	}
	return c.phase
}

// setPhase moves the call to p (nil: between phases); during a secure entry, p is where the
// call goes when the entry ends.
func (c *call) setPhase(p phase) {
	if s, ok := c.phase.(*secureEntry); ok {
		s.prev = p
		return
	}
	c.phase = p
}

// session is the IVR session of a call in a flow, or nil.
func (c *call) session() *ivr.Session {
	if p, ok := c.phase.(*inIVR); ok {
		return p.sess
	}
	return nil
}

// closedOffer is the after-hours offer of a closed line's call, or nil.
func (c *call) closedOffer() *closedOffer {
	if p, ok := c.phase.(*closedLine); ok {
		return p.off
	}
	return nil
}

// entry is the secure entry in progress, or nil.
func (c *call) entry() *collection {
	if p, ok := c.phase.(*secureEntry); ok {
		return p.col
	}
	return nil
}

// startEntry puts a secure entry over the call's phase; endEntry takes it off.
func (c *call) startEntry(col *collection) { c.phase = &secureEntry{col: col, prev: c.in()} }

func (c *call) endEntry() {
	if p, ok := c.phase.(*secureEntry); ok {
		c.phase = p.prev
	}
}

// dialing is the dialing state of a callback call, or nil for any other call.
func (c *call) dialing() *cbState {
	p := c.phase
	if s, ok := p.(*secureEntry); ok {
		p = s.prev
	}
	if q, ok := p.(*queued); ok {
		return q.cb
	}
	return nil
}

// queue is the call's queued phase, entered if the call is between phases; nil in another.
func (c *call) queued() *queued {
	p := c.phase
	if s, ok := p.(*secureEntry); ok {
		p = s.prev
	}
	switch p := p.(type) {
	case *queued:
		return p
	case nil, between:
		q := &queued{}
		c.setPhase(q)
		return q
	}
	return nil
}
