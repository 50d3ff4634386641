package screenpop

import (
	"context"
	"errors"
	"fmt"

	"switchboard/internal/store"
	"switchboard/recording"
)

// Query is what an Enricher is asked about a call.
type Query struct {
	CallID   string
	Caller   string            // the caller's number as the network gave it; "" when withheld
	DID      string            // the number dialled
	Queue    string            // the queue the call entered first
	Account  string            // Data["account"]: an account number entered in the IVR, or ""
	Customer string            // Data["customer"]: the customer id an IVR lookup found, or ""
	Data     map[string]string // all the call's attached data (a copy)
}

// Enrichment is what an Enricher knows of the caller. Any part may be empty.
type Enrichment struct {
	Customers    []Customer
	Tickets      []Ticket // open ones
	Interactions []Interaction
	Recordings   []Recording
	PopURL       string // the customer's page in the CRM
}

func (e Enrichment) empty() bool {
	return len(e.Customers)+len(e.Tickets)+len(e.Interactions)+len(e.Recordings) == 0 && e.PopURL == ""
}

// Enricher finds what is known of a caller. It is called off the router's goroutines with a
// context that ends at the hub's EnrichTimeout; an error or a late answer leaves its parts out
// of the pop, nothing more.
type Enricher interface {
	Enrich(ctx context.Context, q Query) (Enrichment, error)
}

// EnricherFunc is an Enricher.
type EnricherFunc func(ctx context.Context, q Query) (Enrichment, error)

// Enrich calls f.
func (f EnricherFunc) Enrich(ctx context.Context, q Query) (Enrichment, error) { return f(ctx, q) }

// enrichAll asks every enricher at once and merges what came back before ctx ended: lists
// are concatenated in enricher order, the first non-empty PopURL wins; err joins the failures.
// An enricher that ignores its context is not waited for past the deadline.
func enrichAll(ctx context.Context, es []Enricher, q Query) (Enrichment, error) {
	type result struct {
		i   int
		e   Enrichment
		err error
	}
	ch := make(chan result, len(es)) // buffered: a late enricher never blocks
	for i, e := range es {
		go func() {
			r, err := e.Enrich(ctx, q)
			ch <- result{i, r, err}
		}()
	}
	results := make([]*Enrichment, len(es))
	var errs []error
	for range es {
		select {
		case r := <-ch:
			if r.err != nil {
				errs = append(errs, fmt.Errorf("enricher %d: %w", r.i, r.err))
			} else {
				results[r.i] = &r.e
			}
			continue
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("enrichers: %w", ctx.Err()))
		}
		break
	}
	var out Enrichment
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

// RecordingFinder searches the recordings index; *store.Store is one.
type RecordingFinder interface {
	SearchRecordings(ctx context.Context, f store.RecordingFilter, limit int, cursor string) ([]recording.Recording, string, error)
}

var _ RecordingFinder = (*store.Store)(nil)

// Recordings is an Enricher giving the caller's last recorded calls, newest first, found by
// the caller's number, with the agent of each: a pop shows its agent only their own, at most
// PopRecordings.
type Recordings struct {
	Index RecordingFinder
	Limit int // how many to look at; default 50
}

// Enrich implements Enricher.
func (r Recordings) Enrich(ctx context.Context, q Query) (Enrichment, error) {
	if q.Caller == "" {
		return Enrichment{}, nil
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 50
	}
	recs, _, err := r.Index.SearchRecordings(ctx, store.RecordingFilter{Number: q.Caller}, limit, "")
	if err != nil {
		return Enrichment{}, err
	}
	var out Enrichment
	for _, rec := range recs {
		out.Recordings = append(out.Recordings, Recording{Name: rec.Name, Started: rec.Started, DurationS: rec.Duration.Seconds(), Agent: rec.Agent})
	}
	return out, nil
}
