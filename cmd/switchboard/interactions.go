package main

import (
	"context"
	"log/slog"
	"maps"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/inbox"
	"switchboard/internal/store"
)

// interactions runs crm's LegWriter on a goroutine of its own (Run): the router's owner
// goroutine only queues events here; lookups and writes run on Run's goroutine.
type interactions struct {
	w     crm.LegWriter
	inbox *inbox.Inbox[acd.Event]
}

func newInteractions(c *store.CRM, log *slog.Logger) *interactions {
	return &interactions{w: crm.LegWriter{Store: c, Log: log}, inbox: inbox.New[acd.Event]()}
}

// Observe takes an event of the stream; it never blocks.
func (x *interactions) Observe(ev acd.Event) {
	switch e := ev.(type) {
	case acd.CallRouted:
		e.Data = maps.Clone(e.Data)
		x.inbox.Push(e)
	case acd.CallArrived, acd.CallAnswered, acd.CallEnded, acd.CallTransferred, acd.CallAbandoned, acd.CallRemoved,
		acd.CallHandedOver, acd.CallHandOverEnded, acd.CallDialed, acd.CallDialFailed:
		x.inbox.Push(ev)
	}
}

// Run applies the queued events in order until ctx ends.
func (x *interactions) Run(ctx context.Context) error {
	sweep := time.NewTicker(10 * time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-sweep.C:
			x.w.Sweep(now.Add(-24 * time.Hour))
		case <-x.inbox.Ready():
			now := time.Now()
			for _, ev := range x.inbox.Drain() {
				x.w.Apply(ev, now)
			}
		}
	}
}
