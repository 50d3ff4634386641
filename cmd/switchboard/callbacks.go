package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/router"
	"switchboard/internal/store"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// callbackStore is the router's Callbacks: the store, with the policy of the configuration's
// callbacks: section applied (numbers normalised and checked, attempts, retry delay, expiry,
// the dial window). owner names this router's claims: the node, which one router serves.
type callbackStore struct {
	st    *store.Store
	owner string
	cfg   atomic.Pointer[config.Config]
}

var _ router.Callbacks = (*callbackStore)(nil)

func newCallbackStore(st *store.Store, cfg *config.Config) *callbackStore {
	s := &callbackStore{st: st, owner: cfg.Node}
	s.cfg.Store(cfg)
	return s
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
	p := s.cfg.Load().Callbacks.Policy(r.Queue)
	number, err := p.Number(r.Number)
	if err != nil {
		return err
	}
	now := time.Now()
	next, ok := p.NextAttempt(callback.Callback{ExpiresAt: p.ExpiresAt(now)}, now, s.window())
	if !ok {
		return errors.New("callbacks: no time to call back before the request expires")
	}
	_, _, err = s.st.RequestCallback(ctx, store.CallbackRequest{Node: s.owner, Number: number, Queue: r.Queue,
		Priority: r.Priority, EnqueuedAt: r.EnqueuedAt, Reason: r.Reason, CallID: r.CallID,
		MaxAttempts: p.Attempts(), NextAt: next, ExpiresAt: p.ExpiresAt(now), Data: r.Data})
	return err
}

// ivrCallback stores a callback the caller asked for in the IVR or accepted while waiting.
func (s *callbackStore) ivrCallback(callID string, cb ivr.Callback, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Request(ctx, callback.Request{CallID: callID, Reason: callback.Offered, Number: cb.Number,
		Queue: cb.Queue, Priority: cb.Priority, EnqueuedAt: at, Data: cb.Data})
}

func (s *callbackStore) Claim(ctx context.Context, queue string, now time.Time, limit int) ([]callback.Claim, error) {
	if w := s.window(); w != nil && !w.Open(now) {
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
	return s.st.AssignCallback(ctx, c.ID, c.Attempt, agent)
}

// Finish leaves the expiry and the caller's window to the store (see store.FinishAttempt).
func (s *callbackStore) Finish(ctx context.Context, c callback.Claim, outcome callback.Outcome, now time.Time) error {
	p := s.cfg.Load().Callbacks.Policy(c.Queue)
	next, _ := p.NextAttempt(callback.Callback{Attempts: c.Attempt, Last: outcome}, now, s.window())
	if _, err := s.st.FinishAttempt(ctx, c.ID, c.Attempt, outcome, next); err != nil {
		return fmt.Errorf("callback %d attempt %d: %w", c.ID, c.Attempt, err)
	}
	return nil
}

func (s *callbackStore) Recover(ctx context.Context) (int, error) {
	return s.st.RecoverOwner(ctx, s.owner)
}

func (s *callbackStore) Expire(ctx context.Context, now time.Time) (int, error) {
	return s.st.ExpireCallbacks(ctx, now)
}

// dialerConfig maps the callbacks: section onto the router's dialer.
func dialerConfig(cb config.Callbacks) router.Dialer {
	return router.Dialer{Endpoint: cb.DialEndpoint, CallerID: cb.CallerID, RingTimeout: cb.RingTimeout, DialAhead: cb.DialAhead}
}
