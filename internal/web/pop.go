package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"switchboard/acd"
)

// Pops is the agents' screen-pop feed (the screen-pop hub), each pop as JSON.
type Pops interface {
	// Subscribe starts an agent's feed: the pops on the channel, the current one first,
	// until stop is called.
	Subscribe(agent string) (pops <-chan []byte, stop func())
	// Current is the agent's current pop; false when the agent is idle.
	Current(agent string) ([]byte, bool)
}

// Desk takes what an agent does from a call (the screen-pop desk). Errors carry acd codes.
type Desk interface {
	Codes() []string
	Wrapup(ctx context.Context, agent, callID string, w Wrapup) error
	ScheduleCallback(ctx context.Context, agent, callID, number string, at time.Time) (ScheduledCallback, error)
}

// Wrapup is an agent's wrap-up of a call.
type Wrapup struct {
	Disposition string
	Notes       string
	TicketID    int64 // 0: none
}

// ScheduledCallback is a callback an agent scheduled from a call.
type ScheduledCallback struct {
	ID     int64     `json:"id"`
	Number string    `json:"number"`
	Queue  string    `json:"queue"`
	At     time.Time `json:"at"`
}

// popPing keeps the pop stream open through proxies that close idle connections. A desktop
// whose connection stalls is disconnected by the stream's write timeout; it reconnects and
// gets the current pop.
const popPing = 25 * time.Second

// agentOf returns the session's agent, or answers 403 for a session that is not an agent's.
func agentOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	sess := sessionFrom(r.Context())
	if sess.User.AgentID == "" {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_agent")
		return "", false
	}
	return sess.User.AgentID, true
}

// streamPops: GET /api/agent/pop/stream, the session's agent's pops as server-sent events
// ("pop"), starting with the current one (or {"kind":"idle"}), and each change of the agent's
// outbound dial ("dial", as GET /api/desk/call/dial answers). A desktop that cannot keep up
// loses its oldest pops (the hub's bounded buffer); one whose connection stalls is disconnected.
func (s *server) streamPops(w http.ResponseWriter, r *http.Request) {
	agent, ok := agentOf(w, r)
	if !ok {
		return
	}
	ev := s.startEvents(w)
	pops, stop := s.opt.Pops.Subscribe(agent)
	defer stop()
	dials, stopDials := s.dials.subscribe(agent)
	defer stopDials()
	ping := time.NewTicker(popPing)
	defer ping.Stop()
	recheck := time.NewTicker(s.opt.streamRecheck)
	defer recheck.Stop()
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return
		case <-recheck.C:
			if !s.sessionLive(r) {
				return
			}
			continue
		case b := <-pops:
			msg = event("pop", b)
		case d := <-dials:
			b, err := json.Marshal(d)
			if err != nil {
				continue
			}
			msg = event("dial", b)
		case <-ping.C:
			msg = []byte(": ping\n\n")
		}
		if ev.send(msg) != nil {
			return
		}
	}
}

// currentPop: GET /api/agent/call, the agent's current pop; 204 when idle.
func (s *server) currentPop(w http.ResponseWriter, r *http.Request) {
	agent, ok := agentOf(w, r)
	if !ok {
		return
	}
	b, ok := s.opt.Pops.Current(agent)
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
}

// dispositions: GET /api/dispositions, the wrap-up codes.
func (s *server) dispositions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.opt.Desk.Codes())
}

// wrapupCall: POST /api/calls/{id}/wrapup {"disposition","notes","ticket_id"}, by the agent
// who answered the call; the ticket, linked to the call, must be of the call's customer.
func (s *server) wrapupCall(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Disposition string `json:"disposition"`
		Notes       string `json:"notes"`
		TicketID    int64  `json:"ticket_id"`
	}
	agent, ok := agentBody(w, r, agentOf, &req)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if req.TicketID > 0 && s.opt.CRM != nil { // the rule of POST /api/tickets/{id}/calls
		switch err := s.agentMayLink(r.Context(), sessionFrom(r.Context()).User, req.TicketID, id); {
		case errors.Is(err, errNotCustomers):
			writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.ticket_customer")
			return
		case isNotFound(err):
			writeError(w, http.StatusUnprocessableEntity, CodeInvalid, "desk.err.ticket_not_found", req.TicketID)
			return
		case err != nil:
			s.crmError(w, err, "ticket")
			return
		}
	}
	err := s.opt.Desk.Wrapup(r.Context(), agent, id, Wrapup{Disposition: req.Disposition, Notes: req.Notes, TicketID: req.TicketID})
	if err != nil {
		s.deskError(w, "wrap-up", id, err)
		return
	}
	if s.opt.Desktop != nil {
		// Saved: a wrap-up waiting for the disposition may end. Should the router not hear it
		// now, the agent is told (the wrap-up itself is stored).
		if err := s.opt.Desktop.Disposed(r.Context(), agent, id); err != nil {
			s.engineError(w, "disposed", err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// callbackCall: POST /api/calls/{id}/callback {"number":"+E164 (default: the caller)",
// "at":"RFC3339 (default: now)"}, by the agent who answered the call; 201 with the callback.
func (s *server) callbackCall(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Number string `json:"number"`
		At     string `json:"at"`
	}
	agent, ok := agentBody(w, r, agentOf, &req)
	if !ok {
		return
	}
	var at time.Time
	if req.At != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, req.At); err != nil {
			writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.at_form")
			return
		}
	}
	id := r.PathValue("id")
	cb, err := s.opt.Desk.ScheduleCallback(r.Context(), agent, id, req.Number, at)
	if err != nil {
		s.deskError(w, "callback", id, err)
		return
	}
	s.opt.Logger.Info("callback scheduled by agent", "call", id, "agent", agent, "callback", cb.ID, "at", cb.At)
	writeJSON(w, http.StatusCreated, cb)
}

func (s *server) deskError(w http.ResponseWriter, what, call string, err error) {
	s.fail(w, err, failure{messages: map[string]string{acd.ENotFound: "desk.err.no_call"}, what: what + " failed",
		attrs: []any{"call", call}, status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "desk.err.not_stored"})
}
