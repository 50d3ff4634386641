package router

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
)

// Recording pause and secure digit collection.
//
// An agent may pause and resume the recording of their own connected call (ARI POST and
// DELETE /recordings/live/{name}/pause; Asterisk leaves the paused time out of the file).
//
// A secure collection takes digits from the caller (a card number) while the recording is
// paused. It fails closed: the recording is paused first, on the call's worker, after any
// recording request already queued there, and when the pause fails nothing is collected and
// the error says the recording could not be paused. A call with no live recording (ARI answers
// 404) is collected from directly. The caller leaves the call bridge for the entry, so that
// neither the agent nor the bridge hears the tones (bridges pass DTMF on), and returns to it
// after. The caller hears SecurePrompt and enters Min to Max digits,
// ending with # or a pause; * starts the entry over. The digits are never logged and never
// leave the router: the call's data keeps only a masked form ("************1234") under the
// entry's name, which is also what the agent gets back. The recording is then resumed, unless
// the agent had paused it before.

const (
	defaultSecureTimeout = 15 * time.Second
	maxSecureInterDigit  = 5 * time.Second
	maxSecureDigits      = 32
)

var secureName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ErrRecordingNotPaused is returned (wrapped) when a recording cannot be paused: for a secure
// collection, nothing was collected.
var ErrRecordingNotPaused = errors.New("the call's recording could not be paused")

// unavailable marks errors of Asterisk, not of the request.
type unavailable struct{ err error }

func (u unavailable) Error() string     { return u.err.Error() }
func (u unavailable) Unwrap() error     { return u.err }
func (u unavailable) Unavailable() bool { return true }

// collection is a secure digit entry in progress, on the owner goroutine.
type collection struct {
	name     string
	min, max int
	digits   []byte
	seq      int  // the current timer; older ones are stale
	open     bool // the prompt was asked for: digits count from now
	resume   bool // resume the recording afterwards
	playback string
	bridge   string // the call bridge the caller left for the entry
	done     chan collected
}

type collected struct {
	masked string
	err    error
}

// agentCall finds callID connected to agent, on the owner goroutine.
func (r *Router) agentCall(callID, agent string) (*call, error) {
	c := r.calls[callID]
	switch {
	case c == nil:
		return nil, &acd.Error{Code: acd.ENotFound, Message: "no call " + callID}
	case c.conn.bridge == "" || c.conn.agent == "" || c.conn.agent != agent || c.callerChan == "":
		return nil, &acd.Error{Code: acd.EConflict, Message: "call " + callID + " is not connected to agent " + agent}
	}
	return c, nil
}

// PauseRecording pauses the recording of agent's connected call. Errors carry acd codes
// (not_found, conflict: not connected to that agent, not recorded, or a secure entry is
// running); an Asterisk failure wraps ErrRecordingNotPaused.
func (r *Router) PauseRecording(ctx context.Context, agent, callID string) error {
	return r.setRecordingPaused(ctx, agent, callID, true)
}

// ResumeRecording resumes the recording of agent's connected call; see PauseRecording.
func (r *Router) ResumeRecording(ctx context.Context, agent, callID string) error {
	return r.setRecordingPaused(ctx, agent, callID, false)
}

func (r *Router) setRecordingPaused(ctx context.Context, agent, callID string, pause bool) error {
	done := make(chan error, 1)
	r.post(func() {
		c, err := r.agentCall(callID, agent)
		if err != nil {
			done <- err
			return
		}
		name := c.recordingOf()
		if c.entry() != nil {
			done <- &acd.Error{Code: acd.EConflict, Message: "a secure entry is running on call " + callID}
			return
		}
		// Asterisk, not the router's notes, says whether the call is being recorded: a pause
		// asked for just after the recording started may come before the router hears of it.
		c.w.do(func(ctx context.Context) {
			var err error
			if pause {
				err = r.tel.PauseRecording(ctx, name)
			} else {
				err = r.tel.ResumeRecording(ctx, name)
			}
			switch {
			case errors.Is(err, ErrNotFound):
				err = &acd.Error{Code: acd.EConflict, Message: "call " + callID + " is not being recorded"}
			case err != nil && pause:
				err = unavailable{fmt.Errorf("%w: %w", ErrRecordingNotPaused, err)}
			case err != nil:
				err = unavailable{fmt.Errorf("resume recording: %w", err)}
			}
			if err == nil {
				r.post(func() {
					if q := c.queued(); q != nil {
						q.recPaused = pause
					}
				})
				r.log.Info("recording paused or resumed by the agent", "call", c.id, "agent", agent, "paused", pause)
			}
			done <- err
		})
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SecureCollect collects min to max digits from the caller of agent's connected call with
// the call's recording paused, and keeps them masked in the call's data under name; it
// returns the masked form. Errors carry acd codes: invalid (bad name or lengths, or the caller
// entered too few digits or none), not_found, conflict (not connected to that agent, another
// entry running, the caller left); an Asterisk failure to pause wraps ErrRecordingNotPaused
// and nothing was collected.
func (r *Router) SecureCollect(ctx context.Context, agent, callID, name string, min, max int) (string, error) {
	if !secureName.MatchString(name) {
		return "", &acd.Error{Code: acd.EInvalid, Message: "name must be 1-32 lower-case letters, digits or _, starting with a letter"}
	}
	if min < 1 || max > maxSecureDigits || min > max {
		return "", &acd.Error{Code: acd.EInvalid, Message: fmt.Sprintf("want 1 <= min <= max <= %d digits", maxSecureDigits)}
	}
	done := make(chan collected, 1)
	r.post(func() {
		c, err := r.agentCall(callID, agent)
		if err == nil && c.entry() != nil {
			err = &acd.Error{Code: acd.EConflict, Message: "a secure entry is already running on call " + callID}
		}
		if err == nil && !c.place.secured[name] {
			// The masked digits must not overwrite what the IVR, the CRM or the dialer attached.
			if v, ok := r.eng.Call(c.id); ok && v.Data[name] != "" {
				err = &acd.Error{Code: acd.EConflict, Message: "call " + callID + " already carries " + name + "; choose another name"}
			}
		}
		if err != nil {
			done <- collected{err: err}
			return
		}
		q := c.queued()
		col := &collection{name: name, min: min, max: max, done: done, resume: q == nil || !q.recPaused, bridge: c.conn.bridge}
		c.startEntry(col)
		rec, ch := c.recordingOf(), c.callerChan
		media := r.cfg.SecurePrompt
		if media == "" {
			media = "sound:beep"
		}
		c.ann.announceN++
		col.playback = "sb-secure-" + ch + "-" + strconv.Itoa(c.ann.announceN)
		c.w.do(func(ctx context.Context) {
			err := r.tel.PauseRecording(ctx, rec)
			switch {
			case errors.Is(err, ErrNotFound):
				r.post(func() { col.resume = false })
			case err != nil:
				r.log.Error("secure entry refused: the recording could not be paused", "call", c.id, "err", err)
				r.post(func() {
					col.resume = false
					r.endCollect(c, col, collected{err: unavailable{fmt.Errorf("%w: %w", ErrRecordingNotPaused, err)}})
				})
				return
			}
			if err := ignoreGone(r.tel.RemoveChannel(ctx, col.bridge, ch)); err != nil {
				r.log.Warn("caller not taken out of the bridge for the secure entry", "call", c.id, "err", err)
			}
			r.post(func() {
				if c.entry() != col {
					return
				}
				col.open = true
				r.armCollect(c, col, r.secureTimeout())
				r.log.Info("secure entry started", "call", c.id, "agent", agent, "name", name)
			})
			if err := ignoreGone(r.tel.Play(ctx, ch, col.playback, mediaList(media))); err != nil {
				r.log.Warn("secure entry prompt", "call", c.id, "err", err)
			}
		})
	})
	select {
	case res := <-done:
		return res.masked, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (r *Router) secureTimeout() time.Duration {
	if r.cfg.SecureTimeout > 0 {
		return r.cfg.SecureTimeout
	}
	return defaultSecureTimeout
}

// armCollect (re)starts the entry's timer.
func (r *Router) armCollect(c *call, col *collection, d time.Duration) {
	col.seq++
	seq := col.seq
	r.after(d, func() {
		r.post(func() {
			if c.entry() == col && col.seq == seq {
				r.finishCollect(c, col)
			}
		})
	})
}

// collectDigit takes one of the caller's digits during a secure entry. Never log d.
func (r *Router) collectDigit(c *call, col *collection, d byte) {
	if !col.open {
		return // the recording is not paused yet
	}
	if len(col.digits) == 0 && col.playback != "" {
		id := col.playback
		col.playback = ""
		c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.StopPlayback(ctx, id)) })
	}
	switch {
	case d == '#':
		r.finishCollect(c, col)
	case d == '*':
		col.digits = col.digits[:0]
		r.armCollect(c, col, r.secureTimeout())
	case d >= '0' && d <= '9':
		col.digits = append(col.digits, d)
		if len(col.digits) >= col.max {
			r.finishCollect(c, col)
			return
		}
		r.armCollect(c, col, min(r.secureTimeout(), maxSecureInterDigit))
	}
}

// finishCollect ends the entry: enough digits are kept masked in the call's data.
func (r *Router) finishCollect(c *call, col *collection) {
	n := len(col.digits)
	res := collected{}
	if n < col.min {
		res.err = &acd.Error{Code: acd.EInvalid, Message: fmt.Sprintf("the caller entered %d digits, fewer than %d", n, col.min)}
	} else {
		res.masked = maskDigits(col.digits)
		if c.place.secured == nil {
			c.place.secured = map[string]bool{}
		}
		c.place.secured[col.name] = true
		if err := r.eng.UpdateCall(c.id, acd.CallUpdate{Data: map[string]string{col.name: res.masked}}); err != nil {
			res = collected{err: err}
		}
	}
	clear(col.digits)
	col.digits = nil
	r.endCollect(c, col, res)
	r.log.Info("secure entry ended", "call", c.id, "name", col.name, "ok", res.err == nil)
}

// endCollect answers the request and resumes the recording if the entry paused it.
func (r *Router) endCollect(c *call, col *collection, res collected) {
	if c.entry() != col {
		return
	}
	c.endEntry()
	col.seq++
	if id := col.playback; id != "" {
		c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.StopPlayback(ctx, id)) })
	}
	if ch := c.callerChan; ch != "" && col.open && c.conn.bridge == col.bridge {
		bridge := col.bridge
		c.w.do(func(ctx context.Context) {
			if err := ignoreGone(r.tel.AddChannel(ctx, bridge, ch)); err != nil {
				r.log.Error("caller not back in the call bridge after the secure entry", "call", c.id, "err", err)
			}
		})
	}
	if col.resume {
		rec := c.recordingOf()
		c.w.do(func(ctx context.Context) {
			if err := ignoreGone(r.tel.ResumeRecording(ctx, rec)); err != nil {
				r.log.Error("recording not resumed after a secure entry", "call", c.id, "err", err)
			}
			col.done <- res
		})
		return
	}
	col.done <- res
}

// abortCollect ends an entry whose call is over.
func (r *Router) abortCollect(c *call) {
	if col := c.entry(); col != nil {
		clear(col.digits)
		r.endCollect(c, col, collected{err: &acd.Error{Code: acd.EConflict, Message: "the call ended during the secure entry"}})
	}
}

// maskDigits keeps the last four of more than eight digits, and hides the rest.
func maskDigits(d []byte) string {
	keep := 0
	if len(d) > 8 {
		keep = 4
	}
	return strings.Repeat("*", len(d)-keep) + string(d[len(d)-keep:])
}
