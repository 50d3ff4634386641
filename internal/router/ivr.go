package router

import (
	"context"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
	"switchboard/ivr"
)

// An inbound call whose route names an IVR flow walks it before it queues: the session is
// pure (package ivr); the router turns its actions into ARI requests and ARI events, timers
// and lookups back into its inputs, all on the owner goroutine.

const ivrPlaybackPrefix = "sb-ivr-"

// startIVR answers the caller and starts its flow.
func (r *Router) startIVR(c *call, route Route, number string) {
	sess, err := ivr.NewSession(route.Flow, ivr.Options{Caller: number, Priority: route.Priority, Skills: route.Skills})
	if err != nil {
		r.log.Error("ivr flow refused; queueing the call directly", "call", c.id, "err", err)
		r.enqueueFromIVR(c, ivr.Route{Queue: route.Queue, Priority: route.Priority, Skills: route.Skills})
		return
	}
	c.setPhase(&inIVR{sess: sess})
	r.ivrDo(c, r.ivrHandle(c, nil))
}

// ivrInput hands the session one input and carries out what it asks.
func (r *Router) ivrInput(c *call, in ivr.Input) {
	if c.session() == nil || r.calls[c.id] != c {
		return
	}
	r.ivrDo(c, r.ivrHandle(c, in))
}

func (r *Router) ivrDo(c *call, actions []ivr.Action) {
	ch := c.callerChan
	for _, a := range actions {
		switch a := a.(type) {
		case ivr.Play:
			id := ivrPlaybackPrefix + ch + "-" + strconv.Itoa(a.ID)
			media := mediaURIs(a.Media)
			if media == "" {
				r.post(func() { r.ivrInput(c, ivr.PlaybackFinished{ID: a.ID}) })
				continue
			}
			c.w.do(func(ctx context.Context) {
				c.setPlayback(id)
				if err := ignoreGone(r.tel.Play(ctx, ch, id, mediaList(media))); err != nil {
					r.log.Warn("ivr prompt", "call", c.id, "err", err)
					r.post(func() { r.ivrInput(c, ivr.PlaybackFinished{ID: a.ID}) })
				}
			})
		case ivr.StopPlayback:
			id := ivrPlaybackPrefix + ch + "-" + strconv.Itoa(a.ID)
			c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.StopPlayback(ctx, id)) })
		case ivr.StartTimer:
			r.after(a.After, func() { r.post(func() { r.ivrInput(c, ivr.Timeout{Timer: a.ID}) }) })
		case ivr.Lookup:
			r.ivrLookup(c, a)
		case ivr.SetLanguage:
			lang := a.Language
			c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.SetVar(ctx, ch, "CHANNEL(language)", lang)) })
		case ivr.SurveyResult:
			r.storeCSAT(c, a)
		case ivr.Route:
			r.enqueueFromIVR(c, a)
		case ivr.Callback:
			r.ivrCallback(c, a, r.clock.Now())
		case ivr.Transfer:
			r.ivrTransfer(c, a)
		case ivr.Hangup:
			c.setPhase(nil)
			media := mediaURIs(a.Message)
			if media == "" {
				media = "sound:vm-goodbye"
			}
			r.farewell(c, media, GoneSelfService)
		}
	}
}

// enqueueFromIVR ends the flow and queues the call with what the flow gathered.
func (r *Router) enqueueFromIVR(c *call, a ivr.Route) {
	c.setPhase(nil)
	data := map[string]string{}
	for k, v := range a.Data {
		data[k] = v
	}
	if a.Language != "" {
		data["language"] = a.Language
	}
	if a.Customer != "" {
		data["customer"] = a.Customer
	}
	c.w.do(func(ctx context.Context) { r.stopPlayback(ctx, c) })
	r.enqueue(c, acd.CallRequest{ID: c.id, Queue: a.Queue, Priority: a.Priority, Skills: a.Skills, Data: data})
}

// ivrCallback records the caller's callback request at its place in time (on the call's
// worker: it writes to the store) and tells the caller whether it was taken.
func (r *Router) ivrCallback(c *call, a ivr.Callback, at time.Time) {
	c.setPhase(nil)
	ok := mediaURIs(a.Message)
	if ok == "" {
		ok = "sound:queue-thankyou"
	}
	ch, store := c.callerChan, r.hooks.callback
	r.forget(c)
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		media, outcome := ok, GoneCallbackRequested
		if store == nil {
			r.log.Error("callback requested but no callback store is configured", "call", c.id)
			media, outcome = promptSorry, GoneSelfService
		} else if err := store(c.id, a, at); err != nil {
			r.log.Warn("callback request not stored", "call", c.id, "err", err)
			media, outcome = promptSorry, GoneSelfService
		}
		r.post(func() { r.unqueuedEnded(c, outcome) })
		_ = ignoreGone(r.tel.Play(ctx, ch, "sb-bye-"+ch, mediaList(media)))
		r.sleep(3 * time.Second)
		_ = ignoreGone(r.tel.Hangup(ctx, ch, "normal"))
	})
}

// mediaURIs turns prompt items into an ARI media list.
func mediaURIs(ms []ivr.Media) string {
	var parts []string
	for _, m := range ms {
		if m.Value == "" {
			continue
		}
		switch m.Kind {
		case ivr.MediaSound:
			parts = append(parts, "sound:"+m.Value)
		case ivr.MediaDigits, ivr.MediaVar:
			parts = append(parts, "digits:"+m.Value)
		case ivr.MediaNumber:
			parts = append(parts, "number:"+m.Value)
		}
	}
	return strings.Join(parts, ",")
}

// ivrPlaybackID reads the session's playback id back from an ARI playback id of this call.
func ivrPlaybackID(ariID, callerChan string) (int, bool) {
	rest, ok := strings.CutPrefix(ariID, ivrPlaybackPrefix+callerChan+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// offerCallback tells a waiting caller they may hang up and be called back, keeping their place.
func (r *Router) offerCallback(c *call) {
	if q := c.queued(); q != nil {
		q.callbackOffered = true
	}
	prompt := r.settings(c.place.queue).CallbackPrompt
	if prompt == "" {
		prompt = "sound:vm-press,digits:1"
	}
	ch := c.callerChan
	c.ann.announceN++
	id := "sb-ann-" + ch + "-" + strconv.Itoa(c.ann.announceN)
	c.w.do(func(ctx context.Context) {
		r.stopPlayback(ctx, c)
		c.setPlayback(id)
		_ = ignoreGone(r.tel.Play(ctx, ch, id, mediaList(prompt)))
	})
}

// acceptCallback takes a waiting caller who pressed 1 after the offer out of the queue and
// stores a callback at the caller's original place in time.
func (r *Router) acceptCallback(c *call) {
	v, ok := r.eng.Call(c.id)
	if !ok || v.State != "waiting" {
		return
	}
	cb := ivr.Callback{Number: c.info.number, Queue: v.Queue, Priority: v.Priority, Data: v.Data}
	r.ivrCallback(c, cb, v.EnqueuedAt) // forgets c first, so the removal below hangs nothing up
	if err := r.eng.Remove(c.id, "callback"); err != nil {
		r.log.Warn("remove after a callback request", "call", c.id, "err", err)
	}
}
