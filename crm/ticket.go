package crm

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/recording"
)

// Status is where a ticket is in its workflow.
type Status string

const (
	New      Status = "new"
	Open     Status = "open"
	Pending  Status = "pending"  // waiting on the customer or a third party
	Resolved Status = "resolved" // the agent considers it solved
	Closed   Status = "closed"   // final unless the customer comes back
)

// Statuses lists the statuses in workflow order.
var Statuses = []Status{New, Open, Pending, Resolved, Closed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Done reports whether a ticket in s counts as solved (resolved or closed).
func (s Status) Done() bool { return s == Resolved || s == Closed }

// next is the workflow: the statuses each status may move to. A resolved or closed ticket only
// reopens (to open), which counts in Ticket.Reopened.
var next = map[Status][]Status{
	New:      {Open, Pending, Resolved, Closed},
	Open:     {Pending, Resolved, Closed},
	Pending:  {Open, Resolved, Closed},
	Resolved: {Open, Closed},
	Closed:   {Open},
}

// CheckTransition returns nil when a ticket may go from one status to another (staying is
// allowed), an error wrapping ErrTransition when the workflow forbids it, and an
// *InvalidError for an unknown status.
func CheckTransition(from, to Status) error {
	if !to.Valid() {
		return invalid("status", "unknown status %q (known: new, open, pending, resolved, closed)", to)
	}
	if from == to || slices.Contains(next[from], to) {
		return nil
	}
	return fmt.Errorf("ticket %s → %s: %w", from, to, ErrTransition)
}

// Reopens reports whether a change from one status to another reopens the ticket.
func Reopens(from, to Status) bool { return from.Done() && to == Open }

// Ticket priorities run from 0 (lowest) to MaxPriority.
const (
	MaxPriority = 9
	MaxSubject  = 300
	MaxOwner    = 64
)

// Ticket is a customer's case. Calls are the linked call ids; Recordings those of the linked
// calls found in the recordings index.
type Ticket struct {
	ID         int64                 `json:"id"`
	CustomerID int64                 `json:"customer_id"`
	Subject    string                `json:"subject"`
	Status     Status                `json:"status"`
	Priority   int                   `json:"priority"`
	Owner      string                `json:"owner"` // the owning agent's id; "" = unassigned
	Reopened   int                   `json:"reopened"`
	CreatedAt  time.Time             `json:"created_at"`
	UpdatedAt  time.Time             `json:"updated_at"`
	ResolvedAt time.Time             `json:"resolved_at,omitzero"` // last time it became resolved or closed
	Calls      []string              `json:"calls,omitempty"`
	Recordings []recording.Recording `json:"recordings,omitempty"`
}

// NewTicket is a ticket to create; CallID, when set, is linked (the call it was opened on).
type NewTicket struct {
	CustomerID int64  `json:"customer_id"`
	Subject    string `json:"subject"`
	Priority   int    `json:"priority"`
	Owner      string `json:"owner"`
	CallID     string `json:"call_id"`
}

// Check validates and trims t in place.
func (t *NewTicket) Check() error {
	if t.CustomerID <= 0 {
		return invalid("customer_id", "required")
	}
	subject, err := checkSubject(t.Subject)
	if err != nil {
		return err
	}
	if err := checkPriority(t.Priority); err != nil {
		return err
	}
	owner, err := checkOwner(t.Owner)
	if err != nil {
		return err
	}
	if err := CheckCallID(t.CallID, true); err != nil {
		return err
	}
	t.Subject, t.Owner = subject, owner
	return nil
}

// TicketPatch changes some fields of a ticket; nil fields stay.
type TicketPatch struct {
	Status   *Status `json:"status"`
	Priority *int    `json:"priority"`
	Owner    *string `json:"owner"`
	Subject  *string `json:"subject"`
}

// Apply returns t changed by p at now: the status change checked against the workflow,
// Reopened counted, ResolvedAt set when it becomes resolved or closed the first time since
// it was last open, and cleared on reopening.
func (p TicketPatch) Apply(t Ticket, now time.Time) (Ticket, error) {
	if p.Subject != nil {
		s, err := checkSubject(*p.Subject)
		if err != nil {
			return t, err
		}
		t.Subject = s
	}
	if p.Priority != nil {
		if err := checkPriority(*p.Priority); err != nil {
			return t, err
		}
		t.Priority = *p.Priority
	}
	if p.Owner != nil {
		o, err := checkOwner(*p.Owner)
		if err != nil {
			return t, err
		}
		t.Owner = o
	}
	if p.Status != nil && *p.Status != t.Status {
		to := *p.Status
		if err := CheckTransition(t.Status, to); err != nil {
			return t, err
		}
		switch {
		case Reopens(t.Status, to):
			t.Reopened++
			t.ResolvedAt = time.Time{}
		case to.Done() && !t.Status.Done():
			t.ResolvedAt = now
		}
		t.Status = to
	}
	t.UpdatedAt = now
	return t, nil
}

func checkSubject(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", invalid("subject", "required")
	case !utf8.ValidString(s):
		return "", invalid("subject", "not UTF-8")
	case utf8.RuneCountInString(s) > MaxSubject:
		return "", invalid("subject", "longer than %d characters", MaxSubject)
	}
	return s, nil
}

func checkPriority(p int) error {
	if p < 0 || p > MaxPriority {
		return invalid("priority", "must be between 0 and %d, got %d", MaxPriority, p)
	}
	return nil
}

func checkOwner(o string) (string, error) {
	o = strings.TrimSpace(o)
	if len(o) > MaxOwner || strings.ContainsFunc(o, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", invalid("owner", "want an agent id")
	}
	return o, nil
}

// MaxCallID bounds a call id.
const MaxCallID = 128

// CheckCallID validates a call id; empty is allowed when optional.
func CheckCallID(id string, optional bool) error {
	switch {
	case id == "" && optional:
		return nil
	case id == "":
		return invalid("call_id", "required")
	case len(id) > MaxCallID || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f || r == utf8.RuneError }):
		return invalid("call_id", "not a call id")
	}
	return nil
}

// TicketQuery selects tickets; zero fields do not filter.
type TicketQuery struct {
	CustomerID int64
	Status     Status
	CallID     string
	Limit      int // 1..500, default 50
}

// Interaction is one call leg with a customer: a call taken (or not) by one agent. It is
// stored once per call and agent and updated in place (RecordInteraction is an upsert), so
// the wrap-up can complete what the hang-up wrote.
type Interaction struct {
	CallID      string    `json:"call_id"`
	Agent       string    `json:"agent"` // "" for a leg no agent took (abandoned in the queue)
	CustomerID  int64     `json:"customer_id,omitempty"`
	Queue       string    `json:"queue"`
	At          time.Time `json:"at"`
	Outcome     string    `json:"outcome"` // answered, abandoned, transferred, callback, ...
	Wait        float64   `json:"wait_s"`
	Talk        float64   `json:"talk_s"`
	Disposition string    `json:"disposition"`
	CSAT        int       `json:"csat,omitempty"` // 1..5; 0 = none
}

// Check validates i.
func (i *Interaction) Check() error {
	if err := CheckCallID(i.CallID, false); err != nil {
		return err
	}
	agent, err := checkOwner(i.Agent)
	if err != nil {
		return invalid("agent", "want an agent id")
	}
	i.Agent = agent
	switch {
	case i.At.IsZero():
		return invalid("at", "required")
	case !(i.Wait >= 0 && i.Talk >= 0) || math.IsInf(i.Wait, 0) || math.IsInf(i.Talk, 0):
		return invalid("wait_s", "wait and talk must be non-negative")
	case i.CSAT < 0 || i.CSAT > 5:
		return invalid("csat", "must be between 1 and 5, or 0 for none")
	case len(i.Queue) > 64 || len(i.Outcome) > 32 || len(i.Disposition) > 64:
		return invalid("disposition", "queue, outcome or disposition too long")
	}
	return nil
}
