package router

import (
	"maps"

	"switchboard/acd"
	"switchboard/ivr"
)

// MaskedInput stands for what a caller pressed at a sensitive collect node.
const MaskedInput = "****"

// IVRStep is one node of the IVR a caller waited at, and what they pressed there ("" nothing,
// MaskedInput at a sensitive node: the digits never leave the session).
type IVRStep = acd.IVRStep

// ivrPath is the walk of one caller through a flow: the input nodes in the order visited
// (a node visited again, e.g. a menu after "back", gets a new step).
type ivrPath []IVRStep

// input notes a digit the caller pressed at the session's current node, before the session
// handles it.
func (p *ivrPath) input(s *ivr.Session, in ivr.Input) {
	d, ok := in.(ivr.Digit)
	if !ok {
		return
	}
	p.visit(s)
	last := &(*p)[len(*p)-1]
	switch {
	case s.Sensitive():
		last.Input = MaskedInput
	case last.Input != MaskedInput:
		last.Input += string(rune(d.D))
	}
}

// visit notes the node the session is at now, if it is not the last one noted.
func (p *ivrPath) visit(s *ivr.Session) {
	if n := s.Node(); n != "" && (len(*p) == 0 || (*p)[len(*p)-1].Node != n) {
		*p = append(*p, IVRStep{Node: n})
	}
}

// ivrHandle hands the caller's session one input (nil: starts it) and notes the path.
func (r *Router) ivrHandle(c *call, in ivr.Input) []ivr.Action {
	var acts []ivr.Action
	sess := c.session()
	if in == nil {
		acts = sess.Start(r.clock.Now())
	} else {
		c.info.path.input(sess, in)
		acts = sess.Handle(r.clock.Now(), in)
	}
	c.info.path.visit(sess)
	return acts
}

// routed notes in the event stream the IVR path (none for a caller who met no flow) and the
// data of a caller about to join its queue.
func (r *Router) routed(c *call, data map[string]string) {
	r.eng.Note(acd.CallRouted{At: r.clock.Now(), Call: c.id, Path: append([]IVRStep(nil), c.info.path...), Data: maps.Clone(data)})
}

// arrived notes in the event stream what the engine does not know of a call: its caller's
// number and the DID dialled.
func (r *Router) arrived(id, number, did string) {
	r.eng.Note(acd.CallArrived{At: r.clock.Now(), Call: id, Number: number, DID: did})
}

// gone notes in the event stream that a call the engine never held ended, and how (Gone*).
func (r *Router) gone(id, outcome string) {
	r.eng.Note(acd.CallGone{At: r.clock.Now(), Call: id, Outcome: outcome})
}
