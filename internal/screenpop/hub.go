package screenpop

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/crm"
	"switchboard/internal/inbox"
)

// Defaults of Options.
const (
	DefaultEnrichTimeout = 300 * time.Millisecond
	DefaultBuffer        = 16
	// A call the hub heard of but that never queued (the caller hung up in the IVR) is
	// forgotten after this long.
	staleAfter = time.Hour
	// Calls an agent answered, remembered per agent for Handled.
	recentPerAgent = 32
)

// Options configure a Hub.
type Options struct {
	Enrichers     []Enricher    // asked in parallel; none: pops carry what the router knows
	EnrichTimeout time.Duration // default DefaultEnrichTimeout
	Buffer        int           // pops buffered per subscriber; default DefaultBuffer
	Logger        *slog.Logger
	Registerer    prometheus.Registerer // nil: no metrics
	Now           func() time.Time      // default time.Now (pops of engine events carry the event's time)
}

// Hub turns engine events into pops and delivers them to the agents' subscribers.
type Hub struct {
	opt   Options
	log   *slog.Logger
	inbox *inbox.Inbox[func()]
	book  *calllog.Log          // the calls' records; owned by the Run goroutine
	calls map[string]*callState // what the pops need besides; owned by the Run goroutine

	mu      sync.Mutex
	current map[string]delivered                // by agent: the latest pop
	subs    map[string]map[*Subscriber]struct{} // by agent
	recent  map[string][]Facts                  // by agent: calls answered, newest last

	pops, dropped, enrichErrs prometheus.Counter
	offerDelay                prometheus.Histogram
}

// callState is what the hub knows of a live call: its record (caller, DID, queue, IVR path,
// data) and what its pops need besides.
type callState struct {
	rec        *calllog.Call
	agent      string // offered or connected agent, "" while waiting
	kind       string // the agent's last pop kind
	waited     time.Duration
	ring       time.Duration // the latest offer's ring time
	seen       time.Time
	enqueued   bool
	enrichment *Enrichment
}

type delivered struct {
	pop  Pop
	json []byte
}

// Facts are what the hub remembers of a call an agent answered.
type Facts struct {
	CallID, Caller, Queue string
}

// New returns a hub; start it with Run.
func New(opt Options) *Hub {
	if opt.EnrichTimeout <= 0 {
		opt.EnrichTimeout = DefaultEnrichTimeout
	}
	if opt.Buffer <= 0 {
		opt.Buffer = DefaultBuffer
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	h := &Hub{opt: opt, log: opt.Logger, inbox: inbox.New[func()](), book: calllog.NewLog(), calls: map[string]*callState{},
		current: map[string]delivered{}, subs: map[string]map[*Subscriber]struct{}{}, recent: map[string][]Facts{},
		pops:       prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_screenpop_pops_total", Help: "Pops built and delivered to the agent's subscribers."}),
		dropped:    prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_screenpop_dropped_total", Help: "Pops dropped from a slow subscriber's full buffer (the oldest first)."}),
		enrichErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_screenpop_enrich_errors_total", Help: "Enrichments that failed or ran out of time, in part or whole."}),
		offerDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "switchboard_screenpop_offer_seconds",
			Help:    "From the engine's offer to its pop handed to the agent's connected desktops.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}),
	}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(h.pops, h.dropped, h.enrichErrs, h.offerDelay, prometheus.NewGaugeFunc(
			prometheus.GaugeOpts{Name: "switchboard_screenpop_subscribers", Help: "Connected pop subscribers (agent desktops)."},
			func() float64 {
				h.mu.Lock()
				defer h.mu.Unlock()
				n := 0
				for _, s := range h.subs {
					n += len(s)
				}
				return float64(n)
			}))
	}
	return h
}

// Observe takes one event of the stream; it never blocks (router Options.Observers). Events
// no pop depends on are not queued.
func (h *Hub) Observe(ev acd.Event) {
	switch ev := ev.(type) {
	case acd.CallRouted:
		ev.Path, ev.Data = append([]acd.IVRStep(nil), ev.Path...), maps.Clone(ev.Data)
		h.inbox.Push(func() { h.onEvent(ev) })
		return
	case acd.CallGone:
		return
	case acd.CallOffered:
		seen := time.Now()
		h.inbox.Push(func() {
			h.onEvent(ev)
			h.offerDelay.Observe(time.Since(seen).Seconds())
		})
		return
	case acd.CallUpdated, acd.CallbackOfferDue, acd.CallSkillsExpanded:
		return
	case acd.AgentStateChanged:
		if ev.To != acd.WrapUp && ev.To != acd.LoggedOut {
			return
		}
	}
	h.inbox.Push(func() { h.onEvent(ev) })
}

// CallInfo takes what the engine does not know of a new call (acd.CallArrived).
func (h *Hub) CallInfo(callID, number, did string) {
	h.Observe(acd.CallArrived{At: h.opt.Now(), Call: callID, Number: number, DID: did})
}

// Routed takes the IVR path and data of a call about to join its queue (acd.CallRouted).
func (h *Hub) Routed(callID string, path []acd.IVRStep, data map[string]string) {
	h.Observe(acd.CallRouted{At: h.opt.Now(), Call: callID, Path: path, Data: data})
}

// WrappedUp tells the hub that agent wrapped up callID: if that call is still the agent's
// latest pop, the agent goes idle.
func (h *Hub) WrappedUp(agent, callID string) {
	h.inbox.Push(func() {
		h.mu.Lock()
		cur, ok := h.current[agent]
		h.mu.Unlock()
		if ok && cur.pop.CallID == callID {
			switch cur.pop.Kind {
			case KindEnded, KindWrapup, KindTransferred:
				h.publish(agent, Pop{Kind: KindIdle})
			}
		}
	})
}

// Run handles what was handed to the hub, in order, until ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.inbox.Ready():
			for _, f := range h.inbox.Drain() {
				f()
			}
		case <-sweep.C:
			h.sweep(h.opt.Now())
		}
	}
}

// call returns the state of a call, making it on first sight (a call re-adopted after a restart
// is first seen in an engine event).
func (h *Hub) call(id string) *callState {
	c := h.calls[id]
	if c == nil {
		rec, _ := h.book.Call(id)
		c = &callState{rec: rec, seen: h.opt.Now()}
		h.calls[id] = c
	}
	return c
}

// forget drops what the hub knows of a call.
func (h *Hub) forget(id string) {
	delete(h.calls, id)
	h.book.Forget(id)
}

// onEvent applies ev to the call's record, then builds the pops it makes.
func (h *Hub) onEvent(ev acd.Event) {
	if id := calllog.CallOf(ev); id != "" {
		h.book.Apply(ev)
		defer func() {
			if h.calls[id] == nil { // a call the hub does not follow
				h.book.Forget(id)
			}
		}()
	}
	switch ev := ev.(type) {
	case acd.CallArrived, acd.CallRouted:
		h.call(calllog.CallOf(ev))
	case acd.CallEnqueued:
		c := h.call(ev.Call)
		if !c.enqueued {
			c.enqueued = true
			h.enrich(c)
		}
	case acd.CallOffered:
		c := h.call(ev.Call)
		c.agent, c.waited, c.ring = ev.Agent, ev.Waited, ev.Deadline.Sub(ev.At)
		h.pop(c, KindOffered, ev.At)
	case acd.CallRequeued:
		if c := h.calls[ev.Call]; c != nil {
			c.agent = ""
		}
		h.idleIf(ev.Agent, ev.Call)
	case acd.CallAnswered:
		c := h.call(ev.Call)
		c.agent, c.waited = ev.Agent, ev.Waited
		h.remember(ev.Agent, Facts{CallID: c.rec.ID, Caller: c.rec.Number, Queue: c.rec.Queue})
		h.pop(c, KindAnswered, ev.At)
	case acd.CallDialed: // an agent's outbound call: its pop is the answered one's
		c := h.call(ev.Call)
		c.agent = ev.Agent
		if !c.enqueued {
			c.enqueued = true
			h.enrich(c)
		}
		h.remember(ev.Agent, Facts{CallID: c.rec.ID, Caller: c.rec.Number, Queue: c.rec.Queue})
		h.pop(c, KindAnswered, ev.At)
	case acd.CallTransferred:
		if c := h.calls[ev.Call]; c != nil {
			c.agent, c.rec.Queue = ev.Agent, ev.To // the queue it goes to, before it is enqueued there
			h.pop(c, KindTransferred, ev.At)
			c.agent = ""
		}
	case acd.CallEnded:
		if c := h.calls[ev.Call]; c != nil {
			c.agent = ev.Agent
			h.pop(c, KindEnded, ev.At)
			h.forget(ev.Call)
		}
	case acd.CallAbandoned:
		h.forget(ev.Call)
		if ev.Agent != "" {
			h.idleIf(ev.Agent, ev.Call)
		}
	case acd.CallRemoved:
		h.forget(ev.Call)
	case acd.CallOverflowed:
		if ev.Callback {
			h.forget(ev.Call)
		}
	case acd.AgentStateChanged:
		switch {
		case ev.To == acd.WrapUp && ev.Call != "":
			h.mu.Lock()
			cur, ok := h.current[ev.Agent]
			h.mu.Unlock()
			if ok && cur.pop.CallID == ev.Call {
				p := cur.pop
				p.Kind, p.At = KindWrapup, ev.At
				h.publish(ev.Agent, p)
			}
		case ev.To == acd.LoggedOut:
			h.publish(ev.Agent, Pop{Kind: KindIdle})
		}
	}
}

// pop builds the call's pop of kind for its agent and delivers it.
func (h *Hub) pop(c *callState, kind string, at time.Time) {
	if c.agent == "" {
		return
	}
	c.kind = kind
	r := c.rec
	p := Pop{Kind: kind, CallID: r.ID, Agent: c.agent, Caller: r.Number, DID: r.DID, Queue: r.Queue,
		WaitedS: c.waited.Seconds(), Callback: r.Data["callback"] != "", IVR: r.Path, Data: maps.Clone(r.Data), At: at}
	if kind == KindOffered && c.ring > 0 {
		p.RingTimeoutS = c.ring.Seconds()
	}
	if e := c.enrichment; e != nil {
		p.Customers, p.Tickets, p.Interactions, p.PopURL = e.Customers, e.Tickets, e.Interactions, e.PopURL
		p.Recordings = crm.RecordingsFor(e.Recordings, c.agent)
	}
	h.publish(c.agent, p)
}

// idleIf sends agent the idle pop if its latest pop is of callID (an offer that ended).
func (h *Hub) idleIf(agent, callID string) {
	h.mu.Lock()
	cur, ok := h.current[agent]
	h.mu.Unlock()
	if ok && cur.pop.CallID == callID {
		h.publish(agent, Pop{Kind: KindIdle})
	}
}

// enrich asks the enrichers about c off the hub's goroutine; the answer comes back through the
// inbox, and a call still with an agent gets its pop again, enriched.
func (h *Hub) enrich(c *callState) {
	if len(h.opt.Enrichers) == 0 {
		return
	}
	r := c.rec
	q := Query{CallID: r.ID, Caller: r.Number, DID: r.DID, Queue: r.Queue, Account: r.Data["account"],
		Customer: r.Data["customer"], Data: maps.Clone(r.Data)}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), h.opt.EnrichTimeout)
		defer cancel()
		e, err := crm.AskAll(ctx, h.opt.Enrichers, q)
		if err != nil {
			h.enrichErrs.Inc()
			h.log.Warn("screen pop enrichment incomplete", "call", q.CallID, "err", err)
		}
		h.inbox.Push(func() {
			if h.calls[q.CallID] != c {
				return
			}
			c.enrichment = &e
			if e.Empty() {
				return // nothing to add to a pop already out
			}
			if c.agent != "" && (c.kind == KindOffered || c.kind == KindAnswered) {
				h.pop(c, c.kind, h.opt.Now())
			}
		})
	}()
}

// remember keeps f among the calls agent answered.
func (h *Hub) remember(agent string, f Facts) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := append(h.recent[agent], f)
	if len(r) > recentPerAgent {
		r = append(r[:0:0], r[len(r)-recentPerAgent:]...)
	}
	h.recent[agent] = r
}

// Handled reports whether agent answered callID among its recent calls, and what the hub knows
// of it.
func (h *Hub) Handled(agent, callID string) (Facts, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.recent[agent]
	for i := len(r) - 1; i >= 0; i-- {
		if r[i].CallID == callID {
			return r[i], true
		}
	}
	return Facts{}, false
}

// sweep forgets calls that never queued (the caller left in the IVR) or that nothing was heard
// of for a day.
func (h *Hub) sweep(now time.Time) {
	for id, c := range h.calls {
		if (!c.enqueued && now.Sub(c.seen) > staleAfter) || now.Sub(c.seen) > 24*time.Hour {
			h.forget(id)
		}
	}
}

// publish makes p the agent's latest pop and hands it to the agent's subscribers, dropping
// the oldest pop of a subscriber whose buffer is full.
func (h *Hub) publish(agent string, p Pop) {
	b, err := json.Marshal(p)
	if err != nil {
		h.log.Error("screen pop not encoded", "call", p.CallID, "err", err)
		return
	}
	h.pops.Inc()
	h.mu.Lock()
	defer h.mu.Unlock()
	if p.Kind == KindIdle {
		delete(h.current, agent)
	} else {
		h.current[agent] = delivered{pop: p, json: b}
	}
	for s := range h.subs[agent] {
		s.put(b, h.dropped)
	}
}

// Current returns the agent's latest pop (ok false: the agent is idle).
func (h *Hub) Current(agent string) (Pop, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.current[agent]
	if !ok {
		return Pop{Kind: KindIdle}, idleJSON, false
	}
	return d.pop, d.json, true
}

// Subscriber receives one agent's pops, as JSON, on C. Close it when done.
type Subscriber struct {
	C     <-chan []byte
	c     chan []byte
	h     *Hub
	agent string
}

// Subscribe returns a subscriber for agent whose channel holds the agent's latest pop (the
// idle pop when none) and then every following pop.
func (h *Hub) Subscribe(agent string) *Subscriber {
	c := make(chan []byte, h.opt.Buffer)
	s := &Subscriber{C: c, c: c, h: h, agent: agent}
	h.mu.Lock()
	defer h.mu.Unlock()
	if d, ok := h.current[agent]; ok {
		c <- d.json
	} else {
		c <- idleJSON
	}
	if h.subs[agent] == nil {
		h.subs[agent] = map[*Subscriber]struct{}{}
	}
	h.subs[agent][s] = struct{}{}
	return s
}

// Close stops the deliveries.
func (s *Subscriber) Close() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	delete(s.h.subs[s.agent], s)
	if len(s.h.subs[s.agent]) == 0 {
		delete(s.h.subs, s.agent)
	}
}

// put hands b over without waiting: with the buffer full, the oldest pop gives way. Only the
// hub sends (under its lock), so after taking one out there is room.
func (s *Subscriber) put(b []byte, dropped prometheus.Counter) {
	select {
	case s.c <- b:
		return
	default:
	}
	select {
	case <-s.c:
		dropped.Inc()
	default:
	}
	select {
	case s.c <- b:
	default:
		dropped.Inc()
	}
}

// Feed is the hub as a feed of encoded pops per agent, the shape the web side streams.
type Feed struct{ Hub *Hub }

// Subscribe returns the agent's pops as they come and the function that stops them.
func (f Feed) Subscribe(agent string) (<-chan []byte, func()) {
	s := f.Hub.Subscribe(agent)
	return s.C, s.Close
}

// Current returns the agent's latest pop, encoded.
func (f Feed) Current(agent string) ([]byte, bool) {
	_, b, ok := f.Hub.Current(agent)
	return b, ok
}
