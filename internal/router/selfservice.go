package router

import (
	"context"
	"errors"
	"time"

	"switchboard/ivr"
)

// Self-service parts of the IVR that reach outside the router: customer lookups (a hook, e.g.
// the CRM), transfers to a number (the dialplan), and the post-call survey (a hook that stores
// the score).
//
// Lookups run off the owner goroutine, each bounded by Options.LookupTimeout whatever the hook
// does with its context; the answer comes back to the session as its LookupResult, and an error
// or a timeout is a failed lookup (the node's failed branch). The session's own timer (the
// node's timeout) still runs, so a late answer is ignored.
//
// A transfer sends the caller out of the application into the dialplan context
// Config.IVR.TransferContext at the node's number, priority 1 (POST /channels/{id}/continue); the
// dialplan dials it (deploy/asterisk/extensions.conf, [sb-transfer]). Without a context the
// caller hears that the service is unavailable.
//
// A queue with a survey flow (QueueSettings.Survey) keeps a caller whose agent hung up first:
// the call bridge goes, the caller stays in the application and walks the survey, and the
// score is handed to Options.CSAT with the call, its queue and the agent. No digit, a wrong
// one or a hang-up leaves no score.

const defaultLookupTimeout = 2 * time.Second

// LookupQuery is what an IVR lookup node asks for: by the caller's number (By "caller") or by
// digits the caller entered (By "var", in Account). Account may be sensitive (a PIN): the
// hook must not log it, and when Sensitive must not put it in a URL either.
type LookupQuery struct {
	CallID    string
	By        string
	Number    string // the caller's number, "" when withheld
	Account   string // the entered digits when By is "var"
	Sensitive bool   // Account comes from a sensitive collect node
}

// CSAT is one post-call survey score.
type CSAT struct {
	CallID string
	Agent  string
	Queue  string
	Score  int // 1-5
	At     time.Time
}

// errLookupTimeout is a lookup that did not answer within the router's limit.
var errLookupTimeout = errors.New("lookup timed out")

// ivrLookup asks the Lookup hook off the owner goroutine and feeds its answer back.
func (r *classifier) ivrLookup(c *call, a ivr.Lookup) {
	if r.lookups.Lookup == nil {
		r.ex.post(func() { r.ivr.ivrInput(c, ivr.LookupResult{ID: a.ID}) })
		return
	}
	q := LookupQuery{CallID: c.id, By: a.By, Number: c.info.number}
	if a.By == ivr.ByVar {
		q.Account, q.Sensitive = a.Value, a.Sensitive
	}
	hook, wait := r.lookups.Lookup, r.lookups.LookupTimeout
	type answer struct {
		cust  ivr.Customer
		found bool
	}
	within(r.ex, wait, func(ctx context.Context) (answer, error) {
		cust, found, err := hook(ctx, q)
		return answer{cust, found}, err
	}, func(ans answer, err error) {
		res := ivr.LookupResult{ID: a.ID, Found: ans.found && err == nil, Customer: ans.cust}
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			res.Err = errLookupTimeout.Error()
			r.log.Warn("ivr lookup timed out", "call", c.id, "by", a.By, "after", wait)
		case err != nil:
			res.Err = "lookup failed"
			r.log.Warn("ivr lookup failed", "call", c.id, "by", a.By, "err", err)
		}
		if !res.Found {
			res.Customer = ivr.Customer{}
		}
		r.ivr.ivrInput(c, res)
	})
}

// ivrTransfer sends the caller to the node's number through the dialplan.
func (r *flows) ivrTransfer(c *call, a ivr.Transfer) {
	c.setPhase(nil)
	dialplan := r.cfg.IVR.TransferContext
	if dialplan == "" {
		r.log.Warn("ivr transfer to a number, but no transfer context is configured; ending the call", "call", c.id)
		r.u.conn.farewell(c, "sound:ss-noservice", GoneSelfService)
		return
	}
	ch := c.callerChan
	r.u.lines.forget(c)
	if ch == "" {
		return
	}
	c.w.do(func(ctx context.Context) {
		r.u.conn.stopPlayback(ctx, c)
		err := r.tel.Continue(ctx, ch, dialplan, a.Number, 1)
		switch {
		case err == nil:
			r.log.Info("ivr transfer", "call", c.id, "context", dialplan, "number", a.Number)
			r.post(func() { r.u.lines.unqueuedEnded(c, GoneTransferredOut) })
		case errors.Is(err, ErrNotFound): // the caller hung up first
			r.post(func() { r.u.lines.unqueuedEnded(c, GoneAbandoned) })
		default:
			r.log.Error("ivr transfer failed; ending the call", "call", c.id, "err", err)
			r.post(func() { r.u.lines.unqueuedEnded(c, GoneSelfService) })
			_ = ignoreGone(r.tel.Play(ctx, ch, "sb-bye-"+ch, mediaList(promptSorry)))
			r.u.ex.sleep(3 * time.Second)
			_ = ignoreGone(r.tel.Hangup(ctx, ch, "normal"))
		}
	})
}

// startSurvey keeps a caller whose agent hung up first for the queue's survey; it reports
// false when there is none to run (the caller is then hung up as usual).
func (r *flows) startSurvey(c *call) bool {
	flow := r.u.conn.settings(c.place.queue).Survey
	if flow == nil || c.callerChan == "" || c.conn.agent == "" || c.info.outbound {
		return false
	}
	sess, err := ivr.NewSession(flow, ivr.Options{Caller: c.info.number, Agent: c.conn.agent})
	if err != nil {
		r.log.Error("survey flow refused", "call", c.id, "err", err)
		return false
	}
	bridge, caller, rec := c.conn.bridge, c.callerChan, c.rec.recording
	c.conn.bridge, c.place.inHold, c.rec.recording = "", "", ""
	c.setPhase(&inIVR{sess: sess, survey: true})
	if bridge != "" && rec != "" {
		// The caller leaves first, so that the recording ends before the bridge goes.
		c.w.do(func(ctx context.Context) { _ = ignoreGone(r.tel.RemoveChannel(ctx, bridge, caller)) })
	}
	r.u.rec.closeBridge(c, bridge, rec)
	r.ivrDo(c, sess.Start(r.clock.Now()))
	return true
}

// storeCSAT hands a survey score to the CSAT hook on the call's worker.
func (r *flows) storeCSAT(c *call, a ivr.SurveyResult) {
	s := CSAT{CallID: c.id, Agent: a.Agent, Queue: c.place.queue, Score: a.Score, At: r.clock.Now()}
	if r.hooks.csat == nil {
		r.log.Info("csat score; no store configured", "call", c.id, "agent", s.Agent, "score", s.Score)
		return
	}
	hook := r.hooks.csat
	c.w.do(func(ctx context.Context) {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		if err := hook(sctx, s); err != nil {
			r.log.Error("csat score not stored", "call", s.CallID, "agent", s.Agent, "err", err)
		}
	})
}
