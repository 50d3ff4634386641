package router

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"switchboard/acd"
)

// onEngine carries out an engine decision on Asterisk.
func (r *Router) onEngine(ev acd.Event) {
	switch ev := ev.(type) {
	case acd.CallEnqueued:
		if c := r.calls[ev.Call]; c != nil {
			r.u.conn.enqueued(c, ev)
		}
	case acd.CallOffered:
		if c := r.calls[ev.Call]; c != nil {
			r.u.conn.offered(c, ev)
		}
	case acd.CallRequeued:
		if c := r.calls[ev.Call]; c != nil {
			r.u.conn.dropOffer(c)
			r.u.ann.scheduleAnnouncement(c)
		}
	case acd.CallAnswered:
		switch c := r.calls[ev.Call]; {
		case c != nil && c.dialing() != nil:
			// The dialer bridged agent and customer when the customer answered (dialer.go).
		case c != nil:
			r.u.conn.answered(c, ev)
		}
	case acd.CallAbandoned:
		if c := r.calls[ev.Call]; c != nil {
			r.u.conn.dropOffer(c)
			r.u.cbd.missed(c, ev)
			if c.dialing() != nil {
				r.u.cbd.cbEnded(c)
			}
			r.u.lines.forget(c)
		}
	case acd.CallEnded:
		if c := r.calls[ev.Call]; c != nil {
			if c.dialing() != nil {
				r.u.cbd.cbEnded(c)
			}
			r.u.conn.ended(c)
		}
	case acd.CallTransferred:
		if c := r.calls[ev.Call]; c != nil {
			r.u.conn.transferred(c)
		}
	case acd.CallOverflowed:
		if c := r.calls[ev.Call]; c != nil && ev.Callback && c.dialing() != nil {
			r.u.cbd.cbEnded(c) // back to the store, to be dialed again after the retry delay
			r.u.lines.forget(c)
		} else if c != nil && ev.Callback {
			// Callbacks arrive with the IVR work; until then the caller hears why and is let go.
			r.u.conn.farewell(c, "sound:queue-thankyou", "") // queued: the engine ended its record
		}
	case acd.CallbackOfferDue:
		if c := r.calls[ev.Call]; c != nil && r.hooks.callback != nil && c.callerChan != "" {
			r.u.ivr.offerCallback(c)
		}
	case acd.CallRemoved:
		if c := r.calls[ev.Call]; c != nil {
			r.u.conn.dropOffer(c)
			if c.dialing() != nil {
				r.u.cbd.cbEnded(c)
				if c.conn.agentChan != "" || c.conn.bridge != "" {
					r.u.conn.ended(c) // the agent who took it, and its bridge, go too
					return
				}
			}
			if c.callerChan != "" {
				ch := c.callerChan
				c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.Hangup(ctx, ch, "normal")) })
			}
			r.u.lines.forget(c)
		}
	}
}

// enqueued puts the caller in the queue's holding bridge and records its place on the channel.
func (r *connector) enqueued(c *call, ev acd.CallEnqueued) {
	c.queued() // in the queue from now: waiting, offered or connected
	setPlace := c.place.queue != "" || !r.placeImplied(c, ev)
	c.place.queue = ev.Queue
	c.place.priority = ev.Priority
	ch := c.callerChan
	if ch == "" {
		return
	}
	hold := holdBridgeID(ev.Queue)
	moh := r.settings(ev.Queue).MOH
	move := c.place.inHold != hold
	c.place.inHold = hold
	known := r.holds[hold]
	r.holds[hold] = true
	var making *holdMake
	if !known {
		making = r.holdMaking.claim(hold) // here, so that the next callers' workers wait for it
	}
	place := placeValue(ev.Queue, ev.Priority, ev.EnqueuedAt)
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		if making != nil {
			r.ensureHold(ctx, hold)
			r.holdMaking.made(r.u.ex.act, hold, making)
		}
		if setPlace {
			if err := ignoreGone(r.tel.SetVar(ctx, ch, varPlace, place)); err != nil {
				r.log.Warn("set channel variable", "call", c.id, "var", varPlace, "err", err)
			}
		}
		if !move {
			return
		}
		r.holdMaking.wait(r.u.ex.act, hold)
		// As a holding participant: Asterisk plays the caller music on hold itself, also
		// after the bridge emptied (a bridge's /moh announcer leaves with its last caller:
		// traces/holding-bridge-moh.jsonl), with no request and no Announcer channel.
		err := r.tel.HoldChannel(ctx, hold, ch, moh)
		if errors.Is(err, ErrNotFound) {
			// Asterisk says the bridge is gone (a channel it does not know is a 400): make it
			// again, once for all the callers who find it gone meanwhile. Any other failure
			// (a timeout, a dropped connection) says nothing of the bridge.
			r.makeHold(ctx, hold)
			err = r.tel.HoldChannel(ctx, hold, ch, moh)
		}
		if err != nil {
			r.log.Error("caller not moved to the holding bridge", "call", c.id, "err", err)
		}
	})
	r.u.ann.scheduleAnnouncement(c)
}

// placeImplied reports whether a call's first place in a queue is the one a restarted router
// gives a caller without SB_PLACE (reconcile.go): its DID's route, with no IVR flow, queue
// and priority as routed, since its arrival (the channel's creation time). No request then.
func (r *connector) placeImplied(c *call, ev acd.CallEnqueued) bool {
	if c.dialing() != nil || isCallbackChan(c.callerChan) {
		return false
	}
	route, ok := r.cfg.DIDs[c.info.did]
	if !ok && r.cfg.Default != nil {
		route, ok = *r.cfg.Default, true
	}
	return ok && route.Flow == nil && route.Queue == ev.Queue && route.Priority == ev.Priority
}

func (r *connector) ensureHold(ctx context.Context, id string) {
	if err := r.tel.CreateBridge(ctx, id, "holding"); err != nil {
		r.log.Warn("create holding bridge", "bridge", id, "err", err)
	}
}

func (r *connector) settings(queue string) QueueSettings {
	s := r.cfg.Settings[queue]
	if s.MOH == "" {
		s.MOH = "default"
	}
	return s
}

// offered rings the reserved agent's endpoint into the application.
func (r *connector) offered(c *call, ev acd.CallOffered) {
	nodes := r.u.recon
	if cb := c.dialing(); cb != nil && !cb.dialed && nodes.multiNode() {
		cb.node = nodes.phoneNode(ev.Endpoint) // dialed where its agent is
	}
	if !nodes.offerElsewhere(c, ev.Agent, ev.Endpoint) {
		return
	}
	endpoint, dialErr := ev.Endpoint, error(nil)
	if nodes.multiNode() {
		endpoint, dialErr = nodes.dialString(ev.Endpoint, nodes.callNode(c), nodes.phoneNode(ev.Endpoint))
	}
	c.offer.attempt++
	agentChan := agentChanID(c.baseChan(), c.offer.attempt)
	c.offer.offerChan, c.offer.offerAgent = agentChan, ev.Agent
	c.offer.deadline, c.offer.rung = ev.Deadline, false
	r.chans[agentChan] = c
	if cb := c.dialing(); cb != nil && nodes.multiNode() {
		nodes.u.lnk.topo.MakeOn(agentChan, cb.node) // sb-cb-agent-... names no node
	}
	if c.dialing() == nil && c.offer.bridge == "" && c.callerChan != "" && !r.closingBridge(callBridgeID(c.callerChan)) {
		r.makeCallBridge(c)
	}
	start := time.Now()
	if c.offer.attempt == 1 && !c.info.arrived.IsZero() && ev.Waited < 50*time.Millisecond {
		start = c.info.arrived // offered on arrival: count the router's own queueing too
	}
	timeout := ev.Deadline.Sub(r.clock.Now()) + r.cfg.RingMargin
	o := Originate{Endpoint: endpoint, ChannelID: agentChan, AppArgs: "agent," + c.id, CallerID: c.info.number, Timeout: timeout}
	if c.dialing() == nil {
		// What a restarted router needs to re-attach the call once this leg is bridged with
		// the caller (reconcile.go), set by the originate itself: no request at the answer.
		// The time is the offer's; a recorded call's answer still sets the caller's SB_ANSWER,
		// which names its recording.
		o.Variables = map[string]string{varAnswer: answerValue(ev.Agent, r.clock.Now(), "")}
	}
	c.offers.do(func(ctx context.Context) {
		d := time.Since(start)
		r.metrics.offerLatency.Observe(d.Seconds())
		if r.hooks.latency != nil {
			r.hooks.latency(d)
		}
		err := dialErr
		if err == nil {
			err = r.tel.Originate(ctx, o)
		}
		if err != nil {
			r.log.Warn("originate failed", "call", c.id, "agent", ev.Agent, "endpoint", o.Endpoint, "err", err)
			r.post(func() { r.u.lnk.originateFailed(c, agentChan, ev.Agent, err) })
			return
		}
		r.post(func() {
			if c.offer.offerChan == agentChan {
				c.offer.rung = true
			}
		})
	})
}

// makeCallBridge creates the call's mixing bridge at its first offer, on the caller's
// worker, while the agent's phone rings: the agent's answer then only moves caller and agent
// into it, one round trip instead of two. The bridge stays for the call's next offers; a
// call that ends unanswered deletes it (forget), and reconciliation knows it as the call's.
func (r *connector) makeCallBridge(c *call) {
	bridge := callBridgeID(c.callerChan)
	c.offer.bridge = bridge
	c.w.do(func(ctx context.Context) {
		r.createCallBridge(ctx, c, bridge)
	})
}

// closingBridge reports whether bridge, a transferred call's old one, waits for its
// recording to end before it is deleted: the call's next bridge is then made at the answer,
// so that the recording has the ring time to finish (settleClosing).
func (r *connector) closingBridge(bridge string) bool {
	for _, cl := range r.u.rec.recs.closing {
		if cl.bridge == bridge {
			return true
		}
	}
	return false
}

// settleClosing deletes now a transferred call's old bridge that waits for its recording to
// end, before the call's bridge is made again under the same id.
func (r *connector) settleClosing(bridge string) {
	for name, cl := range r.u.rec.recs.closing {
		if cl.bridge == bridge {
			r.u.rec.recordingOverdue(name)
		}
	}
}

// dropOffer hangs up the agent channel of an offer that is over.
func (r *connector) dropOffer(c *call) {
	if c.offer.offerChan == "" {
		return
	}
	ch := c.offer.offerChan
	delete(r.chans, ch)
	c.offer.offerChan, c.offer.offerAgent = "", ""
	c.offers.do(func(ctx context.Context) { _ = ignoreGone(r.tel.Hangup(ctx, ch, "normal")) })
}

// bridgeAnswered puts the caller and the agent who answered in the call's bridge before the
// engine hears of the answer: only a call whose two parties were bridged is answered. A phone
// may hang up right after answering, before the add, and Asterisk may fail it: the offer then
// failed, not the agent, and the caller keeps its place in the holding bridge (bridgedAnswer).
func (r *connector) bridgeAnswered(c *call) {
	if c.ann.announce != nil {
		c.ann.announce.Stop()
	}
	caller, agentChan := c.callerChan, c.offer.offerChan
	c.offer.bridging, c.offer.agentGone, c.offer.rung = true, false, true
	bridge := callBridgeID(caller)
	made := c.offer.bridge != ""
	if !made {
		r.settleClosing(bridge)
		c.offer.bridge = bridge
	}
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		if !made {
			r.createCallBridge(ctx, c, bridge)
		}
		// Both in one request: Asterisk checks every channel of the list before it moves any.
		err := r.tel.AddChannel(ctx, bridge, caller, agentChan)
		if errors.Is(err, ErrNotFound) && made { // its creation at the offer failed
			r.createCallBridge(ctx, c, bridge)
			err = r.tel.AddChannel(ctx, bridge, caller, agentChan)
		}
		at := time.Now()
		r.post(func() { r.bridgedAnswer(c, agentChan, err, at) })
	})
}

// bridgedAnswer takes the outcome of bridgeAnswered's add. Caller and agent were bridged:
// the call is answered, and ends at once if the agent hung up meanwhile. They were not: the
// offer is withdrawn, and the caller, whom Asterisk did not move, waits on at its place.
func (r *connector) bridgedAnswer(c *call, agentChan string, err error, at time.Time) {
	if !c.offer.bridging || c.offer.offerChan != agentChan {
		return // the caller hung up meanwhile: its ending dropped the offer
	}
	gone := c.offer.agentGone
	c.offer.bridging, c.offer.agentGone = false, false
	if err != nil {
		if gone {
			r.log.Info("agent hung up before being bridged; the caller keeps its place", "call", c.id, "agent", c.offer.offerAgent)
		} else {
			r.log.Error("bridge channels", "call", c.id, "caller", c.callerChan, "agent", agentChan, "err", err)
		}
		if err := r.eng.OfferFailed(c.id, acd.Withdrawn); err != nil {
			r.log.Warn("offer failure in engine", "call", c.id, "err", err)
		}
		return
	}
	if !c.info.setupTimed && !c.info.arrived.IsZero() { // a call's setup is timed once
		c.info.setupTimed = true
		r.metrics.setup.Observe(at.Sub(c.info.arrived).Seconds())
	}
	if err := r.eng.Answer(c.id); err != nil {
		r.log.Error("answer in engine failed", "call", c.id, "err", err)
		return
	}
	r.flush() // answered() makes the agent's channel the connected one
	if gone {
		r.u.lines.onChannelGone(agentChan, 16, false)
	}
}

// answered: caller and agent are bridged (bridgeAnswered); the call is recorded if the queue
// says so.
func (r *connector) answered(c *call, ev acd.CallAnswered) {
	c.conn.agentChan, c.conn.agent = c.offer.offerChan, ev.Agent
	c.offer.offerChan, c.offer.offerAgent = "", ""
	c.conn.bridge, c.offer.bridge = callBridgeID(c.callerChan), ""
	c.place.inHold = ""
	caller, bridge := c.callerChan, c.conn.bridge
	now := r.clock.Now()
	c.conn.answeredAt = now
	name := ""
	if rand.Float64() < r.settings(ev.Queue).RecordShare {
		name = r.u.rec.newRecording(c, now)
	}
	if name == "" {
		return
	}
	answer := answerValue(ev.Agent, now, name)
	c.w.do(func(ctx context.Context) {
		_ = ignoreGone(r.tel.SetVar(ctx, caller, varAnswer, answer))
		r.recordBridge(ctx, c, bridge, name)
	})
}

func (r *connector) createCallBridge(ctx context.Context, c *call, bridge string) {
	if err := r.tel.CreateBridge(ctx, bridge, "mixing"); err != nil {
		r.log.Error("create call bridge", "call", c.id, "err", err)
	}
}

// recordBridge starts the recording name of c's bridge, if name is set; on c's worker.
func (r *connector) recordBridge(ctx context.Context, c *call, bridge, name string) {
	if name == "" {
		return
	}
	if err := ignoreGone(r.tel.RecordBridge(ctx, bridge, name)); err != nil {
		r.log.Warn("recording did not start", "call", c.id, "recording", name, "err", err)
		r.post(func() { r.u.rec.recordingFailed(c, name) })
	}
}

// ended hangs up whichever side is still up and removes the call's bridge.
func (r *connector) ended(c *call) {
	r.u.sec.abortCollect(c)
	if c.conn.agentChan == "" && r.u.ivr.startSurvey(c) {
		return // the agent hung up first: the caller stays for the survey
	}
	chans := []string{c.callerChan, c.conn.agentChan}
	bridge := c.conn.bridge
	r.u.lines.forget(c)
	c.w.do(func(ctx context.Context) {
		for _, ch := range chans {
			if ch != "" {
				_ = ignoreGone(r.tel.Hangup(ctx, ch, "normal"))
			}
		}
	})
	r.u.rec.closeBridge(c, bridge, c.rec.recording)
}

// transferred lets the agent go and removes the call's bridge; the caller leaves it but stays
// in the application, and the CallEnqueued that follows puts it in the new queue's holding
// bridge.
func (r *connector) transferred(c *call) {
	r.u.sec.abortCollect(c)
	agentChan, bridge, rec := c.conn.agentChan, c.conn.bridge, c.rec.recording
	if agentChan != "" {
		delete(r.chans, agentChan)
	}
	c.conn.agentChan, c.conn.agent, c.conn.bridge, c.rec.recording = "", "", "", ""
	if q := c.queued(); q != nil {
		q.recPaused = false
	}
	c.w.do(func(ctx context.Context) {
		if agentChan != "" {
			_ = ignoreGone(r.tel.Hangup(ctx, agentChan, "normal"))
		}
	})
	// The caller leaves the bridge for the next queue's holding bridge (CallEnqueued follows).
	r.u.rec.closeBridge(c, bridge, rec)
}

// farewell plays a last prompt to the caller and hangs up; a call the engine never had ends
// its record with outcome.
func (r *connector) farewell(c *call, media, outcome string) {
	ch := c.callerChan
	r.u.lines.forget(c)
	if outcome != "" {
		r.u.lines.unqueuedEnded(c, outcome)
	}
	if ch == "" {
		return
	}
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		_ = ignoreGone(r.tel.Play(ctx, ch, "sb-bye-"+ch, mediaList(media)))
		r.u.ex.sleep(3 * time.Second)
		_ = ignoreGone(r.tel.Hangup(ctx, ch, "normal"))
	})
}

// stopPlayback stops the caller's announcement, if any: a queued playback would hold up the
// next channel operation (Asterisk runs them after the playbacks).
func (r *connector) stopPlayback(ctx context.Context, c *call) {
	if id := c.takePlayback(); id != "" {
		_ = ignoreGone(r.tel.StopPlayback(ctx, id))
	}
}
