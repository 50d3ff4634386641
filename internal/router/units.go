package router

import (
	"log/slog"
	"sync/atomic"

	"switchboard/acd"
)

// units are the parts of the router's work beside the owner loop, each with the state it
// alone keeps. They run on the owner goroutine unless they say otherwise (the executor's
// goroutines and timers, the dialer's claims). The executor, announcer, classifier, linker,
// recordings, secure-entry collector and desk hold pointers to only what they use. The
// callers' lines, the connector, the flows, the callback dialer and the reconciler carry a
// call through its life and use most of the owner's state (configuration, Telephony, engine,
// clock, calls, metrics, hooks) and most of the other units: they embed the Router.
type units struct {
	ex    *executor        // goroutines and timers of the router, counted in its activity (activity.go)
	lines *callerLines     // callers' channels: arrival, answer, hang-up (ari.go)
	conn  *connector       // what the engine decided, carried out on the calls (engine.go)
	ann   *announcer       // periodic announcements to waiting callers (announce.go)
	ivr   *flows           // IVR flows, self-service, surveys and the closed line (ivr*.go, selfservice.go, afterhours.go)
	look  *classifier      // lookups and classification of callers before they queue (classify.go)
	cbd   *callbackDialer  // callbacks dialed and their calls (dialer.go)
	lnk   *linker          // the event link and held offers (link.go)
	rec   *recordingUnit   // the calls' recordings (recording.go, recclose.go)
	recon *reconciler      // reconciliation with what Asterisk reports (reconcile.go)
	sec   *secureCollector // secure digit entries and recording pauses (secure.go)
	desk  *desk            // agents' requests kept across a restart (agents.go)
}

// The units that embed the Router.
type (
	callerLines struct {
		*Router
		ending map[string]bool // channels of forgotten calls still up: the router is ending them, reconcile adopts none
	}
	connector struct {
		*Router
		holds      map[string]bool // holding bridges known to exist
		holdMaking holdMaking      // creations of holding bridges under way (holdbridge.go)
	}
	flows          struct{ *Router }
	callbackDialer struct {
		*Router
		dialer dialerState
	}
	reconciler struct {
		*Router
		reconciled atomic.Int64
	}
)

// desk keeps the agents' pause and logout requests across a restart (agents.go).
type desk struct {
	eng      *acd.Engine
	log      *slog.Logger
	requests requests
}

// newUnits builds the units of r, whose engine is built, from its options.
func newUnits(r *Router, opt Options) units {
	u := units{
		ex:    &executor{inbox: r.loop.inbox, act: opt.Probes.Activity, timers: wallTimers{}},
		lines: &callerLines{Router: r, ending: map[string]bool{}},
		conn:  &connector{Router: r, holds: map[string]bool{}},
		ivr:   &flows{r},
		cbd:   &callbackDialer{Router: r, dialer: dialerState{store: opt.Callbacks, active: map[string]int{}}},
		recon: &reconciler{Router: r},
		desk:  &desk{eng: r.eng, log: r.log, requests: requests{agents: opt.Agents}},
	}
	u.look = &classifier{eng: r.eng, log: r.log, clock: r.clock, ex: u.ex, calls: r.calls, lines: u.lines, ivr: u.ivr,
		lookups: opt.Lookups}
	if opt.Agents != nil {
		u.desk.requests.asked = map[string]AgentRequest{}
		for _, a := range r.cfg.Agents {
			if p, ok := opt.Agents.PendingRequest(a.ID); ok && (p.State == acd.Paused || p.State == acd.LoggedOut) {
				u.desk.requests.asked[a.ID] = p
			}
		}
	}
	if u.look.lookups.ClassifyTimeout <= 0 {
		u.look.lookups.ClassifyTimeout = defaultClassifyTimeout
	}
	if u.look.lookups.LookupTimeout <= 0 {
		u.look.lookups.LookupTimeout = defaultLookupTimeout
	}
	if t, ok := opt.Clock.(Timers); ok {
		u.ex.timers = t
	}
	if u.ex.act == nil {
		u.ex.act = &Activity{}
	}
	u.ann = &announcer{eng: r.eng, tel: r.tel, log: r.log, ex: u.ex, conn: u.conn, calls: r.calls}
	u.sec = &secureCollector{cfg: &r.cfg, eng: r.eng, tel: r.tel, log: r.log, ex: u.ex, calls: r.calls}
	u.rec = &recordingUnit{clock: r.clock, tel: r.tel, log: r.log, ex: u.ex, conn: u.conn, calls: r.calls, recs: newRecorder(opt, r.tel)}
	u.lnk = &linker{eng: r.eng, log: r.log, ex: u.ex, calls: r.calls, chans: r.chans}
	d := &u.cbd.dialer
	d.work.act, d.act, d.log = u.ex.act, u.ex.act, r.log
	d.rounds, d.handBack = make(chan claimRound, 1), u.cbd.claimed
	return u
}
