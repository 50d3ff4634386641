package routertest

import (
	"context"
	"fmt"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// wrapOptions gives one router its options: the harness's clock, activity and logger; the
// hooks that run off the owner goroutine go through the gate (named "lookup ...",
// "classify ...", "callbacks ..."), and those on the owner goroutine (observers, with the
// router's facts, and Reconciled) feed the journal and fall silent once the router is
// stopped. Unless the test sets them, AgentState, KeepRequest and PendingRequest are the
// journal's, as the daemon's are the store's.
func (h *Harness) wrapOptions(g *gen, o router.Options) router.Options {
	o.Clock, o.Probes.Activity, o.Logger = h.clock, g.act, h.logger
	observers := o.Observers
	o.Observers = []func(acd.Event){func(ev acd.Event) {
		if !g.live() {
			return
		}
		h.jr.record(ev)
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
		for _, f := range observers {
			f(ev)
		}
	}}
	if o.Agents == nil {
		o.Agents = journalAgents{h.jr}
	}
	o.Journal = &liveJournal{g: g, jr: h.jr, next: o.Journal}
	o.Lookups = gateLookups(g, o.Lookups)
	if f := o.CSAT; f != nil {
		o.CSAT = func(_ context.Context, s router.CSAT) error {
			_, err := g.ask(fmt.Sprintf("csat %s %s %d", s.CallID, s.Agent, s.Score), true, func() (any, error) {
				return nil, f(context.Background(), s)
			})
			return err
		}
	}
	if f := o.Callback; f != nil {
		o.Callback = func(id string, cb ivr.Callback, at time.Time) error {
			_, err := g.ask(fmt.Sprintf("callback %s %s %s", id, cb.Number, cb.Queue), true, func() (any, error) {
				return nil, f(id, cb, at)
			})
			return err
		}
	}
	if f := o.Recordings.Index; f != nil {
		o.Recordings.Index = func(rec router.Recorded) error {
			_, err := g.ask("recorded "+rec.Name, true, func() (any, error) { return nil, f(rec) })
			return err
		}
	}
	if o.Callbacks != nil {
		o.Callbacks = &callbacks{g: g, cb: o.Callbacks}
	}
	return o
}

// gateLookups puts the caller lookups behind the gate, named "lookup <by> <value>" (a
// sensitive entry masked) and "classify <number> <queue>/<priority>".
func gateLookups(g *gen, l router.Lookups) router.Lookups {
	if f := l.Lookup; f != nil {
		l.Lookup = func(_ context.Context, q router.LookupQuery) (ivr.Customer, bool, error) {
			value := q.Number
			if q.By == ivr.ByVar {
				value = q.Account
				if q.Sensitive {
					value = router.MaskedInput
				}
			}
			type ans struct {
				c  ivr.Customer
				ok bool
			}
			v, err := g.ask("lookup "+q.By+" "+value, true, func() (any, error) {
				c, ok, err := f(context.Background(), q)
				return ans{c, ok}, err
			})
			a, _ := v.(ans)
			return a.c, a.ok, err
		}
	}
	if f := l.Classify; f != nil {
		l.Classify = func(_ context.Context, q router.ClassifyQuery) (router.Classification, bool, error) {
			type ans struct {
				c  router.Classification
				ok bool
			}
			v, err := g.ask(fmt.Sprintf("classify %s %s/%d", q.Number, q.Queue, q.Priority), true, func() (any, error) {
				c, ok, err := f(context.Background(), q)
				return ans{c, ok}, err
			})
			a, _ := v.(ans)
			return a.c, a.ok, err
		}
	}
	return l
}

// callbacks puts the callback store behind the gate.
type callbacks struct {
	g  *gen
	cb router.Callbacks
}

func (c *callbacks) Request(_ context.Context, r callback.Request) error {
	_, err := c.g.ask(fmt.Sprintf("callbacks request %s %s %s", r.CallID, r.Reason, r.Queue), true, func() (any, error) {
		return nil, c.cb.Request(context.Background(), r)
	})
	return err
}

func (c *callbacks) Claim(_ context.Context, queue string, now time.Time, limit int) ([]callback.Claim, error) {
	v, err := c.g.ask(fmt.Sprintf("callbacks claim %s %d", queue, limit), true, func() (any, error) {
		return c.cb.Claim(context.Background(), queue, now, limit)
	})
	out, _ := v.([]callback.Claim)
	return out, err
}

func (c *callbacks) Assign(_ context.Context, cl callback.Claim, agent string) error {
	_, err := c.g.ask(fmt.Sprintf("callbacks assign %d/%d %s", cl.ID, cl.Attempt, agent), true, func() (any, error) {
		return nil, c.cb.Assign(context.Background(), cl, agent)
	})
	return err
}

func (c *callbacks) Finish(_ context.Context, cl callback.Claim, outcome callback.Outcome, now time.Time) error {
	_, err := c.g.ask(fmt.Sprintf("callbacks finish %d/%d %s", cl.ID, cl.Attempt, outcome), true, func() (any, error) {
		return nil, c.cb.Finish(context.Background(), cl, outcome, now)
	})
	return err
}

func (c *callbacks) Recover(context.Context) (int, error) {
	v, err := c.g.ask("callbacks recover", true, func() (any, error) { return c.cb.Recover(context.Background()) })
	n, _ := v.(int)
	return n, err
}

func (c *callbacks) Expire(_ context.Context, now time.Time) (int, error) {
	v, err := c.g.ask("callbacks expire", true, func() (any, error) { return c.cb.Expire(context.Background(), now) })
	n, _ := v.(int)
	return n, err
}

// journalAgents remembers the agents in the test's journal, as the daemon does in the store.
type journalAgents struct{ jr *journal }

func (a journalAgents) LastState(id string) (acd.AgentState, string, bool) { return a.jr.lastState(id) }

// KeepRequest is called by SetAgentState on its caller's goroutine.
func (a journalAgents) KeepRequest(_ context.Context, agent string, req *router.AgentRequest) error {
	a.jr.keep(agent, req)
	return nil
}

func (a journalAgents) PendingRequest(agent string) (router.AgentRequest, bool) {
	return a.jr.pending(agent)
}

// liveJournal notes reconciliations of the live router in the test's journal, then tells
// the test's own Journal, if any.
type liveJournal struct {
	g    *gen
	jr   *journal
	next router.Journal
}

func (j *liveJournal) Recall(callID string) (router.Recalled, bool) {
	if j.next == nil {
		return router.Recalled{}, false
	}
	return j.next.Recall(callID)
}

func (j *liveJournal) Reconciled(live []string, at time.Time) {
	if !j.g.live() {
		return
	}
	j.jr.reconciled(live, at)
	if j.next != nil {
		j.next.Reconciled(live, at)
	}
}
