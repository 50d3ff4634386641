package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/config"
	"switchboard/internal/pgtest"
	"switchboard/internal/router"
	"switchboard/internal/store"
	"switchboard/internal/testkit"
	"switchboard/ivr/callback"
)

// The dialer over real parts: the router and the ARI adapter on the emulator over HTTP and a
// websocket, callbacks in PostgreSQL through the daemon's callbackStore.

const dialerYAML = `node: t1
queues:
  - {name: q, ring_timeout: 1500ms}
agents:
  - {id: a1, endpoint: PJSIP/a1, queues: [q]}
  - {id: a2, endpoint: PJSIP/a2, queues: [q]}
  - {id: a3, endpoint: PJSIP/a3, queues: [q]}
dids:
  - {number: "100", queue: q}
callbacks:
  max_attempts: %d
  retry_delay: 0
  dial: "PJSIP/{number}@trunk"
  ring_timeout: 1s
  dial_ahead: 3
  queues:
    q: {missed_after: 300ms}
`

// dialRig is one emulator and one database that routers come and go on.
type dialRig struct {
	t    *testing.T
	emu  *ariemu.Server
	url  string
	cfg  *config.Config
	st   *store.Store
	life *life // the running router's
}

func newDialRig(t *testing.T, maxAttempts int) *dialRig {
	t.Helper()
	emu, err := ariemu.New(ariemu.Options{Username: "u", Password: "p", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); ts.Close() })
	cfg, err := config.LoadConfig(strings.NewReader(fmt.Sprintf(dialerYAML, maxAttempts)), "dialer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), pgtest.URL(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	for _, a := range cfg.Agents {
		emu.SetPhone(a.Endpoint, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 30 * time.Millisecond})
	}
	g := &dialRig{t: t, emu: emu, url: ts.URL + "/ari", cfg: cfg, st: st}
	t.Cleanup(g.kill)
	return g
}

// life is one router's lifetime. Killing it stops every request it would still make to
// Asterisk or the store, as a dead process would, after the ones under way returned.
type life struct {
	mu     sync.RWMutex // held for reading by every request under way
	dead   bool
	cancel context.CancelFunc
	loops  sync.WaitGroup
	r      *router.Router
}

var errDead = errors.New("router killed")

// enter starts a request; the caller calls l.mu.RUnlock when it returns.
func (l *life) enter() error {
	l.mu.RLock()
	if l.dead {
		l.mu.RUnlock()
		return errDead
	}
	return nil
}

// mortalTel is the ARI adapter of a router that can die.
type mortalTel struct {
	router.Telephony
	l *life
}

func (m mortalTel) Originate(ctx context.Context, o router.Originate) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.Telephony.Originate(ctx, o)
}

func (m mortalTel) Hangup(ctx context.Context, ch, reason string) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.Telephony.Hangup(ctx, ch, reason)
}

func (m mortalTel) AddChannel(ctx context.Context, b string, ch ...string) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.Telephony.AddChannel(ctx, b, ch...)
}

func (m mortalTel) HoldChannel(ctx context.Context, b, ch, class string) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.Telephony.HoldChannel(ctx, b, ch, class)
}

func (m mortalTel) SetVar(ctx context.Context, ch, name, value string) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.Telephony.SetVar(ctx, ch, name, value)
}

func (m mortalTel) CreateBridge(ctx context.Context, id, kind string) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.Telephony.CreateBridge(ctx, id, kind)
}

// mortalStore is the callback store of a router that can die.
type mortalStore struct {
	*callbackStore
	l *life
}

func (m mortalStore) Claim(ctx context.Context, q string, now time.Time, n int) ([]callback.Claim, error) {
	if err := m.l.enter(); err != nil {
		return nil, err
	}
	defer m.l.mu.RUnlock()
	return m.callbackStore.Claim(ctx, q, now, n)
}

func (m mortalStore) Finish(ctx context.Context, c callback.Claim, o callback.Outcome, now time.Time) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.callbackStore.Finish(ctx, c, o, now)
}

func (m mortalStore) Assign(ctx context.Context, c callback.Claim, agent string) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.callbackStore.Assign(ctx, c, agent)
}

func (m mortalStore) Request(ctx context.Context, r callback.Request) error {
	if err := m.l.enter(); err != nil {
		return err
	}
	defer m.l.mu.RUnlock()
	return m.callbackStore.Request(ctx, r)
}

// start runs a new router on the rig's emulator and database.
func (g *dialRig) start() {
	g.t.Helper()
	l := &life{}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: testLogLevel()}))
	rc, err := routerConfig(g.cfg)
	if err != nil {
		g.t.Fatal(err)
	}
	rc.LoginAgents = true
	rc.RingMargin = 300 * time.Millisecond
	rc.Dialer.Every = 50 * time.Millisecond
	cbs := mortalStore{newCallbackStore(g.st, g.cfg), l}
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: rc.App, Username: "u", Password: "p"})
	r, err := router.New(rc, mortalTel{rest, l}, router.Options{Logger: logger, Callbacks: cbs})
	if err != nil {
		g.t.Fatal(err)
	}
	ev := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: g.url, App: rc.App, Username: "u",
		Password: "p", Logger: logger, MinBackoff: 20 * time.Millisecond}, r)
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.r = cancel, r
	l.loops.Add(2)
	go func() { defer l.loops.Done(); _ = r.Run(ctx) }()
	go func() { defer l.loops.Done(); _ = ev.Run(ctx) }()
	g.life = l
	g.eventually("router reconciled", 10*time.Second, func() bool { return r.Reconciliations() > 0 })
}

// kill stops the running router like a crash: its calls on Asterisk stay as they are.
func (g *dialRig) kill() {
	if l := g.life; l != nil {
		l.mu.Lock() // the requests under way return first
		l.dead = true
		l.mu.Unlock()
		l.cancel()
		l.loops.Wait()
		g.life = nil
	}
}

func (g *dialRig) eventually(what string, d time.Duration, cond func() bool) {
	g.t.Helper()
	if !testkit.Poll(d, cond) {
		g.t.Fatalf("timed out after %s waiting for %s", d, what)
	}
}

func (g *dialRig) request(number string, enqueued time.Time) {
	g.t.Helper()
	cbs := newCallbackStore(g.st, g.cfg)
	err := cbs.Request(context.Background(), callback.Request{CallID: "c-" + number, Reason: callback.Offered,
		Number: number, Queue: "q", EnqueuedAt: enqueued})
	if err != nil {
		g.t.Fatal(err)
	}
}

func (g *dialRig) callbacks() []callback.Callback {
	g.t.Helper()
	cbs, err := g.st.Callbacks(context.Background(), callback.Filter{States: []callback.State{
		callback.StatePending, callback.StateScheduled, callback.StateDialing, callback.StateDone,
		callback.StateExpired, callback.StateCancelled}})
	if err != nil {
		g.t.Fatal(err)
	}
	return cbs
}

func (g *dialRig) allFinal() bool {
	for _, c := range g.callbacks() {
		if c.State == callback.StatePending || c.State == callback.StateScheduled || c.State == callback.StateDialing {
			return false
		}
	}
	return true
}

func testLogLevel() slog.Level {
	if os.Getenv("SB_TEST_LOG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelError + 4
}

// A callback is dialed agent first, then the customer, and both are bridged; a busy customer
// is tried again up to the maximum; a caller who hangs up after missed_after gets a callback
// at the place they queued at.
func TestDialerCallsBack(t *testing.T) {
	g := newDialRig(t, 2)
	g.emu.SetCustomer("+4930100001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 200 * time.Millisecond})
	g.emu.SetCustomer("+4930100002", ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 20 * time.Millisecond})
	g.emu.SetCustomer("+4930100003", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 200 * time.Millisecond})
	queued := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	g.request("+4930100001", queued)
	g.request("+4930100002", queued.Add(time.Minute))
	g.start()
	g.eventually("both callbacks final", 15*time.Second, g.allFinal)
	// The outcome is stored when the customer answers; the bridge follows.
	g.eventually("the answering customer bridged", 15*time.Second, func() bool {
		ok := g.emu.CustomerCalls("+4930100001")
		return len(ok) == 1 && !ok[0].Bridged.IsZero()
	})

	ok := g.emu.CustomerCalls("+4930100001")
	if len(ok) != 1 || ok[0].Bridged.IsZero() || len(ok[0].Peers) != 1 || !strings.HasPrefix(ok[0].Peers[0], "sb-cb-") {
		t.Fatalf("answering customer: %+v", ok)
	}
	agentRec, _ := g.emu.Call(ok[0].Peers[0])
	if agentRec.Kind != ariemu.KindAgent || agentRec.Answered.After(ok[0].Created) {
		t.Fatalf("the agent was not rung first: agent %+v, customer %+v", agentRec, ok[0])
	}
	if busy := g.emu.CustomerCalls("+4930100002"); len(busy) != 2 || busy[0].Outcome != ariemu.OutcomeBusy {
		t.Fatalf("busy customer dialed %d times: %+v", len(busy), busy)
	}
	byNumber := map[string]callback.Callback{}
	for _, c := range g.callbacks() {
		byNumber[c.Number] = c
	}
	if c := byNumber["+4930100001"]; c.State != callback.StateDone || c.Outcome != callback.Connected || c.Attempts != 1 || c.Agent == "" {
		t.Fatalf("connected callback: %+v", c)
	}
	if c := byNumber["+4930100002"]; c.State != callback.StateDone || c.Outcome != callback.Busy || c.Attempts != 2 {
		t.Fatalf("busy callback: %+v", c)
	}

	// A caller who hangs up after waiting past missed_after (every agent paused) is called back.
	setAgents := func(f func(e *acd.Engine, id string) error) {
		for _, a := range g.cfg.Agents {
			if err := g.life.r.Do(context.Background(), func(e *acd.Engine) error { return f(e, a.ID) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	setAgents(func(e *acd.Engine, id string) error { return e.Pause(id, "lunch") })
	ch, err := g.emu.PlaceCaller(ariemu.Caller{Number: "+4930100003", DID: "100", Patience: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := g.emu.WaitCall(context.Background(), ch, ariemu.Ended)
	setAgents(func(e *acd.Engine, id string) error { return e.Ready(id) })
	g.eventually("the missed caller called back", 15*time.Second, func() bool {
		calls := g.emu.CustomerCalls("+4930100003")
		return len(calls) == 1 && !calls[0].Bridged.IsZero()
	})
	for _, c := range g.callbacks() {
		if c.Number == "+4930100003" {
			if c.Reason != callback.Missed || c.EnqueuedAt.Before(rec.Created.Add(-time.Second)) || c.EnqueuedAt.After(rec.Created.Add(time.Second)) {
				t.Fatalf("missed callback: %+v (caller created %v)", c, rec.Created)
			}
		}
	}
}

// An agent who does not answer a callback's offer is paused as for any call, and the
// callback keeps its place for the next agent; the customer is dialed only once an agent
// answered.
func TestDialerAgentNoAnswer(t *testing.T) {
	g := newDialRig(t, 3)
	g.emu.SetPhone("PJSIP/a1", ariemu.Phone{Behaviour: ariemu.PhoneRingOut})
	g.emu.SetCustomer("+4930100009", ariemu.Phone{AnswerAfter: 30 * time.Millisecond, TalkTime: 200 * time.Millisecond})
	g.start()
	do := func(f func(e *acd.Engine) error) {
		if err := g.life.r.Do(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	do(func(e *acd.Engine) error {
		if err := e.Pause("a2", "lunch"); err != nil {
			return err
		}
		return e.Pause("a3", "lunch")
	})
	queued := time.Now().Add(-10 * time.Minute).Truncate(time.Microsecond)
	g.request("+4930100009", queued)
	g.eventually("a1 paused after ringing out", 10*time.Second, func() bool {
		var v acd.AgentView
		do(func(e *acd.Engine) error { v, _ = e.Agent("a1"); return nil })
		return v.State == acd.Paused && v.Reason == acd.ReasonNoAnswer
	})
	if calls := g.emu.CustomerCalls("+4930100009"); len(calls) != 0 {
		t.Fatalf("customer dialed before an agent answered: %+v", calls)
	}
	var place time.Time
	do(func(e *acd.Engine) error {
		for _, id := range e.CallIDs() {
			if v, _ := e.Call(id); v.Data["callback"] != "" {
				place = v.EnqueuedAt
			}
		}
		return e.Ready("a2")
	})
	if !place.Equal(queued) {
		t.Fatalf("callback waits at %v, want its original place %v", place, queued)
	}
	g.eventually("connected through a2", 10*time.Second, func() bool {
		calls := g.emu.CustomerCalls("+4930100009")
		if len(calls) != 1 || calls[0].Bridged.IsZero() {
			return false
		}
		agent, _ := g.emu.Call(calls[0].Peers[0])
		return agent.Endpoint == "PJSIP/a2"
	})
	for _, c := range g.callbacks() {
		if c.Attempts != 1 || c.Outcome != callback.Connected || c.Agent != "a2" {
			t.Fatalf("callback %+v", c)
		}
	}
}

// Kill the router at random points while callbacks stream in and are dialed, and start a new
// one on the same Asterisk and database each time: no callback is lost (each ends connected,
// or with every attempt used), none is dialed twice for one attempt or after it connected,
// and attempts never exceed the maximum.
func TestDialerSurvivesCrashes(t *testing.T) {
	const maxAttempts = 4
	g := newDialRig(t, maxAttempts)
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	n := 0
	addCallback := func() {
		n++
		number := fmt.Sprintf("+49301%06d", n)
		p := ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: time.Duration(20+rng.IntN(200)) * time.Millisecond,
			TalkTime: time.Duration(50+rng.IntN(300)) * time.Millisecond}
		switch x := rng.IntN(10); {
		case x < 2:
			p = ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 30 * time.Millisecond}
		case x < 3:
			p = ariemu.Phone{Behaviour: ariemu.PhoneRingOut}
		}
		g.emu.SetCustomer(number, p)
		g.request(number, time.Now().Add(-time.Duration(rng.IntN(600))*time.Second))
	}
	for range 12 {
		addCallback()
	}
	start := time.Now()
	kills := 0
	for i := 0; i < 100 && time.Since(start) < 10*time.Second; i++ {
		g.start()
		for range rng.IntN(3) {
			addCallback()
		}
		time.Sleep(time.Duration(20+rng.IntN(500)) * time.Millisecond)
		g.kill()
		kills++
	}
	g.start()
	g.eventually("every callback final", 40*time.Second, g.allFinal)
	g.kill()
	time.Sleep(300 * time.Millisecond) // the last customers' talk time ends

	dialed, connected := 0, 0
	seen := map[string]bool{}
	for _, c := range g.callbacks() {
		calls := g.emu.CustomerCalls(c.Number)
		dialed += len(calls)
		atts, err := g.st.CallbackAttempts(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Attempts > maxAttempts || len(atts) != c.Attempts {
			t.Errorf("callback %d: %d attempts, %d attempt rows, max %d", c.ID, c.Attempts, len(atts), maxAttempts)
		}
		for _, a := range atts {
			if a.FinishedAt.IsZero() || a.Outcome == "" {
				t.Errorf("callback %d attempt %d never finished", c.ID, a.Attempt)
			}
		}
		if len(calls) > c.Attempts {
			t.Errorf("callback %d (%s): dialed %d times in %d attempts", c.ID, c.Number, len(calls), c.Attempts)
		}
		bridged := 0
		for i, rec := range calls {
			if seen[rec.ChannelID] {
				t.Errorf("callback %d: attempt channel %s dialed twice", c.ID, rec.ChannelID)
			}
			seen[rec.ChannelID] = true
			if !rec.Bridged.IsZero() {
				bridged++
				if i != len(calls)-1 {
					t.Errorf("callback %d: dialed again after it connected: %+v", c.ID, calls)
				}
			}
		}
		if bridged > 1 || bridged == 1 && c.Outcome != callback.Connected {
			t.Errorf("callback %d: bridged %d times, outcome %s", c.ID, bridged, c.Outcome)
		}
		switch {
		case c.State == callback.StateDone && c.Outcome == callback.Connected:
			connected++
		case c.State == callback.StateDone && c.Attempts == c.MaxAttempts:
		default:
			t.Errorf("callback %d lost: %+v", c.ID, c)
		}
	}
	t.Logf("%d kills in %v; %d callbacks, %d connected, %d customer calls", kills, time.Since(start).Round(time.Millisecond), n, connected, dialed)
	if connected == 0 {
		t.Fatal("no callback connected")
	}
}
