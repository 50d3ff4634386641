package router

import (
	"context"
	"errors"
	"time"

	"switchboard/acd"
)

// ClassifyQuery is a new caller about to join a queue, for the Classify hook.
type ClassifyQuery struct {
	CallID   string
	Number   string // the caller's number, "" when withheld
	Account  string // an account number the caller entered in the IVR, if any
	Queue    string // the queue the DID or the flow chose
	Priority int
}

// Classification is what the customer records say about a caller's route: another queue
// (a dedicated VIP queue, say), a priority, and data to attach (customer id, segment).
type Classification struct {
	Queue    string // "": keep the chosen queue
	Priority int    // used when higher than the chosen priority
	Data     map[string]string
}

const defaultClassifyTimeout = 300 * time.Millisecond

// enqueue puts a caller into its queue. With a Classify hook the customer records are asked
// first, off the owner goroutine and for at most ClassifyTimeout; a slow, failing or silent
// hook leaves the route as it was. The caller's wait counts from now either way.
func (r *Router) enqueue(c *call, req acd.CallRequest) {
	if req.EnqueuedAt.IsZero() {
		req.EnqueuedAt = r.clock.Now()
	}
	if r.lookups.Classify == nil {
		r.enqueueNow(c, req)
		return
	}
	q := ClassifyQuery{CallID: c.id, Number: c.info.number, Account: req.Data["account"], Queue: req.Queue, Priority: req.Priority}
	hook, wait := r.lookups.Classify, r.lookups.ClassifyTimeout
	type answer struct {
		cls Classification
		ok  bool
	}
	within(r, wait, func(ctx context.Context) (answer, error) {
		cls, ok, err := hook(ctx, q)
		return answer{cls, ok}, err
	}, func(ans answer, err error) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			r.log.Warn("classify timed out; routing as configured", "call", c.id, "after", wait)
		case err != nil:
			r.log.Warn("classify failed; routing as configured", "call", c.id, "err", err)
		}
		if r.calls[c.id] != c { // the caller hung up meanwhile
			return
		}
		if c.callerChan == "" { // it did, and the call was not ended: never queue it
			r.endUnqueued(c, GoneAbandoned)
			return
		}
		if ans.ok && err == nil {
			r.applyClassification(c, &req, ans.cls)
		}
		r.enqueueNow(c, req)
	})
}

func (r *Router) applyClassification(c *call, req *acd.CallRequest, cls Classification) {
	if cls.Queue != "" && cls.Queue != req.Queue {
		if _, ok := r.eng.QueueConfig(cls.Queue); ok {
			req.Queue = cls.Queue
		} else {
			r.log.Warn("classify chose an unknown queue; keeping the route", "call", c.id, "queue", cls.Queue)
		}
	}
	if p := min(cls.Priority, acd.MaxPriority); p > req.Priority {
		req.Priority = p
	}
	if len(cls.Data) > 0 {
		data := make(map[string]string, len(req.Data)+len(cls.Data))
		for k, v := range cls.Data {
			data[k] = v
		}
		for k, v := range req.Data { // what the IVR collected wins
			data[k] = v
		}
		req.Data = data
	}
}

func (r *Router) enqueueNow(c *call, req acd.CallRequest) {
	c.place.priority = req.Priority
	r.routed(c, req.Data)
	if err := r.eng.Enqueue(req); err != nil {
		r.log.Error("enqueue failed; hanging up", "call", c.id, "queue", req.Queue, "err", err)
		ch := c.callerChan
		r.forget(c)
		r.hangupLater(ch)
	}
}
