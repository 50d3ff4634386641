package router

import (
	"context"
	"fmt"
	"strings"
	"time"

	"switchboard/acd"
)

// onARI handles one event from Asterisk on the owner goroutine.
func (r *Router) onARI(ev Event) {
	switch ev := ev.(type) {
	case StasisStart:
		r.u.lines.onStasisStart(ev)
	case StasisEnd:
		r.u.lines.onChannelGone(ev.Channel, 0, true)
	case ChannelDestroyed:
		r.u.lines.onChannelGone(ev.Channel, ev.Cause, false)
	case PlaybackFinished:
		if c := r.chans[ev.Channel]; c != nil && ev.Channel != "" {
			c.playbackDone(ev.ID)
			c.in().playbackFinished(r, c, ev.ID)
		}
	case DTMF:
		c := r.chans[ev.Channel]
		if c == nil || ev.Channel != c.callerChan || len(ev.Digit) != 1 {
			return
		}
		c.in().digit(r, c, ev.Digit)
	case RecordingStarted, RecordingFinished, RecordingFailed:
		r.u.rec.onRecording(ev)
	}
}

func (r *callerLines) callID(chanID string) string { return r.cfg.Node + "-" + chanID }

func (r *callerLines) onStasisStart(ev StasisStart) {
	if ev.Channel == "" {
		r.log.Warn("StasisStart without a channel id ignored", "args", ev.Args)
		return
	}
	kind := ""
	if len(ev.Args) > 0 {
		kind = ev.Args[0]
	}
	switch kind {
	case "inbound":
		did := ""
		if len(ev.Args) > 1 {
			did = ev.Args[1]
		}
		r.inbound(ev.Channel, ev.Number, did, r.arrivedAt(ev.Created))
	case "agent":
		callID := ""
		if len(ev.Args) > 1 {
			callID = ev.Args[1]
		}
		r.agentAnswered(ev.Channel, callID)
	case "callback":
		callID := ""
		if len(ev.Args) > 1 {
			callID = ev.Args[1]
		}
		r.u.cbd.customerAnswered(ev.Channel, callID)
	default:
		if r.ctl.stasisStart(ev.Channel, kind, ev.Args) {
			return
		}
		r.log.Warn("channel entered the application with unknown arguments; hanging up", "channel", ev.Channel, "args", ev.Args)
		r.hangupLater(ev.Channel)
	}
}

// arrivedAt is when a caller's place in time starts: its channel's creation on Asterisk, the
// time a restarted router gives a caller without SB_PLACE (reconcile.go), unless Asterisk's
// clock is off from the router's by a second or more; then the router's now.
func (r *callerLines) arrivedAt(created time.Time) time.Time {
	now := r.clock.Now()
	if created.IsZero() || now.Sub(created).Abs() >= time.Second {
		return now
	}
	return created
}

// inbound starts a new caller: routed by DID into a queue, waiting in its holding bridge.
func (r *callerLines) inbound(chanID, number, did string, enqueuedAt time.Time) {
	if _, ok := r.chans[chanID]; ok {
		return
	}
	route, ok := r.cfg.DIDs[did]
	if !ok && r.cfg.Default != nil {
		route, ok = *r.cfg.Default, true
	}
	if !ok {
		r.log.Warn("call to a DID with no route; playing a message and hanging up", "channel", chanID, "did", did)
		r.sayAndHangup(chanID, "sound:ss-noservice")
		return
	}
	if route.Open != nil && !route.Open(r.clock.Now()) {
		switch {
		case route.ClosedQueue != "":
			route.Queue = route.ClosedQueue
		default:
			msg := route.ClosedMessage
			if msg == "" {
				msg = promptClosed
			} else if !strings.Contains(msg, ":") {
				msg = "sound:" + msg
			}
			if route.ClosedCallback && r.u.cbd.dialer.store != nil && number != "" && route.Queue != "" {
				r.u.ivr.offerAfterHours(chanID, number, did, route, msg)
				return
			}
			id := r.callID(chanID)
			r.u.ivr.arrived(id, number, did)
			r.u.ivr.gone(id, GoneClosed)
			r.sayAndHangup(chanID, msg)
			return
		}
	}
	c := r.u.ex.track(&call{id: r.callID(chanID), callerChan: chanID, info: callerInfo{number: number, did: did, arrived: r.loop.received}, place: queuePlace{priority: route.Priority}})
	r.calls[c.id] = c
	r.chans[chanID] = c
	r.u.ivr.arrived(c.id, number, did)
	if route.Flow != nil {
		c.w.do(func(ctx context.Context) {
			if err := ignoreGone(r.tel.Answer(ctx, chanID)); err != nil {
				r.log.Error("answer failed", "call", c.id, "err", err)
			}
		})
		r.u.ivr.startIVR(c, route, number)
		return
	}
	c.w.do(func(ctx context.Context) {
		if err := ignoreGone(r.tel.Answer(ctx, chanID)); err != nil {
			r.log.Error("answer failed", "call", c.id, "err", err)
		}
	})
	r.u.look.enqueue(c, acd.CallRequest{ID: c.id, Queue: route.Queue, Priority: route.Priority, Skills: route.Skills,
		EnqueuedAt: enqueuedAt, Data: route.Data})
}

// agentAnswered: an originated agent channel answered and entered the application.
func (r *callerLines) agentAnswered(chanID, callID string) {
	c := r.calls[callID]
	if c == nil || c.offer.offerChan != chanID {
		r.log.Info("agent channel for an offer no longer open; hanging up", "channel", chanID, "call", callID)
		r.hangupLater(chanID)
		return
	}
	if c.dialing() != nil {
		r.u.cbd.cbAgentAnswered(c) // answered only once the customer is
		return
	}
	if c.offer.bridging {
		return // seen again by a reconciliation
	}
	if err := r.eng.Accept(c.id); err != nil {
		r.log.Error("answer in engine failed; hanging up agent", "call", c.id, "err", err)
		r.hangupLater(chanID)
		return
	}
	r.u.lnk.link.backoff = 0 // originates work again
	r.u.conn.bridgeAnswered(c)
}

// onChannelGone handles a channel leaving the application (StasisEnd) or being destroyed.
func (r *callerLines) onChannelGone(chanID string, cause int, stasisEnd bool) {
	defer delete(r.ending, chanID)
	c := r.chans[chanID]
	if c == nil {
		r.ctl.channelGone(chanID, cause)
		return
	}
	if chanID == c.callerChan && c.in().callerGone(r.Router, c) {
		return
	}
	if c.dialing() != nil && chanID == c.dialing().custChan && chanID != c.callerChan {
		if !stasisEnd {
			r.u.cbd.customerGone(c, chanID, cause)
		}
		return
	}
	switch chanID {
	case c.callerChan:
		delete(r.chans, chanID)
		c.callerChan = ""
		if _, held := r.eng.Call(c.id); !held {
			// Between the IVR and the queue, while the customer lookup runs: the engine
			// never had the call, and the lookup's answer finds it gone.
			r.endUnqueued(c, GoneAbandoned)
			return
		}
		if err := r.eng.Hangup(c.id); err != nil {
			r.log.Warn("hangup in engine", "call", c.id, "err", err)
		}
	case c.offer.offerChan:
		if stasisEnd {
			return // it answered and left again before we bridged it: ChannelDestroyed follows
		}
		if c.offer.bridging {
			c.offer.agentGone = true // the add's outcome decides (bridgedAnswer)
			return
		}
		delete(r.chans, chanID)
		c.offer.offerChan = ""
		why := agentLegFailure(cause)
		if why == acd.Withdrawn && cause != 0 {
			r.u.lnk.coolOff(c.offer.offerAgent, fmt.Errorf("agent leg ended with cause %d", cause))
		}
		if err := r.eng.OfferFailed(c.id, why); err != nil {
			r.log.Warn("offer failure in engine", "call", c.id, "err", err)
		}
	case c.conn.agentChan:
		delete(r.chans, chanID)
		c.conn.agentChan = ""
		if c.dialing() != nil && !c.dialing().connected {
			r.u.cbd.cbAgentGone(c) // before the customer answered: neither answered nor abandoned
			return
		}
		if err := r.eng.Hangup(c.id); err != nil {
			r.log.Warn("agent hangup in engine", "call", c.id, "err", err)
		}
	}
}

// endUnqueued forgets a call that ends before the engine had it, and has its record ended
// with how (a Gone* outcome). A call that queued before (a survey after the agent hung up, a
// waiting caller who asked for a callback) has its record ended by the engine.
func (r *callerLines) endUnqueued(c *call, outcome string) {
	r.forget(c)
	r.unqueuedEnded(c, outcome)
}

// unqueuedEnded has the record of c, already forgotten, ended with outcome if the engine
// never had it.
func (r *callerLines) unqueuedEnded(c *call, outcome string) {
	if c.place.queue == "" || c.closedOffer() != nil {
		r.u.ivr.gone(c.id, outcome)
	}
}

// sayAndHangup answers, plays a message and hangs up, off the owner goroutine.
func (r *callerLines) sayAndHangup(chanID, media string) {
	r.u.ex.spawnWork(func(ctx context.Context) {
		_ = ignoreGone(r.tel.Answer(ctx, chanID))
		_ = ignoreGone(r.tel.Play(ctx, chanID, "sb-msg-"+chanID, mediaList(media)))
		r.u.ex.sleep(4 * time.Second) // long enough for the short messages used here
		_ = ignoreGone(r.tel.Hangup(ctx, chanID, "normal"))
	})
}

func (r *callerLines) hangupLater(chanID string) {
	r.u.ex.spawnWork(func(ctx context.Context) { _ = ignoreGone(r.tel.Hangup(ctx, chanID, "normal")) })
}

// forget drops a finished call and everything it holds on Asterisk.
func (r *callerLines) forget(c *call) {
	r.u.sec.abortCollect(c)
	if c.ann.announce != nil {
		c.ann.announce.Stop()
	}
	delete(r.calls, c.id)
	if b := c.offer.bridge; b != "" { // made for an offer no agent answered
		c.offer.bridge = ""
		c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.DeleteBridge(ctx, b)) })
	}
	if c.dialing() != nil && r.chans[c.dialing().custChan] == c {
		delete(r.chans, c.dialing().custChan)
	}
	for _, ch := range []string{c.callerChan, c.offer.offerChan, c.conn.agentChan} {
		if ch != "" {
			delete(r.chans, ch)
			r.ending[ch] = true
		}
	}
}
