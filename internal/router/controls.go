package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"switchboard/acd"
)

// The agents' call controls (hang up, hold, mute, DTMF, transfers) and the supervisors'
// monitoring (monitor.go), carried out over ARI. They run like everything else: the owner
// checks the call is the agent's own and notes what changes; the call's worker makes the
// requests, in order with the call's others. The ARI requests they need beyond Telephony are
// ChannelControls; a Telephony without them refuses every control as unavailable.

// ChannelControls are the channel requests of the controls (traces/channel-hold-mute.jsonl,
// traces/snoop-whisper.jsonl).
type ChannelControls interface {
	Hold(ctx context.Context, chanID string) error
	Unhold(ctx context.Context, chanID string) error
	Mute(ctx context.Context, chanID, direction string) error // in, out or both
	Unmute(ctx context.Context, chanID, direction string) error
	StartMOH(ctx context.Context, chanID, class string) error
	StopMOH(ctx context.Context, chanID string) error
	SendDTMF(ctx context.Context, chanID, digits string) error
	Snoop(ctx context.Context, chanID string, s Snoop) error
}

// Snoop is a snoop channel to make on a channel: it hears the target in Spy's direction and
// speaks into it in Whisper's (none, in, out, both), and enters the application with AppArgs.
type Snoop struct {
	ID, Spy, Whisper, AppArgs string
}

// controls is the unit of the call controls and monitoring; its maps are the owner's.
type controls struct {
	*Router
	port  ChannelControls                                     // nil: the Telephony has no controls
	state map[string]*controlState                            // by call id, while the call lasts
	mons  map[string]*monitor                                 // supervisors' sessions by id (monitor.go)
	legs  map[string]string                                   // a monitor's snoop or phone channel → its session; a consulted leg → "cs:" call
	pairs map[string]*pair                                    // the legs of completed transfers (controls_consult.go)
	dials map[string]*outDial                                 // agents' outbound calls by agent: under way, or the latest (controls_dial.go)
	seq   int                                                 // numbers the channels the controls make
	audit atomic.Pointer[func(context.Context, MonitorEnded)] // told of every monitoring session that ended
	dialW atomic.Pointer[func(agent string, s DialStatus)]    // told of every change of a dial (controls_dial.go)
}

// controlState is what the controls changed on a call.
type controlState struct {
	held  bool        // the caller hears music, the agent and caller do not hear each other
	muted bool        // the agent's voice does not reach the call
	cs    *consultLeg // the consultation under way (controls_consult.go)
}

func newControls(r *Router) *controls {
	port, _ := r.tel.(ChannelControls)
	x := &controls{Router: r, port: port, state: map[string]*controlState{}, mons: map[string]*monitor{},
		legs: map[string]string{}, pairs: map[string]*pair{}, dials: map[string]*outDial{}, seq: seqBase(time.Now())}
	r.loop.observers = append(r.loop.observers, x.callOver)
	return x
}

// seqBase numbers the controls' channels of a router started at start: after every number a
// router started earlier made (up to a thousand a second since its start), so that a restarted
// router makes no id of a channel the previous one left up, nor of an outbound call on record.
func seqBase(start time.Time) int { return int(start.Unix()) * 1000 }

// Controls carries out the agents' and supervisors' requests on the calls of a Router.
// Errors carry acd codes: not_found (no such call), conflict (not connected to that agent),
// invalid; an Asterisk failure is unavailable.
type Controls struct{ c *controls }

// ControlsOf returns the controls of r.
func ControlsOf(r *Router) *Controls { return &Controls{c: r.ctl} }

// errNoControls: the Telephony has no ChannelControls.
var errNoControls = unavailable{errors.New("call controls are not available on this node")}

// job is a control's requests, run on the call's worker.
type job func(ctx context.Context) error

// onCall runs pick on the owner with agent's connected call callID, then the job it returns
// on the call's worker, and waits for both.
func (x *controls) onCall(ctx context.Context, agent, callID string, pick func(c *call, st *controlState) (job, error)) error {
	if x.port == nil {
		return errNoControls
	}
	done := make(chan error, 1)
	x.post(func() {
		c, err := x.u.sec.agentCall(callID, agent)
		if err == nil && c.entry() != nil {
			err = &acd.Error{Code: acd.EConflict, Message: "a secure entry is running on call " + callID}
		}
		if err != nil {
			done <- err
			return
		}
		x.prune()
		st := x.state[c.id]
		if st == nil {
			st = &controlState{}
			x.state[c.id] = st
		}
		j, err := pick(c, st)
		if err != nil || j == nil {
			done <- err
			return
		}
		c.w.do(func(ctx context.Context) {
			if err := j(ctx); err != nil {
				x.log.Warn("call control failed", "call", c.id, "agent", agent, "err", err)
				done <- asUnavailable(err)
				return
			}
			done <- nil
		})
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// asUnavailable marks an Asterisk failure; "not found" means the call went meanwhile.
func asUnavailable(err error) error {
	var ae *acd.Error
	switch {
	case errors.As(err, &ae):
		return err
	case errors.Is(err, ErrNotFound):
		return &acd.Error{Code: acd.EConflict, Message: "the call ended"}
	}
	return unavailable{err}
}

// prune forgets the state of calls that are over.
func (x *controls) prune() {
	for id, st := range x.state {
		if x.calls[id] == nil && st.cs == nil {
			delete(x.state, id)
		}
	}
}

// Hangup ends agent's connected call: the agent's leg goes, and the call ends as when the
// agent hangs up the phone (the caller hears the survey, if the queue has one). An outbound
// call not connected yet is cancelled.
func (k *Controls) Hangup(ctx context.Context, agent, callID string) error {
	x := k.c
	cancelled := make(chan bool, 1)
	x.post(func() { cancelled <- x.out().cancelDial(agent, callID) })
	select {
	case ok := <-cancelled:
		if ok {
			return nil
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	return x.onCall(ctx, agent, callID, func(c *call, _ *controlState) (job, error) {
		ch := c.conn.agentChan
		return func(ctx context.Context) error { return ignoreGone(x.tel.Hangup(ctx, ch, "normal")) }, nil
	})
}

// Hold puts agent's connected call on hold (on: the caller hears the queue's music, neither
// side hears the other) or takes it off.
func (k *Controls) Hold(ctx context.Context, agent, callID string, on bool) error {
	x := k.c
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		if st.held == on {
			return nil, nil
		}
		st.held = on
		caller, agentChan, class, muted := c.callerChan, c.conn.agentChan, x.u.conn.settings(c.place.queue).MOH, st.muted
		x.log.Info("call hold by the agent", "call", c.id, "agent", agent, "on", on)
		return func(ctx context.Context) error {
			if !on {
				return errors.Join(x.port.StopMOH(ctx, caller), x.port.Unmute(ctx, caller, "in"),
					unmuteUnless(ctx, x.port, agentChan, muted))
			}
			return errors.Join(x.port.Mute(ctx, caller, "in"), x.port.Mute(ctx, agentChan, "in"),
				x.port.StartMOH(ctx, caller, class))
		}, nil
	})
}

func unmuteUnless(ctx context.Context, p ChannelControls, ch string, keep bool) error {
	if keep {
		return nil
	}
	return p.Unmute(ctx, ch, "in")
}

// Mute stops (on) or lets again the agent's voice reach agent's connected call.
func (k *Controls) Mute(ctx context.Context, agent, callID string, on bool) error {
	x := k.c
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		if st.muted == on {
			return nil, nil
		}
		st.muted = on
		ch, held := c.conn.agentChan, st.held
		return func(ctx context.Context) error {
			switch {
			case on:
				return x.port.Mute(ctx, ch, "in")
			case held:
				return nil // still on hold: the agent is heard when the call is resumed
			}
			return x.port.Unmute(ctx, ch, "in")
		}, nil
	})
}

// DTMF sends digits (0-9, *, #, A-D; at most 32) to the caller of agent's connected call,
// e.g. to answer the menu of a called number.
func (k *Controls) DTMF(ctx context.Context, agent, callID, digits string) error {
	if digits == "" || len(digits) > 32 || strings.Trim(digits, "0123456789*#ABCD") != "" {
		return invalid("digits are 1 to 32 of 0-9, *, #, A-D")
	}
	x := k.c
	return x.onCall(ctx, agent, callID, func(c *call, _ *controlState) (job, error) {
		ch := c.callerChan
		return func(ctx context.Context) error { return x.port.SendDTMF(ctx, ch, digits) }, nil
	})
}

// nextID numbers a channel the controls make: prefix-<n>-<tail>. The tail keeps one id from
// being a prefix of another live one (Asterisk refuses such ids).
func (x *controls) nextID(prefix, tail string) string {
	x.seq++
	return fmt.Sprintf("%s-%d-%s", prefix, x.seq, tail)
}

// idOn numbers a channel or bridge the controls make for call c. With several nodes it names
// the call's node (sb-cs-pbx-b-12-x), so that every request about it goes to the node where
// the call's bridge and agent leg are; with one node it is nextID's.
func (x *controls) idOn(c *call, prefix, tail string) string {
	if nodes := x.u.recon; nodes.multiNode() {
		prefix += "-" + nodes.callNode(c)
	}
	return x.nextID(prefix, tail)
}

// phoneFor is what the node of call c dials to ring endpoint: the phone itself when it is on
// that node, else through the trunk to the phone's node. On the owner.
func (x *controls) phoneFor(c *call, endpoint string) (string, error) {
	nodes := x.u.recon
	if !nodes.multiNode() {
		return endpoint, nil
	}
	dial, err := nodes.dialString(endpoint, nodes.callNode(c), nodes.phoneNode(endpoint))
	if err != nil {
		return "", &acd.Error{Code: acd.EConflict, Message: err.Error()}
	}
	return dial, nil
}
