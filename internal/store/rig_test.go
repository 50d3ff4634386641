package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/store"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// rig is an engine on a manual clock whose events go to a running journal.
type rig struct {
	t     *testing.T
	clock *acd.ManualClock
	e     *acd.Engine
	s     *store.Store
	j     *store.Journal
}

func newRig(t *testing.T, s *store.Store, opt store.JournalOptions, queues ...acd.QueueConfig) *rig {
	t.Helper()
	if opt.Node == "" {
		opt.Node = "ast1"
	}
	j, err := store.NewJournal(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clock: &acd.ManualClock{T: t0}, s: s, j: j}
	r.e, err = acd.New(acd.Options{Clock: r.clock, OnEvent: j.Record, RingTimeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		r.must(r.e.AddQueue(q))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("journal Run: %v", err)
		}
	})
	return r
}

func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// agent adds an agent serving queues and logs it in.
func (r *rig) agent(id string, queues ...string) {
	r.t.Helper()
	var ms []acd.Membership
	for _, q := range queues {
		ms = append(ms, acd.Membership{Queue: q})
	}
	r.must(r.e.AddAgent(acd.AgentConfig{ID: id, Endpoint: "PJSIP/" + id, Queues: ms}))
	r.must(r.e.Login(id))
}

func (r *rig) enqueue(id, queue string) {
	r.t.Helper()
	r.must(r.e.Enqueue(acd.CallRequest{ID: id, Queue: queue}))
}

func (r *rig) advance(d time.Duration) {
	r.clock.Advance(d)
	r.e.Tick()
}

func (r *rig) flush() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r.must(r.j.Flush(ctx))
}

func (r *rig) call(id string) *store.Call {
	r.t.Helper()
	c, err := r.s.Call(context.Background(), id)
	r.must(err)
	return c
}

func (r *rig) legs(id string) []store.CallLeg {
	r.t.Helper()
	ls, err := r.s.CallLegs(context.Background(), id)
	r.must(err)
	return ls
}

// events returns a call's queue events as "EVENT queue agent".
func (r *rig) events(id string) []string {
	r.t.Helper()
	evs, err := r.s.CallEvents(context.Background(), id)
	r.must(err)
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s %s %s", e.Event, e.Queue, e.Agent))
	}
	return out
}

// states returns an agent's intervals as "state[reason] from-to" in seconds
// from t0; "-" marks an open interval.
func (r *rig) states(agent string) []string {
	r.t.Helper()
	is, err := r.s.AgentStates(context.Background(), agent, t0.Add(-time.Hour))
	r.must(err)
	var out []string
	for _, i := range is {
		end := "-"
		if !i.EndedAt.IsZero() {
			end = fmt.Sprint(i.EndedAt.Sub(t0).Seconds())
		}
		s := i.State
		if i.Reason != "" {
			s += "[" + i.Reason + "]"
		}
		if i.CallID != "" {
			s += "(" + i.CallID + ")"
		}
		out = append(out, fmt.Sprintf("%s %v-%s", s, i.StartedAt.Sub(t0).Seconds(), end))
	}
	return out
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if g, w := fmt.Sprintf("%v", got), fmt.Sprintf("%v", want); g != w {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func sec(n int) time.Duration { return time.Duration(n) * time.Second }
