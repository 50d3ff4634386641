package acd

import "time"

type callState uint8

const (
	waiting callState = iota
	offered
	connected
)

// MaxPriority is the highest call priority (VIP segments, B2B SLAs); 0 is the lowest.
const MaxPriority = 9

// CallRequest asks the engine to queue a call.
type CallRequest struct {
	ID       string
	Queue    string
	Priority int            // 0-9, higher first
	Skills   map[string]int // required on top of the queue's own
	// EnqueuedAt is the call's original place in time; zero means now. Set it when
	// re-adopting a call after a restart or when a callback keeps the caller's place.
	EnqueuedAt time.Time
	Data       map[string]string // customer id, IVR inputs, language…
	// Outbound marks an agent's own outbound call (Adopt): its talk and wrap-up count for the
	// agent, not in the queue's statistics or its handle times (wait estimates).
	Outbound bool
}

// call is a call's runtime state.
type call struct {
	id         string
	q          *queue
	prio       int8
	state      callState
	step       uint8
	extra      []skillLevel // the call's own requirements
	req        []skillLevel // queue's merged with the call's
	seq        uint64
	enqueuedAt time.Time // original place; survives requeue and transfer
	queuedAt   time.Time // entry into the current queue
	offeredAt  time.Time
	answeredAt time.Time
	agent      *agent
	data       map[string]string
	timer      timer
	offerDue   bool // callback offer already signalled
	parked     bool // not offered until Unpark (Park)
	outbound   bool // an agent's own call: not in the queue's statistics (CallRequest.Outbound)
}

// before orders a queue: higher priority first, then earlier original enqueue, then arrival.
func (c *call) before(o *call) bool {
	if c.prio != o.prio {
		return c.prio > o.prio
	}
	if !c.enqueuedAt.Equal(o.enqueuedAt) {
		return c.enqueuedAt.Before(o.enqueuedAt)
	}
	return c.seq < o.seq
}

// CallView is a read-only copy of a call's state.
type CallView struct {
	ID         string
	Queue      string
	Priority   int
	State      string // waiting, offered, connected
	Agent      string
	EnqueuedAt time.Time
	Waited     time.Duration // since EnqueuedAt, to now or to the answer
	Position   int           // 1-based while waiting, else 0
	Skills     map[string]int
	Step       int
	Data       map[string]string
}

func (s callState) String() string {
	switch s {
	case waiting:
		return "waiting"
	case offered:
		return "offered"
	default:
		return "connected"
	}
}
