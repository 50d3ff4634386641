package main

import (
	"context"
	"sync/atomic"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/router"
	"switchboard/internal/store"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// callbackStore is the router's Callbacks: the callback service (its policy from the
// configuration's callbacks: section) over the store. owner names this router's claims: the
// node, which one router serves.
type callbackStore struct {
	st    *store.Store
	svc   *callback.Service
	owner string
	cfg   atomic.Pointer[config.Config]
}

var _ router.Callbacks = (*callbackStore)(nil)

func newCallbackStore(st *store.Store, cfg *config.Config) *callbackStore {
	s := &callbackStore{st: st, owner: cfg.Node}
	s.cfg.Store(cfg)
	s.svc = &callback.Service{Store: st, Owner: cfg.Node, Policy: s.policy, Window: s.window}
	return s
}

func (s *callbackStore) policy(queue string) callback.Policy {
	return s.cfg.Load().Callbacks.Policy(queue)
}

// window is the dial window: the hours named by callbacks.hours; nil is always open.
func (s *callbackStore) window() callback.Window {
	cfg := s.cfg.Load()
	if h := cfg.Hours[cfg.Callbacks.Hours]; cfg.Callbacks.Hours != "" && h != nil {
		return h
	}
	return nil
}

func (s *callbackStore) Request(ctx context.Context, r callback.Request) error {
	return s.svc.Request(ctx, callback.Request{Number: r.Number, Queue: r.Queue, Priority: r.Priority,
		EnqueuedAt: r.EnqueuedAt, Reason: r.Reason, CallID: r.CallID, Data: r.Data})
}

// ivrCallback stores a callback the caller asked for in the IVR or accepted while waiting.
func (s *callbackStore) ivrCallback(callID string, cb ivr.Callback, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Request(ctx, callback.Request{CallID: callID, Reason: callback.Offered, Number: cb.Number,
		Queue: cb.Queue, Priority: cb.Priority, EnqueuedAt: at, Data: cb.Data})
}

func (s *callbackStore) Claim(ctx context.Context, queue string, now time.Time, limit int) ([]callback.Claim, error) {
	if !s.svc.Open(now) {
		return nil, nil
	}
	claims, err := s.st.ClaimCallbacksIn(ctx, s.owner, []string{queue}, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]callback.Claim, len(claims))
	for i, c := range claims {
		out[i] = callback.Claim{ID: c.ID, Attempt: c.Attempt, Number: c.Number, Queue: c.Queue,
			Priority: c.Priority, EnqueuedAt: c.EnqueuedAt, Data: c.Data}
	}
	return out, nil
}

func (s *callbackStore) Assign(ctx context.Context, c callback.Claim, agent string) error {
	return s.svc.Assign(ctx, c.ID, c.Attempt, agent)
}

func (s *callbackStore) Finish(ctx context.Context, c callback.Claim, outcome callback.Outcome, now time.Time) error {
	return s.svc.Finish(ctx, c.ID, c.Attempt, c.Queue, outcome, now)
}

func (s *callbackStore) Recover(ctx context.Context) (int, error) { return s.svc.Recover(ctx) }

func (s *callbackStore) Expire(ctx context.Context, now time.Time) (int, error) {
	return s.svc.Expire(ctx, now)
}

// Pending counts, per queue, the callbacks not yet done (the wallboard shows them).
func (s *callbackStore) Pending(ctx context.Context) (map[string]int, error) {
	return s.svc.Pending(ctx)
}

// dialerConfig maps the callbacks: section onto the router's dialer. The numbers agents dial
// follow the callbacks' policy (home country, denied prefixes) when the section gives one.
func dialerConfig(cb config.Callbacks) router.Dialer {
	d := router.Dialer{Endpoint: cb.DialEndpoint, CallerID: cb.CallerID, RingTimeout: cb.RingTimeout, DialAhead: cb.DialAhead}
	if cb.Country != "" || cb.International {
		d.Number = cb.Policy("").Number
	}
	return d
}
