package router

import (
	"context"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
)

// scheduleAnnouncement arms the caller's next position/wait announcement.
func (r *Router) scheduleAnnouncement(c *call) {
	s := r.settings(c.place.queue)
	if c.ann.announce != nil {
		c.ann.announce.Stop()
	}
	if s.AnnounceEvery <= 0 || !(s.AnnouncePosition || s.AnnounceWait) {
		return
	}
	c.ann.announce = r.after(s.AnnounceEvery, func() { r.post(func() { r.announce(c) }) })
}

// announce tells a waiting caller their position and expected wait, like app_queue does.
func (r *Router) announce(c *call) {
	if r.calls[c.id] != c || c.callerChan == "" {
		return
	}
	v, ok := r.eng.Call(c.id)
	if !ok || v.State != "waiting" {
		return
	}
	est, _ := r.eng.Estimate(c.id, acd.EstimatorSwitchboard)
	media := announcement(v.Position, est, r.settings(c.place.queue))
	c.ann.announceN++
	id := "sb-ann-" + c.callerChan + "-" + strconv.Itoa(c.ann.announceN)
	ch := c.callerChan
	c.w.do(func(ctx context.Context) {
		c.setPlayback(id)
		if err := ignoreGone(r.tel.Play(ctx, ch, id, mediaList(media))); err != nil {
			r.log.Warn("announcement", "call", c.id, "err", err)
		}
	})
	r.scheduleAnnouncement(c)
}

// announcement builds the prompt list: "you are next" or "there are N calls waiting ahead of
// you", then "the estimated hold time is M minutes" (or "less than a minute").
func announcement(position int, est time.Duration, s QueueSettings) string {
	var parts []string
	if s.AnnouncePosition {
		if position <= 1 {
			parts = append(parts, "sound:queue-youarenext")
		} else {
			parts = append(parts, "sound:queue-thereare", "number:"+strconv.Itoa(position-1), "sound:queue-callswaiting")
		}
	}
	if s.AnnounceWait && est > 0 {
		mins := int((est + 30*time.Second) / time.Minute)
		if mins < 1 {
			parts = append(parts, "sound:queue-holdtime", "sound:queue-less-than", "number:1", "sound:queue-minute")
		} else {
			unit := "sound:queue-minutes"
			if mins == 1 {
				unit = "sound:queue-minute"
			}
			parts = append(parts, "sound:queue-holdtime", "number:"+strconv.Itoa(mins), unit)
		}
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ","
		}
		out += p
	}
	return out
}

// mediaList splits a media list as the router and its configuration write it, comma
// separated ("sound:vm-press,digits:1"), into the items Telephony.Play takes: Asterisk plays
// the items of a JSON array one after the other, but takes a comma string in a JSON body as one
// file name, which does not exist (traces/play-media-list.jsonl). No media URI holds a comma.
func mediaList(s string) []string {
	var out []string
	for _, m := range strings.Split(s, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}
