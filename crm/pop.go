package crm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"switchboard/recording"
)

// The screen pop's assembly: who is calling, their open tickets, their last contacts and
// recordings, and the external CRM's page, put together from what each PopSource finds.
// internal/screenpop delivers the result to the agents' desks.

// PopQuery is what a PopSource is asked about a call.
type PopQuery struct {
	CallID   string
	Caller   string            // the caller's number as the network gave it; "" when withheld
	DID      string            // the number dialled
	Queue    string            // the queue the call entered first
	Account  string            // Data["account"]: an account number entered in the IVR, or ""
	Customer string            // Data["customer"]: the customer id an IVR lookup found, or ""
	Data     map[string]string // all the call's attached data (a copy)
}

// PopFacts is what a PopSource knows of the caller. Any part may be empty.
type PopFacts struct {
	Customers    []PopCustomer
	Tickets      []PopTicket // open ones
	Interactions []PopInteraction
	Recordings   []recording.Recording // earlier calls with the caller; a pop lists its agent's own (RecordingsFor)
	PopURL       string                // the customer's page in the CRM
}

// Empty reports whether f holds nothing.
func (f PopFacts) Empty() bool {
	return len(f.Customers)+len(f.Tickets)+len(f.Interactions)+len(f.Recordings) == 0 && f.PopURL == ""
}

// PopSource finds what is known of a caller. It is called with a context that ends at the
// pop's deadline; an error or a late answer leaves its parts out of the pop, nothing more.
type PopSource interface {
	Enrich(ctx context.Context, q PopQuery) (PopFacts, error)
}

// PopSourceFunc is a PopSource.
type PopSourceFunc func(ctx context.Context, q PopQuery) (PopFacts, error)

// Enrich calls f.
func (f PopSourceFunc) Enrich(ctx context.Context, q PopQuery) (PopFacts, error) { return f(ctx, q) }

// PopCustomer is a customer record the caller may be.
type PopCustomer struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Segment  string   `json:"segment"`
	Language string   `json:"language"`
	Phones   []string `json:"phones"`
	Accounts []string `json:"accounts"`
}

// PopTicket is an open ticket of the customer.
type PopTicket struct {
	ID         int64  `json:"id"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	Priority   int    `json:"priority"`
	CustomerID int64  `json:"customer_id"`
}

// PopInteraction is one of the customer's last contacts.
type PopInteraction struct {
	CallID      string    `json:"call_id"`
	At          time.Time `json:"at"`
	Queue       string    `json:"queue"`
	Agent       string    `json:"agent"`
	Outcome     string    `json:"outcome"`
	Disposition string    `json:"disposition"`
	CSAT        int       `json:"csat,omitempty"` // 1-5; 0: none given
}

// PopRecordings is how many of the caller's recordings a pop lists at most.
const PopRecordings = 5

// RecordingsFor returns the recordings of recs that agent took, at most PopRecordings.
func RecordingsFor(recs []recording.Recording, agent string) []recording.Recording {
	var out []recording.Recording
	for _, r := range recs {
		if r.Agent == agent && agent != "" && len(out) < PopRecordings {
			out = append(out, r)
		}
	}
	return out
}

// AskAll asks every source at once and merges what came back before ctx ended: lists are
// concatenated in source order, the first non-empty PopURL wins; err joins the failures. A
// source that ignores its context is not waited for past the deadline.
func AskAll(ctx context.Context, srcs []PopSource, q PopQuery) (PopFacts, error) {
	type result struct {
		i   int
		f   PopFacts
		err error
	}
	ch := make(chan result, len(srcs)) // buffered: a late source never blocks
	for i, s := range srcs {
		go func() {
			f, err := s.Enrich(ctx, q)
			ch <- result{i, f, err}
		}()
	}
	results := make([]*PopFacts, len(srcs))
	var errs []error
	for range srcs {
		select {
		case r := <-ch:
			if r.err != nil {
				errs = append(errs, fmt.Errorf("enricher %d: %w", r.i, r.err))
			} else {
				results[r.i] = &r.f
			}
			continue
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("enrichers: %w", ctx.Err()))
		}
		break
	}
	var out PopFacts
	for _, r := range results {
		if r == nil {
			continue
		}
		out.Customers = append(out.Customers, r.Customers...)
		out.Tickets = append(out.Tickets, r.Tickets...)
		out.Interactions = append(out.Interactions, r.Interactions...)
		out.Recordings = append(out.Recordings, r.Recordings...)
		if out.PopURL == "" {
			out.PopURL = r.PopURL
		}
	}
	return out, errors.Join(errs...)
}

// Records is what the pop reads of the local customer records; the store's CRM is one.
type Records interface {
	Customer(ctx context.Context, id int64) (*Customer, error)
	OpenTickets(ctx context.Context, customerID int64) ([]Ticket, error)
	LastInteractions(ctx context.Context, customerID int64, n int) ([]Interaction, error)
}

// popCandidates is how many customers a pop shows at most; each brings its tickets and
// interactions.
const popCandidates = 5

// CustomerPop is the PopSource of the customer records: the customers the caller's number
// (or the account entered in the IVR) matches, their open tickets and last interactions, and
// the external CRM's page for them.
type CustomerPop struct {
	Directory  func() *Directory // the directory in force (it changes on reload)
	Local      Records
	IsNotFound func(error) bool // tells Local's "no such customer"
}

// candidates are the customers the caller may be. A call already tagged with one customer (the
// classifier's single match, or the IVR's lookup) is not identified again: that would ask the
// external CRM a second time for the same caller.
func (p CustomerPop) candidates(ctx context.Context, dir *Directory, q PopQuery) ([]Candidate, error) {
	if id, err := strconv.ParseInt(q.Customer, 10, 64); err == nil && id > 0 {
		c, err := p.Local.Customer(ctx, id)
		if err == nil {
			return []Candidate{{Customer: *c}}, nil
		}
		if !p.IsNotFound(err) {
			return nil, err
		}
	}
	return dir.Identify(ctx, q.Caller, q.Account)
}

// Enrich implements PopSource.
func (p CustomerPop) Enrich(ctx context.Context, q PopQuery) (PopFacts, error) {
	var out PopFacts
	dir := p.Directory()
	cands, err := p.candidates(ctx, dir, q)
	if err != nil || len(cands) == 0 {
		return out, err
	}
	if len(cands) > popCandidates {
		cands = cands[:popCandidates]
	}
	for _, c := range cands {
		out.Customers = append(out.Customers, PopCustomer{ID: c.ID, Name: c.Name, Segment: string(c.Segment),
			Language: c.Language, Phones: c.Phones, Accounts: c.Accounts})
		if c.ID <= 0 { // known only to the external CRM
			continue
		}
		tickets, err := p.Local.OpenTickets(ctx, c.ID)
		if err != nil {
			return out, err
		}
		for _, t := range tickets {
			out.Tickets = append(out.Tickets, PopTicket{ID: t.ID, Subject: t.Subject, Status: string(t.Status),
				Priority: t.Priority, CustomerID: t.CustomerID})
		}
		last, err := p.Local.LastInteractions(ctx, c.ID, 5)
		if err != nil {
			return out, err
		}
		for _, i := range last {
			out.Interactions = append(out.Interactions, PopInteraction{CallID: i.CallID, At: i.At, Queue: i.Queue,
				Agent: i.Agent, Outcome: i.Outcome, Disposition: i.Disposition, CSAT: i.CSAT})
		}
	}
	var id int64
	if len(cands) == 1 {
		id = cands[0].ID
	}
	out.PopURL = dir.PopURL(q.Caller, q.Account, id)
	return out, nil
}
