package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"switchboard/acd"
	"switchboard/acd/report"
	"switchboard/internal/account"
)

// Desktop is what the agent desktop and the wallboard's agent grid ask of the router. Errors
// carry acd codes. inScope, when not nil, limits a supervisor to its queues.
type Desktop interface {
	AgentLogin(ctx context.Context, agentID, endpoint string) error
	SetAgentState(ctx context.Context, agentID string, state acd.AgentState, reason string) error
	Agent(ctx context.Context, agentID string) (acd.AgentView, error)
	Agents(ctx context.Context) ([]acd.AgentView, error)
	UpdateAgent(ctx context.Context, agentID string, skills map[string]int, queues []acd.Membership, endpoint string, inScope func(string) bool) error
	TransferCall(ctx context.Context, agentID, callID, queue string) error
	SetCallPriority(ctx context.Context, callID string, priority int, inScope func(string) bool) error
	WaitingCalls(ctx context.Context) ([]acd.CallView, error)
	JoinEstimates(ctx context.Context) (map[string]time.Duration, error)
	// Disposed tells the router that the call the agent wraps up has its disposition: a
	// wrap-up that waits for one may end.
	Disposed(ctx context.Context, agentID, callID string) error
}

// PauseReasons are the reasons the desktop offers for a pause.
var PauseReasons = []string{"break", "lunch", "training", "meeting", "back office"}

// AgentRow is an agent as the desktop and the wallboard's grid show it.
type AgentRow struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	State    string           `json:"state"` // logged_out, available, reserved, on_call, wrap_up, paused
	Reason   string           `json:"reason,omitempty"`
	Since    time.Time        `json:"since"`
	Endpoint string           `json:"endpoint"`
	Queues   []MembershipJSON `json:"queues"`
	Skills   map[string]int   `json:"skills"`
	Call     string           `json:"call,omitempty"` // the call ringing, connected or being wrapped up
	Handled  int              `json:"handled"`        // since the router started
	// In wrap-up: when the queue's wrap-up time ends and the seconds left to it (so that a
	// page counts down without trusting its own clock), and whether the wrap-up waits for a
	// disposition the queue requires (it then lasts past that time until one is saved).
	WrapUpUntil    *time.Time `json:"wrapup_until,omitempty"`
	WrapUpLeft     *float64   `json:"wrapup_left_s,omitempty"`
	DispositionDue bool       `json:"disposition_due,omitempty"`
	// After is what the agent asked for during its call, taken when the call and its wrap-up
	// end: "paused" (with AfterReason) or "logged_out".
	After       string `json:"after,omitempty"`
	AfterReason string `json:"after_reason,omitempty"`
}

// MembershipJSON is a queue membership in the API.
type MembershipJSON struct {
	Queue   string `json:"queue"`
	Penalty int    `json:"penalty"`
}

// WaitingRow is a waiting call on the wallboard.
type WaitingRow struct {
	ID       string  `json:"id"`
	Queue    string  `json:"queue"`
	Priority int     `json:"priority"`
	Position int     `json:"position"`
	Waited   float64 `json:"waited_seconds"`
}

// apiState names an agent state in the API: "logged-out" becomes "logged_out".
func apiState(s acd.AgentState) string { return strings.ReplaceAll(s.String(), "-", "_") }

// parseState reads the states a person may ask for.
func parseState(s string) (acd.AgentState, bool) {
	switch s {
	case "available":
		return acd.Available, true
	case "paused":
		return acd.Paused, true
	case "logged_out":
		return acd.LoggedOut, true
	}
	return 0, false
}

func agentRow(v acd.AgentView) AgentRow {
	row := AgentRow{ID: v.ID, Name: v.Name, State: apiState(v.State), Reason: v.Reason, Since: v.Since.UTC(),
		Endpoint: v.Endpoint, Skills: v.Skills, Call: v.Call, Handled: v.Handled, Queues: []MembershipJSON{}}
	if row.Skills == nil {
		row.Skills = map[string]int{}
	}
	for _, m := range v.Queues {
		row.Queues = append(row.Queues, MembershipJSON{Queue: m.Queue, Penalty: m.Penalty})
	}
	if v.State == acd.WrapUp && !v.WrapUpUntil.IsZero() {
		until, left := v.WrapUpUntil.UTC(), max(0, time.Until(v.WrapUpUntil).Seconds())
		row.WrapUpUntil, row.WrapUpLeft, row.DispositionDue = &until, &left, v.DispositionDue
	}
	if v.NextAsked {
		row.After, row.AfterReason = apiState(v.Next), v.NextReason
	}
	return row
}

// queueScope returns who may touch which queue: nil for an admin (all).
func queueScope(u account.User) func(string) bool {
	if u.Role == "admin" {
		return nil
	}
	return func(q string) bool { return slices.Contains(u.Queues, q) }
}

func agentInScope(inScope func(string) bool, v acd.AgentView) bool {
	return inScope == nil || slices.ContainsFunc(v.Queues, func(m acd.Membership) bool { return inScope(m.Queue) })
}

// myAgent is the agent an agent account works as; on failure it has answered.
func myAgent(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := sessionFrom(r.Context()).User.AgentID
	if id == "" {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_agent")
		return "", false
	}
	return id, true
}

// agentBody reads an agent's changing request: its CSRF token, the agent who asks (agent
// answers a refusal) and the JSON body into v. On failure it has answered.
func agentBody(w http.ResponseWriter, r *http.Request, agent func(http.ResponseWriter, *http.Request) (string, bool), v any) (string, bool) {
	if !csrfOK(w, r) {
		return "", false
	}
	id, ok := agent(w, r)
	if !ok {
		return "", false
	}
	return id, decodeJSON(w, r, v)
}

func (s *server) desktopPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	var queues []string
	for _, q := range s.opt.Live().Queues {
		queues = append(queues, q.Queue)
	}
	s.render(w, r, "desktop.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Reasons": PauseReasons, "Queues": queues})
}

func (s *server) apiMe(w http.ResponseWriter, r *http.Request) {
	id, ok := myAgent(w, r)
	if !ok {
		return
	}
	v, err := s.opt.Desktop.Agent(r.Context(), id)
	if err != nil {
		s.engineError(w, "agent", err)
		return
	}
	writeJSON(w, http.StatusOK, agentRow(v))
}

func (s *server) apiAgentLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Endpoint string `json:"endpoint"`
	}
	id, ok := agentBody(w, r, myAgent, &req)
	if !ok {
		return
	}
	if err := s.opt.Desktop.AgentLogin(r.Context(), id, strings.TrimSpace(req.Endpoint)); err != nil {
		s.engineError(w, "agent login", err)
		return
	}
	s.opt.Logger.Info("agent logged in", "agent", id, "endpoint", req.Endpoint, "user", sessionFrom(r.Context()).User.Username)
	s.apiMe(w, r)
}

type stateRequest struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (s *server) setState(w http.ResponseWriter, r *http.Request, agentID string, req stateRequest) bool {
	st, ok := parseState(req.State)
	if !ok {
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.state")
		return false
	}
	if err := s.opt.Desktop.SetAgentState(r.Context(), agentID, st, req.Reason); err != nil {
		s.engineError(w, "agent state", err)
		return false
	}
	s.opt.Logger.Info("agent state", "agent", agentID, "state", req.State, "reason", req.Reason, "by", sessionFrom(r.Context()).User.Username)
	return true
}

func (s *server) apiMyState(w http.ResponseWriter, r *http.Request) {
	var req stateRequest
	id, ok := agentBody(w, r, myAgent, &req)
	if !ok || !s.setState(w, r, id, req) {
		return
	}
	s.apiMe(w, r)
}

// apiMyStats answers the agent's figures since midnight in the center's zone (a report's day).
func (s *server) apiMyStats(w http.ResponseWriter, r *http.Request) {
	id, ok := myAgent(w, r)
	if !ok {
		return
	}
	now := time.Now()
	from := report.DayStart(now, s.opt.TimeZone)
	day, err := s.opt.AgentDay(r.Context(), id, from, now)
	if err != nil {
		s.opt.Logger.Error("agent day", "agent", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "desk.err.stats_unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"since": from.UTC(), "calls": day.Calls, "aht_s": day.AHT().Seconds(), "talk_s": day.Talk.Seconds(),
		"wrapup_s": day.WrapUp.Seconds(), "pause_s": day.Pause.Seconds(),
		"outbound": day.Outbound, "outbound_talk_s": day.OutboundTalk.Seconds(),
	})
}

func (s *server) apiTransfer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Queue string `json:"queue"`
	}
	id, ok := agentBody(w, r, myAgent, &req)
	if !ok {
		return
	}
	callID := r.PathValue("id")
	if err := s.opt.Desktop.TransferCall(r.Context(), id, callID, req.Queue); err != nil {
		s.engineError(w, "transfer", err)
		return
	}
	s.opt.Logger.Info("call transferred", "call", callID, "agent", id, "queue", req.Queue)
	writeJSON(w, http.StatusOK, map[string]string{"call": callID, "queue": req.Queue})
}

// scopedAgents returns the agents the session may see.
func (s *server) scopedAgents(r *http.Request) ([]AgentRow, error) {
	all, err := s.opt.Desktop.Agents(r.Context())
	if err != nil {
		return nil, err
	}
	inScope := queueScope(sessionFrom(r.Context()).User)
	out := []AgentRow{}
	for _, v := range all {
		if agentInScope(inScope, v) {
			out = append(out, agentRow(v))
		}
	}
	return out, nil
}

// scopedWaiting returns the waiting calls of the session's queues.
func (s *server) scopedWaiting(r *http.Request) ([]WaitingRow, error) {
	all, err := s.opt.Desktop.WaitingCalls(r.Context())
	if err != nil {
		return nil, err
	}
	inScope := queueScope(sessionFrom(r.Context()).User)
	out := []WaitingRow{}
	for _, c := range all {
		if inScope == nil || inScope(c.Queue) {
			out = append(out, WaitingRow{ID: c.ID, Queue: c.Queue, Priority: c.Priority, Position: c.Position, Waited: c.Waited.Seconds()})
		}
	}
	return out, nil
}

func (s *server) apiAgents(w http.ResponseWriter, r *http.Request) {
	rows, err := s.scopedAgents(r)
	if err != nil {
		s.engineError(w, "agents", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": rows})
}

func (s *server) apiWaiting(w http.ResponseWriter, r *http.Request) {
	rows, err := s.waitingCalls(r)
	if err != nil {
		s.engineError(w, "waiting calls", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": rows})
}

// The one rule for what a supervisor does to an agent. An agent who serves any of the
// supervisor's queues is theirs to see; one serving none is not found, so that ids cannot be
// probed. What reaches beyond their queues needs every queue the agent serves in scope: its
// state (a pause or a logout takes the agent from all its queues), its skills and its phone.
// Its memberships of the supervisor's own queues change for any agent they see (the router
// keeps the others as they are). Admins have every queue.

// agentReach is how far a supervisor's action on an agent reaches.
type agentReach bool

const (
	ownQueues  agentReach = false // memberships of the supervisor's queues
	everyQueue agentReach = true  // state, skills, phone
)

// scopedAgent finds the agent of the route's {id} and checks that the session may act on it
// as far as reach; on failure it has answered (404 out of sight, 403 beyond the scope).
func (s *server) scopedAgent(w http.ResponseWriter, r *http.Request, reach agentReach) (acd.AgentView, bool) {
	inScope := queueScope(sessionFrom(r.Context()).User)
	v, err := s.opt.Desktop.Agent(r.Context(), r.PathValue("id"))
	if err == nil && !agentInScope(inScope, v) {
		err = &acd.Error{Code: acd.ENotFound, Message: "agent " + r.PathValue("id") + " not found"}
	}
	if err != nil {
		s.engineError(w, "agent", err)
		return v, false
	}
	if reach == everyQueue && inScope != nil && slices.ContainsFunc(v.Queues, func(m acd.Membership) bool { return !inScope(m.Queue) }) {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.scope", v.ID)
		return v, false
	}
	return v, true
}

func (s *server) apiAgentState(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var req stateRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	v, ok := s.scopedAgent(w, r, everyQueue)
	if !ok || !s.setState(w, r, v.ID, req) {
		return
	}
	if v, err := s.opt.Desktop.Agent(r.Context(), v.ID); err == nil {
		writeJSON(w, http.StatusOK, agentRow(v))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiPatchAgent(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var req struct {
		Skills   map[string]int    `json:"skills"`
		Queues   *[]MembershipJSON `json:"queues"`
		Endpoint string            `json:"endpoint"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	reach := ownQueues
	if req.Skills != nil || strings.TrimSpace(req.Endpoint) != "" {
		reach = everyQueue
	}
	v, ok := s.scopedAgent(w, r, reach)
	if !ok {
		return
	}
	var queues []acd.Membership
	if req.Queues != nil {
		queues = []acd.Membership{}
		for _, m := range *req.Queues {
			queues = append(queues, acd.Membership{Queue: m.Queue, Penalty: m.Penalty})
		}
	}
	sess := sessionFrom(r.Context())
	if err := s.opt.Desktop.UpdateAgent(r.Context(), v.ID, req.Skills, queues, strings.TrimSpace(req.Endpoint), queueScope(sess.User)); err != nil {
		s.engineError(w, "update agent", err)
		return
	}
	s.opt.Logger.Info("agent changed", "agent", v.ID, "by", sess.User.Username)
	if v, err := s.opt.Desktop.Agent(r.Context(), v.ID); err == nil {
		writeJSON(w, http.StatusOK, agentRow(v))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiPatchCall(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var req struct {
		Priority *int `json:"priority"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Priority == nil {
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.priority")
		return
	}
	id := r.PathValue("id")
	sess := sessionFrom(r.Context())
	if err := s.opt.Desktop.SetCallPriority(r.Context(), id, *req.Priority, queueScope(sess.User)); err != nil {
		s.engineError(w, "call priority", err)
		return
	}
	s.opt.Logger.Info("call priority", "call", id, "priority", *req.Priority, "by", sess.User.Username)
	writeJSON(w, http.StatusOK, map[string]any{"call": id, "priority": *req.Priority})
}

// engineError answers an error from the router; one without a code (the router gone, a
// timeout) is unavailable.
func (s *server) engineError(w http.ResponseWriter, what string, err error) {
	s.fail(w, err, failure{what: what, status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "desk.err.router_unavailable"})
}
