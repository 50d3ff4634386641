package router

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/ivr"
)

// offerLog records the engine's offers, in order, on the owner goroutine.
type offerLog struct{ offers []string } // "call→agent"

func (l *offerLog) observe(ev acd.Event) {
	if o, ok := ev.(acd.CallOffered); ok {
		l.offers = append(l.offers, o.Call+"→"+o.Agent)
	}
}

// stepper drives a router on the test's goroutine instead of Run: the test delivers events
// and runs what the router posted to itself, so every step happens in the order written.
type stepper struct {
	t *testing.T
	r *Router
}

// deliver hands the router one ARI event and runs it with whatever it posts meanwhile.
func (s stepper) deliver(js string) {
	s.t.Helper()
	s.r.Deliver(event(s.t, js))
	s.run()
}

// run handles everything in the router's inbox.
func (s stepper) run() {
	for _, f := range s.r.inbox.Drain() {
		f()
		s.r.flush()
	}
}

// await runs the inbox until something the router posted from another goroutine (a hook's
// answer) has been handled.
func (s stepper) await(what string) {
	s.t.Helper()
	s.until(what, func() bool { return s.r.inbox.Len() > 0 })
	s.run()
}

// until polls cond, for what a worker goroutine does (a request sent), up to a deadline.
func (s stepper) until(what string, cond func() bool) {
	s.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// blockingHook answers a caller's lookup only when the test says so.
type blockingHook struct {
	mu      sync.Mutex
	asked   map[string]chan struct{} // closed when the hook is asked about the number
	release map[string]chan struct{} // closed by the test to let the hook answer
}

func newBlockingHook(numbers ...string) *blockingHook {
	h := &blockingHook{asked: map[string]chan struct{}{}, release: map[string]chan struct{}{}}
	for _, n := range numbers {
		h.asked[n], h.release[n] = make(chan struct{}), make(chan struct{})
	}
	return h
}

func (h *blockingHook) wait(number string) {
	h.mu.Lock()
	a, rel := h.asked[number], h.release[number]
	h.mu.Unlock()
	close(a)
	<-rel
}

// A caller who hangs up while the router waits for its pre-queue lookup (the IVR's customer
// lookup, the classifier, or both in turn) is ended there: when the lookup answers, nothing is
// queued or offered for it, its agent stays free for the next caller, and the router and the
// engine hold nothing of it.
func TestHangupDuringLookup(t *testing.T) {
	lookupFlow := &ivr.Flow{Name: "who", Start: "who", Fallback: "q", Nodes: map[string]*ivr.Node{
		"who": {ID: "who", Line: 1, Kind: ivr.KindLookup, By: ivr.ByCaller, Found: "q", NotFound: "q", Failed: "q",
			LookupTimeout: time.Minute},
		"q": {ID: "q", Line: 2, Kind: ivr.KindRoute, Queue: "q"},
	}}
	routeFlow := &ivr.Flow{Name: "menu", Start: "q", Fallback: "q", Nodes: map[string]*ivr.Node{
		"q": {ID: "q", Line: 1, Kind: ivr.KindRoute, Queue: "q"},
	}}
	tests := []struct {
		name     string
		route    Route
		classify bool
	}{
		{"classify", Route{Queue: "q"}, true},
		{"ivr lookup", Route{Queue: "q", Flow: lookupFlow}, false},
		{"ivr then classify", Route{Queue: "q", Flow: routeFlow}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := newBlockingHook("+100", "+200")
			opt := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Clock: &acd.ManualClock{T: time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)}, Lookups: Lookups{LookupTimeout: time.Hour, ClassifyTimeout: time.Hour}}
			if tt.classify {
				opt.Lookups.Classify = func(_ context.Context, q ClassifyQuery) (Classification, bool, error) {
					hook.wait(q.Number)
					return Classification{}, false, nil
				}
			} else {
				opt.Lookups.Lookup = func(_ context.Context, q LookupQuery) (ivr.Customer, bool, error) {
					hook.wait(q.Number)
					return ivr.Customer{}, false, nil
				}
			}
			offers := &offerLog{}
			var gone []string
			opt.Observers = []func(acd.Event){offers.observe, func(ev acd.Event) {
				if e, ok := ev.(acd.CallGone); ok {
					gone = append(gone, e.Call+" "+e.Outcome+" "+e.At.Format(time.TimeOnly))
				}
			}}
			r, err := New(Config{Node: "n1", App: "sb", LoginAgents: true,
				Queues: []acd.QueueConfig{{Name: "q"}},
				Agents: []acd.AgentConfig{{ID: "a1", Endpoint: "PJSIP/a1", Queues: []acd.Membership{{Queue: "q"}}}},
				DIDs:   map[string]Route{"5551000": tt.route},
			}, nopTelephony{}, opt)
			if err != nil {
				t.Fatal(err)
			}
			s := stepper{t, r}
			r.Connected(1)
			s.run()

			// Two callers wait for their lookups; the first hangs up meanwhile.
			s.deliver(`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"c1","caller":{"number":"+100"}}}`)
			s.deliver(`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"c2","caller":{"number":"+200"}}}`)
			<-hook.asked["+100"]
			<-hook.asked["+200"]
			s.deliver(`{"type":"StasisEnd","channel":{"id":"c1"}}`)

			close(hook.release["+100"])
			s.await("the first caller's lookup answered")
			if len(offers.offers) != 0 {
				t.Fatalf("offered after the caller hung up: %v", offers.offers)
			}
			if v, _ := r.eng.Agent("a1"); v.State != acd.Available {
				t.Fatalf("agent a1 is %s for a caller who hung up", v.State)
			}
			if _, ok := r.calls["n1-c1"]; ok {
				t.Fatal("the router still holds the caller who hung up")
			}
			if want := []string{"n1-c1 abandoned 09:00:00"}; !slices.Equal(gone, want) {
				t.Fatalf("calls gone: got %v, want %v", gone, want)
			}

			close(hook.release["+200"])
			s.await("the second caller's lookup answered")
			if got, want := offers.offers, []string{"n1-c2→a1"}; !slices.Equal(got, want) {
				t.Fatalf("offers: got %v, want %v", got, want)
			}
			if got := r.eng.CallIDs(); !slices.Equal(got, []string{"n1-c2"}) {
				t.Fatalf("engine calls: %v", got)
			}
		})
	}
}
