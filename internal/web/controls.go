package web

import (
	"context"
	"net/http"
	"strings"

	"switchboard/internal/router"
)

// CallControls are the agent's controls of their own connected call, carried out by the
// router (router.Controls). Errors carry acd codes: not_found (no such call), conflict (not
// the agent's connected call), invalid; one whose Unavailable method reports true is
// Asterisk's failure.
type CallControls interface {
	Hangup(ctx context.Context, agent, callID string) error
	Hold(ctx context.Context, agent, callID string, on bool) error
	Mute(ctx context.Context, agent, callID string, on bool) error
	DTMF(ctx context.Context, agent, callID, digits string) error
	Transfer(ctx context.Context, agent, callID string, t router.Target) error
	Consult(ctx context.Context, agent, callID string, t router.Target) error
	Complete(ctx context.Context, agent, callID string) error
	CancelConsult(ctx context.Context, agent, callID string) error
	Conference(ctx context.Context, agent, callID string) error
	// Dial calls number for agent (dial.go); DialStatus follows the agent's latest dial.
	Dial(ctx context.Context, agent, number string) (string, error)
	DialStatus(ctx context.Context, agent string) (router.DialStatus, bool, error)
	// OnDialChange sets what is told of every change of a dial; f must not block.
	OnDialChange(f func(agent string, s router.DialStatus))
}

// controlRequest is the body of POST /api/desk/call/{action}: the call, and what the action
// needs (digits for dtmf; a queue, a number or an agent for transfer, a number or an agent
// for consult).
type controlRequest struct {
	Call   string `json:"call"`
	Digits string `json:"digits,omitempty"`
	Queue  string `json:"queue,omitempty"`
	Number string `json:"number,omitempty"`
	Agent  string `json:"agent,omitempty"`
}

// callControl answers POST /api/desk/call/{action} for the agent's own call; 204 when done.
func (s *server) callControl(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req controlRequest
		agent, ok := agentBody(w, r, myAgent, &req)
		if !ok {
			return
		}
		req.Call = strings.TrimSpace(req.Call)
		if req.Call == "" {
			writeError(w, http.StatusUnprocessableEntity, CodeInvalid, "call is required")
			return
		}
		k, ctx := s.opt.Controls, r.Context()
		var err error
		switch action {
		case "hangup":
			err = k.Hangup(ctx, agent, req.Call)
		case "hold", "resume":
			err = k.Hold(ctx, agent, req.Call, action == "hold")
		case "mute", "unmute":
			err = k.Mute(ctx, agent, req.Call, action == "mute")
		case "dtmf":
			err = k.DTMF(ctx, agent, req.Call, req.Digits)
		case "transfer":
			err = k.Transfer(ctx, agent, req.Call, router.Target{Queue: req.Queue, Number: req.Number, Agent: req.Agent})
		case "consult":
			err = k.Consult(ctx, agent, req.Call, router.Target{Queue: req.Queue, Number: req.Number, Agent: req.Agent})
		case "complete":
			err = k.Complete(ctx, agent, req.Call)
		case "cancel":
			err = k.CancelConsult(ctx, agent, req.Call)
		case "conference":
			err = k.Conference(ctx, agent, req.Call)
		}
		if err != nil {
			s.controlError(w, action, err)
			return
		}
		s.opt.Logger.Info("call control", "action", action, "call", req.Call, "agent", agent)
		w.WriteHeader(http.StatusNoContent)
	}
}

// controlError answers a control's failure: Asterisk's as 503, the router's codes as usual.
func (s *server) controlError(w http.ResponseWriter, what string, err error) {
	s.fail(w, err, failure{what: what, attrs: []any{"control", what}, status: http.StatusServiceUnavailable, code: CodeUnavailable,
		message: what + ": the telephone system did not carry it out"})
}

// controlActions are the agent's controls, each a route POST /api/desk/call/{action}.
var controlActions = []string{"hangup", "hold", "resume", "mute", "unmute", "dtmf", "transfer", "consult", "complete", "cancel", "conference"}
