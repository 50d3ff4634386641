package router

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
	"switchboard/ivr/callback"
)

// Outbound calls from the desktop (click-to-dial), made as the callback dialer makes its
// calls: the agent's phone rings first, and once the agent answers the customer is dialed
// through the trunk (Dialer.Endpoint, Dialer.CallerID) into a bridge with the agent. While
// it lasts the agent is paused "outbound", so that no inbound call is offered. When the
// customer answers, the call becomes a connected call like any other: the engine adopts it
// on the agent (in the agent's first queue, counted in no queue statistics), the call log
// and screen pop learn it from acd.CallDialed, it is recorded per the queue's policy, and the
// call controls work on it; an agent paused before dialing is paused again, for the same
// reason, once the call and its wrap-up are over. A dial that does not connect (the agent's phone or the
// customer's not answering, busy, failing) says why in DialStatus and gives the agent back
// the state they had, never counted as the agent's missed offer; acd.CallDialFailed tells the
// call log (a record with the reason as its outcome) and the customer's interactions.
//
// Channels: sb-ob-<n>-a1 the agent's leg, sb-ob-<n>-c the customer's (neither begins the
// other, nor a channel of another dial: Asterisk looks channel ids up by prefix); the bridge
// is the customer's call bridge, so that a restarted router re-attaches a connected outbound
// call as any connected call (SB_PLACE and SB_ANSWER on the customer's channel), and hangs up
// the legs of one not connected yet (reconcile.go, isDialedChan).

const (
	reasonOutbound = "outbound"
	obChanPrefix   = "sb-ob-"
)

// Why a dial ended before it connected (DialStatus.Reason).
const (
	DialAgentNoAnswer = "agent_no_answer" // the agent's phone did not answer
	DialAgentBusy     = "agent_busy"
	DialAgentFailed   = "agent_failed" // the agent's phone could not be rung
	DialNoAnswer      = "no_answer"    // the customer did not answer
	DialBusy          = "busy"
	DialFailed        = "failed" // the customer's number could not be reached
	DialCancelled     = "cancelled"
)

// States of a dial (DialStatus.State).
const (
	DialAgentRinging    = "agent"     // the agent's phone rings
	DialCustomerRinging = "customer"  // the agent answered; the customer's phone rings
	DialConnected       = "connected" // a connected call: the controls work on it
	DialEnded           = "ended"
)

// DialStatus is an agent's latest outbound call, as far as dialing goes.
type DialStatus struct {
	Call   string `json:"call"`
	Number string `json:"number"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// outDial is a dial under way (or the agent's latest, once over).
type outDial struct {
	DialStatus
	agent     string
	queue     string
	agentChan string
	custChan  string
	bridge    string
	prevState acd.AgentState // Available or Paused: given back when the dial does not connect
	prevWhy   string
	agentUp   bool
	started   time.Time
}

// outbound is the controls' side of outbound calls; its state is the controls' (dials, legs).
type outbound struct{ *controls }

func (x *controls) out() outbound { return outbound{x} }

func isOutboundChan(id string) bool { return strings.HasPrefix(id, obChanPrefix) }

// isDialedChan tells the channels the router dialed to a customer (callbacks, outbound calls).
func isDialedChan(id string) bool { return isCallbackChan(id) || isOutboundChan(id) }

// Dial calls number (normalised as callbacks' numbers are) for agent, who must be logged in
// and not on a call (a wrap-up ends): the agent's phone first, then the customer. It returns the call's id;
// DialStatus follows it until it connects or ends. Errors carry acd codes and catalogue keys.
func (k *Controls) Dial(ctx context.Context, agent, number string) (string, error) {
	x := k.c.out()
	e164, err := x.dialNumber(number)
	if err != nil {
		return "", err
	}
	type res struct {
		id  string
		err error
	}
	done := make(chan res, 1)
	x.post(func() {
		id, err := x.dial(agent, e164)
		done <- res{id, err}
	})
	select {
	case r := <-done:
		return r.id, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// DialStatus returns agent's latest outbound call; ok is false when the agent made none.
func (k *Controls) DialStatus(ctx context.Context, agent string) (DialStatus, bool, error) {
	x := k.c
	type res struct {
		s  DialStatus
		ok bool
	}
	done := make(chan res, 1)
	x.post(func() {
		d := x.dials[agent]
		if d == nil {
			done <- res{}
			return
		}
		done <- res{d.DialStatus, true}
	})
	select {
	case r := <-done:
		return r.s, r.ok, nil
	case <-ctx.Done():
		return DialStatus{}, false, ctx.Err()
	}
}

// OnDialChange sets what is told of every change of an agent's dial (the desktop's event
// stream): ringing the agent, ringing the customer, connected, ended and why. f is called on
// the router's owner goroutine and must not block.
func (k *Controls) OnDialChange(f func(agent string, s DialStatus)) { k.c.dialW.Store(&f) }

// dialChanged tells OnDialChange's function of d's status. On the owner.
func (x outbound) dialChanged(d *outDial) {
	if f := x.dialW.Load(); f != nil {
		(*f)(d.agent, d.DialStatus)
	}
}

// dialNumberErrors give each reason a number is refused its catalogue key.
var dialNumberErrors = []struct {
	err error
	key string
}{
	{callback.ErrEmpty, "desk.err.number_empty"},
	{callback.ErrCharacter, "desk.err.number_digits"},
	{callback.ErrTooShort, "desk.err.number_short"},
	{callback.ErrTooLong, "desk.err.number_long"},
	{callback.ErrCountryCode, "desk.err.number_country"},
	{callback.ErrFormat, "desk.err.number_country"},
	{callback.ErrDenied, "desk.err.number_denied"},
	{callback.ErrInternational, "desk.err.dial_international"},
}

// dialNumber normalises a number to dial, with Dialer.Number (the callbacks' policy) or, without
// one, as an international number.
func (x outbound) dialNumber(raw string) (string, error) {
	norm := x.cfg.Dialer.Number
	if norm == nil {
		norm = func(s string) (string, error) { return callback.Normalize(s, "") }
	}
	e164, err := norm(raw)
	if err == nil {
		return e164, nil
	}
	ae := &acd.Error{Code: acd.EInvalid, Message: "number " + strconv.Quote(raw) + " cannot be dialed: " + err.Error(), Key: "desk.err.dial_number"}
	for _, n := range dialNumberErrors {
		if errors.Is(err, n.err) {
			ae.Key = n.key
			break
		}
	}
	return "", ae
}

// dial starts agent's dial of e164, on the owner.
func (x outbound) dial(agent, e164 string) (string, error) {
	v, ok := x.eng.Agent(agent)
	switch {
	case !ok:
		return "", &acd.Error{Code: acd.ENotFound, Message: "no agent " + agent}
	case v.State == acd.LoggedOut:
		return "", &acd.Error{Code: acd.EConflict, Message: "agent " + agent + " is logged out", Key: "desk.err.logged_out"}
	case v.State == acd.Paused && v.Reason == reasonOutbound:
		return "", &acd.Error{Code: acd.EConflict, Message: "agent " + agent + " is dialing already", Key: "desk.err.dialing"}
	case v.State != acd.Available && v.State != acd.Paused && v.State != acd.WrapUp:
		return "", &acd.Error{Code: acd.EConflict, Message: "agent " + agent + " is " + v.State.String() + "; dial after the call",
			Key: "desk.err.dial_on_call"}
	case len(v.Queues) == 0:
		return "", &acd.Error{Code: acd.EConflict, Message: "agent " + agent + " serves no queue to count the call in", Key: "desk.err.dial_queue"}
	case v.Endpoint == "":
		return "", &acd.Error{Code: acd.EConflict, Message: "agent " + agent + " has no phone", Key: "desk.err.logged_out"}
	}
	if v.State == acd.WrapUp {
		// Dialing ends the wrap-up (refused while its disposition is due): the agent calls
		// the customer of the pop back, say.
		if err := x.eng.Ready(agent); err != nil {
			return "", err
		}
		v.State = acd.Available
	}
	if err := x.eng.Pause(agent, reasonOutbound); err != nil {
		return "", err
	}
	x.seq++
	base := obChanPrefix + strconv.Itoa(x.seq)
	d := &outDial{agent: agent, queue: v.Queues[0].Queue, agentChan: base + "-a1", custChan: base + "-c",
		prevState: v.State, prevWhy: v.Reason, started: x.clock.Now()}
	d.bridge = callBridgeID(d.custChan)
	if nodes := x.u.recon; nodes.multiNode() {
		// Both legs, and so the call's bridge, on the agent's phone's node: the phone is local
		// there, and that node's trunk to the carrier dials the customer.
		node := nodes.u.lnk.topo.PhoneNode(v.Endpoint)
		nodes.u.lnk.topo.MakeOn(d.agentChan, node)
		nodes.u.lnk.topo.MakeOn(d.custChan, node)
	}
	d.DialStatus = DialStatus{Call: x.u.lines.callID(d.custChan), Number: e164, State: DialAgentRinging}
	x.dials[agent] = d
	x.legs[d.agentChan], x.legs[d.custChan] = "ob:"+agent, "ob:"+agent
	x.log.Info("outbound call", "agent", agent, "call", d.Call)
	x.dialChanged(d)
	o := Originate{Endpoint: v.Endpoint, ChannelID: d.agentChan, AppArgs: "outbound," + d.Call, CallerID: e164,
		Timeout: x.dialRing()}
	x.u.ex.spawnWork(func(ctx context.Context) {
		if err := x.tel.Originate(ctx, o); err != nil {
			x.log.Warn("outbound: agent originate failed", "agent", agent, "err", err)
			x.post(func() { x.dialOver(d, DialAgentFailed) })
		}
	})
	return d.Call, nil
}

func (x outbound) dialRing() time.Duration {
	if t := x.cfg.Dialer.RingTimeout; t > 0 {
		return t
	}
	return 30 * time.Second
}

// dialOf is the dial under way a channel belongs to, or nil.
func (x outbound) dialOf(ch string) *outDial {
	agent, ok := strings.CutPrefix(x.legs[ch], "ob:")
	if !ok {
		return nil
	}
	d := x.dials[agent]
	if d == nil || d.State == DialEnded || d.State == DialConnected || (d.agentChan != ch && d.custChan != ch) {
		return nil
	}
	return d
}

// outboundStasis: a leg of a dial answered and entered the application. On the owner.
func (x outbound) outboundStasis(ch, callID string) {
	d := x.dialOf(ch)
	switch {
	case d == nil || d.Call != callID:
		x.u.lines.hangupLater(ch)
	case ch == d.agentChan && !d.agentUp:
		x.dialAgentAnswered(d)
	case ch == d.custChan && d.agentUp:
		x.dialConnected(d)
	default:
		x.u.lines.hangupLater(ch)
	}
}

// dialAgentAnswered bridges the agent's leg and dials the customer.
func (x outbound) dialAgentAnswered(d *outDial) {
	d.agentUp, d.State = true, DialCustomerRinging
	x.dialChanged(d)
	endpoint := "PJSIP/" + d.Number
	if x.cfg.Dialer.Endpoint != nil {
		endpoint = x.cfg.Dialer.Endpoint(d.Number)
	}
	o := Originate{Endpoint: endpoint, ChannelID: d.custChan, AppArgs: "outbound," + d.Call, CallerID: x.cfg.Dialer.CallerID,
		Timeout: x.dialRing()}
	bridge, agentChan := d.bridge, d.agentChan
	x.u.ex.spawnWork(func(ctx context.Context) {
		if err := x.tel.CreateBridge(ctx, bridge, "mixing"); err != nil {
			x.log.Warn("outbound: bridge", "call", d.Call, "err", err)
		}
		if err := ignoreGone(x.tel.AddChannel(ctx, bridge, agentChan)); err != nil {
			x.log.Warn("outbound: bridge the agent", "call", d.Call, "err", err)
		}
		if x.loop.stopped.Load() {
			return
		}
		if err := x.tel.Originate(ctx, o); err != nil {
			x.log.Warn("outbound: customer originate failed", "call", d.Call, "err", err)
			x.post(func() {
				if x.dials[d.agent] == d && d.State == DialCustomerRinging {
					x.dialOver(d, DialFailed)
				}
			})
		}
	})
}

// dialConnected: the customer answered. The call becomes a connected call of the agent.
func (x outbound) dialConnected(d *outDial) {
	now := x.clock.Now()
	req := acd.CallRequest{ID: d.Call, Queue: d.queue, EnqueuedAt: now, Data: map[string]string{"direction": "outbound"}, Outbound: true}
	if err := x.eng.Adopt(req, d.agent, now); err != nil {
		x.log.Error("outbound: the engine did not take the call", "call", d.Call, "err", err)
		x.dialOver(d, DialFailed)
		return
	}
	d.State = DialConnected
	x.dialChanged(d)
	if d.prevState == acd.Paused {
		// Back to the agent's own pause after the call and its wrap-up (unless the agent
		// asks to be ready meanwhile), as when the dial fails.
		if err := x.eng.Pause(d.agent, d.prevWhy); err != nil {
			x.log.Warn("outbound: the pause after the call not set", "agent", d.agent, "err", err)
		}
	}
	delete(x.legs, d.agentChan)
	delete(x.legs, d.custChan)
	c := x.u.ex.track(&call{id: d.Call, callerChan: d.custChan, info: callerInfo{number: d.Number, outbound: true},
		place: queuePlace{queue: d.queue}, phase: &queued{}})
	c.conn = agentLeg{agentChan: d.agentChan, agent: d.agent, bridge: d.bridge, answeredAt: now}
	c.offer.attempt = 1
	x.calls[c.id] = c
	x.chans[d.custChan], x.chans[d.agentChan] = c, c
	x.u.ivr.arrived(c.id, d.Number, "")
	x.eng.Note(acd.CallDialed{At: now, Call: c.id, Queue: d.queue, Agent: d.agent, Number: d.Number})
	name := ""
	if share := x.u.conn.settings(d.queue).RecordShare; share > 0 && rand.Float64() < share {
		name = x.u.rec.newRecording(c, now)
	}
	place, answer, cust, bridge := placeValue(d.queue, 0, now), answerValue(d.agent, now, name), d.custChan, d.bridge
	x.log.Info("outbound call connected", "call", c.id, "agent", d.agent)
	c.w.do(func(ctx context.Context) {
		// What a restarted router re-attaches the call by (reconcile.go), before the bridge.
		_ = ignoreGone(x.tel.SetVar(ctx, cust, varPlace, place))
		_ = ignoreGone(x.tel.SetVar(ctx, cust, varAnswer, answer))
		if err := ignoreGone(x.tel.AddChannel(ctx, bridge, cust)); err != nil {
			x.log.Error("outbound: bridge the customer", "call", c.id, "err", err)
		}
		x.u.conn.recordBridge(ctx, c, bridge, name)
	})
}

// outboundGone: a leg of a dial not connected yet left. On the owner.
func (x outbound) outboundGone(ch string, cause int) {
	d := x.dialOf(ch)
	delete(x.legs, ch)
	if d == nil {
		return
	}
	if ch == d.agentChan {
		why := DialCancelled // the agent hung up while the customer's phone rang
		if !d.agentUp {
			why = legReason(cause, DialAgentBusy, DialAgentNoAnswer, DialAgentFailed)
		}
		x.dialOver(d, why)
		return
	}
	x.dialOver(d, legReason(cause, DialBusy, DialNoAnswer, DialFailed))
}

// legReason names what a hang-up cause says of a phone that did not answer.
func legReason(cause int, busy, noAnswer, failed string) string {
	switch cause {
	case 17:
		return busy
	case 18, 19, 21:
		return noAnswer
	}
	return failed
}

// dialOver ends a dial that did not connect: its legs and bridge go, and the agent gets back
// the state they had. On the owner.
func (x outbound) dialOver(d *outDial, why string) {
	if d.State == DialEnded || d.State == DialConnected {
		return
	}
	d.State, d.Reason = DialEnded, why
	x.dialChanged(d)
	x.log.Info("outbound call not connected", "agent", d.agent, "call", d.Call, "reason", why)
	// The attempt's call record and the customer's interaction (followers of the stream).
	x.eng.Note(acd.CallDialFailed{At: x.clock.Now(), Started: d.started, Call: d.Call, Queue: d.queue, Agent: d.agent,
		Number: d.Number, Reason: why})
	delete(x.legs, d.agentChan)
	delete(x.legs, d.custChan)
	if v, ok := x.eng.Agent(d.agent); ok && v.State == acd.Paused && v.Reason == reasonOutbound {
		var err error
		if d.prevState == acd.Available {
			err = x.eng.Ready(d.agent)
		} else {
			err = x.eng.Pause(d.agent, d.prevWhy)
		}
		if err != nil {
			x.log.Warn("outbound: agent state not given back", "agent", d.agent, "err", err)
		}
	}
	agentChan, custChan, bridge := d.agentChan, d.custChan, d.bridge
	x.u.ex.spawnWork(func(ctx context.Context) {
		_ = ignoreGone(x.tel.Hangup(ctx, custChan, "normal"))
		_ = ignoreGone(x.tel.Hangup(ctx, agentChan, "normal"))
		_ = ignoreGone(x.tel.DeleteBridge(ctx, bridge))
	})
}

// cancelDial ends agent's dial of callID that is not connected yet; false when there is none.
func (x outbound) cancelDial(agent, callID string) bool {
	d := x.dials[agent]
	if d == nil || d.Call != callID || d.State == DialEnded || d.State == DialConnected {
		return false
	}
	x.dialOver(d, DialCancelled)
	return true
}
