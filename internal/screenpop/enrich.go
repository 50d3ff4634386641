package screenpop

import (
	"context"

	"switchboard/crm"
	"switchboard/recording"
)

// The pop's assembly is crm's (crm/pop.go); these names are the hub's view of it.
type (
	Query        = crm.PopQuery  // what an Enricher is asked about a call
	Enrichment   = crm.PopFacts  // what an Enricher knows of the caller
	Enricher     = crm.PopSource // finds what is known of a caller, under the hub's EnrichTimeout
	EnricherFunc = crm.PopSourceFunc
)

// RecordingFinder searches the recordings index (the daemon gives it *store.Store).
type RecordingFinder interface {
	SearchRecordings(ctx context.Context, q recording.Query, limit int, cursor string) ([]recording.Recording, string, error)
}

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
	recs, _, err := r.Index.SearchRecordings(ctx, recording.Query{Number: q.Caller}, limit, "")
	if err != nil {
		return Enrichment{}, err
	}
	return Enrichment{Recordings: recs}, nil
}
