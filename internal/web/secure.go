package web

import (
	"context"
	"errors"
	"net/http"
)

// CallRecording is what an agent may do to their own connected call's recording: pause and
// resume it, and take digits from the caller with it paused (a card number). SecureCollect
// returns only the masked entry; it must fail closed, with an error whose Unavailable method
// reports true, when the recording cannot be paused. Other errors carry acd codes.
type CallRecording interface {
	PauseRecording(ctx context.Context, agentID, callID string) error
	ResumeRecording(ctx context.Context, agentID, callID string) error
	SecureCollect(ctx context.Context, agentID, callID, name string, min, max int) (masked string, err error)
}

// secureRequest is the body of POST /api/calls/{id}/secure-collect.
type secureRequest struct {
	Name string `json:"name"`
	Min  int    `json:"min"`
	Max  int    `json:"max"`
}

// SecureResult is the answer of POST /api/calls/{id}/secure-collect: the entry's name and
// its masked form, also kept in the call's data under the name.
type SecureResult struct {
	Name   string `json:"name"`
	Masked string `json:"masked"`
}

// callAgent is the agent behind a state-changing call request, or "" once it has answered.
func callAgent(w http.ResponseWriter, r *http.Request) string {
	sess := sessionFrom(r.Context())
	if !csrfOK(w, r) {
		return ""
	}
	if sess.User.AgentID == "" {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_agent")
		return ""
	}
	return sess.User.AgentID
}

func (s *server) pauseRecording(w http.ResponseWriter, r *http.Request) {
	s.setRecordingPaused(w, r, true)
}

func (s *server) resumeRecording(w http.ResponseWriter, r *http.Request) {
	s.setRecordingPaused(w, r, false)
}

func (s *server) setRecordingPaused(w http.ResponseWriter, r *http.Request, pause bool) {
	agent := callAgent(w, r)
	if agent == "" {
		return
	}
	id := r.PathValue("id")
	op := s.opt.Secure.ResumeRecording
	if pause {
		op = s.opt.Secure.PauseRecording
	}
	if err := op(r.Context(), agent, id); err != nil {
		s.writeSecureError(w, id, "desk.err.rec_pause", err)
		return
	}
	s.opt.Logger.Info("recording paused or resumed", "call", id, "agent", agent, "paused", pause)
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) secureCollect(w http.ResponseWriter, r *http.Request) {
	agent := callAgent(w, r)
	if agent == "" {
		return
	}
	var req secureRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	masked, err := s.opt.Secure.SecureCollect(r.Context(), agent, id, req.Name, req.Min, req.Max)
	if err != nil {
		s.writeSecureError(w, id, "desk.err.rec_secure", err)
		return
	}
	s.opt.Logger.Info("secure entry collected", "call", id, "agent", agent, "name", req.Name)
	writeJSON(w, http.StatusOK, SecureResult{Name: req.Name, Masked: masked})
}

// writeSecureError maps the router's answer: an Asterisk failure is 503 with unavailableMsg.
func (s *server) writeSecureError(w http.ResponseWriter, callID, unavailableMsg string, err error) {
	var u interface{ Unavailable() bool }
	switch {
	case errors.As(err, &u) && u.Unavailable():
		s.opt.Logger.Warn("call recording control failed", "call", callID, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, unavailableMsg)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "desk.err.secure_timeout")
	default:
		s.fail(w, err, failure{what: "call recording control", attrs: []any{"call", callID}})
	}
}
