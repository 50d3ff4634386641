package web

import (
	"context"
	"net/http"
	"strings"

	"switchboard/internal/account"
	"switchboard/internal/router"
)

// Monitoring is the supervisors' listening to their agents' calls (router.Controls) and the
// audit trail each session goes into. Errors carry acd codes.
type Monitoring interface {
	Monitor(ctx context.Context, req router.MonitorRequest) (router.MonitorSession, error)
	StopMonitor(ctx context.Context, supervisor string) error
	TakeOver(ctx context.Context, supervisor, agent string) (router.MonitorSession, error)
	Monitoring(ctx context.Context) ([]router.MonitorSession, error)
	Audit(ctx context.Context, e account.AuditEntry) error
}

// MonitorJSON is a monitoring session in the API.
type MonitorJSON struct {
	ID         string `json:"id"`
	Supervisor string `json:"supervisor"`
	Agent      string `json:"agent"`
	Call       string `json:"call"`
	Mode       string `json:"mode"`
	Endpoint   string `json:"endpoint"`
	Started    string `json:"started"`
	Mine       bool   `json:"mine"` // the asking supervisor's own
	Up         bool   `json:"up"`   // the supervisor's phone answered and hears the call
}

func monitorJSON(m router.MonitorSession, user string) MonitorJSON {
	return MonitorJSON{ID: m.ID, Supervisor: m.Supervisor, Agent: m.Agent, Call: m.Call, Mode: m.Mode, Endpoint: m.Endpoint,
		Started: m.Started.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Mine: m.Supervisor == user, Up: m.Up}
}

// monitorAgent answers POST /api/supervisor/agents/{id}/{monitor,whisper,barge}: the
// supervisor's phone (the body's endpoint, one of the site's desk phones) joins the agent's
// call in mode; asked again with another mode, the session changes mode. Only agents of the
// supervisor's queues (others: not found); every start and change is audited, and the end.
func (s *server) monitorAgent(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !csrfOK(w, r) {
			return
		}
		var req struct {
			Endpoint string `json:"endpoint"`
		}
		if !decodeJSON(w, r, &req) {
			return
		}
		u := sessionFrom(r.Context()).User
		agent := r.PathValue("id")
		m, err := s.opt.Monitoring.Monitor(r.Context(), router.MonitorRequest{Supervisor: u.Username, Agent: agent, Mode: mode,
			Endpoint: strings.TrimSpace(req.Endpoint), InScope: queueScope(u)})
		if err != nil {
			s.controlError(w, mode, err)
			return
		}
		s.monitorAudit(r, "monitor."+mode, agent, m.ID+" "+m.Call+" "+m.Endpoint)
		writeJSON(w, http.StatusOK, monitorJSON(m, u.Username))
	}
}

// takeOver answers POST /api/supervisor/agents/{id}/takeover: the supervisor's phone, in a
// session on that agent, takes the agent's place in the call; the agent's leg is hung up.
func (s *server) takeOver(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	u := sessionFrom(r.Context()).User
	agent := r.PathValue("id")
	m, err := s.opt.Monitoring.TakeOver(r.Context(), u.Username, agent)
	if err != nil {
		s.controlError(w, "take over", err)
		return
	}
	s.monitorAudit(r, "monitor.takeover", agent, m.ID+" "+m.Call+" "+m.Endpoint)
	w.WriteHeader(http.StatusNoContent)
}

// stopMonitor answers POST /api/supervisor/monitor/stop: the supervisor's own session ends.
func (s *server) stopMonitor(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	u := sessionFrom(r.Context()).User
	if err := s.opt.Monitoring.StopMonitor(r.Context(), u.Username); err != nil {
		s.controlError(w, "stop monitor", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listMonitoring answers GET /api/supervisor/monitoring: the sessions on agents of the
// supervisor's queues (an admin: all).
func (s *server) listMonitoring(w http.ResponseWriter, r *http.Request) {
	all, err := s.opt.Monitoring.Monitoring(r.Context())
	if err != nil {
		s.engineError(w, "monitoring", err)
		return
	}
	u := sessionFrom(r.Context()).User
	inScope := queueScope(u)
	out := []MonitorJSON{}
	for _, m := range all {
		if m.Supervisor == u.Username || inScope == nil {
			out = append(out, monitorJSON(m, u.Username))
			continue
		}
		if s.opt.Desktop == nil {
			continue
		}
		if v, err := s.opt.Desktop.Agent(r.Context(), m.Agent); err == nil && agentInScope(inScope, v) {
			out = append(out, monitorJSON(m, u.Username))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// deskMonitored answers GET /api/desk/monitored: whether a supervisor listens to the asking
// agent's call now, when the site's policy shows it (else always false).
func (s *server) deskMonitored(w http.ResponseWriter, r *http.Request) {
	agent, ok := myAgent(w, r)
	if !ok {
		return
	}
	monitored := false
	if s.opt.ShowMonitored {
		all, err := s.opt.Monitoring.Monitoring(r.Context())
		if err != nil {
			s.engineError(w, "monitoring", err)
			return
		}
		for _, m := range all {
			monitored = monitored || m.Agent == agent
		}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"monitored": monitored})
}

func (s *server) monitorAudit(r *http.Request, action, object, detail string) {
	u := sessionFrom(r.Context()).User
	if err := s.opt.Monitoring.Audit(r.Context(), account.AuditEntry{Actor: u.Username, Action: action, Object: object, Detail: detail}); err != nil {
		s.opt.Logger.Error("audit", "action", action, "object", object, "err", err)
	}
}

// monitorModes are the supervisor's modes, each a route POST /api/supervisor/agents/{id}/{mode}.
var monitorModes = []string{router.ModeMonitor, router.ModeWhisper, router.ModeBarge}
