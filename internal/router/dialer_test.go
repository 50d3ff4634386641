package router

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/testkit"
	"switchboard/ivr/callback"
)

// fakeCallbacks hands out an endless supply of due callbacks and records what the router asks.
type fakeCallbacks struct {
	t         *testing.T
	mu        sync.Mutex
	recovered int
	next      int64
	limits    []int
	finished  map[int64]callback.Outcome
	assigned  map[int64]string
}

func (f *fakeCallbacks) Request(context.Context, callback.Request) error { return nil }

func (f *fakeCallbacks) Claim(_ context.Context, queue string, _ time.Time, limit int) ([]callback.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recovered == 0 {
		f.t.Error("claimed before recovering")
	}
	f.limits = append(f.limits, limit)
	var out []callback.Claim
	for range limit {
		f.next++
		out = append(out, callback.Claim{ID: f.next, Attempt: 1, Number: "+4930100", Queue: queue,
			EnqueuedAt: time.Now().Add(-time.Hour)})
	}
	return out, nil
}

func (f *fakeCallbacks) Assign(_ context.Context, c callback.Claim, agent string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assigned[c.ID] = agent
	return nil
}

func (f *fakeCallbacks) Finish(_ context.Context, c callback.Claim, o callback.Outcome, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, twice := f.finished[c.ID]; twice {
		f.t.Errorf("callback %d finished twice", c.ID)
	}
	f.finished[c.ID] = o
	return nil
}

func (f *fakeCallbacks) Recover(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recovered++
	return 0, nil
}

func (f *fakeCallbacks) Expire(context.Context, time.Time) (int, error) { return 0, nil }

func (f *fakeCallbacks) claimed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int(f.next)
}

// origTel records originates.
type origTel struct {
	nopTelephony
	mu   sync.Mutex
	orig []Originate
}

func (o *origTel) Originate(ctx context.Context, x Originate) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.orig = append(o.orig, x)
	return nil
}

func (o *origTel) endpoints() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, x := range o.orig {
		out = append(out, x.Endpoint+" "+x.ChannelID)
	}
	return out
}

// The dialer keeps DialAhead callbacks of a queue in the engine, rings the agent first, dials
// the customer once the agent answered, and records each attempt's outcome from the customer
// channel's end: busy, no answer, failed, or connected when it answers.
func TestDialerAttempts(t *testing.T) {
	tel := &origTel{}
	cbs := &fakeCallbacks{t: t, finished: map[int64]callback.Outcome{}, assigned: map[int64]string{}}
	cfg := Config{Node: "n1", App: "sb", LoginAgents: true,
		Queues: []acd.QueueConfig{{Name: "q", RingTimeout: time.Minute}},
		Agents: []acd.AgentConfig{{ID: "a1", Endpoint: "PJSIP/a1", Queues: []acd.Membership{{Queue: "q"}}},
			{ID: "a2", Endpoint: "PJSIP/a2", Queues: []acd.Membership{{Queue: "q"}}}},
		Dialer: Dialer{DialAhead: 2, Every: 10 * time.Millisecond, CallerID: "+4930999",
			Endpoint: func(n string) string { return "PJSIP/" + n + "@carrier" }},
	}
	r, err := New(cfg, tel, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Callbacks: cbs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.Connected(1)
	testkit.Eventually(t, "two callbacks offered", func() bool { return len(tel.endpoints()) == 2 })
	time.Sleep(50 * time.Millisecond)
	if n := cbs.claimed(); n != 2 {
		t.Fatalf("claimed %d with dial-ahead 2", n)
	}
	got := tel.endpoints()
	slices.Sort(got)
	if len(got) != 2 || got[0][:len("PJSIP/a1 ")] != "PJSIP/a1 " || got[1][:len("PJSIP/a2 ")] != "PJSIP/a2 " ||
		got[0][len("PJSIP/a1 "):] == got[1][len("PJSIP/a2 "):] {
		t.Fatalf("agents rung: %v", got)
	}

	// One customer after another: each attempt ends with the cause of its channel's end.
	tests := []struct {
		cause   int
		answer  bool
		outcome callback.Outcome
	}{
		{cause: 17, outcome: callback.Busy},
		{cause: 19, outcome: callback.NoAnswer},
		{cause: 34, outcome: callback.Failed},
		{answer: true, outcome: callback.Connected},
	}
	for i, tt := range tests {
		id := int64(i + 1)
		cust := cbChanID(id, 1)
		agentLeg := agentChanID(cbAgentBase(cust), 1)
		if strings.HasPrefix(agentLeg, cust) {
			t.Fatalf("agent leg %s begins with the customer's id %s: Asterisk refuses the customer", agentLeg, cust)
		}
		testkit.Eventually(t, "the agent rung", func() bool {
			for _, e := range tel.endpoints() {
				if strings.HasSuffix(e, " "+agentLeg) {
					return true
				}
			}
			return false
		})
		r.Deliver(event(t, `{"type":"StasisStart","args":["agent","n1-`+cust+`"],"channel":{"id":"`+agentLeg+`"}}`))
		testkit.Eventually(t, "the customer dialed", func() bool {
			return slices.Contains(tel.endpoints(), "PJSIP/+4930100@carrier "+cust)
		})
		if tt.answer {
			r.Deliver(event(t, `{"type":"StasisStart","args":["callback","n1-`+cust+`"],"channel":{"id":"`+cust+`"}}`))
		} else {
			r.Deliver(event(t, `{"type":"ChannelDestroyed","cause":`+strconv.Itoa(tt.cause)+`,"channel":{"id":"`+cust+`"}}`))
		}
		testkit.Eventually(t, "the outcome", func() bool {
			cbs.mu.Lock()
			defer cbs.mu.Unlock()
			return cbs.finished[id] != ""
		})
		cbs.mu.Lock()
		got, agent := cbs.finished[id], cbs.assigned[id]
		cbs.mu.Unlock()
		if got != tt.outcome || agent == "" {
			t.Errorf("attempt %d: %s (agent %q), want %s", id, got, agent, tt.outcome)
		}
		// Each finished attempt leaves room for one more callback.
		testkit.Eventually(t, "the next callback claimed", func() bool { return cbs.claimed() == 3+i })
	}
	tel.mu.Lock()
	defer tel.mu.Unlock()
	for _, x := range tel.orig {
		if x.ChannelID == cbChanID(1, 1) && (x.CallerID != "+4930999" || x.AppArgs != "callback,n1-sb-cb-1-1") {
			t.Fatalf("customer originate %+v", x)
		}
	}
}
