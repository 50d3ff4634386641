package routertest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
)

// Options configure a Harness.
type Options struct {
	// Router are the router's options. The harness sets Clock, Activity and Logger; the hooks
	// run off the owner goroutine (Lookup, Classify, CSAT, Callback, Callbacks, Recorded) go
	// through the gate, on the test's goroutine, when their request is taken. AgentState,
	// when nil, is the journal's last state of the agent (as the daemon reads the store).
	Router router.Options
	// Start is the clock's start (default Monday 2030-01-07 09:00 UTC).
	Start time.Time
	// SettleTimeout bounds, in real time, the wait for the router to become idle (default
	// 10s): a router that never does is a failed test, not a hung one.
	SettleTimeout time.Duration
}

// Harness runs a router against the harness's Asterisk on a manual clock. Every method is
// called from the test's goroutine; each action (a caller arrives, hangs up, presses a digit,
// an agent phone answers, the clock moves...) returns once the router is idle again, every
// request it made taken in a fixed order. See the package documentation.
type Harness struct {
	t      testing.TB
	cfg    router.Config
	ropt   router.Options
	opt    Options
	clock  *Clock
	ast    *pbx
	jr     *journal
	log    *logBuffer
	logger *slog.Logger

	mu         sync.Mutex
	cur        *gen
	gens       []*gen
	pending    []*Request
	taken      []*Request
	rules      []*rule
	seq        int
	arrivals   int
	link       bool
	attempt    int
	delivered  []string        // channels whose end was sent to the router, not yet handled
	known      map[string]bool // channels the router knows are gone
	late       []string        // requests for channels the router knew were gone
	events     []acd.Event
	ariLog     []string
	ariCursor  int
	hookCursor int
	arrived    chan struct{} // signalled when a request arrives at the gate
	closed     bool          // by Close
}

// gen is one router: the first, or one started by Restart.
type gen struct {
	h      *Harness
	n      int
	r      *router.Router
	act    *router.Activity
	cancel context.CancelFunc
	done   chan struct{}
	dead   bool // stopped by Restart or the end of the test; guarded by h.mu
}

func (g *gen) live() bool {
	g.h.mu.Lock()
	defer g.h.mu.Unlock()
	return !g.dead
}

// New starts a router with cfg, connects it (it reconciles with the empty Asterisk) and
// settles. The router is stopped when the test ends.
func New(t testing.TB, cfg router.Config, opt Options) *Harness {
	t.Helper()
	if opt.Start.IsZero() {
		opt.Start = time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	}
	if opt.SettleTimeout <= 0 {
		opt.SettleTimeout = 10 * time.Second
	}
	h := &Harness{t: t, cfg: cfg, ropt: opt.Router, opt: opt, clock: NewClock(opt.Start), jr: newJournal(),
		log: &logBuffer{}, link: true, known: map[string]bool{}, arrived: make(chan struct{}, 1)}
	h.ast = newPBX(h)
	h.logger = slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		closed := h.closed
		h.close()
		if t.Failed() && !closed {
			lines := strings.Split(strings.TrimRight(h.log.String(), "\n"), "\n")
			if len(lines) > 80 {
				lines = append([]string{"..."}, lines[len(lines)-80:]...)
			}
			t.Logf("router log (last lines):\n%s", strings.Join(lines, "\n"))
		}
	})
	h.start(cfg, opt.Router)
	return h
}

func (h *Harness) start(cfg router.Config, ropt router.Options) {
	h.t.Helper()
	g := &gen{h: h, n: len(h.gens) + 1, act: &router.Activity{}, done: make(chan struct{})}
	r, err := router.New(cfg, &telephony{g}, h.wrapOptions(g, ropt))
	if err != nil {
		h.t.Fatalf("router.New: %v", err)
	}
	g.r = r
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	h.mu.Lock()
	h.cur = g
	h.gens = append(h.gens, g)
	link := h.link
	h.mu.Unlock()
	go func() {
		defer close(g.done)
		_ = r.Run(ctx)
	}()
	if link {
		h.connect()
	}
	h.Settle()
}

// connect tells the router the event link is (back) up; once it has reconciled, every
// channel gone meanwhile counts as known to it.
func (h *Harness) connect() {
	h.t.Helper()
	h.mu.Lock()
	h.attempt++
	attempt, r := h.attempt, h.cur.r
	h.mu.Unlock()
	before := r.Reconciliations()
	r.Connected(attempt)
	h.Settle()
	if r.Reconciliations() > before {
		h.ast.mu.Lock()
		gone := make([]string, 0, len(h.ast.destroyed))
		for id := range h.ast.destroyed {
			gone = append(gone, id)
		}
		h.ast.mu.Unlock()
		h.mu.Lock()
		for _, id := range gone {
			h.known[id] = true
		}
		h.mu.Unlock()
	}
}

// Close stops the routers; the test's end does too.
func (h *Harness) Close() {
	h.close()
	h.closed = true
}

func (h *Harness) close() {
	h.mu.Lock()
	gens := h.gens
	for _, g := range gens {
		g.dead = true
	}
	h.mu.Unlock()
	for _, g := range gens {
		h.releaseDead(g)
		g.cancel()
		select {
		case <-g.done:
		case <-time.After(h.opt.SettleTimeout):
		}
	}
}

// Router returns the router running now.
func (h *Harness) Router() *router.Router {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.r
}

// Clock returns the harness's clock.
func (h *Harness) Clock() *Clock { return h.clock }

// Now returns the clock's time.
func (h *Harness) Now() time.Time { return h.clock.Now() }

// Log returns what the routers logged so far (debug level).
func (h *Harness) Log() string { return h.log.String() }

// waitIdle waits until the router is idle: every goroutine of it finished or parked.
func (h *Harness) waitIdle() {
	h.t.Helper()
	h.mu.Lock()
	act := h.cur.act
	h.mu.Unlock()
	select {
	case <-act.Idle():
	case <-time.After(h.opt.SettleTimeout):
		h.t.Fatalf("router not idle after %v (busy %d); waiting requests %q", h.opt.SettleTimeout, act.Busy(), h.Pending())
	}
	if act.Miscounted() {
		h.t.Fatal("router activity miscounted: a goroutine of the router parked without being counted")
	}
}

// Settle lets the router run until it is idle with nothing left to do now: timers due now
// fire, and every waiting request no Hold keeps is taken, one at a time, in a fixed order
// (by operation), each followed by the events it causes and a wait for idle.
func (h *Harness) Settle() {
	h.t.Helper()
	for {
		h.waitIdle()
		h.learn()
		if t := h.clock.next(h.clock.Now()); t != nil {
			t.f()
			continue
		}
		h.mu.Lock()
		var next *Request
		for _, p := range h.sortedPending() {
			if !p.held {
				next = p
				break
			}
		}
		h.mu.Unlock()
		if next == nil {
			return
		}
		h.grant(next, nil)
	}
}

// learn counts the ends of channels sent to the router as known to it once its owner
// goroutine has handled everything sent (not while it is parked in a request).
func (h *Harness) learn() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur.act.OwnerIdle() {
		for _, id := range h.delivered {
			h.known[id] = true
		}
		h.delivered = nil
	}
}

// Advance moves the clock on by d, firing the timers due on the way in order, and settling
// after each.
func (h *Harness) Advance(d time.Duration) {
	h.t.Helper()
	h.Settle()
	target := h.clock.Now().Add(d)
	for {
		t := h.clock.next(target)
		if t == nil {
			break
		}
		t.f()
		h.Settle()
	}
	h.clock.set(target)
	h.Settle()
}

// deliver sends an ARI event to the router, or loses it while the link is down.
func (h *Harness) deliver(e router.Event) {
	h.mu.Lock()
	link, g := h.link, h.cur
	desc := describe(e)
	if !link {
		desc += " (lost: link down)"
	}
	h.ariLog = append(h.ariLog, desc)
	h.mu.Unlock()
	if link && g.live() {
		g.r.Deliver(e)
	}
}

// noteGone records that ch was destroyed; if the router hears of it, it knows once idle.
func (h *Harness) noteGone(ch string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.link {
		h.delivered = append(h.delivered, ch)
	}
}

// reborn forgets that channel id was gone: a new channel has the id.
func (h *Harness) reborn(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.known, id)
	h.delivered = slices.DeleteFunc(h.delivered, func(x string) bool { return x == id })
}

// checkGone notes a request that names a channel the router knows is gone, or no channel
// at all. Clean-ups (hang-ups, deletions, removals) and originates do not count. Call with
// h.mu held.
func (h *Harness) checkGone(p *Request) {
	if strings.HasPrefix(p.Op, "DELETE ") || strings.Contains(p.Op, "/removeChannel?") || strings.Contains(p.Op, "?endpoint=") {
		return // clean-ups, and originates (which name the channel they make)
	}
	for _, ch := range namedChannels(p.Op) {
		switch {
		case ch == "":
			h.late = append(h.late, p.Op+" (names no channel)")
		case h.known[ch]:
			h.late = append(h.late, p.Op+" (after "+ch+" was gone)")
		}
	}
}

// namedChannels returns the channels an ARI operation names: in its path or its channel
// parameter.
func namedChannels(op string) []string {
	var out []string
	_, rest, _ := strings.Cut(op, " ")
	if p, ok := strings.CutPrefix(rest, "/channels/"); ok {
		if i := strings.IndexAny(p, "/?"); i >= 0 {
			p = p[:i]
		}
		if p != "" {
			out = append(out, p)
		}
	}
	if i := strings.Index(rest, "channel="); i >= 0 {
		v := rest[i+len("channel="):]
		if j := strings.IndexByte(v, '&'); j >= 0 {
			v = v[:j]
		}
		out = append(out, v)
	}
	return out
}

// KnownGone reports whether channel ch is gone and the router knows it: it handled the
// channel's end, or reconciled after it.
func (h *Harness) KnownGone(ch string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.known[ch]
}

// LateRequests returns the requests that named a channel the router already knew was gone
// (or no channel), clean-ups aside.
func (h *Harness) LateRequests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.late...)
}

// ARIEvents returns the events the harness's Asterisk sent, in order, e.g.
// "ChannelDestroyed c1 cause=16"; those lost while the link was down say so.
func (h *Harness) ARIEvents() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ariLog...)
}

func describe(e router.Event) string {
	switch e := e.(type) {
	case router.StasisStart:
		return "StasisStart " + e.Channel + " " + strings.Join(e.Args, ",")
	case router.StasisEnd:
		return "StasisEnd " + e.Channel
	case router.ChannelDestroyed:
		return "ChannelDestroyed " + e.Channel + " cause=" + strconv.Itoa(e.Cause)
	case router.PlaybackFinished:
		return "PlaybackFinished " + e.ID
	case router.DTMF:
		return "ChannelDtmfReceived " + e.Channel + " " + e.Digit
	case router.RecordingStarted:
		return "RecordingStarted " + e.Name
	case router.RecordingFinished:
		return "RecordingFinished " + e.Name
	case router.RecordingFailed:
		return "RecordingFailed"
	}
	return fmt.Sprintf("%T", e)
}

// The test's actions. Each settles before it returns.

// Inbound places a caller to did from number: a new channel (c1, c2, ...) enters the
// application with the arguments inbound,<did>. It returns the channel id.
func (h *Harness) Inbound(did, number string) string {
	h.t.Helper()
	return h.Enter(number, "inbound", did)
}

// Enter puts a new caller channel from number in the application with args.
func (h *Harness) Enter(number string, args ...string) string {
	h.t.Helper()
	var id string
	_ = h.ast.locked(func() error {
		h.ast.inbound++
		id = "c" + strconv.Itoa(h.ast.inbound)
		exten := ""
		if len(args) > 1 {
			exten = args[1]
		}
		c := &Channel{ID: id, Number: number, Exten: exten, State: "Ring", Args: args, Vars: map[string]string{}, Created: h.clock.Now()}
		h.ast.addChannel(c)
		h.ast.enterApp(c)
		return nil
	})
	h.Settle()
	return id
}

// onChannel runs f on a live channel of the harness's Asterisk, failing the test if there
// is none, then settles.
func (h *Harness) onChannel(ch string, f func(c *Channel) error) {
	h.t.Helper()
	err := h.ast.locked(func() error {
		c := h.ast.chans[ch]
		if c == nil {
			return fmt.Errorf("no channel %s", ch)
		}
		return f(c)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.Settle()
}

// SetVar sets a variable on live channel ch, as the dialplan or an earlier router would.
func (h *Harness) SetVar(ch, name, value string) {
	h.t.Helper()
	h.onChannel(ch, func(c *Channel) error { c.Vars[name] = value; return nil })
}

// Hangup hangs channel ch up from its far end (cause 16, normal clearing).
func (h *Harness) Hangup(ch string) {
	h.t.Helper()
	h.onChannel(ch, func(c *Channel) error { h.ast.destroy(c, 16); return nil })
}

// Press sends the digits one by one as DTMF on ch, settling after each.
func (h *Harness) Press(ch, digits string) {
	h.t.Helper()
	for _, d := range digits {
		h.onChannel(ch, func(c *Channel) error {
			h.ast.emit(router.DTMF{Channel: c.ID, Digit: string(d)})
			return nil
		})
	}
}

// FinishPlayback ends the playback playing on ch (PlaybackFinished) and starts the next
// queued one; it returns the finished playback's id.
func (h *Harness) FinishPlayback(ch string) string {
	h.t.Helper()
	var id string
	h.onChannel(ch, func(c *Channel) error {
		if len(c.Playing) == 0 {
			return fmt.Errorf("nothing plays on %s", ch)
		}
		id = c.Playing[0]
		c.Playing = c.Playing[1:]
		if !slices.Contains(c.Playing, id) {
			delete(h.ast.playbacks, id)
		}
		h.ast.emit(h.ast.finished(id, ch))
		return nil
	})
	return id
}

// Answer answers a ringing originated channel (an agent's phone, a customer called back): it
// enters the application with its originate's arguments.
func (h *Harness) Answer(ch string) {
	h.t.Helper()
	h.onChannel(ch, func(c *Channel) error {
		if !c.Originated || c.State != "Ring" {
			return fmt.Errorf("channel %s is not ringing", ch)
		}
		c.State = "Up"
		h.ast.enterApp(c)
		return nil
	})
}

// Reject ends a ringing originated channel with cause: 17 busy, 19 no answer, 21 rejected,
// anything else unreachable.
func (h *Harness) Reject(ch string, cause int) {
	h.t.Helper()
	h.onChannel(ch, func(c *Channel) error {
		if !c.Originated || c.State != "Ring" {
			return fmt.Errorf("channel %s is not ringing", ch)
		}
		h.ast.destroy(c, cause)
		return nil
	})
}

// LinkDown drops the event link: Asterisk's events are lost until LinkUp. The router's
// requests still reach Asterisk.
func (h *Harness) LinkDown() {
	h.t.Helper()
	h.mu.Lock()
	h.link = false
	r := h.cur.r
	h.mu.Unlock()
	if d, ok := any(r).(interface{ Disconnected() }); ok {
		d.Disconnected()
	}
	h.Settle()
}

// LinkUp brings the event link back: the router is told (Connected) and reconciles.
func (h *Harness) LinkUp() {
	h.t.Helper()
	h.mu.Lock()
	h.link = true
	h.mu.Unlock()
	h.connect()
}

// Linked reports whether the event link is up.
func (h *Harness) Linked() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.link
}

// Restart kills the router as a crash would (what it still asks fails, what it has not
// done is lost; Asterisk and the journal stay) and starts a new one with the same
// configuration, changed by change if given; it connects (if the link is up) and settles.
func (h *Harness) Restart(change func(*router.Config, *router.Options)) {
	h.t.Helper()
	h.mu.Lock()
	old := h.cur
	old.dead = true
	h.mu.Unlock()
	h.releaseDead(old)
	old.cancel()
	select {
	case <-old.done:
	case <-time.After(h.opt.SettleTimeout):
		h.t.Fatalf("the stopped router did not return from Run within %v", h.opt.SettleTimeout)
	}
	cfg, ropt := h.cfg, h.ropt
	ropt.Probes.Registerer = nil // the first router's metrics stay registered
	if change != nil {
		change(&cfg, &ropt)
	}
	h.start(cfg, ropt)
}

// Gen returns the running router's number: 1, then one more per Restart.
func (h *Harness) Gen() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.n
}

// Go runs f, which calls the router's API (SecureCollect, PauseRecording...), on a goroutine
// of its own: such calls wait for the router's requests, which only the test's goroutine
// takes. Go returns once f has made the router ask something (or has returned), settled;
// the channel is closed when f returns.
func (h *Harness) Go(f func()) <-chan struct{} {
	h.t.Helper()
	h.mu.Lock()
	before := h.arrivals
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	deadline := time.After(h.opt.SettleTimeout)
	for returned := false; !returned; {
		h.mu.Lock()
		asked := h.arrivals > before
		h.mu.Unlock()
		if asked {
			break
		}
		select {
		case <-done:
			returned = true
		case <-h.arrived:
		case <-deadline:
			h.t.Fatalf("the call made no request and did not return within %v", h.opt.SettleTimeout)
		}
	}
	h.Settle()
	return done
}

// Await runs f as Go does and waits for it to return (within SettleTimeout): for the
// router's API calls that make requests and wait for their answers.
func (h *Harness) Await(f func() error) error {
	h.t.Helper()
	var err error
	done := h.Go(func() { err = f() })
	select {
	case <-done:
	case <-time.After(h.opt.SettleTimeout):
		h.t.Fatalf("the call did not return within %v; waiting requests %q", h.opt.SettleTimeout, h.Pending())
	}
	return err
}

// Inspection.

// Do runs f with the engine on the owner goroutine, then settles.
func (h *Harness) Do(f func(e *acd.Engine) error) error {
	h.t.Helper()
	err := h.Router().Do(context.Background(), f)
	h.Settle()
	return err
}

// The inspection methods below ask the owner goroutine, which then also does what its loop
// does after any request (statistics, the dialer's claims...): they settle after.

// Agent returns an agent's state in the running router's engine.
func (h *Harness) Agent(id string) acd.AgentView {
	h.t.Helper()
	var v acd.AgentView
	var ok bool
	_ = h.Router().Do(context.Background(), func(e *acd.Engine) error { v, ok = e.Agent(id); return nil })
	h.Settle()
	if !ok {
		h.t.Fatalf("no agent %s", id)
	}
	return v
}

// Agents returns every agent of the running router's engine.
func (h *Harness) Agents() []acd.AgentView {
	h.t.Helper()
	vs, _ := h.Router().Agents(context.Background())
	h.Settle()
	return vs
}

// EngineCall returns a call as the running router's engine holds it.
func (h *Harness) EngineCall(id string) (acd.CallView, bool) {
	var v acd.CallView
	var ok bool
	_ = h.Router().Do(context.Background(), func(e *acd.Engine) error { v, ok = e.Call(id); return nil })
	h.Settle()
	return v, ok
}

// EngineCalls returns the ids of the calls the running router's engine holds.
func (h *Harness) EngineCalls() []string {
	var ids []string
	_ = h.Router().Do(context.Background(), func(e *acd.Engine) error { ids = e.CallIDs(); return nil })
	h.Settle()
	return ids
}

// Events returns the events of every router so far (the engine's and the router's facts), in order.
func (h *Harness) Events() []acd.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]acd.Event(nil), h.events...)
}

// Channel returns a live channel of the harness's Asterisk.
func (h *Harness) Channel(id string) (Channel, bool) {
	h.ast.mu.Lock()
	defer h.ast.mu.Unlock()
	c := h.ast.chans[id]
	if c == nil {
		return Channel{}, false
	}
	out := *c
	out.Vars = make(map[string]string, len(c.Vars))
	for k, v := range c.Vars {
		out.Vars[k] = v
	}
	out.Playing = append([]string(nil), c.Playing...)
	out.Args = append([]string(nil), c.Args...)
	return out, true
}

// Channels returns the ids of the live channels, oldest first.
func (h *Harness) Channels() []string {
	h.ast.mu.Lock()
	defer h.ast.mu.Unlock()
	return append([]string(nil), h.ast.order...)
}

// Gone reports whether channel id existed and was destroyed.
func (h *Harness) Gone(id string) bool {
	h.ast.mu.Lock()
	defer h.ast.mu.Unlock()
	return h.ast.destroyed[id]
}

// Bridges returns the bridges of the harness's Asterisk, oldest first.
func (h *Harness) Bridges() []Bridge {
	h.ast.mu.Lock()
	defer h.ast.mu.Unlock()
	var out []Bridge
	for _, id := range h.ast.border {
		b := *h.ast.bridges[id]
		b.Members = append([]string(nil), b.Members...)
		out = append(out, b)
	}
	return out
}

// Recording reports whether a live recording of name runs, and whether it is paused.
func (h *Harness) Recording(name string) (live, paused bool) {
	h.ast.mu.Lock()
	defer h.ast.mu.Unlock()
	l := h.ast.live[name]
	return l != nil, l != nil && l.paused
}

// Requests.

// Requests returns every request taken so far, ARI and hooks, in order.
func (h *Harness) Requests() []*Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Request(nil), h.taken...)
}

// TakeRequests returns the ARI requests taken since the last call (or ExpectRequests).
func (h *Harness) TakeRequests() []string { return h.take(false, &h.ariCursor) }

// TakeHooks returns the hook requests taken since the last call (or ExpectHooks).
func (h *Harness) TakeHooks() []string { return h.take(true, &h.hookCursor) }

func (h *Harness) take(hook bool, cursor *int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.taken[*cursor:] {
		if p.Hook == hook {
			out = append(out, p.Op)
		}
	}
	*cursor = len(h.taken)
	return out
}

// ExpectRequests checks the ARI requests taken since the last check, in order: each must
// match its pattern (Match: * stands for anything), and there must be as many.
func (h *Harness) ExpectRequests(want ...string) {
	h.t.Helper()
	h.expect("ARI requests", h.TakeRequests(), want)
}

// ExpectHooks is ExpectRequests for the hooks' requests.
func (h *Harness) ExpectHooks(want ...string) {
	h.t.Helper()
	h.expect("hook requests", h.TakeHooks(), want)
}

func (h *Harness) expect(what string, got, want []string) {
	h.t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = Match(want[i], got[i])
	}
	if ok {
		return
	}
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		g, w := "-", "-"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if i >= len(got) || i >= len(want) || !Match(w, g) {
			mark = "!="
		}
		fmt.Fprintf(&b, "\n%2d %s got  %s\n        want %s", i+1, mark, g, w)
	}
	h.t.Fatalf("%s differ:%s", what, b.String())
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
