package screenpop

import (
	"encoding/json"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/recording"
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
	Kind         string                `json:"kind"`
	CallID       string                `json:"call_id"`
	Agent        string                `json:"agent"`
	Caller       string                `json:"caller"`
	DID          string                `json:"did"`
	Queue        string                `json:"queue"`
	WaitedS      float64               `json:"waited_s"`
	RingTimeoutS float64               `json:"ring_timeout_s,omitempty"` // an offer's: how long the agent's phone rings (the queue's ring time)
	Callback     bool                  `json:"callback"`
	IVR          []acd.IVRStep         `json:"ivr"`
	Data         map[string]string     `json:"data"`
	Customers    []Customer            `json:"customers"`
	Tickets      []Ticket              `json:"tickets"`
	Interactions []Interaction         `json:"interactions"`
	Recordings   []recording.Recording `json:"recordings"`
	PopURL       string                `json:"pop_url,omitempty"`
	At           time.Time             `json:"at"`
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

// What a pop shows of the caller (crm's pop assembly).
type (
	Customer    = crm.PopCustomer    // a customer record the caller may be
	Ticket      = crm.PopTicket      // an open ticket of the customer
	Interaction = crm.PopInteraction // one of the customer's last contacts
)

// PopRecordings is how many of the caller's recordings a pop lists at most.
const PopRecordings = crm.PopRecordings
