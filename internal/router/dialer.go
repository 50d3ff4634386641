package router

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
	"switchboard/ivr/callback"
)

// The dialer calls callbacks back. A callback is claimed from the store (a new attempt, in
// the store's transaction) and put into the engine as a call of its queue with its original
// enqueue time and priority, so it keeps its place among the live callers. When the engine
// offers it, the agent's phone rings first (the caller id is the customer's number); once the
// agent answers, the customer is dialed from Dialer.Endpoint and bridged with the agent.
// Meanwhile the engine holds the agent's offer (acd.Engine.Accept) and counts the call
// answered only when the customer answers: an attempt that does not reach the customer (busy,
// no answer, an originate Asterisk refused) is removed, neither answered nor abandoned in the
// reports, and its agent is free at once.
// Every attempt ends with exactly one outcome in the store: connected when the customer
// answers, busy or no answer from the customer's phone, failed when anything else ends it.
//
// Restart safety: nothing is claimed before the router's own unfinished attempts from a
// previous run are recovered (Callbacks.Recover); the store never hands out one attempt
// twice; the customer's channel id names the callback and attempt (sb-cb-<id>-<attempt>), so
// Asterisk refuses a second originate of the same attempt while the first is up (and no other
// channel id begins with it: cbAgentBase); after a
// restart, a customer channel is re-adopted only when it was connected (its outcome is in the
// store), any other is hung up.

// Callbacks is the durable side of callbacks: the store, with the callback policy applied.
type Callbacks interface {
	Request(ctx context.Context, r callback.Request) error
	// Claim claims up to limit due callbacks of queue (none outside the dial window).
	Claim(ctx context.Context, queue string, now time.Time, limit int) ([]callback.Claim, error)
	Assign(ctx context.Context, c callback.Claim, agent string) error
	// Finish records an attempt's outcome and schedules the next attempt, if any.
	Finish(ctx context.Context, c callback.Claim, outcome callback.Outcome, now time.Time) error
	// Recover finishes the attempts this router left unfinished when it last stopped.
	Recover(ctx context.Context) (int, error)
	Expire(ctx context.Context, now time.Time) (int, error)
}

// Dialer configures how callbacks are dialed.
type Dialer struct {
	Endpoint    func(number string) string // the customer's endpoint; default PJSIP/<number>
	CallerID    string                     // presented to the customer
	RingTimeout time.Duration              // the customer's; default 30s
	DialAhead   int                        // callbacks of one queue in the engine at once; default 1
	// Number normalises and checks a number an agent dials (the callbacks' policy); nil: it
	// must be international (callback.Normalize with no home country).
	Number func(raw string) (string, error)
	Every  time.Duration // how often due callbacks are looked for; default 1s
}

const (
	cbChanPrefix = "sb-cb-"
	expireEvery  = 30 * time.Second
)

// cbState is a callback call's dialing state.
type cbState struct {
	claim     callback.Claim
	custChan  string // the customer's channel id, also the call's base id
	node      string // with several nodes: that of the agent offered it last, where it is dialed
	dialed    bool   // the customer's originate was sent
	finished  bool   // the outcome is recorded (or on its way)
	connected bool
}

func cbChanID(id int64, attempt int) string {
	return cbChanPrefix + strconv.FormatInt(id, 10) + "-" + strconv.Itoa(attempt)
}

// cbAgentBase names a callback's agent channels: sb-cb-agent-<id>-<attempt>-a<n>. Asterisk 22
// refuses a new channel id that begins a live channel's id (it looks unique ids up by prefix),
// and the customer is dialed while the agent's channel is up: named <customer>-a<n>, the agent
// made every customer originate fail with 409.
func cbAgentBase(custChan string) string {
	return cbChanPrefix + "agent-" + strings.TrimPrefix(custChan, cbChanPrefix)
}

// dialerState is the owner's bookkeeping of the dialer.
type dialerState struct {
	store      Callbacks
	work       worker // callback store writes, in order
	rounds     chan claimRound
	handBack   func(claims []callback.Claim, recovered bool)
	log        *slog.Logger
	act        *Activity
	recovered  bool
	claiming   bool
	lastClaim  time.Time
	lastExpiry time.Time
	active     map[string]int // callbacks in the engine not yet connected, by queue
}

// dialerTick starts a claim round when one is due; on the owner goroutine.
func (r *callbackDialer) dialerTick() {
	if r.dialer.store == nil || r.dialer.claiming || r.u.recon.reconciled.Load() == 0 {
		return
	}
	d := r.cfg.Dialer
	now := r.clock.Now()
	if d.Every <= 0 {
		d.Every = time.Second
	}
	if now.Sub(r.dialer.lastClaim) < d.Every {
		return
	}
	r.dialer.lastClaim = now
	ahead := max(d.DialAhead, 1)
	want := map[string]int{}
	if s := r.loop.stats.snap.Load(); s != nil {
		for _, q := range s.Queues {
			staffed := q.Agents[acd.Available] + q.Agents[acd.Reserved] + q.Agents[acd.OnCall] + q.Agents[acd.WrapUp]
			if n := ahead - r.dialer.active[q.Queue]; staffed > 0 && n > 0 {
				want[q.Queue] = n
			}
		}
	}
	expire := now.Sub(r.dialer.lastExpiry) >= expireEvery
	if expire {
		r.dialer.lastExpiry = now
	}
	if len(want) == 0 && r.dialer.recovered && !expire {
		return
	}
	r.dialer.claiming = true
	r.u.ex.act.add(1) // until the round's claims are handed back
	r.dialer.rounds <- claimRound{want: want, now: now, recover: !r.dialer.recovered, expire: expire}
}

// claimRound is one round of claims the owner asks the dialer for.
type claimRound struct {
	want    map[string]int // callbacks to claim, by queue
	now     time.Time
	recover bool // this router's unfinished attempts of a previous run are not recovered yet
	expire  bool
}

// Run is the dialer's life of its own: it carries out, against the store, the claim rounds
// the owner asks for (dialerTick, one at a time) and hands each round's claims back to the
// owner. It returns when ctx ends, after the round asked for last, if any.
func (d *dialerState) Run(ctx context.Context) {
	for {
		select {
		case round := <-d.rounds:
			d.claim(ctx, round)
		case <-ctx.Done():
			select {
			case round := <-d.rounds:
				d.claim(ctx, round)
			default:
			}
			return
		}
	}
}

// claim carries out one round and hands its claims back.
func (d *dialerState) claim(ctx context.Context, round claimRound) {
	var claims []callback.Claim
	recovered := !round.recover
	defer func() {
		d.handBack(claims, recovered)
		d.act.add(-1)
	}()
	if round.recover {
		n, err := d.store.Recover(ctx)
		if err != nil {
			d.log.Error("callbacks: recovering this router's unfinished attempts", "err", err)
			return
		}
		if n > 0 {
			d.log.Info("callbacks: recovered unfinished attempts of the previous run", "attempts", n)
		}
		recovered = true
	}
	if round.expire {
		if n, err := d.store.Expire(ctx, round.now); err != nil {
			d.log.Warn("callbacks: expiry", "err", err)
		} else if n > 0 {
			d.log.Info("callbacks expired", "callbacks", n)
		}
	}
	for q, n := range round.want {
		got, err := d.store.Claim(ctx, q, round.now, n)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("callbacks: claim", "queue", q, "err", err)
			}
			continue
		}
		claims = append(claims, got...)
	}
}

// claimed takes a round's claims on the owner goroutine: each callback joins its queue.
func (r *callbackDialer) claimed(claims []callback.Claim, recovered bool) {
	r.post(func() {
		r.dialer.claiming = false
		r.dialer.recovered = r.dialer.recovered || recovered
		for _, cl := range claims {
			r.dialCallback(cl)
		}
	})
}

// dialCallback puts a claimed callback into the engine at its original place.
func (r *callbackDialer) dialCallback(cl callback.Claim) {
	ch := cbChanID(cl.ID, cl.Attempt)
	c := r.u.ex.track(&call{id: r.u.lines.callID(ch), info: callerInfo{number: cl.Number}, place: queuePlace{queue: cl.Queue, priority: cl.Priority},
		phase: &queued{cb: &cbState{claim: cl, custChan: ch}}})
	if _, dup := r.calls[c.id]; dup {
		r.log.Error("callbacks: attempt claimed twice; not dialed", "callback", cl.ID, "attempt", cl.Attempt)
		return
	}
	data := map[string]string{}
	for k, v := range cl.Data {
		data[k] = v
	}
	data["callback"] = strconv.FormatInt(cl.ID, 10)
	data["callback_attempt"] = strconv.Itoa(cl.Attempt)
	r.calls[c.id] = c
	r.dialer.active[cl.Queue]++
	r.u.ivr.arrived(c.id, cl.Number, "")
	r.u.ivr.routed(c, data)
	err := r.eng.Enqueue(acd.CallRequest{ID: c.id, Queue: cl.Queue, Priority: cl.Priority, EnqueuedAt: cl.EnqueuedAt, Data: data})
	if err != nil {
		r.log.Error("callbacks: enqueue failed", "callback", cl.ID, "attempt", cl.Attempt, "err", err)
		r.finishCallback(c, callback.Failed)
		r.u.lines.forget(c)
	}
}

// finishCallback records the attempt's outcome once, off the owner goroutine.
func (r *callbackDialer) finishCallback(c *call, outcome callback.Outcome) {
	if r.markFinished(c, outcome) {
		cl, now := c.dialing().claim, r.clock.Now()
		r.dialer.work.do(func(ctx context.Context) { r.writeOutcome(ctx, cl, outcome, now) })
	}
}

// markFinished does the owner's bookkeeping of an attempt's end; false when it had ended.
func (r *callbackDialer) markFinished(c *call, outcome callback.Outcome) bool {
	cb := c.dialing()
	if cb == nil || cb.finished {
		return false
	}
	cb.finished = true
	cb.connected = outcome == callback.Connected
	if r.dialer.active[cb.claim.Queue]--; r.dialer.active[cb.claim.Queue] <= 0 {
		delete(r.dialer.active, cb.claim.Queue)
	}
	return true
}

// writeOutcome stores an outcome, retrying a few times. A write that keeps failing leaves the
// attempt open: the store's recovery finishes it later (as failed).
func (r *callbackDialer) writeOutcome(ctx context.Context, cl callback.Claim, outcome callback.Outcome, now time.Time) bool {
	for i := 0; ; i++ {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := r.dialer.store.Finish(sctx, cl, outcome, now)
		cancel()
		if err == nil {
			r.log.Info("callback attempt finished", "callback", cl.ID, "attempt", cl.Attempt, "outcome", outcome)
			return true
		}
		if i == 4 || r.loop.stopped.Load() {
			r.log.Error("callbacks: outcome not recorded; recovery will finish the attempt", "callback", cl.ID,
				"attempt", cl.Attempt, "outcome", outcome, "err", err)
			return false
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
}

// cbAgentAnswered: the agent took the callback; dial the customer into the call's bridge. The
// engine holds the offer (Accept) until the customer answers (Answer) or is not reached
// (Remove): an attempt counts as answered only when agent and customer are connected.
func (r *callbackDialer) cbAgentAnswered(c *call) {
	if err := r.eng.Accept(c.id); err != nil {
		r.log.Error("callbacks: accept in engine failed; hanging up agent", "call", c.id, "err", err)
		r.u.lines.hangupLater(c.offer.offerChan)
		return
	}
	if c.ann.announce != nil {
		c.ann.announce.Stop()
	}
	agent := c.offer.offerAgent
	c.conn.agentChan, c.conn.agent = c.offer.offerChan, agent
	c.offer.offerChan, c.offer.offerAgent = "", ""
	cb := c.dialing()
	c.conn.bridge = callBridgeID(cb.custChan)
	cb.dialed = true
	r.chans[cb.custChan] = c
	if nodes := r.u.recon; nodes.multiNode() {
		// The customer, and so the call's bridge (sb-call-<customer>), on the agent's node:
		// its leg is there, and that node's trunk to the carrier dials the customer.
		nodes.u.lnk.topo.MakeOn(cb.custChan, cb.node)
	}
	d := r.cfg.Dialer
	endpoint := "PJSIP/" + cb.claim.Number
	if d.Endpoint != nil {
		endpoint = d.Endpoint(cb.claim.Number)
	}
	ring := d.RingTimeout
	if ring <= 0 {
		ring = 30 * time.Second
	}
	o := Originate{Endpoint: endpoint, ChannelID: cb.custChan, AppArgs: "callback," + c.id, CallerID: d.CallerID, Timeout: ring}
	agentChan, bridge, cl, store := c.conn.agentChan, c.conn.bridge, cb.claim, r.dialer.store
	c.w.do(func(ctx context.Context) {
		if err := r.tel.CreateBridge(ctx, bridge, "mixing"); err != nil {
			r.log.Error("create callback bridge", "call", c.id, "err", err)
		}
		if err := ignoreGone(r.tel.AddChannel(ctx, bridge, agentChan)); err != nil {
			r.log.Error("bridge agent", "call", c.id, "err", err)
		}
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		if err := store.Assign(sctx, cl, agent); err != nil {
			r.log.Warn("callbacks: assign", "callback", cl.ID, "agent", agent, "err", err)
		}
		cancel()
		if r.loop.stopped.Load() {
			return
		}
		if err := r.tel.Originate(ctx, o); err != nil {
			r.log.Warn("callbacks: customer originate failed", "call", c.id, "err", err)
			r.post(func() { r.customerGone(c, o.ChannelID, -1) })
		}
	})
}

// customerAnswered: the customer's channel answered and entered the application.
func (r *callbackDialer) customerAnswered(chanID, callID string) {
	c := r.calls[callID]
	if c == nil || c.dialing() == nil || c.dialing().custChan != chanID || c.dialing().finished || c.conn.agentChan == "" {
		r.log.Info("callbacks: customer answered a call no longer open; hanging up", "channel", chanID)
		r.u.lines.hangupLater(chanID)
		return
	}
	c.callerChan = chanID
	r.chans[chanID] = c
	r.markFinished(c, callback.Connected)
	if err := r.eng.Answer(c.id); err != nil {
		r.log.Error("callbacks: answer in engine", "call", c.id, "err", err)
	}
	cl, now, bridge := c.dialing().claim, r.clock.Now(), c.conn.bridge
	place := placeValue(c.place.queue, c.place.priority, cl.EnqueuedAt)
	c.conn.answeredAt = now
	name := ""
	if share := r.u.conn.settings(c.place.queue).RecordShare; share > 0 && rand.Float64() < share {
		name = r.u.rec.newRecording(c, now)
	}
	answer := answerValue(c.conn.agent, now, name)
	c.w.do(func(ctx context.Context) {
		// In this order: a crash before the outcome is stored lets recovery retry the callback
		// (the customer, not yet bridged, is hung up on restart); after it, the customer
		// channel carries the variables a restarted router re-adopts a connected call by.
		r.writeOutcome(ctx, cl, callback.Connected, now)
		_ = ignoreGone(r.tel.SetVar(ctx, chanID, varPlace, place))
		_ = ignoreGone(r.tel.SetVar(ctx, chanID, varAnswer, answer))
		if err := ignoreGone(r.tel.AddChannel(ctx, bridge, chanID)); err != nil {
			r.log.Error("bridge customer", "call", c.id, "err", err)
		}
		r.u.conn.recordBridge(ctx, c, bridge, name)
	})
}

// customerGone: the customer's channel ended before it answered (cause -1: the originate
// failed). The attempt ends with what the phone said, and so does the agent's side.
func (r *callbackDialer) customerGone(c *call, chanID string, cause int) {
	if r.calls[c.id] != c || c.dialing() == nil || c.dialing().custChan != chanID || c.callerChan == chanID {
		return
	}
	delete(r.chans, chanID)
	outcome := callback.Failed
	switch cause {
	case 17:
		outcome = callback.Busy
	case 18, 19, 21:
		outcome = callback.NoAnswer
	}
	c.dialing().dialed = false
	r.finishCallback(c, outcome)
	// Not reached: the attempt was never answered, and it is no agent's failure.
	if err := r.eng.Remove(c.id, "callback not reached"); err != nil {
		r.log.Warn("callbacks: end in engine", "call", c.id, "err", err)
	}
}

// cbAgentGone: the agent hung up while the customer was being dialed.
func (r *callbackDialer) cbAgentGone(c *call) {
	r.finishCallback(c, callback.Failed)
	if err := r.eng.Remove(c.id, "callback agent left"); err != nil {
		r.log.Warn("callbacks: end in engine", "call", c.id, "err", err)
	}
}

// cbEnded cleans up a callback call the engine is done with; an attempt with no outcome yet
// (the agent hung up while the customer rang, the call was removed or overflowed) failed.
func (r *callbackDialer) cbEnded(c *call) {
	cb := c.dialing()
	if cb.dialed && c.callerChan != cb.custChan {
		ch := cb.custChan
		delete(r.chans, ch)
		c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.Hangup(ctx, ch, "normal")) })
	}
	r.finishCallback(c, callback.Failed)
}

// missed stores a callback for a caller who hung up in the queue after waiting long enough.
func (r *callbackDialer) missed(c *call, ev acd.CallAbandoned) {
	after := r.u.conn.settings(ev.Queue).MissedAfter
	if r.dialer.store == nil || c.dialing() != nil || after <= 0 || ev.Waited < after || c.info.number == "" {
		return
	}
	v := callback.Request{CallID: c.id, Reason: callback.Missed, Number: c.info.number, Queue: ev.Queue,
		Priority: c.place.priority, EnqueuedAt: ev.At.Add(-ev.Waited)}
	if cv, ok := r.eng.Call(c.id); ok {
		v.Data, v.Priority = cv.Data, cv.Priority
	}
	r.requestLater(v)
}

// requestLater stores a callback request off the owner goroutine.
func (r *callbackDialer) requestLater(v callback.Request) {
	store := r.dialer.store
	r.dialer.work.do(func(ctx context.Context) {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		if err := store.Request(sctx, v); err != nil {
			r.log.Warn("callback request not stored", "call", v.CallID, "reason", v.Reason, "err", err)
			return
		}
		r.log.Info("callback requested", "call", v.CallID, "reason", v.Reason, "queue", v.Queue)
	})
}

// isCallbackChan tells a customer channel of a callback from a caller's.
func isCallbackChan(id string) bool { return strings.HasPrefix(id, cbChanPrefix) }
