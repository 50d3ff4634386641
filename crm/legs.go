package crm

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
)

// InteractionStore is where the legs of identified customers are written; the store's CRM is
// one.
type InteractionStore interface {
	Identify(ctx context.Context, number, account string) ([]Candidate, error)
	RecordInteraction(ctx context.Context, i Interaction) error
}

// LegWriter writes each call leg of an identified customer to the customer's record: who took
// it, in which queue, how long the caller waited and talked, and how the leg ended. It follows
// the event stream (Apply, from one goroutine) with a calllog projection; only calls heard of
// from their arrival are followed. Dispositions and CSAT join the rows when they are read.
type LegWriter struct {
	Store   InteractionStore
	Log     *slog.Logger
	Timeout time.Duration // of one leg's lookups and write; default 5s

	book *calllog.Log
	seen map[string]time.Time // the calls followed, by when they were first heard of
}

// Apply takes one event of the stream, heard of at now; a leg that ended is written before it
// returns.
func (w *LegWriter) Apply(ev acd.Event, now time.Time) {
	if w.book == nil {
		w.book, w.seen = calllog.NewLog(), map[string]time.Time{}
	}
	switch e := ev.(type) {
	case acd.CallArrived:
		w.book.Forget(e.Call) // a call heard of again starts afresh
		w.seen[e.Call] = now
		w.book.Apply(e)
	case acd.CallRouted, acd.CallAnswered, acd.CallDialed:
		w.apply(ev)
	case acd.CallEnded:
		w.write(e, "answered", e.Talk, e.At)
	case acd.CallTransferred:
		w.write(e, "transferred", e.Talk, e.At)
	case acd.CallAbandoned:
		w.write(e, "abandoned", 0, e.At)
	case acd.CallHandedOver: // the agent's leg ends as the transfer completes; the engine's end follows
		w.write(e, "transferred", 0, e.At)
	case acd.CallHandOverEnded: // the consulted agent who took the call over is done
		w.write(e, "answered", 0, e.At)
	case acd.CallRemoved:
		w.forget(e.Call)
	case acd.CallDialFailed:
		w.dialFailed(e)
	}
}

// dialFailed records an agent's outbound call that never connected for the customer its
// number identifies: the agent, when the dial began, and why it failed.
func (w *LegWriter) dialFailed(e acd.CallDialFailed) {
	w.forget(e.Call)
	var c calllog.Call
	c.ID = e.Call
	c.Apply(e, nil)
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout())
	defer cancel()
	customer, ok := w.customer(ctx, &c)
	if !ok {
		return
	}
	i := Interaction{CallID: e.Call, Agent: e.Agent, CustomerID: customer, Queue: e.Queue, At: e.Started,
		Outcome: c.Outcome}
	if err := w.Store.RecordInteraction(ctx, i); err != nil {
		w.log().Warn("interaction not recorded", "call", e.Call, "err", err)
	}
}

func (w *LegWriter) timeout() time.Duration {
	if w.Timeout <= 0 {
		return 5 * time.Second
	}
	return w.Timeout
}

// Sweep forgets the calls first heard of before `before` (hung up in the IVR, or a leg never
// reported).
func (w *LegWriter) Sweep(before time.Time) {
	for id, seen := range w.seen {
		if seen.Before(before) {
			w.forget(id)
		}
	}
}

// apply takes an event of a call followed.
func (w *LegWriter) apply(ev acd.Event) (*calllog.Call, *calllog.Leg) {
	if _, ok := w.seen[calllog.CallOf(ev)]; !ok {
		return nil, nil
	}
	return w.book.Apply(ev)
}

func (w *LegWriter) forget(id string) {
	w.book.Forget(id)
	delete(w.seen, id)
}

// write records the leg ev ended for the customer the call is tagged with, or else the one the
// caller's number identifies (exactly one), then forgets the call when it is over. talk 0 is
// the leg's own (a hand-over's legs: the projection times them).
func (w *LegWriter) write(ev acd.Event, outcome string, talk time.Duration, at time.Time) {
	c, l := w.apply(ev)
	if c == nil || l == nil {
		return
	}
	if !c.Open() {
		w.forget(c.ID)
	}
	if _, ended := ev.(acd.CallEnded); ended && l.Outcome == calllog.LegTransferred {
		return // the engine's end of a leg a hand-over closed, and wrote
	}
	if talk == 0 {
		talk = time.Duration(l.Talk * float64(time.Second))
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout())
	defer cancel()
	customer, ok := w.customer(ctx, c)
	if !ok {
		return
	}
	start, agent, queue, waited := l.AnsweredAt, l.Agent, l.Queue, l.Waited
	switch {
	case outcome == "abandoned": // a leg offered but not answered was nobody's
		start, agent = time.Time{}, ""
	case start.IsZero(): // answered before it was followed (re-adopted after a restart)
		agent, queue, waited = "", "", 0
	}
	if start.IsZero() {
		start = at
	}
	i := Interaction{CallID: c.ID, Agent: agent, CustomerID: customer, Queue: queue, At: start,
		Outcome: outcome, Wait: waited.Seconds(), Talk: talk.Seconds()}
	if err := w.Store.RecordInteraction(ctx, i); err != nil {
		w.log().Warn("interaction not recorded", "call", c.ID, "err", err)
	}
}

// customer is the customer the call is tagged with (its data's "customer"), or else the one
// its caller's number identifies, if exactly one.
func (w *LegWriter) customer(ctx context.Context, c *calllog.Call) (int64, bool) {
	if id, err := strconv.ParseInt(c.Data["customer"], 10, 64); err == nil && id > 0 {
		return id, true
	}
	if c.Number == "" {
		return 0, false
	}
	cands, err := w.Store.Identify(ctx, c.Number, "")
	if err != nil {
		w.log().Warn("interaction: identify failed", "call", c.ID, "err", err)
		return 0, false
	}
	if len(cands) != 1 {
		return 0, false
	}
	return cands[0].ID, true
}

func (w *LegWriter) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}
