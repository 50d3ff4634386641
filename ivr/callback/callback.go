package callback

import (
	"fmt"
	"log/slog"
	"time"

	"switchboard/acd"
)

// State is a callback's state.
type State string

// Callback states; the first three are active.
const (
	StatePending   State = "pending"   // waiting for its turn; never attempted
	StateScheduled State = "scheduled" // waiting for a time: a retry, or the window the caller chose
	StateDialing   State = "dialing"   // an attempt is claimed and under way
	StateDone      State = "done"      // connected, or no attempt left (the outcome says which)
	StateExpired   State = "expired"
	StateCancelled State = "cancelled"
)

// ActiveStates are the states of a callback that still waits or is being dialed.
var ActiveStates = []State{StatePending, StateScheduled, StateDialing}

// States are all the states, in the order of a callback's life.
var States = []State{StatePending, StateScheduled, StateDialing, StateDone, StateExpired, StateCancelled}

// ErrInvalid is returned (wrapped) for a request that is refused.
var ErrInvalid error = &acd.Error{Code: acd.EInvalid, Message: "invalid callback request"}

// ErrConflict is returned (wrapped) when a callback is not in the state an operation needs.
var ErrConflict error = &acd.Error{Code: acd.EConflict, Message: "callback is not in that state"}

// Request asks for a callback.
type Request struct {
	Node       string // the node the call came from
	Number     string // E.164 (Normalize, then Policy.Check)
	Queue      string
	Priority   int
	EnqueuedAt time.Time // the caller's original place; required
	Reason     Reason
	CallID     string
	// The window the caller chose; zero ends are open.
	WindowStart, WindowEnd time.Time
	MaxAttempts            int       // > 0 (Policy.Attempts)
	NextAt                 time.Time // earliest first attempt (Policy.NextAttempt with the hours); zero: now, or WindowStart
	ExpiresAt              time.Time // required
	Data                   map[string]string
}

// Validate checks what every request must have; its error wraps ErrInvalid.
func (r Request) Validate() error {
	switch {
	case !IsE164(r.Number):
		return fmt.Errorf("number is not E.164: %w", ErrInvalid)
	case r.Queue == "":
		return fmt.Errorf("no queue: %w", ErrInvalid)
	case !r.Reason.Valid():
		return fmt.Errorf("reason %q: %w", r.Reason, ErrInvalid)
	case r.EnqueuedAt.IsZero():
		return fmt.Errorf("no enqueue time: %w", ErrInvalid)
	case r.ExpiresAt.IsZero():
		return fmt.Errorf("no expiry: %w", ErrInvalid)
	case r.MaxAttempts <= 0:
		return fmt.Errorf("max attempts %d: %w", r.MaxAttempts, ErrInvalid)
	case !r.WindowStart.IsZero() && !r.WindowEnd.IsZero() && !r.WindowStart.Before(r.WindowEnd):
		return fmt.Errorf("window ends before it starts: %w", ErrInvalid)
	}
	return nil
}

// Callback is one callback: a request as kept, merged requests included, with its attempts so
// far. Policy.NextAttempt reads Attempts, Outcome, ExpiresAt and the caller's window. The JSON
// is the API's: the node, the creation time and the data stay on the server.
type Callback struct {
	ID         int64     `json:"id"`
	Node       string    `json:"-"`
	Number     string    `json:"number"`
	Queue      string    `json:"queue"`
	Priority   int       `json:"priority"`
	Reason     Reason    `json:"reason"`
	State      State     `json:"state"`
	Agent      string    `json:"agent,omitempty"`
	CallID     string    `json:"call_id,omitempty"`
	EnqueuedAt time.Time `json:"enqueued_at"`
	Attempts   int       `json:"attempts"` // attempts made so far
	// MaxAttempts is the attempt budget (Policy.Attempts when requested).
	MaxAttempts int       `json:"max_attempts"`
	NextAt      time.Time `json:"next_at"`
	ExpiresAt   time.Time `json:"expires_at"` // zero: never (bounded by SearchHorizon)
	// The window the caller chose ("call me between 14:00 and 16:00"); zero ends are open.
	WindowStart time.Time         `json:"window_start,omitzero"`
	WindowEnd   time.Time         `json:"window_end,omitzero"`
	Outcome     Outcome           `json:"outcome,omitempty"` // the last attempt's; "" before the first ends
	Requests    int               `json:"requests"`          // requests merged into it, itself included
	CreatedAt   time.Time         `json:"-"`
	UpdatedAt   time.Time         `json:"updated_at"`
	Data        map[string]string `json:"-"`
}

// LogValue logs a callback without its number's leading digits.
func (c Callback) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", c.ID), slog.String("queue", c.Queue),
		slog.String("number", Mask(c.Number)), slog.String("state", string(c.State)),
		slog.Int("attempts", c.Attempts))
}

// Filter selects callbacks for a list. Empty fields match all; a nil States means the active
// states.
type Filter struct {
	Queue  string
	Queues []string // nil: every queue; otherwise only these (a supervisor's scope; empty: none)
	Agent  string
	States []State
	Limit  int // default 500
}
