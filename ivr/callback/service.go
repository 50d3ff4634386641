package callback

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store keeps the callbacks (internal/store): a request merges into the active callback of its
// number and queue, an attempt finishes once, and a router's dead attempts are recovered.
type Store interface {
	RequestCallback(ctx context.Context, r Request) (id int64, merged bool, err error)
	AssignCallback(ctx context.Context, id int64, attempt int, agent string) error
	// FinishAttempt takes next computed without the expiry and the caller's window, which the
	// store compares with the current row.
	FinishAttempt(ctx context.Context, id int64, attempt int, outcome Outcome, next time.Time) (bool, error)
	RecoverOwner(ctx context.Context, owner string) (int, error)
	ExpireCallbacks(ctx context.Context, now time.Time) (int, error)
	// CallbackCounts counts the active callbacks by queue and state.
	CallbackCounts(ctx context.Context) (map[string]map[State]int, error)
}

// ErrNoTime refuses a request that no attempt could serve before it expires.
var ErrNoTime = errors.New("callbacks: no time to call back before the request expires")

// Service applies the callbacks' policy to what a router asks of the Store: numbers
// normalised and checked, the attempt budget, the retry delay, the expiry and the dial window.
type Service struct {
	Store Store
	Owner string // the node whose router makes the requests and the attempts
	// Policy is a queue's policy and Window the dial window (nil: always open), read at each
	// use so that a reloaded configuration applies.
	Policy func(queue string) Policy
	Window func() Window
	Now    func() time.Time // nil: time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) window() Window {
	if s.Window == nil {
		return nil
	}
	return s.Window()
}

// Request records a callback request: r's number as the caller gave it, its queue, reason,
// place and data; the policy gives the rest.
func (s *Service) Request(ctx context.Context, r Request) error {
	p := s.Policy(r.Queue)
	number, err := p.Number(r.Number)
	if err != nil {
		return err
	}
	now := s.now()
	next, ok := p.NextAttempt(Callback{ExpiresAt: p.ExpiresAt(now)}, now, s.window())
	if !ok {
		return ErrNoTime
	}
	r.Node, r.Number, r.MaxAttempts, r.NextAt, r.ExpiresAt = s.Owner, number, p.Attempts(), next, p.ExpiresAt(now)
	_, _, err = s.Store.RequestCallback(ctx, r)
	return err
}

// Open reports whether attempts may start at now (the dial window).
func (s *Service) Open(now time.Time) bool {
	w := s.window()
	return w == nil || w.Open(now)
}

// Assign reserves an attempt's callback for agent.
func (s *Service) Assign(ctx context.Context, id int64, attempt int, agent string) error {
	return s.Store.AssignCallback(ctx, id, attempt, agent)
}

// Finish records how attempt ended and schedules the next one by queue's policy; the expiry
// and the caller's window are left to the store (Store.FinishAttempt).
func (s *Service) Finish(ctx context.Context, id int64, attempt int, queue string, outcome Outcome, now time.Time) error {
	next, _ := s.Policy(queue).NextAttempt(Callback{Attempts: attempt, Outcome: outcome}, now, s.window())
	if _, err := s.Store.FinishAttempt(ctx, id, attempt, outcome, next); err != nil {
		return fmt.Errorf("callback %d attempt %d: %w", id, attempt, err)
	}
	return nil
}

// Recover finishes the attempts this node's previous router left under way.
func (s *Service) Recover(ctx context.Context) (int, error) {
	return s.Store.RecoverOwner(ctx, s.Owner)
}

// Expire ends the callbacks past their expiry at now.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	return s.Store.ExpireCallbacks(ctx, now)
}

// Pending counts, per queue, the callbacks not yet done.
func (s *Service) Pending(ctx context.Context) (map[string]int, error) {
	counts, err := s.Store.CallbackCounts(ctx)
	out := map[string]int{}
	for q, byState := range counts {
		for _, n := range byState {
			out[q] += n
		}
	}
	return out, err
}
