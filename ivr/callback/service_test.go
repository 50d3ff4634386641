package callback_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/ivr/callback"
)

type memStore struct {
	reqs     []callback.Request
	finished []time.Time
	counts   map[string]map[callback.State]int
}

func (m *memStore) RequestCallback(_ context.Context, r callback.Request) (int64, bool, error) {
	m.reqs = append(m.reqs, r)
	return int64(len(m.reqs)), false, nil
}
func (m *memStore) AssignCallback(context.Context, int64, int, string) error { return nil }
func (m *memStore) FinishAttempt(_ context.Context, _ int64, _ int, _ callback.Outcome, next time.Time) (bool, error) {
	m.finished = append(m.finished, next)
	return true, nil
}
func (m *memStore) RecoverOwner(context.Context, string) (int, error)       { return 0, nil }
func (m *memStore) ExpireCallbacks(context.Context, time.Time) (int, error) { return 0, nil }
func (m *memStore) CallbackCounts(context.Context) (map[string]map[callback.State]int, error) {
	return m.counts, nil
}

type never struct{}

func (never) Open(time.Time) bool { return false }

func TestServiceAppliesPolicy(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st := &memStore{counts: map[string]map[callback.State]int{"q": {callback.StatePending: 2, callback.StateDialing: 1}, "r": {callback.StateScheduled: 1}}}
	var window callback.Window
	p := callback.Policy{HomeCountry: "49", DenyPrefixes: []string{"+49900"}, MaxAttempts: 2, RetryDelay: 10 * time.Minute, Expiry: 2 * time.Hour}
	svc := &callback.Service{Store: st, Owner: "n1", Policy: func(string) callback.Policy { return p },
		Window: func() callback.Window { return window }, Now: func() time.Time { return now }}

	if err := svc.Request(ctx, callback.Request{Number: "+49 900 1234567", Queue: "q"}); !errors.Is(err, callback.ErrDenied) {
		t.Errorf("denied number: %v", err)
	}
	if err := svc.Request(ctx, callback.Request{Number: "030 1234567", Queue: "q", Reason: callback.Missed, CallID: "c"}); err != nil {
		t.Fatal(err)
	}
	want := callback.Request{Node: "n1", Number: "+49301234567", Queue: "q", Reason: callback.Missed, CallID: "c",
		MaxAttempts: 2, NextAt: now, ExpiresAt: now.Add(2 * time.Hour)}
	if len(st.reqs) != 1 || st.reqs[0].Node != want.Node || st.reqs[0].Number != want.Number || st.reqs[0].MaxAttempts != 2 ||
		!st.reqs[0].NextAt.Equal(want.NextAt) || !st.reqs[0].ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("stored %+v, want %+v", st.reqs, want)
	}
	if err := svc.Finish(ctx, 1, 1, "q", callback.Busy, now); err != nil || !st.finished[0].Equal(now.Add(10*time.Minute)) {
		t.Errorf("finish: next %v %v, want after the retry delay", st.finished, err)
	}
	if n, err := svc.Pending(ctx); err != nil || n["q"] != 3 || n["r"] != 1 {
		t.Errorf("pending %v %v", n, err)
	}
	window = never{}
	if svc.Open(now) {
		t.Error("open with a closed window")
	}
	if err := svc.Request(ctx, callback.Request{Number: "030 1234567", Queue: "q"}); !errors.Is(err, callback.ErrNoTime) {
		t.Errorf("request with no open time: %v", err)
	}
}
