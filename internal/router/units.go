package router

import "sync/atomic"

// units are the parts of the router's work beside the owner loop, each with the state it
// alone keeps. They run on the owner goroutine unless they say otherwise (the executor's
// workers, the dialer's claims), and reach the owner's state (calls, engine, Telephony)
// through the Router they are part of.
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

type (
	executor struct {
		*Router
		act *Activity
	}
	callerLines struct {
		*Router
		ending map[string]bool // channels of forgotten calls still up: the router is ending them, reconcile adopts none
	}
	connector struct {
		*Router
		holds map[string]bool // holding bridges known to exist
	}
	announcer  struct{ *Router }
	flows      struct{ *Router }
	classifier struct {
		*Router
		lookups Lookups // timeouts defaulted
	}
	callbackDialer struct {
		*Router
		dialer dialerState
	}
	linker struct {
		*Router
		link link // the event link, and whether offers are held
	}
	recordingUnit struct {
		*Router
		recs *recorder
	}
	reconciler struct {
		*Router
		reconciled atomic.Int64
	}
	secureCollector struct{ *Router }
	desk            struct {
		*Router
		requests requests
	}
)

func newUnits(r *Router, opt Options) units {
	u := units{
		ex:    &executor{Router: r, act: opt.Probes.Activity},
		lines: &callerLines{Router: r, ending: map[string]bool{}},
		conn:  &connector{Router: r, holds: map[string]bool{}},
		ann:   &announcer{r},
		ivr:   &flows{r},
		look:  &classifier{Router: r, lookups: opt.Lookups},
		cbd:   &callbackDialer{Router: r, dialer: dialerState{store: opt.Callbacks, active: map[string]int{}}},
		lnk:   &linker{Router: r},
		rec:   &recordingUnit{Router: r, recs: newRecorder(opt, r.tel)},
		recon: &reconciler{Router: r},
		sec:   &secureCollector{r},
		desk:  &desk{Router: r, requests: requests{agents: opt.Agents}},
	}
	if u.ex.act == nil {
		u.ex.act = &Activity{}
	}
	d := &u.cbd.dialer
	d.work.act, d.act, d.log = u.ex.act, u.ex.act, r.log
	d.rounds, d.handBack = make(chan claimRound, 1), u.cbd.claimed
	return u
}
