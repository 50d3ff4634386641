package acd

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// harness is an engine on a manual clock that records its events.
type harness struct {
	t      testing.TB
	clock  *ManualClock
	e      *Engine
	events []Event
}

func newHarness(t testing.TB, opt Options) *harness {
	t.Helper()
	h := &harness{t: t, clock: &ManualClock{T: t0}}
	opt.Clock = h.clock
	opt.OnEvent = func(ev Event) { h.events = append(h.events, ev) }
	e, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) queue(cfg QueueConfig) { h.t.Helper(); h.must(h.e.AddQueue(cfg)) }

// agent adds and logs in an agent serving the given queues at penalty 0.
func (h *harness) agent(id string, skills map[string]int, queues ...string) {
	h.t.Helper()
	var ms []Membership
	for _, q := range queues {
		ms = append(ms, Membership{Queue: q})
	}
	h.must(h.e.AddAgent(AgentConfig{ID: id, Endpoint: "PJSIP/" + id, Skills: skills, Queues: ms}))
	h.must(h.e.Login(id))
}

func (h *harness) call(id, queue string, prio int, skills map[string]int) {
	h.t.Helper()
	h.must(h.e.Enqueue(CallRequest{ID: id, Queue: queue, Priority: prio, Skills: skills}))
}

func (h *harness) advance(d time.Duration) {
	h.clock.Advance(d)
	h.e.Tick()
}

// offers returns "call→agent" for every CallOffered since the last call to offers.
func (h *harness) offers() []string {
	var out []string
	for _, ev := range h.events {
		if o, ok := ev.(CallOffered); ok {
			out = append(out, o.Call+"→"+o.Agent)
		}
	}
	h.events = nil
	return out
}

func (h *harness) state(agent string) AgentState {
	v, ok := h.e.Agent(agent)
	if !ok {
		h.t.Fatalf("no agent %s", agent)
	}
	return v.State
}

// complete answers and hangs up an offered call.
func (h *harness) complete(call string) {
	h.t.Helper()
	h.must(h.e.Answer(call))
	h.must(h.e.Hangup(call))
}

func eq[T comparable](t testing.TB, what string, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}
