package main

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"switchboard/acd"
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
	inbox *router.Inbox[func(map[string]*leg)]
}

// leg is what is known of a call while it lasts.
type leg struct {
	number   string
	customer int64 // the customer the call is tagged with (classifier, IVR lookup); 0: unknown
	queue    string
	agent    string
	waited   time.Duration
	answered time.Time
	seen     time.Time // when the call was first heard of; calls that never reach a queue are swept
}

func newInteractions(c *store.CRM, log *slog.Logger) *interactions {
	return &interactions{crm: c, log: log, inbox: router.NewInbox[func(map[string]*leg)]()}
}

// CallInfo is told a new call's number; it never blocks.
func (x *interactions) CallInfo(id, number string) {
	now := time.Now()
	x.inbox.Push(func(m map[string]*leg) { m[id] = &leg{number: number, seen: now} })
}

// Routed is told the data of a call about to join its queue; it never blocks.
func (x *interactions) Routed(id string, data map[string]string) {
	customer, err := strconv.ParseInt(data["customer"], 10, 64)
	if err != nil || customer <= 0 {
		return
	}
	x.inbox.Push(func(m map[string]*leg) {
		if l := m[id]; l != nil {
			l.customer = customer
		}
	})
}

// Observe takes an event of the stream; it never blocks.
func (x *interactions) Observe(ev acd.Event) {
	switch e := ev.(type) {
	case acd.CallArrived:
		x.CallInfo(e.Call, e.Number)
	case acd.CallRouted:
		x.Routed(e.Call, e.Data)
	case acd.CallAnswered:
		x.inbox.Push(func(m map[string]*leg) {
			if l := m[e.Call]; l != nil {
				l.queue, l.agent, l.waited, l.answered = e.Queue, e.Agent, e.Waited, e.At
			}
		})
	case acd.CallEnded:
		x.inbox.Push(func(m map[string]*leg) { x.write(m, e.Call, "answered", e.Talk, e.At, true) })
	case acd.CallTransferred:
		x.inbox.Push(func(m map[string]*leg) { x.write(m, e.Call, "transferred", e.Talk, e.At, false) })
	case acd.CallAbandoned:
		x.inbox.Push(func(m map[string]*leg) {
			if l := m[e.Call]; l != nil {
				l.queue, l.agent, l.waited, l.answered = e.Queue, "", e.Waited, time.Time{}
			}
			x.write(m, e.Call, "abandoned", 0, e.At, true)
		})
	case acd.CallRemoved:
		x.inbox.Push(func(m map[string]*leg) { delete(m, e.Call) })
	}
}

// write records the leg for the customer the call is tagged with, or else the one the caller's
// number identifies (exactly one), then forgets the call when it is over.
func (x *interactions) write(m map[string]*leg, call, outcome string, talk time.Duration, at time.Time, over bool) {
	l := m[call]
	if l == nil {
		return
	}
	if over {
		delete(m, call)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	customer := l.customer
	if customer == 0 {
		if l.number == "" {
			return
		}
		cands, err := x.crm.Identify(ctx, l.number, "")
		if err != nil || len(cands) != 1 {
			if err != nil {
				x.log.Warn("interaction: identify failed", "call", call, "err", err)
			}
			return
		}
		customer = cands[0].ID
	}
	start := l.answered
	if start.IsZero() {
		start = at
	}
	i := crm.Interaction{CallID: call, Agent: l.agent, CustomerID: customer, Queue: l.queue, At: start,
		Outcome: outcome, Wait: l.waited.Seconds(), Talk: talk.Seconds()}
	if err := x.crm.RecordInteraction(ctx, i); err != nil {
		x.log.Warn("interaction not recorded", "call", call, "err", err)
	}
	l.agent, l.answered = "", time.Time{} // a transferred call's next leg starts afresh
}

// Run applies the queued events in order until ctx ends.
func (x *interactions) Run(ctx context.Context) error {
	calls := map[string]*leg{}
	sweep := time.NewTicker(10 * time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-sweep.C:
			for id, l := range calls {
				if now.Sub(l.seen) > 24*time.Hour { // hung up in the IVR, or a leg never reported
					delete(calls, id)
				}
			}
		case <-x.inbox.Ready():
			for _, f := range x.inbox.Drain() {
				f(calls)
			}
		}
	}
}
