// Package calllog is the one projection of the event stream into call records: a call
// (caller, queue, agent, wait, talk, wrap-up, outcome, transfers, data) and its legs, one per
// stay in a queue. It is pure: the store's journal, the screen pop and the interactions writer
// feed it events and read or write its records.
//
// A Call's record is changed by Apply, one event at a time; a Tracker, when given, is told of
// every record a step changes, so that a writer keeps only those. Log is a set of live calls for
// followers that keep the records in memory.
package calllog

import (
	"maps"
	"time"

	"switchboard/acd"
)

// Outcomes of a call.
const (
	Completed        = "completed"
	Abandoned        = "abandoned"
	Removed          = "removed"
	OverflowCallback = "overflow_callback"
	// A call that never queued, ended by its owner, has the owner's outcome (acd.CallGone);
	// its caller hanging up before it queued is Abandoned.
	SelfService       = "self_service"
	CallbackRequested = "callback_requested"
	TransferredOut    = "transferred_out"
	Closed            = "closed"
)

// DataDirection is the data key of a call's direction: Outbound for an agent's outbound call
// (acd.CallDialed); absent for a call that came in.
const (
	DataDirection = "direction"
	Outbound      = "outbound"
)

// Outcomes of a leg.
const (
	LegAnswered    = "answered"
	LegAbandoned   = "abandoned"
	LegTransferred = "transferred"
	LegOverflowed  = "overflowed"
	LegRemoved     = "removed"
)

// Call is the record of one call. Wait, Talk and WrapUp are seconds, summed leg by leg.
type Call struct {
	ID, Number, DID, Queue, Agent string
	Priority                      int
	EnqueuedAt, FirstOfferedAt    time.Time
	AnsweredAt, EndedAt           time.Time
	Outcome                       string // "" while the call lasts
	Wait, Talk, WrapUp            float64
	Transfers                     int
	Data                          map[string]string
	Path                          []acd.IVRStep // the IVR path walked, when the stream told it
	UpdatedAt                     time.Time     // the latest change
	Leg                           *Leg          // the open leg, nil when the call is in no queue
	Legs                          int           // the highest leg number so far
	handed                        *Leg          // the leg a hand-over closed, until the engine ends it
}

// Leg is one stay of a call in a queue.
type Leg struct {
	Call                                     string
	Seq                                      int
	Queue, Agent, Outcome                    string
	EnteredAt, OfferedAt, AnsweredAt, LeftAt time.Time
	Talk                                     float64       // seconds
	LastOffer                                time.Time     // the latest offer's time (ring times)
	Waited                                   time.Duration // the engine's wait at the latest offer, answer or abandon
}

// Tracker is told of every record a step changes.
type Tracker interface {
	CallChanged(c *Call, at time.Time)
	LegChanged(l *Leg)
}

type nobody struct{}

func (nobody) CallChanged(*Call, time.Time) {}
func (nobody) LegChanged(*Leg)              {}

// CallOf returns the call an event is about ("" for agent events).
func CallOf(ev acd.Event) string {
	switch e := ev.(type) {
	case acd.CallArrived:
		return e.Call
	case acd.CallRouted:
		return e.Call
	case acd.CallGone:
		return e.Call
	case acd.CallEnqueued:
		return e.Call
	case acd.CallOffered:
		return e.Call
	case acd.CallAnswered:
		return e.Call
	case acd.CallRequeued:
		return e.Call
	case acd.CallAbandoned:
		return e.Call
	case acd.CallEnded:
		return e.Call
	case acd.CallTransferred:
		return e.Call
	case acd.CallOverflowed:
		return e.Call
	case acd.CallUpdated:
		return e.Call
	case acd.CallRemoved:
		return e.Call
	case acd.CallHandedOver:
		return e.Call
	case acd.CallHandOverEnded:
		return e.Call
	case acd.CallDialed:
		return e.Call
	case acd.CallDialFailed:
		return e.Call
	}
	return ""
}

func (c *Call) touch(t Tracker, at time.Time) {
	if at.After(c.UpdatedAt) {
		c.UpdatedAt = at
	}
	t.CallChanged(c, at)
}

// Open reports whether the call has not ended.
func (c *Call) Open() bool { return c.Outcome == "" }

// Queued reports whether the call ever joined a queue.
func (c *Call) Queued() bool { return !c.EnqueuedAt.IsZero() }

// openLeg returns the call's open leg in queue, opening one at `at` if the call has none there.
func (c *Call) openLeg(t Tracker, queue string, at time.Time) *Leg {
	if l := c.Leg; l != nil {
		if l.Queue == queue {
			return l
		}
		c.closeLeg(t, at, LegRemoved)
	}
	c.Legs++
	l := &Leg{Call: c.ID, Seq: c.Legs, Queue: queue, EnteredAt: at}
	c.Leg = l
	t.LegChanged(l)
	c.touch(t, at) // a leg is never written without its call
	return l
}

// closeLeg ends the call's open leg; time waited in an unanswered leg counts as the call's wait.
func (c *Call) closeLeg(t Tracker, at time.Time, outcome string) *Leg {
	l := c.Leg
	if l == nil {
		return nil
	}
	l.LeftAt, l.Outcome = at, outcome
	if l.AnsweredAt.IsZero() {
		c.Wait += nonNegative(at.Sub(l.EnteredAt))
	}
	c.Leg = nil
	t.LegChanged(l)
	c.touch(t, at)
	return l
}

func (c *Call) end(at time.Time, outcome string) { c.Outcome, c.EndedAt = outcome, at }

// Apply changes the record by one event about the call and returns the leg the event was
// about (nil for events of no leg). t may be nil.
func (c *Call) Apply(ev acd.Event, t Tracker) *Leg {
	if t == nil {
		t = nobody{}
	}
	switch e := ev.(type) {
	case acd.CallArrived:
		c.Note(t, e.Number, e.DID, nil)
	case acd.CallRouted:
		c.Note(t, "", "", e.Data)
		c.Path = append([]acd.IVRStep(nil), e.Path...)
	case acd.CallGone:
		c.Gone(t, e.Outcome, e.At)
	case acd.CallEnqueued:
		if !c.Queued() || e.EnqueuedAt.Before(c.EnqueuedAt) {
			c.EnqueuedAt = e.EnqueuedAt
		}
		if c.Outcome != "" { // the id queues again: the record is open again
			c.Outcome, c.EndedAt = "", time.Time{}
		}
		c.Queue, c.Priority = e.Queue, e.Priority
		if l := c.Leg; l != nil && (l.Queue != e.Queue || !l.AnsweredAt.IsZero()) {
			c.closeLeg(t, e.At, LegRemoved)
		}
		l := c.openLeg(t, e.Queue, e.At)
		c.touch(t, e.At)
		return l
	case acd.CallOffered:
		l := c.openLeg(t, e.Queue, e.At)
		if l.OfferedAt.IsZero() {
			l.OfferedAt = e.At
		}
		l.Agent, l.LastOffer, l.Waited = e.Agent, e.At, e.Waited
		if c.FirstOfferedAt.IsZero() {
			c.FirstOfferedAt = e.At
		}
		c.Agent, c.Queue = e.Agent, e.Queue
		t.LegChanged(l)
		c.touch(t, e.At)
		return l
	case acd.CallAnswered:
		l := c.openLeg(t, e.Queue, e.At)
		if l.AnsweredAt.IsZero() {
			c.Wait += nonNegative(e.At.Sub(l.EnteredAt))
		}
		l.AnsweredAt, l.Agent, l.Waited = e.At, e.Agent, e.Waited
		if c.AnsweredAt.IsZero() {
			c.AnsweredAt = e.At
		}
		c.Agent = e.Agent
		t.LegChanged(l)
		c.touch(t, e.At)
		return l
	case acd.CallRequeued:
		return c.openLeg(t, e.Queue, e.At)
	case acd.CallAbandoned:
		l := c.openLeg(t, e.Queue, e.At)
		l.Waited = e.Waited
		c.closeLeg(t, e.At, LegAbandoned)
		c.end(e.At, Abandoned)
		c.touch(t, e.At)
		return l
	case acd.CallEnded:
		if c.handedOver(e.Agent) { // the hand-over closed the agent's leg
			l := c.handed
			c.handed = nil
			return l
		}
		l := c.openLeg(t, e.Queue, e.At)
		l.Talk, l.Agent = e.Talk.Seconds(), e.Agent
		c.closeLeg(t, e.At, LegAnswered)
		c.Talk += e.Talk.Seconds()
		c.end(e.At, Completed)
		c.touch(t, e.At)
		return l
	case acd.CallTransferred:
		l := c.openLeg(t, e.From, e.At)
		l.Talk, l.Agent = e.Talk.Seconds(), e.Agent
		c.closeLeg(t, e.At, LegTransferred)
		c.Talk += e.Talk.Seconds()
		c.Transfers++
		c.touch(t, e.At)
		return l
	case acd.CallHandedOver:
		return c.handOver(t, e)
	case acd.CallDialed:
		return c.dialed(t, e)
	case acd.CallDialFailed:
		c.dialFailed(t, e)
	case acd.CallHandOverEnded:
		l := c.Leg
		if l == nil || l.Agent != e.Agent {
			return nil
		}
		l.Talk = nonNegative(e.At.Sub(l.AnsweredAt))
		c.Talk += l.Talk
		c.closeLeg(t, e.At, LegAnswered)
		c.end(e.At, Completed)
		c.touch(t, e.At)
		return l
	case acd.CallOverflowed:
		l := c.openLeg(t, e.From, e.At)
		c.closeLeg(t, e.At, LegOverflowed)
		if e.Callback {
			c.end(e.At, OverflowCallback)
		}
		c.touch(t, e.At)
		return l
	case acd.CallUpdated:
		c.Priority = e.Priority
		c.touch(t, e.At)
	case acd.CallRemoved:
		l := c.openLeg(t, e.Queue, e.At)
		c.closeLeg(t, e.At, LegRemoved)
		c.end(e.At, Removed)
		c.touch(t, e.At)
		return l
	}
	return nil
}

// dialed opens the record of an agent's outbound call, answered by the customer at e.At: one
// leg in the agent's queue, answered at once, and the direction in the call's data.
func (c *Call) dialed(t Tracker, e acd.CallDialed) *Leg {
	c.Note(t, e.Number, "", map[string]string{DataDirection: Outbound})
	if !c.Queued() {
		c.EnqueuedAt = e.At
	}
	c.Queue, c.Agent = e.Queue, e.Agent
	if c.FirstOfferedAt.IsZero() {
		c.FirstOfferedAt = e.At
	}
	if c.AnsweredAt.IsZero() {
		c.AnsweredAt = e.At
	}
	l := c.openLeg(t, e.Queue, e.At)
	l.Agent, l.OfferedAt, l.AnsweredAt, l.LastOffer = e.Agent, e.At, e.At, e.At
	t.LegChanged(l)
	c.touch(t, e.At)
	return l
}

// DialOutcome is the outcome of an agent's outbound call that never connected, for the
// owner's reason (acd.CallDialFailed): "dial_" and the reason, as dial_no_answer.
func DialOutcome(reason string) string { return "dial_" + reason }

// dialFailed records an agent's outbound call that never connected: no leg (no queue had it),
// the agent, the number, when the agent's phone began ringing (FirstOfferedAt) and the end.
func (c *Call) dialFailed(t Tracker, e acd.CallDialFailed) {
	c.Note(t, e.Number, "", map[string]string{DataDirection: Outbound})
	c.Queue, c.Agent = e.Queue, e.Agent
	if c.FirstOfferedAt.IsZero() {
		c.FirstOfferedAt = e.Started
	}
	c.end(e.At, DialOutcome(e.Reason))
	c.touch(t, e.At)
}

// handOver closes the agent's leg as transferred and opens the leg of the agent the call went
// to, or ends the call as transferred out to a number.
func (c *Call) handOver(t Tracker, e acd.CallHandedOver) *Leg {
	l := c.openLeg(t, e.Queue, e.At)
	if !l.AnsweredAt.IsZero() {
		l.Talk = nonNegative(e.At.Sub(l.AnsweredAt))
	}
	l.Agent = e.Agent
	c.Talk += l.Talk
	c.closeLeg(t, e.At, LegTransferred)
	c.Transfers++
	c.handed = l
	if e.ToAgent == "" {
		c.end(e.At, TransferredOut)
	} else {
		n := c.openLeg(t, e.Queue, e.At)
		n.Agent, n.OfferedAt, n.AnsweredAt, n.LastOffer = e.ToAgent, e.At, e.At, e.At
		c.Agent = e.ToAgent
		t.LegChanged(n)
	}
	c.touch(t, e.At)
	return l
}

// handedOver says whether agent's connected leg of the call was already closed by a hand-over
// (the engine's end of the call for that agent follows it).
func (c *Call) handedOver(agent string) bool {
	if h := c.handed; h != nil && h.Agent == agent {
		return true
	}
	if l := c.Leg; l != nil {
		return l.Agent != agent && !l.AnsweredAt.IsZero() && l.Outcome == ""
	}
	return c.Outcome == TransferredOut
}

// Note takes what the owner knows of a call and the engine does not: the caller's number, the
// DID dialled ("" each: unchanged) and data merged into the call's.
func (c *Call) Note(t Tracker, number, did string, data map[string]string) {
	if number != "" {
		c.Number = number
	}
	if did != "" {
		c.DID = did
	}
	if len(data) > 0 {
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		maps.Copy(c.Data, data)
	}
	c.touch(t, c.UpdatedAt)
}

// Gone ends, at `at` with outcome, a call that never queued and is still open; a call that
// queued is the engine's to end, and this changes nothing of it.
func (c *Call) Gone(t Tracker, outcome string, at time.Time) {
	if c.Outcome != "" || c.Queued() {
		c.touch(t, c.UpdatedAt)
		return
	}
	c.end(at, outcome)
	c.touch(t, at)
}

// Lost ends at `at` an open call that ended while nobody listened (its owner was away): a call
// that never queued ends Abandoned; one that did closes its open leg and ends Completed if it
// was ever answered, Abandoned if not. It returns the call's outcome.
func (c *Call) Lost(t Tracker, at time.Time) string {
	if t == nil {
		t = nobody{}
	}
	if !c.Queued() {
		c.end(at, Abandoned)
		c.touch(t, at)
		return Abandoned
	}
	outcome, legOutcome := Abandoned, LegAbandoned
	if !c.AnsweredAt.IsZero() {
		outcome = Completed
	}
	if l := c.Leg; l != nil && !l.AnsweredAt.IsZero() {
		legOutcome = LegAnswered
	}
	c.closeLeg(t, at, legOutcome)
	c.end(at, outcome)
	c.touch(t, at)
	return outcome
}

// WrappedUp adds an agent's wrap-up of the call, from `from` to `to`, to the call's.
func (c *Call) WrappedUp(t Tracker, from, to time.Time) {
	if t == nil {
		t = nobody{}
	}
	c.WrapUp += nonNegative(to.Sub(from))
	c.touch(t, to)
}

func nonNegative(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return d.Seconds()
}
