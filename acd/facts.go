package acd

import "time"

// Facts are events the engine does not decide but carries in its stream, so that every
// follower (storage, screen pops, customer records) sees a call's whole life in one order:
// its owner tells them with Engine.Note as they happen.
type Fact interface {
	Event
	isFact()
}

// IVRStep is one node of the IVR a caller waited at, and what they pressed there ("" nothing;
// a masked value at a sensitive node: the digits never leave the IVR).
type IVRStep struct {
	Node  string `json:"node"`
	Input string `json:"input"`
}

// CallArrived: the owner learned a call's caller number and the DID dialled (on arrival, at a
// callback's dial, or again when a call is re-adopted after a restart).
type CallArrived struct {
	At     time.Time
	Call   string
	Number string
	DID    string
}

// CallRouted: a caller is about to join a queue, with the IVR path walked (empty without a
// flow) and the data the call is queued with.
type CallRouted struct {
	At   time.Time
	Call string
	Path []IVRStep
	Data map[string]string
}

// CallGone: a call the engine never held ended, and how (the owner's outcome name: its caller
// hung up, or the owner ended it). The engine's events end every other call.
type CallGone struct {
	At      time.Time
	Call    string
	Outcome string
}

// CallHandedOver: the agent of a connected call handed it on (a completed warm transfer, a
// blind transfer to an agent or a number) just before the engine ends it for them: ToAgent
// talks with the caller from now on (until CallHandOverEnded), or the caller left for Number.
type CallHandedOver struct {
	At      time.Time
	Call    string
	Queue   string
	Agent   string
	ToAgent string
	Number  string
}

// CallHandOverEnded: the agent a call was handed over to and the caller are done.
type CallHandOverEnded struct {
	At    time.Time
	Call  string
	Agent string
}

// CallDialed: an agent's outbound call reached the customer at Number; the owner adopted it
// as connected to Agent from now, in Queue (the agent's), counted in no queue statistic.
type CallDialed struct {
	At     time.Time
	Call   string
	Queue  string
	Agent  string
	Number string
}

// CallDialFailed: an agent's outbound call to Number, begun at Started, ended at At before the
// customer answered, for Reason (the owner's name: the agent's or the customer's phone did not
// answer, was busy or failed, or the dial was cancelled). The engine never held it.
type CallDialFailed struct {
	At, Started time.Time
	Call        string
	Queue       string // the agent's, as CallDialed's
	Agent       string
	Number      string
	Reason      string
}

func (e CallArrived) Time() time.Time       { return e.At }
func (e CallDialFailed) Time() time.Time    { return e.At }
func (e CallDialed) Time() time.Time        { return e.At }
func (e CallHandedOver) Time() time.Time    { return e.At }
func (e CallHandOverEnded) Time() time.Time { return e.At }
func (e CallRouted) Time() time.Time        { return e.At }
func (e CallGone) Time() time.Time          { return e.At }

func (CallArrived) isEvent()       {}
func (CallDialed) isEvent()        {}
func (CallDialFailed) isEvent()    {}
func (CallRouted) isEvent()        {}
func (CallGone) isEvent()          {}
func (CallHandedOver) isEvent()    {}
func (CallHandOverEnded) isEvent() {}

func (CallArrived) isFact()       {}
func (CallDialed) isFact()        {}
func (CallDialFailed) isFact()    {}
func (CallRouted) isFact()        {}
func (CallGone) isFact()          {}
func (CallHandedOver) isFact()    {}
func (CallHandOverEnded) isFact() {}

// Note puts the owner's fact into the event stream, after the events already reported and
// before those still to come. The engine's state does not change.
func (e *Engine) Note(f Fact) {
	e.emit(f)
}
