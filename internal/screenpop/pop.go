package screenpop

import (
	"encoding/json"
	"time"

	"switchboard/acd"
)

// Kinds of pop.
const (
	KindOffered     = "offered"     // the agent's phone rings with the call
	KindAnswered    = "answered"    // the agent is talking to the caller
	KindTransferred = "transferred" // the agent transferred the call to another queue
	KindEnded       = "ended"       // the call ended
	KindWrapup      = "wrapup"      // the agent is in wrap-up after the call
	KindIdle        = "idle"        // no call
)

// Pop is what the agent's desktop shows of a call (the JSON of docs/screenpop.md).
type Pop struct {
	Kind         string            `json:"kind"`
	CallID       string            `json:"call_id"`
	Agent        string            `json:"agent"`
	Caller       string            `json:"caller"`
	DID          string            `json:"did"`
	Queue        string            `json:"queue"`
	WaitedS      float64           `json:"waited_s"`
	Callback     bool              `json:"callback"`
	IVR          []acd.IVRStep     `json:"ivr"`
	Data         map[string]string `json:"data"`
	Customers    []Customer        `json:"customers"`
	Tickets      []Ticket          `json:"tickets"`
	Interactions []Interaction     `json:"interactions"`
	Recordings   []Recording       `json:"recordings"`
	PopURL       string            `json:"pop_url,omitempty"`
	At           time.Time         `json:"at"`
}

// idleJSON is the idle pop: no call, nothing else to say.
var idleJSON = []byte(`{"kind":"idle"}`)

// MarshalJSON writes the idle pop as {"kind":"idle"} and any other with every field (empty
// lists as [], so that the desktop need not test for null).
func (p Pop) MarshalJSON() ([]byte, error) {
	if p.Kind == KindIdle || p.Kind == "" {
		return idleJSON, nil
	}
	type plain Pop
	q := plain(p)
	q.IVR = orEmpty(q.IVR)
	q.Customers, q.Tickets = orEmpty(q.Customers), orEmpty(q.Tickets)
	q.Interactions, q.Recordings = orEmpty(q.Interactions), orEmpty(q.Recordings)
	if q.Data == nil {
		q.Data = map[string]string{}
	}
	return json.Marshal(q)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Customer is a customer record the caller may be.
type Customer struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Segment  string   `json:"segment"`
	Language string   `json:"language"`
	Phones   []string `json:"phones"`
	Accounts []string `json:"accounts"`
}

// Ticket is an open ticket of the customer.
type Ticket struct {
	ID         int64  `json:"id"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	Priority   int    `json:"priority"`
	CustomerID int64  `json:"customer_id"`
}

// Interaction is one of the customer's last contacts.
type Interaction struct {
	CallID      string    `json:"call_id"`
	At          time.Time `json:"at"`
	Queue       string    `json:"queue"`
	Agent       string    `json:"agent"`
	Outcome     string    `json:"outcome"`
	Disposition string    `json:"disposition"`
	CSAT        int       `json:"csat,omitempty"` // 1-5; 0: none given
}

// Recording is a recorded earlier call with the caller. A pop lists only its agent's own
// (Agent), the recordings an agent may hear.
type Recording struct {
	Name      string    `json:"name"`
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"`
	Agent     string    `json:"-"`
}

// PopRecordings is how many of the caller's recordings a pop lists at most.
const PopRecordings = 5

// recordingsOf returns the recordings of recs that agent took, at most PopRecordings.
func recordingsOf(recs []Recording, agent string) []Recording {
	var out []Recording
	for _, r := range recs {
		if r.Agent == agent && agent != "" && len(out) < PopRecordings {
			out = append(out, r)
		}
	}
	return out
}
