package router

import (
	"context"
	"strconv"
	"strings"
	"time"

	"switchboard/ivr/callback"
)

// While a DID's hours are closed and its route allows it (Route.ClosedCallback), the caller
// hears the closed message and "press 1" to be called back at the number they call from; 1
// reads the number back, and 1 again stores the request (reason after_hours) and says thank
// you. Anything else, or silence for closedWait after a prompt ends, says goodbye.

const closedWait = 10 * time.Second

// closedOffer is an after-hours caller's place in the offer.
type closedOffer struct {
	route   Route
	confirm bool // the number was read back
	timer   Timer
	step    int
	prompt  string // the playback id of the prompt waiting for an answer
}

// offerAfterHours answers a caller to a closed DID and offers a callback.
func (r *Router) offerAfterHours(chanID, number, did string, route Route, msg string) {
	c := r.track(&call{id: r.callID(chanID), callerChan: chanID, info: callerInfo{number: number, did: did}, place: queuePlace{queue: route.Queue, priority: route.Priority}})
	c.setPhase(&closedLine{off: &closedOffer{route: route}})
	r.calls[c.id] = c
	r.chans[chanID] = c
	r.arrived(c.id, number, did)
	c.w.do(func(ctx context.Context) {
		if err := ignoreGone(r.tel.Answer(ctx, chanID)); err != nil {
			r.log.Error("answer failed", "call", c.id, "err", err)
		}
	})
	r.closedPrompt(c, msg+",sound:vm-press,digits:1")
}

// closedPrompt plays media; the caller has closedWait after it ends to answer.
func (r *Router) closedPrompt(c *call, media string) {
	off := c.closedOffer()
	off.step++
	if off.timer != nil {
		off.timer.Stop()
	}
	ch := c.callerChan
	c.ann.announceN++
	id := "sb-ah-" + ch + "-" + strconv.Itoa(c.ann.announceN)
	off.prompt = id
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		c.setPlayback(id)
		if err := ignoreGone(r.tel.Play(ctx, ch, id, mediaList(media))); err != nil {
			r.log.Warn("after-hours prompt", "call", c.id, "err", err)
			r.post(func() { r.closedPromptDone(c, off, id) })
		}
	})
}

// closedPromptDone arms the wait for the caller's digit once prompt id ended.
func (r *Router) closedPromptDone(c *call, off *closedOffer, id string) {
	if off.prompt != id || r.calls[c.id] != c {
		return
	}
	step := off.step
	off.timer = r.after(closedWait, func() {
		r.post(func() {
			if r.calls[c.id] == c && c.closedOffer() == off && off.step == step {
				r.closedEnd(c, "sound:vm-goodbye", GoneClosed)
			}
		})
	})
}

// closedDigit takes the caller's answer to the offer.
func (r *Router) closedDigit(c *call, off *closedOffer, digit string) {
	switch {
	case digit == "1" && !off.confirm:
		off.confirm = true
		r.closedPrompt(c, "sound:you-entered,digits:"+strings.TrimPrefix(c.info.number, "+")+",sound:vm-press,digits:1")
	case digit == "1":
		r.closedRequest(c)
	default:
		r.closedEnd(c, "sound:vm-goodbye", GoneClosed)
	}
}

// closedRequest stores the after-hours request and tells the caller whether it was taken.
func (r *Router) closedRequest(c *call) {
	off := c.closedOffer()
	v := callback.Request{CallID: c.id, Reason: callback.AfterHours, Number: c.info.number, Queue: off.route.Queue,
		Priority: off.route.Priority, EnqueuedAt: r.clock.Now(), Data: off.route.Data}
	ch, store := c.callerChan, r.dialer.store
	r.closedEnd(c, "", "")
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		media, outcome := "sound:queue-thankyou", GoneCallbackRequested
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		if err := store.Request(sctx, v); err != nil {
			r.log.Warn("after-hours callback request not stored", "call", c.id, "err", err)
			media, outcome = promptSorry, GoneClosed
		} else {
			r.log.Info("callback requested", "call", c.id, "reason", v.Reason, "queue", v.Queue)
		}
		cancel()
		r.post(func() { r.unqueuedEnded(c, outcome) })
		_ = ignoreGone(r.tel.Play(ctx, ch, "sb-bye-"+ch, mediaList(media)))
		r.sleep(3 * time.Second)
		_ = ignoreGone(r.tel.Hangup(ctx, ch, "normal"))
	})
}

// closedEnd ends the offer; with media, the caller hears it and is hung up. The call's record
// ends with outcome ("": the caller decides it later).
func (r *Router) closedEnd(c *call, media, outcome string) {
	off := c.closedOffer()
	if off.timer != nil {
		off.timer.Stop()
	}
	off.step++
	if media == "" {
		r.forget(c)
		if outcome != "" {
			r.unqueuedEnded(c, outcome)
		}
		return
	}
	r.farewell(c, media, outcome)
}
