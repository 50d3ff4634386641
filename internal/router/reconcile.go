package router

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
)

// reconcile brings the router in line with Asterisk after a (re)connection: calls whose
// channels went away while we were not listening are ended, agent channels that answered
// meanwhile are bridged, and channels in the application that the router does not hold —
// after a restart, all of them — are re-adopted from their channel variables: connected ones
// with their agent first, then waiting callers with their original enqueue time and priority.
// Leftovers (agent channels and call bridges of nothing) are cleaned up, and the store is
// told which calls are still up (Journal.Reconciled).
func (r *reconciler) reconcile(attempt int) { r.reconcileNode("", attempt) }

// reconcileNode reconciles one node of several ("": the router's only node): only that
// node's calls and channels are looked at.
func (r *reconciler) reconcileNode(node string, attempt int) {
	ctx := r.u.lnk.link.context()
	v, ok := r.lookAtAsterisk(ctx, node, attempt)
	if !ok {
		return
	}
	// Calls we hold whose channels changed while we were not listening. A call this ends is
	// being hung up: its channels, still in the application's list, are not new ones to adopt.
	held := make(map[string]bool, len(r.chans))
	for id := range r.chans {
		held[id] = true
	}
	r.catchUp(v, node)
	r.flush()
	r.dropStrayLegs(ctx, v, held)
	adopted := r.adoptOrphans(ctx, v, held)
	r.cleanLeftovers(v)
	r.flush()
	if r.hooks.journal != nil {
		live := make([]string, 0, len(r.calls))
		for id := range r.calls {
			live = append(live, id)
		}
		r.hooks.journal.Reconciled(live, r.clock.Now())
	}
	if node == "" {
		r.u.lnk.linkReconciled(attempt)
	} else {
		r.nodeBack(node, attempt)
	}
	r.reconciled.Add(1)
	r.log.Info("reconciled", "node", node, "attempt", attempt, "channels", len(v.inApp), "adopted", adopted, "calls", len(r.calls))
}

// asteriskView is what Asterisk reports at a reconciliation.
type asteriskView struct {
	inApp      []string           // the channels in the application, in Asterisk's order
	app        map[string]bool    // the same, as a set
	exists     map[string]Channel // every channel Asterisk has
	inBridge   map[string]string  // which of our bridges each channel is in
	ourBridges map[string]bool    // our bridges (sb-...)
}

// lookAtAsterisk reads the application's channels and bridges; when it cannot, it schedules
// the reconciliation again and returns false.
func (r *reconciler) lookAtAsterisk(ctx context.Context, node string, attempt int) (*asteriskView, bool) {
	tel := r.tel
	if node != "" {
		nt, _ := r.tel.(NodeTelephony)
		t, ok := nt.Node(node)
		if !ok {
			r.log.Error("reconcile: no such node", "node", node)
			return nil, false
		}
		tel = t
	}
	inApp, bridges, err := tel.AppState(ctx)
	if err != nil {
		// Asterisk registers the application just after the websocket upgrade, so the first
		// look can miss it; anything else is worth an error.
		level := slog.LevelError
		if errors.Is(err, ErrNotFound) {
			level = slog.LevelInfo
		}
		r.log.Log(context.Background(), level, "reconcile: application state; retrying", "err", err)
		r.u.ex.after(200*time.Millisecond, func() { r.post(func() { r.reconcileNode(node, attempt) }) })
		return nil, false
	}
	all, err := tel.Channels(ctx)
	if err != nil {
		r.log.Error("reconcile: channels", "err", err)
		r.u.ex.after(time.Second, func() { r.post(func() { r.reconcileNode(node, attempt) }) })
		return nil, false
	}
	everyBridge, err := tel.ListBridges(ctx)
	if err != nil {
		r.log.Warn("reconcile: bridges", "err", err) // only the application's are looked at
	}
	v := &asteriskView{inApp: inApp, app: map[string]bool{}, exists: map[string]Channel{},
		inBridge: map[string]string{}, ourBridges: map[string]bool{}}
	for _, ch := range all {
		v.exists[ch.ID] = ch
	}
	for _, id := range inApp {
		v.app[id] = true
	}
	for id := range r.u.lines.ending {
		if !v.app[id] {
			delete(r.u.lines.ending, id) // gone while nobody listened
		}
	}
	// Membership of our bridges: which holding bridge or call bridge each channel is in.
	for _, b := range bridges {
		if !strings.HasPrefix(b, "sb-") {
			continue
		}
		v.ourBridges[b] = true
		if strings.HasPrefix(b, "sb-hold-") {
			r.u.conn.holds[b] = true
		}
		members, err := tel.BridgeChannels(ctx, b)
		if err != nil {
			r.log.Warn("reconcile: bridge", "bridge", b, "err", err)
			continue
		}
		for _, m := range members {
			v.inBridge[m] = b
		}
	}
	r.callBridgesOutside(v, everyBridge)
	return v, true
}

// callBridgesOutside adds to v the call bridges the application's list lacks: Asterisk
// lists only bridges a channel of the application is in, so an empty one (made for an offer,
// or made late, after its request timed out, for a call long over) is seen only in the list
// of every bridge. cleanLeftovers deletes those of no call.
func (r *reconciler) callBridgesOutside(v *asteriskView, all map[string][]string) {
	for b, members := range all {
		if !strings.HasPrefix(b, "sb-call-") || v.ourBridges[b] {
			continue
		}
		v.ourBridges[b] = true
		for _, m := range members {
			v.inBridge[m] = b
		}
	}
}

// catchUp applies to the calls the router holds (those of node, unless "") what happened to
// their channels while it was not listening.
func (r *reconciler) catchUp(v *asteriskView, node string) {
	app, exists := v.app, v.exists
	for _, c := range r.snapshotCalls() {
		if node != "" && r.callNode(c) != node {
			continue
		}
		if c.callerChan != "" && !app[c.callerChan] {
			r.u.lines.onChannelGone(c.callerChan, 0, true)
			continue
		}
		if ch := c.offer.offerChan; ch != "" {
			if _, ok := exists[ch]; !ok {
				r.u.lines.onChannelGone(ch, 0, false)
			} else if app[ch] && exists[ch].State == "Up" {
				r.u.lines.agentAnswered(ch, c.id)
			}
		}
		if ch := c.conn.agentChan; ch != "" && !app[ch] {
			r.u.lines.onChannelGone(ch, 0, true)
		}
		if cb := c.dialing(); cb != nil && cb.dialed && c.callerChan == "" && r.calls[c.id] == c {
			if ch, ok := exists[cb.custChan]; !ok {
				r.u.cbd.customerGone(c, cb.custChan, 0)
			} else if app[ch.ID] && ch.State == "Up" {
				r.u.cbd.customerAnswered(ch.ID, c.id)
			}
		}
	}
}

// adoptOrphans adopts the channels in the application that the router does not hold (held:
// the channels it held before catching up). Connected calls are re-attached to their agents
// first: a waiting caller queued before them could be offered, and so reserve, the agent of a
// call that is still up. It returns how many calls it adopted.
func (r *reconciler) adoptOrphans(ctx context.Context, v *asteriskView, held map[string]bool) int {
	adopted := 0
	var waiting []*orphan
	for _, id := range v.inApp {
		if _, ok := r.chans[id]; ok || held[id] || r.u.lines.ending[id] || r.ctl.holds(id) {
			continue
		}
		if isAgentChan(id) {
			continue // handled with its caller below, or cleaned up at the end
		}
		ch, ok := v.exists[id]
		if !ok {
			continue
		}
		o := r.orphan(ctx, ch, v.inBridge, v.app)
		if r.reattach(o) {
			adopted++
			r.flush()
			continue
		}
		waiting = append(waiting, o)
	}
	r.u.desk.takeAskedStates()
	r.flush()
	for _, o := range waiting {
		if r.adopt(o, v.exists) {
			adopted++
		}
		r.flush()
	}
	return adopted
}

// dropStrayLegs hangs up the agent legs of offers of no router (the one that made them is
// gone), ringing or answered but not bridged with their caller, before the calls are offered
// again: no phone rings for a call offered to another agent, and no agent waits in silence.
// On the owner, so that every hang-up is done before a new offer goes out. Legs in a call's
// bridge are re-attached, or hung up by cleanLeftovers.
func (r *reconciler) dropStrayLegs(ctx context.Context, v *asteriskView, held map[string]bool) {
	var ids []string
	for id := range v.exists {
		if isAgentChan(id) && !held[id] && !r.ctl.holds(id) && !strings.HasPrefix(v.inBridge[id], "sb-call-") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		r.log.Info("reconcile: hanging up an agent leg of no offer", "channel", id)
		if err := ignoreGone(r.tel.Hangup(ctx, id, "normal")); err != nil {
			r.log.Warn("reconcile: agent leg not hung up", "channel", id, "err", err)
		}
	}
}

// cleanLeftovers hangs up the agent channels and deletes the call bridges that belong to no call.
func (r *reconciler) cleanLeftovers(v *asteriskView) {
	for _, id := range v.inApp {
		if _, ok := r.chans[id]; !ok && isAgentChan(id) && !r.ctl.holds(id) {
			r.log.Info("reconcile: hanging up an agent channel of no call", "channel", id)
			r.u.lines.hangupLater(id)
		}
	}
	for b := range v.ourBridges {
		if !strings.HasPrefix(b, "sb-call-") {
			continue
		}
		switch c := r.chans[strings.TrimPrefix(b, "sb-call-")]; {
		case c == nil && r.ctl.holds(strings.TrimPrefix(b, "sb-call-")): // an outbound call's, dialing
		case c == nil:
			r.u.ex.spawnWork(func(ctx context.Context) { _ = ignoreGone(r.tel.DeleteBridge(ctx, b)) })
		case c.conn.bridge != b && c.offer.bridge != b:
			// The call was queued again out of it: on the call's worker, after the caller's
			// move to the holding bridge, so that its recording ends as Asterisk ends one
			// (the last leg leaves; a bridge deleted with legs in it may never report it).
			c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.DeleteBridge(ctx, b)) })
		}
	}
}

func (r *reconciler) snapshotCalls() []*call {
	out := make([]*call, 0, len(r.calls))
	for _, c := range r.calls {
		out = append(out, c)
	}
	return out
}

func isAgentChan(id string) bool {
	i := strings.LastIndex(id, "-a")
	if i < 0 {
		return false
	}
	_, err := strconv.Atoi(id[i+2:])
	return err == nil
}

// orphan is a caller channel in the application that the router does not hold, as its
// channel variables and bridges describe it.
type orphan struct {
	ch        Channel
	queue     string
	prio      int
	enqueued  time.Time
	placed    bool   // its place in a queue is known
	answered  bool   // SB_ANSWER says an agent answered it
	agent     string // who answered
	at        time.Time
	rec       string // the recording started with the answer
	inCall    bool   // in its call bridge
	hold      string // the bridge it is in when that is not its call bridge
	agentChan string // an agent channel in the application in that bridge
}

func (r *reconciler) orphan(ctx context.Context, ch Channel, inBridge map[string]string, app map[string]bool) *orphan {
	o := &orphan{ch: ch}
	place, _ := r.tel.Var(ctx, ch.ID, varPlace)
	answer, _ := r.tel.Var(ctx, ch.ID, varAnswer)
	o.queue, o.prio, o.enqueued, o.placed = parsePlace(place)
	o.agent, o.at, o.rec, o.answered = parseAnswer(answer)
	bridge := callBridgeID(ch.ID)
	o.inCall = inBridge[ch.ID] == bridge
	if !o.inCall {
		o.hold = inBridge[ch.ID]
	}
	if o.inCall {
		for m, b := range inBridge {
			if b == bridge && m != ch.ID && app[m] {
				o.agentChan = m
			}
		}
	}
	if o.agentChan != "" {
		r.answerOnLeg(ctx, o)
	}
	if !o.placed && r.hooks.journal != nil && !isDialedChan(ch.ID) {
		// The variable was never set (the router died between StasisStart and the enqueue's
		// requests) or was lost: the store's row of the call is the other memory.
		if rc, ok := r.hooks.journal.Recall(r.u.lines.callID(ch.ID)); ok {
			o.queue, o.prio, o.enqueued, o.placed = rc.Queue, rc.Priority, rc.EnqueuedAt, true
		}
	}
	return o
}

// answerOnLeg reads the SB_ANSWER the originate set on the agent leg in the call's bridge:
// agent and offer time. The caller's own SB_ANSWER (set at the answer of a recorded
// connection, with the answer time and recording) is kept when it is about this leg, i.e. no
// older than the leg's offer; an older one is of a connection before, and the leg's wins.
// The offer time stands for the answer time of an unrecorded call: ring time is counted as talk.
func (r *reconciler) answerOnLeg(ctx context.Context, o *orphan) {
	v, _ := r.tel.Var(ctx, o.agentChan, varAnswer)
	agent, offered, _, ok := parseAnswer(v)
	if !ok || (o.answered && o.agent == agent && !o.at.Before(offered)) {
		return
	}
	o.agent, o.at, o.rec, o.answered = agent, offered, "", true
}

// route returns the route of a channel's DID, or the default one.
func (r *reconciler) route(did string) (Route, bool) {
	route, ok := r.cfg.DIDs[did]
	if !ok && r.cfg.Default != nil {
		route, ok = *r.cfg.Default, true
	}
	return route, ok
}

// reattach puts a call that was connected before the restart back on its agent: caller (or
// callback customer) and an agent channel in the call's bridge, answered. It reports whether
// it did; when the agent cannot take the call back, its channel is hung up and the call is
// left for adopt to queue again.
func (r *reconciler) reattach(o *orphan) bool {
	if !o.inCall || !o.answered || o.agentChan == "" {
		return false
	}
	ch := o.ch
	route, routed := r.route(ch.Exten)
	queue, prio, enqueued := o.queue, o.prio, o.enqueued
	if !o.placed {
		if !routed || route.Flow != nil || isDialedChan(ch.ID) {
			return false
		}
		queue, prio, enqueued = route.Queue, route.Priority, ch.Created
	}
	c := r.u.ex.track(&call{id: r.u.lines.callID(ch.ID), callerChan: ch.ID, info: callerInfo{number: ch.Number, did: ch.Exten}, place: queuePlace{queue: queue, priority: prio}})
	req := acd.CallRequest{ID: c.id, Queue: queue, Priority: prio, Skills: route.Skills, EnqueuedAt: enqueued, Data: route.Data}
	number := ch.Number
	if isOutboundChan(ch.ID) { // its number is the caller id shown to the customer: the record keeps the dialed one
		c.info.outbound, number = true, ""
		req.Data, req.Outbound = map[string]string{"direction": "outbound"}, true
	}
	r.u.ivr.arrived(c.id, number, ch.Exten) // the screen pop and the customer records learn the caller again
	if err := r.eng.Adopt(req, o.agent, o.at); err != nil {
		r.log.Warn("reconcile: connected call not re-attached; queueing it again", "call", c.id, "agent", o.agent, "err", err)
		r.u.lines.hangupLater(o.agentChan)
		o.agentChan = ""
		return false
	}
	c.conn.agentChan, c.conn.agent, c.conn.bridge = o.agentChan, o.agent, callBridgeID(ch.ID)
	c.conn.answeredAt, c.rec.recording, c.rec.lastRec, c.rec.recorded = o.at, o.rec, o.rec, true
	if o.rec != "" {
		r.u.rec.noteRecording(o.rec, c, o.agent, r.clock.Now())
	}
	c.offer.attempt = attemptOf(o.agentChan)
	r.calls[c.id] = c
	r.chans[ch.ID] = c
	r.chans[o.agentChan] = c
	r.log.Info("reconcile: re-attached a connected call", "call", c.id, "agent", c.conn.agent)
	return true
}

// adopt takes over a caller channel the router does not hold and that reattach left: a caller
// waiting (or in any state but connected) goes back into its queue at its original place, a
// caller in the IVR starts its flow again.
func (r *reconciler) adopt(o *orphan, exists map[string]Channel) bool {
	ch := o.ch
	queue, prio, enqueued, placed := o.queue, o.prio, o.enqueued, o.placed
	if isDialedChan(ch.ID) && (!placed || !o.answered || !o.inCall) {
		// A customer being called back, not yet connected when the router went: its attempt
		// is recovered as failed and dialed again later. An outbound call's ends.
		r.log.Info("reconcile: hanging up a callback customer who was not connected", "channel", ch.ID)
		r.u.lines.hangupLater(ch.ID)
		return false
	}
	route, ok := r.route(ch.Exten)
	if !placed && ok && route.Flow != nil {
		// It was in the IVR when the router went: it starts the flow again.
		c := r.u.ex.track(&call{id: r.u.lines.callID(ch.ID), callerChan: ch.ID, info: callerInfo{number: ch.Number, did: ch.Exten}})
		r.calls[c.id] = c
		r.chans[ch.ID] = c
		r.u.ivr.arrived(c.id, ch.Number, ch.Exten)
		r.u.ivr.startIVR(c, route, ch.Number)
		r.log.Info("reconcile: caller back at the start of its IVR flow", "call", c.id)
		return true
	}
	if !placed {
		if !ok {
			r.log.Warn("reconcile: channel with no queue and no route; hanging up", "channel", ch.ID)
			r.u.lines.hangupLater(ch.ID)
			return false
		}
		queue, prio, enqueued = route.Queue, route.Priority, ch.Created
	}
	if enqueued.IsZero() {
		enqueued = r.clock.Now()
	}
	// A call answered before may have been recorded: a new recording gets a name of its own.
	c := r.u.ex.track(&call{id: r.u.lines.callID(ch.ID), callerChan: ch.ID, info: callerInfo{number: ch.Number, did: ch.Exten}, place: queuePlace{queue: queue, priority: prio}, rec: callRecs{recorded: o.answered, lastRec: o.rec}})
	r.u.ivr.arrived(c.id, ch.Number, ch.Exten) // the screen pop and the customer records learn the caller again
	req := acd.CallRequest{ID: c.id, Queue: queue, Priority: prio, Skills: route.Skills, EnqueuedAt: enqueued, Data: route.Data}
	// New offers number their agent channels above any left from before.
	for id := range exists {
		if strings.HasPrefix(id, ch.ID+"-a") {
			if n := attemptOf(id); n > c.offer.attempt {
				c.offer.attempt = n
			}
		}
	}
	if b := o.hold; strings.HasPrefix(b, "sb-hold-") {
		c.place.inHold = b
	}
	if o.rec != "" { // the recording of the connection before: it ends as the caller leaves the bridge
		r.u.rec.noteRecording(o.rec, c, o.agent, r.clock.Now())
	}
	r.calls[c.id] = c
	r.chans[ch.ID] = c
	if err := r.eng.Enqueue(req); err != nil {
		r.log.Error("reconcile: re-enqueue failed; hanging up", "call", c.id, "err", err)
		r.u.lines.forget(c)
		r.u.lines.hangupLater(ch.ID)
		return false
	}
	r.log.Info("reconcile: re-adopted a waiting call", "call", c.id, "queue", queue, "enqueued_at", enqueued)
	return true
}

func attemptOf(agentChan string) int {
	i := strings.LastIndex(agentChan, "-a")
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(agentChan[i+2:])
	return n
}
