package acd

import "time"

// Event is one change in the engine, or a fact its owner noted (facts.go). The concrete types
// below and the facts are the whole list.
type Event interface {
	Time() time.Time
	isEvent()
}

// CallEnqueued: a call entered a queue (first arrival, requeue after a transfer or overflow,
// or re-adoption after a restart; EnqueuedAt is the original place either way).
type CallEnqueued struct {
	At         time.Time
	Call       string
	Queue      string
	Priority   int
	EnqueuedAt time.Time
	Position   int           // 1-based, at entry
	Estimate   time.Duration // the default estimator's expected wait at entry
}

// CallOffered: an agent was reserved for the call and should be rung until Deadline.
type CallOffered struct {
	At       time.Time
	Call     string
	Queue    string
	Agent    string
	Endpoint string
	Waited   time.Duration
	Deadline time.Time
}

// CallAnswered: the reserved agent answered; caller and agent are connected.
type CallAnswered struct {
	At     time.Time
	Call   string
	Queue  string
	Agent  string
	Waited time.Duration
}

// CallRequeued: an offer failed and the call went back to its original place.
type CallRequeued struct {
	At     time.Time
	Call   string
	Queue  string
	Agent  string
	Reason OfferFailure
}

// CallAbandoned: the caller hung up before being connected (while waiting or ringing).
type CallAbandoned struct {
	At     time.Time
	Call   string
	Queue  string
	Waited time.Duration
	Agent  string // set when an agent's phone was ringing
}

// CallEnded: a connected call ended.
type CallEnded struct {
	At    time.Time
	Call  string
	Queue string
	Agent string
	Talk  time.Duration
}

// CallTransferred: a connected call left its agent for another queue, keeping its place in
// time (the wait already counted) and its data.
type CallTransferred struct {
	At    time.Time
	Call  string
	From  string
	To    string
	Agent string
	Talk  time.Duration
}

// CallOverflowed: a call waited longer than its queue's MaxWait and moved on. To is the next
// queue, or "" when it left for a callback (Callback true).
type CallOverflowed struct {
	At       time.Time
	Call     string
	From     string
	To       string
	Callback bool
	Waited   time.Duration
}

// CallUpdated: a waiting call's priority or skills changed; its place in time is kept.
type CallUpdated struct {
	At       time.Time
	Call     string
	Queue    string
	Priority int
}

// CallRemoved: a waiting call left the queue without abandoning (e.g. it chose a callback,
// or the router cleaned it up).
type CallRemoved struct {
	At     time.Time
	Call   string
	Queue  string
	Reason string
	Waited time.Duration
}

// CallbackOfferDue: the caller's expected wait passed the queue's callback threshold.
type CallbackOfferDue struct {
	At       time.Time
	Call     string
	Queue    string
	Estimate time.Duration
}

// CallSkillsExpanded: a waiting call reached its queue's next skill expansion step.
type CallSkillsExpanded struct {
	At    time.Time
	Call  string
	Queue string
	Step  int
}

// AgentStateChanged: an agent moved between states.
type AgentStateChanged struct {
	At     time.Time
	Agent  string
	From   AgentState
	To     AgentState
	Reason string    // pause reason
	Until  time.Time // end of wrap-up
	Call   string    // the call for reserved, on-call and wrap-up
}

func (e CallEnqueued) Time() time.Time       { return e.At }
func (e CallOffered) Time() time.Time        { return e.At }
func (e CallAnswered) Time() time.Time       { return e.At }
func (e CallRequeued) Time() time.Time       { return e.At }
func (e CallAbandoned) Time() time.Time      { return e.At }
func (e CallEnded) Time() time.Time          { return e.At }
func (e CallTransferred) Time() time.Time    { return e.At }
func (e CallOverflowed) Time() time.Time     { return e.At }
func (e CallUpdated) Time() time.Time        { return e.At }
func (e CallRemoved) Time() time.Time        { return e.At }
func (e CallbackOfferDue) Time() time.Time   { return e.At }
func (e CallSkillsExpanded) Time() time.Time { return e.At }
func (e AgentStateChanged) Time() time.Time  { return e.At }

func (CallEnqueued) isEvent()       {}
func (CallOffered) isEvent()        {}
func (CallAnswered) isEvent()       {}
func (CallRequeued) isEvent()       {}
func (CallAbandoned) isEvent()      {}
func (CallEnded) isEvent()          {}
func (CallTransferred) isEvent()    {}
func (CallOverflowed) isEvent()     {}
func (CallUpdated) isEvent()        {}
func (CallRemoved) isEvent()        {}
func (CallbackOfferDue) isEvent()   {}
func (CallSkillsExpanded) isEvent() {}
func (AgentStateChanged) isEvent()  {}
