package crm

import "time"

// DefaultReopenDays is how long after a resolution a call from the customer on the same ticket
// still counts against first-contact resolution and as a reopening.
const DefaultReopenDays = 7

// KPIQuery selects the tickets resolved in [From, To) (by their resolution time), optionally
// only those with a linked call in one of Queues.
type KPIQuery struct {
	From, To   time.Time
	Queues     []string // nil: every queue; otherwise only these (empty: none)
	ReopenDays int      // default DefaultReopenDays
}

// KPIs are the ticket figures over a KPIQuery's tickets.
//
//   - Resolved: tickets resolved (or closed) in the range.
//   - FirstContact: those resolved with exactly one inbound call linked up to the resolution,
//     never reopened, and with no call from the customer linked to the ticket within ReopenDays
//     after resolution (a call later than that is a new contact, not a failure of this one).
//   - Reopened: those reopened at least once, or with a call linked to the ticket within
//     ReopenDays after resolution.
//   - MeanResolution, MedianResolution: from creation to (last) resolution.
type KPIs struct {
	Resolved         int           `json:"resolved"`
	FirstContact     int           `json:"first_contact"`
	Reopened         int           `json:"reopened"`
	FCR              float64       `json:"fcr"`         // FirstContact / Resolved; 0 without tickets
	ReopenRate       float64       `json:"reopen_rate"` // Reopened / Resolved
	MeanResolution   time.Duration `json:"mean_resolution_ns"`
	MedianResolution time.Duration `json:"median_resolution_ns"`
}
