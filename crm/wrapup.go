package crm

import "time"

// Wrapup is what an agent recorded after a call: the disposition picked from the configured
// list, free notes and the ticket the call belongs to.
type Wrapup struct {
	CallID      string
	Agent       string
	Disposition string
	Notes       string
	TicketID    int64 // 0: none
	At          time.Time
}
