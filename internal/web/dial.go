package web

import (
	"net/http"
	"strings"
)

// dialRequest is the body of POST /api/desk/call/dial: a number, or a customer whose first
// phone is dialed.
type dialRequest struct {
	Number   string `json:"number,omitempty"`
	Customer int64  `json:"customer,omitempty"`
}

// dialCall answers POST /api/desk/call/dial: the agent of the session dials a number (their
// phone rings first, then the customer's); 202 with the dial's status, which GET follows.
func (s *server) dialCall(w http.ResponseWriter, r *http.Request) {
	var req dialRequest
	agent, ok := agentBody(w, r, myAgent, &req)
	if !ok {
		return
	}
	number := strings.TrimSpace(req.Number)
	if number == "" && req.Customer != 0 {
		if s.opt.CRM == nil {
			writeError(w, http.StatusUnprocessableEntity, CodeInvalid, "desk.err.number_empty")
			return
		}
		c, err := s.opt.CRM.Customer(r.Context(), req.Customer)
		if err != nil {
			s.crmError(w, err, "customer")
			return
		}
		if len(c.Phones) == 0 {
			writeError(w, http.StatusUnprocessableEntity, CodeInvalid, "desk.err.dial_no_phone")
			return
		}
		number = c.Phones[0]
	}
	if number == "" {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalid, "desk.err.number_empty")
		return
	}
	k, ctx := s.opt.Controls, r.Context()
	if _, err := k.Dial(ctx, agent, number); err != nil {
		s.controlError(w, "dial", err)
		return
	}
	st, _, err := k.DialStatus(ctx, agent)
	if err != nil {
		s.controlError(w, "dial", err)
		return
	}
	s.opt.Logger.Info("call control", "action", "dial", "call", st.Call, "agent", agent)
	writeJSON(w, http.StatusAccepted, st)
}

// dialStatus answers GET /api/desk/call/dial: the session's agent's latest outbound call
// (state "" when there is none).
func (s *server) dialStatus(w http.ResponseWriter, r *http.Request) {
	agent, ok := myAgent(w, r)
	if !ok {
		return
	}
	st, _, err := s.opt.Controls.DialStatus(r.Context(), agent)
	if err != nil {
		s.controlError(w, "dial", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
