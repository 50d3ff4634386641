package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
)

// linkTel is an Asterisk whose application holds the given channels; originates fail as
// origErr says, and originates and hang-ups are recorded.
type linkTel struct {
	nopTelephony
	mu      sync.Mutex
	app     []string
	origErr func(Originate) error
	orig    []string // "endpoint channel"
	hangups []string
}

func (t *linkTel) AppState(ctx context.Context) ([]string, []string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.app), nil, nil
}

func (t *linkTel) Channels(ctx context.Context) ([]Channel, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Channel
	for _, id := range t.app {
		out = append(out, Channel{ID: id, State: "Up"})
	}
	return out, nil
}

func (t *linkTel) Originate(ctx context.Context, o Originate) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.orig = append(t.orig, o.Endpoint+" "+o.ChannelID)
	if t.origErr != nil {
		return t.origErr(o)
	}
	return nil
}

func (t *linkTel) Hangup(ctx context.Context, ch, _ string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hangups = append(t.hangups, ch)
	return nil
}

func (t *linkTel) sent() (orig, hangups []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.orig), slices.Clone(t.hangups)
}

// engineLog records the engine's offers, requeues and pauses, in order.
type engineLog struct{ lines []string }

func (l *engineLog) observe(ev acd.Event) {
	switch e := ev.(type) {
	case acd.CallOffered:
		l.lines = append(l.lines, "offer "+e.Call+"→"+e.Agent)
	case acd.CallRequeued:
		l.lines = append(l.lines, "requeue "+e.Call+" "+e.Reason.String())
	case acd.AgentStateChanged:
		if e.To == acd.Paused {
			l.lines = append(l.lines, "pause "+e.Agent+" "+e.Reason)
		}
	}
}

func (l *engineLog) take() []string {
	out := l.lines
	l.lines = nil
	return out
}

func newLinkRouter(t *testing.T, tel *linkTel) (*Router, stepper, *acd.ManualClock, *engineLog) {
	t.Helper()
	clock := &acd.ManualClock{T: time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)}
	log := &engineLog{}
	r, err := New(Config{Node: "n1", App: "sb", LoginAgents: true,
		Queues: []acd.QueueConfig{{Name: "q", RingTimeout: 15 * time.Second}},
		Agents: []acd.AgentConfig{{ID: "a1", Endpoint: "PJSIP/a1", Queues: []acd.Membership{{Queue: "q"}}}},
		DIDs:   map[string]Route{"5551000": {Queue: "q"}},
	}, tel, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock,
		Observers: []func(acd.Event){log.observe}})
	if err != nil {
		t.Fatal(err)
	}
	return r, stepper{t, r}, clock, log
}

func eqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// While the event link is down nothing is offered: the offer ringing when it dropped is
// withdrawn (its agent leg hung up, the agent not blamed), the ring timeout that would have
// paused the agent never comes, and offering resumes only once the new link is reconciled.
func TestLinkDownHoldsOffers(t *testing.T) {
	tel := &linkTel{}
	r, s, clock, log := newLinkRouter(t, tel)

	s.deliver(`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"c0","caller":{"number":"+100"}}}`)
	eqLines(t, "before the first reconciliation", log.take(), nil)
	tel.app = []string{"c0"}
	r.Connected(1)
	s.run()
	eqLines(t, "once reconciled", log.take(), []string{"offer n1-c0→a1"})
	s.deliver(`{"type":"StasisEnd","channel":{"id":"c0"}}`)
	tel.app = nil

	s.deliver(`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"c1","caller":{"number":"+100"}}}`)
	eqLines(t, "caller arrives", log.take(), []string{"offer n1-c1→a1"})
	s.until("the agent rung", func() bool { o, _ := tel.sent(); return slices.Contains(o, "PJSIP/a1 c1-a1") })

	r.Disconnected()
	s.run()
	eqLines(t, "link drops", log.take(), []string{"requeue n1-c1 withdrawn"})
	s.until("the agent leg hung up", func() bool { _, h := tel.sent(); return slices.Contains(h, "c1-a1") })

	clock.Advance(time.Minute) // well past the ring timeout
	r.eng.Tick()
	r.flush()
	if v, _ := r.eng.Agent("a1"); v.State != acd.Available {
		t.Fatalf("agent a1 is %s %q while the link is down", v.State, v.Reason)
	}
	eqLines(t, "link down a minute", log.take(), nil)

	tel.mu.Lock()
	tel.app = []string{"c1"}
	tel.mu.Unlock()
	r.Connected(2)
	s.run()
	eqLines(t, "link back and reconciled", log.take(), []string{"offer n1-c1→a1"})
	s.until("the agent rung again", func() bool { o, _ := tel.sent(); return slices.Contains(o, "PJSIP/a1 c1-a2") })
}

// An originate Asterisk refuses or does not answer withdraws the offer without blaming the
// agent, and offers pause a while so that the agent is not rung straight into the same
// error; an endpoint Asterisk cannot reach is the phone's failure and pauses its agent.
func TestOriginateFailures(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  []string
		pause bool
	}{
		{"asterisk error", errors.New("originate: 500 Internal Server Error"),
			[]string{"offer n1-c1→a1", "requeue n1-c1 withdrawn"}, false},
		{"no answer from asterisk", fmt.Errorf("originate: %w", io.ErrUnexpectedEOF),
			[]string{"offer n1-c1→a1", "requeue n1-c1 withdrawn"}, false},
		{"endpoint unreachable", fmt.Errorf("originate: %w", ErrUnreachable),
			[]string{"offer n1-c1→a1", "requeue n1-c1 unreachable", "pause a1 unreachable"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := true
			tel := &linkTel{app: []string{"c1"}}
			tel.origErr = func(Originate) error {
				if fail {
					fail = false
					return tt.err
				}
				return nil
			}
			r, s, _, log := newLinkRouter(t, tel)
			r.Connected(1)
			s.run()
			s.deliver(`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"c1","caller":{"number":"+100"}}}`)
			s.await("the originate failed")
			eqLines(t, "events", log.take(), tt.want)
			v, _ := r.eng.Agent("a1")
			if tt.pause {
				if v.State != acd.Paused || r.eng.Held() {
					t.Fatalf("agent a1 %s, offers held %v", v.State, r.eng.Held())
				}
				return
			}
			if v.State != acd.Available || !r.eng.Held() {
				t.Fatalf("agent a1 %s, offers held %v", v.State, r.eng.Held())
			}
			s.await("offers resume")
			eqLines(t, "after the pause", log.take(), []string{"offer n1-c1→a1"})
		})
	}
}

// An agent leg's end cause blames the agent only for what its phone did.
func TestAgentLegFailure(t *testing.T) {
	tests := []struct {
		cause int
		want  acd.OfferFailure
	}{
		{17, acd.Busy},
		{18, acd.NoAnswer}, {19, acd.NoAnswer}, {21, acd.NoAnswer},
		{20, acd.Unreachable}, {27, acd.Unreachable}, {3, acd.Unreachable},
		{0, acd.Withdrawn}, {34, acd.Withdrawn}, {38, acd.Withdrawn}, {41, acd.Withdrawn}, {42, acd.Withdrawn}, {47, acd.Withdrawn},
	}
	for _, tt := range tests {
		if got := agentLegFailure(tt.cause); got != tt.want {
			t.Errorf("cause %d: got %s, want %s", tt.cause, got, tt.want)
		}
	}
}
