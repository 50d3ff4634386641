package router

import (
	"context"
	"strings"

	"switchboard/acd"
)

// Target is where a transfer sends a call: a queue (the call keeps its place in time) or an
// outside number (the caller leaves the application for Config.IVR.TransferContext at the
// number, as an IVR transfer node does). Exactly one is set.
type Target struct {
	Queue  string
	Number string
	Agent  string // a consultation's, or a blind transfer's (a consultation completed on answer)
}

func (t Target) check() error {
	t.Queue, t.Number, t.Agent = strings.TrimSpace(t.Queue), strings.TrimSpace(t.Number), strings.TrimSpace(t.Agent)
	n := 0
	for _, s := range []string{t.Queue, t.Number, t.Agent} {
		if s != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return invalid("a transfer goes to one queue, number or agent")
	case t.Number != "" && (len(t.Number) > 32 || strings.Trim(t.Number, "+0123456789") != "" || strings.LastIndex(t.Number, "+") > 0):
		return invalid("a number is up to 32 digits, with an optional leading +")
	}
	return nil
}

// Transfer sends agent's connected call to t without consulting (a blind transfer). To a
// queue it is the engine's transfer: the agent is let go, the caller waits in the new queue.
// To a number the caller leaves the application; the call ends for the agent as when the
// caller hangs up, and the agent goes to wrap-up; its record ends transferred_out (the agent's
// leg transferred).
func (k *Controls) Transfer(ctx context.Context, agent, callID string, t Target) error {
	if err := t.check(); err != nil {
		return err
	}
	x := k.c
	if t.Agent != "" {
		return x.consult(ctx, agent, callID, t, true)
	}
	return x.onCall(ctx, agent, callID, func(c *call, st *controlState) (job, error) {
		if st.cs != nil {
			return nil, &acd.Error{Code: acd.EConflict, Message: "a consultation is under way: complete or cancel it"}
		}
		if t.Queue != "" {
			return nil, x.toQueue(c, t.Queue)
		}
		dialplan := x.cfg.IVR.TransferContext
		if dialplan == "" {
			return nil, &acd.Error{Code: acd.EConflict, Message: "transfers to numbers are not configured here (ivr transfer_context)"}
		}
		caller, held := c.callerChan, st.held
		x.log.Info("blind transfer to a number", "call", c.id, "agent", agent, "context", dialplan)
		// Told first: the caller's leaving ends the call in the engine as a hang-up would.
		x.handedOver(c, "", strings.TrimSpace(t.Number))
		return func(ctx context.Context) error {
			if held { // the caller's own music and mute would go with it
				_ = ignoreGone(x.port.StopMOH(ctx, caller))
				_ = ignoreGone(x.port.Unmute(ctx, caller, "in"))
			}
			// The caller's StasisEnd ends the call like a hang-up (ari.go).
			return x.tel.Continue(ctx, caller, dialplan, strings.TrimSpace(t.Number), 1)
		}, nil
	})
}

// toQueue is the engine's transfer of c to queue, on the owner.
func (x *controls) toQueue(c *call, queue string) error {
	v, ok := x.eng.Call(c.id)
	if !ok {
		return &acd.Error{Code: acd.ENotFound, Message: "call " + c.id + " not found"}
	}
	if v.Queue == queue {
		return invalid("the call is already in queue " + queue)
	}
	// The agent's leg goes with its mute; the caller's own music and mute are taken off.
	if st := x.state[c.id]; st != nil && st.held {
		caller := c.callerChan
		c.w.do(func(ctx context.Context) {
			_ = ignoreGone(x.port.StopMOH(ctx, caller))
			_ = ignoreGone(x.port.Unmute(ctx, caller, "in"))
		})
	}
	delete(x.state, c.id)
	return x.eng.Transfer(c.id, queue)
}
