package router

import (
	"context"
	"errors"
	"strings"
	"time"

	"switchboard/acd"
)

// A consultation (warm transfer): the caller is put on hold, a new leg rings another agent's
// phone or an outside number into the application, and once it answers the agent talks with
// it in a bridge of their own. Then the agent cancels (the leg is hung up, the agent goes back
// to the held caller), joins all three in the call's bridge (a conference), or completes: the
// caller and the new leg are bridged together and the call ends for the agent, who goes to
// wrap-up (its record: the agent's leg transferred, then the consulted agent's leg with its
// talk until the pair ends; to a number the record ends transferred_out). The two legs then belong to
// the controls, which hang up one when the other leaves. A consulted agent is paused with
// reason "consult" while the engine does not know of their call, and made available when it
// ends. A blind transfer to an agent is a consultation completed as soon as the agent answers.
// With several nodes the leg and its bridge are made on the call's node (their ids name it),
// and a consulted agent whose phone is on another node is rung through the trunk.

const reasonConsult = "consult"

// consultLeg is the new leg of a consultation.
type consultLeg struct {
	call     string // the call consulted from
	ch       string // the leg's channel
	bridge   string // the agent's and the leg's bridge
	agent    string // the consulted agent, "" for a number
	number   string // the consulted number, "" for an agent
	up       bool   // the leg answered and is bridged with the agent
	joined   bool   // a conference: all three in the call's bridge
	complete bool   // complete as soon as the leg answers (a blind transfer to an agent)
}

// pair is a caller and a consulted leg left talking after a completed transfer.
type pair struct {
	call   string // the call the transfer was made from
	chans  [2]string
	bridge string
	agent  string // the consulted agent, made available when the pair ends
}

// Consult starts a consultation of agent's connected call with another agent (t.Agent), the
// longest idle available agent of a queue (t.Queue: the leg does not wait in the queue; with
// nobody available the consultation is refused) or an outside number (t.Number); one at a time.
func (k *Controls) Consult(ctx context.Context, agent, callID string, t Target) error {
	return k.c.consult(ctx, agent, callID, t, false)
}

func (x *controls) consult(ctx context.Context, agent, callID string, t Target, complete bool) error {
	if err := t.check(); err != nil {
		return err
	}
	if t.Queue != "" && complete {
		return invalid("a blind transfer to a queue is the queue's transfer")
	}
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		if st.cs != nil {
			return nil, &acd.Error{Code: acd.EConflict, Message: "a consultation is already under way"}
		}
		if t.Queue != "" {
			a, err := x.queueAgent(agent, strings.TrimSpace(t.Queue))
			if err != nil {
				return nil, err
			}
			t = Target{Agent: a}
		}
		endpoint, callerID, err := x.consultEndpoint(c, agent, t)
		if err != nil {
			return nil, err
		}
		ch := x.idOn(c, "sb-cs", "x")
		st.cs = &consultLeg{call: c.id, ch: ch, bridge: "sb-" + strings.TrimPrefix(ch, "sb-") + "-b", agent: t.Agent, number: t.Number, complete: complete}
		x.legs[ch] = "cs:" + c.id
		wasHeld := st.held
		st.held = true
		caller, agentChan, class := c.callerChan, c.conn.agentChan, x.u.conn.settings(c.place.queue).MOH
		x.log.Info("consultation", "call", c.id, "agent", agent, "to_agent", t.Agent, "leg", ch)
		o := Originate{Endpoint: endpoint, ChannelID: ch, AppArgs: "consult," + c.id, CallerID: callerID, Timeout: 30 * time.Second}
		return func(ctx context.Context) error {
			if !wasHeld {
				if err := errors.Join(x.port.Mute(ctx, caller, "in"), x.port.Mute(ctx, agentChan, "in"), x.port.StartMOH(ctx, caller, class)); err != nil {
					return err
				}
			}
			if err := x.tel.Originate(ctx, o); err != nil {
				x.post(func() { x.consultGone(ch) })
				return err
			}
			return nil
		}, nil
	})
}

// consultEndpoint is what the node of call c dials for a consultation and the caller id it
// shows; a consulted agent must be available and is paused for it, and is rung through the
// trunk when their phone is on another node. On the owner.
func (x *controls) consultEndpoint(c *call, agent string, t Target) (endpoint, callerID string, err error) {
	if t.Number != "" {
		if x.cfg.Dialer.Endpoint != nil {
			return x.cfg.Dialer.Endpoint(t.Number), x.cfg.Dialer.CallerID, nil
		}
		return "PJSIP/" + t.Number, x.cfg.Dialer.CallerID, nil
	}
	if t.Agent == agent {
		return "", "", invalid("an agent does not consult themselves")
	}
	v, ok := x.eng.Agent(t.Agent)
	switch {
	case !ok:
		return "", "", &acd.Error{Code: acd.ENotFound, Message: "no agent " + t.Agent}
	case v.State != acd.Available:
		return "", "", &acd.Error{Code: acd.EConflict, Message: "agent " + t.Agent + " is not available"}
	}
	dial, err := x.phoneFor(c, v.Endpoint)
	if err != nil {
		return "", "", err
	}
	if err := x.eng.Pause(t.Agent, reasonConsult); err != nil {
		return "", "", err
	}
	return dial, agent, nil
}

// queueAgent is the available agent of queue, other than agent, idle the longest. On the owner.
func (x *controls) queueAgent(agent, queue string) (string, error) {
	if _, ok := x.eng.QueueConfig(queue); !ok {
		return "", &acd.Error{Code: acd.ENotFound, Message: "no queue " + queue}
	}
	best, since := "", time.Time{}
	for _, id := range x.eng.AgentIDs() {
		v, _ := x.eng.Agent(id)
		if id == agent || v.State != acd.Available || (best != "" && !v.IdleSince.Before(since)) {
			continue
		}
		for _, m := range v.Queues {
			if m.Queue == queue {
				best, since = id, v.IdleSince
			}
		}
	}
	if best == "" {
		return "", &acd.Error{Code: acd.EConflict, Message: "no agent of queue " + queue + " is available to consult"}
	}
	return best, nil
}

// consultAnswered: the consulted leg entered the application; the agent leaves the held
// caller to talk with it. On the owner.
func (x *controls) consultAnswered(ch, callID string) {
	c, st := x.calls[callID], x.state[callID]
	if c == nil || st == nil || st.cs == nil || st.cs.ch != ch || c.conn.agentChan == "" {
		x.u.lines.hangupLater(ch)
		return
	}
	cs := st.cs
	cs.up = true
	agentChan := c.conn.agentChan
	c.w.do(func(ctx context.Context) {
		err := x.tel.CreateBridge(ctx, cs.bridge, "mixing")
		if err == nil {
			err = errors.Join(x.port.Unmute(ctx, agentChan, "in"), x.tel.AddChannel(ctx, cs.bridge, agentChan, ch))
		}
		if err != nil {
			x.log.Warn("consultation not bridged", "call", callID, "err", err)
			_ = ignoreGone(x.tel.Hangup(ctx, ch, "normal"))
			return
		}
		if cs.complete {
			x.post(func() { _ = x.completeOn(c, st) })
		}
	})
}

// consultGone: the consulted leg left before completion (it did not answer, or hung up):
// the agent goes back to the held caller. On the owner.
func (x *controls) consultGone(ch string) {
	callID := strings.TrimPrefix(x.legs[ch], "cs:")
	delete(x.legs, ch)
	c, st := x.calls[callID], x.state[callID]
	if st == nil || st.cs == nil || st.cs.ch != ch {
		return
	}
	cs := st.cs
	st.cs = nil
	x.readyConsulted(cs.agent)
	if c == nil {
		return
	}
	agentChan, bridge, muted := c.conn.agentChan, c.conn.bridge, st.muted
	c.w.do(func(ctx context.Context) {
		if agentChan != "" && cs.up && !cs.joined {
			_ = ignoreGone(x.tel.AddChannel(ctx, bridge, agentChan))
			if !muted {
				_ = ignoreGone(x.port.Mute(ctx, agentChan, "in")) // on hold again until resumed
			}
		}
		_ = ignoreGone(x.tel.DeleteBridge(ctx, cs.bridge))
	})
}

func (x *controls) readyConsulted(agent string) {
	if agent == "" {
		return
	}
	if v, ok := x.eng.Agent(agent); ok && v.State == acd.Paused && v.Reason == reasonConsult {
		if err := x.eng.Ready(agent); err != nil {
			x.log.Warn("consulted agent not made available", "agent", agent, "err", err)
		}
	}
}

// CancelConsult ends the consultation: its leg is hung up and the agent goes back to the
// caller, who stays on hold until resumed.
func (k *Controls) CancelConsult(ctx context.Context, agent, callID string) error {
	x := k.c
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		if st.cs == nil {
			return nil, &acd.Error{Code: acd.EConflict, Message: "no consultation under way"}
		}
		ch := st.cs.ch
		x.consultGone(ch)
		return func(ctx context.Context) error { return ignoreGone(x.tel.Hangup(ctx, ch, "normal")) }, nil
	})
}

// Conference joins the agent, the caller and the consulted leg in the call's bridge; the
// consulted leg is hung up when the call ends.
func (k *Controls) Conference(ctx context.Context, agent, callID string) error {
	x := k.c
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		if st.cs == nil || !st.cs.up {
			return nil, &acd.Error{Code: acd.EConflict, Message: "no answered consultation to join"}
		}
		if st.cs.joined {
			return nil, nil
		}
		st.cs.joined, st.held = true, false
		caller, agentChan, bridge, ch, muted := c.callerChan, c.conn.agentChan, c.conn.bridge, st.cs.ch, st.muted
		return func(ctx context.Context) error {
			return errors.Join(x.tel.AddChannel(ctx, bridge, agentChan, ch), x.port.StopMOH(ctx, caller),
				x.port.Unmute(ctx, caller, "in"), unmuteUnless(ctx, x.port, agentChan, muted))
		}, nil
	})
}

// Complete hands the caller to the consulted leg and lets the agent go.
func (k *Controls) Complete(ctx context.Context, agent, callID string) error {
	x := k.c
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		return nil, x.completeOn(c, st)
	})
}

// completeOn completes c's answered consultation, on the owner: the caller joins the
// consulted leg's bridge, then leaves the call, which ends for the agent.
func (x *controls) completeOn(c *call, st *controlState) error {
	cs := st.cs
	if cs == nil || !cs.up || c.callerChan == "" {
		return &acd.Error{Code: acd.EConflict, Message: "no answered consultation to complete"}
	}
	caller := c.callerChan
	st.cs = nil
	delete(x.legs, cs.ch)
	p := &pair{call: c.id, chans: [2]string{caller, cs.ch}, bridge: cs.bridge, agent: cs.agent}
	x.pairs[caller], x.pairs[cs.ch] = p, p
	// The caller leaves the call now: its StasisEnd or hang-up is the pair's from here.
	delete(x.chans, caller)
	c.callerChan = ""
	x.log.Info("transfer completed", "call", c.id, "agent", c.conn.agent, "leg", cs.ch)
	x.handedOver(c, cs.agent, strings.TrimSpace(cs.number))
	c.w.do(func(ctx context.Context) {
		err := errors.Join(x.tel.AddChannel(ctx, cs.bridge, caller), x.port.StopMOH(ctx, caller), x.port.Unmute(ctx, caller, "in"))
		if err != nil {
			x.log.Warn("transfer completion", "call", c.id, "err", err)
		}
	})
	if err := x.eng.Hangup(c.id); err != nil {
		x.log.Warn("completed transfer in engine", "call", c.id, "err", err)
	}
	return nil
}

// handedOver tells the call's record that its agent handed it to toAgent or a number, before
// the engine ends it for the agent. On the owner.
func (x *controls) handedOver(c *call, toAgent, number string) {
	queue := c.place.queue
	if v, ok := x.eng.Call(c.id); ok {
		queue = v.Queue
	}
	x.eng.Note(acd.CallHandedOver{At: x.clock.Now(), Call: c.id, Queue: queue, Agent: c.conn.agent, ToAgent: toAgent, Number: number})
}

// pairGone: one side of a completed transfer left; the other is hung up. On the owner.
func (x *controls) pairGone(ch string) {
	p := x.pairs[ch]
	delete(x.pairs, p.chans[0])
	delete(x.pairs, p.chans[1])
	x.readyConsulted(p.agent)
	if p.agent != "" {
		x.eng.Note(acd.CallHandOverEnded{At: x.clock.Now(), Call: p.call, Agent: p.agent})
	}
	other := p.chans[0]
	if other == ch {
		other = p.chans[1]
	}
	x.u.ex.spawnWork(func(ctx context.Context) {
		_ = ignoreGone(x.tel.Hangup(ctx, other, "normal"))
		_ = ignoreGone(x.tel.DeleteBridge(ctx, p.bridge))
	})
}

// callOver hangs up a consultation left on a call that ended. On the owner (an observer of
// the engine's events).
func (x *controls) callOver(ev acd.Event) {
	var id string
	switch ev := ev.(type) {
	case acd.CallEnded:
		id = ev.Call
	case acd.CallAbandoned:
		id = ev.Call
	case acd.CallTransferred:
		id = ev.Call
	default:
		return
	}
	st := x.state[id]
	if st == nil {
		return
	}
	delete(x.state, id)
	if cs := st.cs; cs != nil {
		delete(x.legs, cs.ch)
		x.readyConsulted(cs.agent)
		x.u.ex.spawnWork(func(ctx context.Context) {
			_ = ignoreGone(x.tel.Hangup(ctx, cs.ch, "normal"))
			_ = ignoreGone(x.tel.DeleteBridge(ctx, cs.bridge))
		})
	}
}
