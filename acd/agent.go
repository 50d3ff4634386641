package acd

import "time"

// AgentState is where an agent stands.
type AgentState uint8

const (
	LoggedOut AgentState = iota
	Available
	Reserved // a call is ringing the agent's phone
	OnCall
	WrapUp
	Paused
	numAgentStates
)

var stateNames = [...]string{"logged-out", "available", "reserved", "on-call", "wrap-up", "paused"}

func (s AgentState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// AgentStates lists every state, for metrics and dashboards.
func AgentStates() []AgentState {
	return []AgentState{LoggedOut, Available, Reserved, OnCall, WrapUp, Paused}
}

// busy reports states in which the agent is working a call.
func (s AgentState) busy() bool { return s == Reserved || s == OnCall || s == WrapUp }

// staffed reports states that count as staffed time (occupancy's denominator).
func (s AgentState) staffed() bool { return s == Available || s.busy() }

// Membership places an agent in a queue. Lower penalties are offered calls first.
type Membership struct {
	Queue   string
	Penalty int
}

// AgentConfig describes an agent.
type AgentConfig struct {
	ID       string
	Name     string
	Endpoint string // e.g. PJSIP/1001
	Skills   map[string]int
	Queues   []Membership
}

// Pause reasons the engine itself sets.
const (
	ReasonNoAnswer    = "no answer"
	ReasonBusy        = "busy"
	ReasonUnreachable = "unreachable"
	// ReasonNotReady is the pause of an agent who logged in and has not yet said it is ready
	// (LoginNotReady).
	ReasonNotReady = "not ready"
	// ReasonNodeDown is the pause, by the router, of an agent whose phone is on an Asterisk
	// node the router cannot see; the router ends it when the node is back.
	ReasonNodeDown = "node down"
)

// agent is an agent's runtime state.
type agent struct {
	cfg       AgentConfig
	skills    []skillLevel
	members   []*member
	state     AgentState
	reason    string
	since     time.Time // of the current state
	idleSince time.Time
	until     time.Time // wrap-up end
	call      *call     // reserved, on-call
	wrapCall  string    // the call being wrapped up
	wrapQueue *queue
	wrapTalk  float64 // seconds talked on the call being wrapped up
	wrapOut   bool    // the call being wrapped up was the agent's outbound call: not the queue's
	// disposed: the call being wrapped up has its disposition (Disposed); a queue that
	// requires one keeps the agent in wrap-up until then.
	disposed bool
	handled  int
	talk     time.Duration
	// next is what the agent asked for while busy: after the call it goes there instead of
	// available (a pause or a logout).
	next       AgentState
	nextReason string
	nextSet    bool
	timer      timer
}

// AgentView is a read-only copy of an agent's state.
type AgentView struct {
	ID          string
	Name        string
	Endpoint    string
	Skills      map[string]int
	Queues      []Membership
	State       AgentState
	Reason      string
	Since       time.Time
	IdleSince   time.Time
	WrapUpUntil time.Time
	// DispositionDue: the agent is in a wrap-up that ends only once the call has its
	// disposition (QueueConfig.RequireDisposition).
	DispositionDue bool
	// NextAsked: the agent asked during its call to go to Next (Paused, with NextReason, or
	// LoggedOut) when the call and its wrap-up end.
	NextAsked  bool
	Next       AgentState
	NextReason string
	Call       string
	Handled    int
	TalkTime   time.Duration
}
