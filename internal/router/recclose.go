package router

import (
	"context"
	"time"
)

// Closing a recorded bridge.
//
// Asterisk ends a bridge recording when the bridge's last leg leaves: RecordingFinished comes
// with that leg's ChannelLeftBridge and the file is then complete. A bridge deleted while legs
// are still in it (a caller going on to a transfer or a survey, or a hang-up Asterisk has not
// finished) may never send RecordingFinished (traces/recording-vs-bridge-delete.jsonl), and
// the recording would stay on Asterisk, uncollected. So a recorded bridge is deleted only once
// its recording finished, or failed; if neither comes within RecordingOptions.Wait (default
// 5 s), the bridge is deleted anyway and the stored file collected as if it had.

const defaultRecordingWait = 5 * time.Second

// closing is a recorded bridge waiting for its recording to end before it is deleted.
type closing struct {
	c      *call // whose worker deletes the bridge, in order with the call's other requests
	bridge string
	timer  *time.Timer
}

// closeBridge deletes a call's bridge, after its recording (name; "" when not recorded) has
// ended. Call on the owner goroutine after the requests that take the legs out of the bridge
// were queued on c's worker.
func (r *Router) closeBridge(c *call, bridge, name string) {
	if bridge == "" {
		return
	}
	if _, done := r.recs.ended[name]; name == "" || done {
		delete(r.recs.ended, name)
		c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.DeleteBridge(ctx, bridge)) })
		return
	}
	if old := r.recs.closing[name]; old != nil {
		r.recordingOverdue(name) // the same name recorded again: settle the first one now
	}
	cl := &closing{c: c, bridge: bridge}
	cl.timer = time.AfterFunc(r.recs.opt.Wait, func() { r.post(func() { r.recordingOverdue(name) }) })
	r.recs.closing[name] = cl
}

// recordingEnded is told that a recording finished or failed: its bridge, if waiting, goes.
// It reports false for a recording already collected without its RecordingFinished.
func (r *Router) recordingEnded(name string) bool {
	if _, gone := r.recs.collectedLate[name]; gone {
		delete(r.recs.collectedLate, name)
		return false
	}
	cl := r.recs.closing[name]
	if cl == nil {
		now := r.clock.Now()
		for n, at := range r.recs.ended {
			if now.Sub(at) > time.Minute {
				delete(r.recs.ended, n)
			}
		}
		r.recs.ended[name] = now // the call's end may come after
		return true
	}
	cl.timer.Stop()
	delete(r.recs.closing, name)
	cl.c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.DeleteBridge(ctx, cl.bridge)) })
	return true
}

// recordingOverdue deletes a recorded bridge whose recording did not end in time and collects
// the file Asterisk stored, on the owner goroutine.
func (r *Router) recordingOverdue(name string) {
	cl := r.recs.closing[name]
	if cl == nil {
		return
	}
	cl.timer.Stop()
	delete(r.recs.closing, name)
	rec, started := r.recs.started[name]
	delete(r.recs.started, name)
	if !started || r.recs.opt.Dir == "" || r.recs.opt.Index == nil {
		r.log.Warn("recording did not end in time; bridge deleted", "recording", name, "bridge", cl.bridge, "started", started)
		cl.c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.DeleteBridge(ctx, cl.bridge)) })
		return
	}
	r.log.Warn("recording did not end in time; bridge deleted and the stored file collected", "recording", name, "bridge", cl.bridge)
	now := r.clock.Now()
	for n, at := range r.recs.collectedLate {
		if now.Sub(at) > time.Hour {
			delete(r.recs.collectedLate, n)
		}
	}
	r.recs.collectedLate[name] = now
	r.recs.wg.Add(1)
	cl.c.w.do(func(ctx context.Context) {
		_ = ignoreGone(r.tel.DeleteBridge(ctx, cl.bridge))
		go func() {
			defer r.recs.wg.Done()
			r.recs.collect(context.Background(), rec, 0) // no deadline: a long file takes a while
		}()
	})
}
