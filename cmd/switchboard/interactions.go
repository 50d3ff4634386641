package main

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/crm"
	"switchboard/internal/router"
	"switchboard/internal/store"
)

// interactions writes each call leg of an identified customer to the customer's record: who
// took it, in which queue, how long the caller waited and talked, and how the leg ended. The
// router's owner goroutine only queues events here; lookups and writes run on Run's goroutine.
// Dispositions and CSAT join the rows when they are read (store.CRM.LastInteractions).
type interactions struct {
	crm   *store.CRM
	log   *slog.Logger
	inbox *router.Inbox[func(*calls)]
}

// calls are the records of the calls followed (calllog), and when each was first heard of:
// only calls heard of from their arrival are followed, and those that never reach a queue are
// swept.
type calls struct {
	book *calllog.Log
	seen map[string]time.Time
}

func newInteractions(c *store.CRM, log *slog.Logger) *interactions {
	return &interactions{crm: c, log: log, inbox: router.NewInbox[func(*calls)]()}
}

// CallInfo is told a new call's number; it never blocks.
func (x *interactions) CallInfo(id, number string) {
	x.Observe(acd.CallArrived{At: time.Now(), Call: id, Number: number})
}

// Routed is told the data of a call about to join its queue; it never blocks.
func (x *interactions) Routed(id string, data map[string]string) {
	x.Observe(acd.CallRouted{At: time.Now(), Call: id, Data: maps.Clone(data)})
}

// Observe takes an event of the stream; it never blocks.
func (x *interactions) Observe(ev acd.Event) {
	switch e := ev.(type) {
	case acd.CallArrived:
		now := time.Now()
		x.inbox.Push(func(m *calls) {
			m.book.Forget(e.Call) // a call heard of again starts afresh
			m.seen[e.Call] = now
			m.book.Apply(e)
		})
	case acd.CallRouted:
		e.Data = maps.Clone(e.Data)
		x.inbox.Push(func(m *calls) { m.apply(e) })
	case acd.CallAnswered:
		x.inbox.Push(func(m *calls) { m.apply(e) })
	case acd.CallEnded:
		x.inbox.Push(func(m *calls) { x.write(m, e, "answered", e.Talk, e.At, true) })
	case acd.CallTransferred:
		x.inbox.Push(func(m *calls) { x.write(m, e, "transferred", e.Talk, e.At, false) })
	case acd.CallAbandoned:
		x.inbox.Push(func(m *calls) { x.write(m, e, "abandoned", 0, e.At, true) })
	case acd.CallRemoved:
		x.inbox.Push(func(m *calls) { m.forget(e.Call) })
	}
}

// apply takes an event of a call followed.
func (m *calls) apply(ev acd.Event) (*calllog.Call, *calllog.Leg) {
	if _, ok := m.seen[calllog.CallOf(ev)]; !ok {
		return nil, nil
	}
	return m.book.Apply(ev)
}

func (m *calls) forget(id string) {
	m.book.Forget(id)
	delete(m.seen, id)
}

// write records the leg ev ended for the customer the call is tagged with, or else the one the
// caller's number identifies (exactly one), then forgets the call when it is over.
func (x *interactions) write(m *calls, ev acd.Event, outcome string, talk time.Duration, at time.Time, over bool) {
	c, l := m.apply(ev)
	if c == nil || l == nil {
		return
	}
	if over {
		m.forget(c.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	customer, err := strconv.ParseInt(c.Data["customer"], 10, 64)
	if err != nil || customer <= 0 {
		customer = 0
		if c.Number == "" {
			return
		}
		cands, err := x.crm.Identify(ctx, c.Number, "")
		if err != nil || len(cands) != 1 {
			if err != nil {
				x.log.Warn("interaction: identify failed", "call", c.ID, "err", err)
			}
			return
		}
		customer = cands[0].ID
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
	i := crm.Interaction{CallID: c.ID, Agent: agent, CustomerID: customer, Queue: queue, At: start,
		Outcome: outcome, Wait: waited.Seconds(), Talk: talk.Seconds()}
	if err := x.crm.RecordInteraction(ctx, i); err != nil {
		x.log.Warn("interaction not recorded", "call", c.ID, "err", err)
	}
}

// Run applies the queued events in order until ctx ends.
func (x *interactions) Run(ctx context.Context) error {
	m := &calls{book: calllog.NewLog(), seen: map[string]time.Time{}}
	sweep := time.NewTicker(10 * time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-sweep.C:
			for id, seen := range m.seen {
				if now.Sub(seen) > 24*time.Hour { // hung up in the IVR, or a leg never reported
					m.forget(id)
				}
			}
		case <-x.inbox.Ready():
			for _, f := range x.inbox.Drain() {
				f(m)
			}
		}
	}
}
