package recording

import (
	"context"
	"errors"
	"time"
)

// Query selects recordings from the index. Zero fields do not filter.
type Query struct {
	From, To time.Time // started in [From, To)
	// Queues, when not nil, restricts to these queues (a supervisor's scope); an empty,
	// non-nil slice matches nothing.
	Queues      []string
	Queue       string
	Agent       string
	Number      string // the caller's number, exactly
	Customer    string
	Ticket      string
	CallID      string
	MinDuration time.Duration
	MaxDuration time.Duration
}

// ErrBadCursor is returned for a search cursor the index did not hand out.
var ErrBadCursor = errors.New("bad cursor")

// Index is the recordings' index: one row per recording file. A missing recording is an
// error with the acd.ENotFound code.
type Index interface {
	IndexRecording(ctx context.Context, r Recording) error
	Recording(ctx context.Context, name string) (*Recording, error)
	DeleteRecording(ctx context.Context, name string) error
	// SearchRecordings returns up to limit recordings matching q, newest first, and the
	// cursor of the next page ("" when this is the last). cursor is "" for the first page.
	SearchRecordings(ctx context.Context, q Query, limit int, cursor string) ([]Recording, string, error)
}
