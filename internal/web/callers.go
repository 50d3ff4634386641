package web

import (
	"slices"
	"sync"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
)

// CallerBook follows the event stream and keeps what the engine does not hold of a live call:
// the caller's number, the DID dialled and the IVR path walked, for the wallboard's waiting
// calls. Observe is cheap (it runs on the router's owner goroutine); Caller may be called from
// any goroutine.
type CallerBook struct {
	mu    sync.Mutex
	log   *calllog.Log
	seen  map[string]time.Time // by call: the time of its latest event
	swept time.Time            // the event time of the latest sweep
}

// Caller is what the book knows of a call.
type Caller struct {
	Number string // "" when withheld or not told
	DID    string
	Path   []acd.IVRStep
}

// NewCallerBook returns an empty book.
func NewCallerBook() *CallerBook {
	return &CallerBook{log: calllog.NewLog(), seen: map[string]time.Time{}}
}

// Ended calls are kept a while (a call may queue again under its id, e.g. after a transfer);
// calls nothing was heard of for a day are dropped (an event lost in a restart).
const (
	callerKeepEnded = 5 * time.Minute
	callerKeepQuiet = 24 * time.Hour
)

// Observe takes one event of the stream.
func (b *CallerBook) Observe(ev acd.Event) {
	id := calllog.CallOf(ev)
	if id == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log.Apply(ev)
	now := ev.Time()
	b.seen[id] = now
	if now.Sub(b.swept) < time.Minute {
		return
	}
	b.swept = now
	for _, id := range b.log.Calls() {
		c, _ := b.log.Call(id)
		if quiet := now.Sub(b.seen[id]); (!c.Open() && quiet > callerKeepEnded) || quiet > callerKeepQuiet {
			b.log.Forget(id)
			delete(b.seen, id)
		}
	}
}

// Caller returns what the book knows of a call.
func (b *CallerBook) Caller(id string) (Caller, bool) {
	if b == nil {
		return Caller{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.log.Call(id)
	if !ok {
		return Caller{}, false
	}
	return Caller{Number: c.Number, DID: c.DID, Path: slices.Clone(c.Path)}, true
}
