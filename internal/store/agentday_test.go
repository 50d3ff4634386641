package store_test

import (
	"context"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/acd/report"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// An agent's day: two calls with wrap-up and a pause, cut at the span's edges.
func TestAgentDay(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{},
		acd.QueueConfig{Name: "line1", WrapUp: 10 * time.Second})
	r.agent("a1", "line1") // available at 0
	r.enqueue("c1", "line1")
	r.advance(sec(2))
	r.must(r.e.Answer("c1")) // on call 2-32
	r.advance(sec(30))
	r.must(r.e.Hangup("c1")) // wrap-up 32-42
	r.advance(sec(10))
	r.must(r.e.Pause("a1", "lunch")) // paused 42-102
	r.advance(sec(60))
	r.must(r.e.Ready("a1"))
	r.enqueue("c2", "line1")
	r.advance(sec(1))
	r.must(r.e.Answer("c2")) // on call 103-, still talking
	r.advance(sec(20))
	r.flush()

	ctx := context.Background()
	d, err := r.s.AgentDay(ctx, "a1", at(0), at(123))
	r.must(err)
	eq(t, "whole day", d, report.AgentDay{Calls: 2, Talk: sec(50), WrapUp: sec(10), Pause: sec(60)})
	eq(t, "aht", d.AHT(), sec(30))
	d, err = r.s.AgentDay(ctx, "a1", at(12), at(72))
	r.must(err)
	eq(t, "from 12 to 72", d, report.AgentDay{Calls: 0, Talk: sec(20), WrapUp: sec(10), Pause: sec(30)})
	d, err = r.s.AgentDay(ctx, "nobody", at(0), at(123))
	r.must(err)
	eq(t, "unknown agent", d, report.AgentDay{})
}

// An agent's own outbound call is not one of the calls answered: its talk and wrap-up count
// apart (as in the reports), the answered calls' AHT stays theirs.
func TestAgentDayOutboundApart(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{},
		acd.QueueConfig{Name: "line1", WrapUp: 10 * time.Second})
	r.agent("a1", "line1")
	r.enqueue("c1", "line1")
	r.advance(sec(2))
	r.must(r.e.Answer("c1")) // on call 2-32, wrap-up 32-42
	r.advance(sec(30))
	r.must(r.e.Hangup("c1"))
	r.advance(sec(10))
	r.must(r.e.Adopt(acd.CallRequest{ID: "o1", Queue: "line1", Outbound: true, Data: map[string]string{"direction": "outbound"}}, "a1", at(42)))
	r.e.Note(acd.CallDialed{At: at(42), Call: "o1", Queue: "line1", Agent: "a1", Number: "+4930123456"})
	r.advance(sec(90))
	r.must(r.e.Hangup("o1")) // on call 42-132, wrap-up 132-142
	r.advance(sec(20))
	r.flush()

	d, err := r.s.AgentDay(context.Background(), "a1", at(0), at(152))
	r.must(err)
	eq(t, "day", d, report.AgentDay{Calls: 1, Talk: sec(30), WrapUp: sec(10), Outbound: 1, OutboundTalk: sec(90)})
	eq(t, "aht", d.AHT(), sec(40))
}
