package router

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
)

// announcer tells waiting callers their position and expected wait, every AnnounceEvery of
// their queue's settings.
type announcer struct {
	eng   *acd.Engine
	tel   Playbacks
	log   *slog.Logger
	ex    *executor
	conn  *connector       // the queues' settings
	calls map[string]*call // the owner's
}

// scheduleAnnouncement arms the caller's next position/wait announcement.
func (a *announcer) scheduleAnnouncement(c *call) {
	s := a.conn.settings(c.place.queue)
	if c.ann.announce != nil {
		c.ann.announce.Stop()
	}
	if s.AnnounceEvery <= 0 || !(s.AnnouncePosition || s.AnnounceWait) {
		return
	}
	c.ann.announce = a.ex.after(s.AnnounceEvery, func() { a.ex.post(func() { a.announce(c) }) })
}

// announce tells a waiting caller their position and expected wait, like app_queue does.
func (a *announcer) announce(c *call) {
	if a.calls[c.id] != c || c.callerChan == "" {
		return
	}
	v, ok := a.eng.Call(c.id)
	if !ok || v.State != "waiting" {
		return
	}
	est, _ := a.eng.Estimate(c.id, acd.EstimatorSwitchboard)
	media := announcement(v.Position, est, a.conn.settings(c.place.queue))
	c.ann.announceN++
	id := "sb-ann-" + c.callerChan + "-" + strconv.Itoa(c.ann.announceN)
	ch := c.callerChan
	c.w.do(func(ctx context.Context) {
		c.setPlayback(id)
		if err := ignoreGone(a.tel.Play(ctx, ch, id, mediaList(media))); err != nil {
			a.log.Warn("announcement", "call", c.id, "err", err)
		}
	})
	a.scheduleAnnouncement(c)
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
