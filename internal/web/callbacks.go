package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/ivr/callback"
)

// Callbacks is what the web side needs of the callbacks in the store: an agent lists the
// callbacks assigned to them, a supervisor those of their queues and cancels one that waits.
type Callbacks interface {
	Callbacks(ctx context.Context, f callback.Filter) ([]callback.Callback, error)
	AgentCallbacks(ctx context.Context, agent string) ([]callback.Callback, error)
	Callback(ctx context.Context, id int64) (*callback.Callback, error)
	CancelCallback(ctx context.Context, id int64) (bool, error)
	Audit(ctx context.Context, e account.AuditEntry) error
}

// callbackRows are the callbacks keep keeps (nil: all), never null in JSON.
func callbackRows(cbs []callback.Callback, keep func(callback.Callback) bool) []callback.Callback {
	rows := []callback.Callback{}
	for _, c := range cbs {
		if keep == nil || keep(c) {
			rows = append(rows, c)
		}
	}
	return rows
}

// callbackScope reports whether the session's user may see and act on a callback of queue.
func callbackScope(u account.User, queue string) bool {
	return u.Role == "admin" || u.Role == "supervisor" && slices.Contains(u.Queues, queue)
}

// agentCallbacks: GET /api/agent/callbacks, the agent's own active callbacks.
func (s *server) agentCallbacks(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	if sess.User.AgentID == "" {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_agent")
		return
	}
	cbs, err := s.opt.Callbacks.AgentCallbacks(r.Context(), sess.User.AgentID)
	if err != nil {
		s.opt.Logger.Error("agent callbacks", "agent", sess.User.AgentID, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "desk.err.callbacks_unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": callbackRows(cbs, nil)})
}

// listCallbacks: GET /api/callbacks?queue=&state=, the callbacks of the supervisor's queues
// (an admin's: all), by default the active ones (pending, scheduled, dialing).
func (s *server) listCallbacks(w http.ResponseWriter, r *http.Request) {
	u := sessionFrom(r.Context()).User
	q := r.URL.Query()
	f := callback.Filter{Queue: q.Get("queue")}
	if u.Role != "admin" {
		f.Queues = append([]string{}, u.Queues...) // in the query, before its limit
	}
	if f.Queue != "" && !callbackScope(u, f.Queue) {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.queue_scope")
		return
	}
	if v := q.Get("state"); v != "" {
		if !slices.Contains(callback.States, callback.State(v)) {
			writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.callback_state", v)
			return
		}
		f.States = []callback.State{callback.State(v)}
	}
	cbs, err := s.opt.Callbacks.Callbacks(r.Context(), f)
	if err != nil {
		s.opt.Logger.Error("callbacks", "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "desk.err.callbacks_unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": callbackRows(cbs, func(c callback.Callback) bool {
		return callbackScope(u, c.Queue)
	})})
}

// cancelCallback: POST /api/callbacks/{id}/cancel, a waiting callback of the supervisor's
// queues is cancelled (audited); one being dialed or over is a conflict.
func (s *server) cancelCallback(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	u := sessionFrom(r.Context()).User
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.callback_id")
		return
	}
	cb, err := s.opt.Callbacks.Callback(r.Context(), id)
	switch {
	case err != nil:
		s.fail(w, err, failure{messages: map[string]string{acd.ENotFound: "desk.err.callback_id"}, what: "callback", attrs: []any{"id", id},
			status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "callbacks unavailable"})
		return
	case !callbackScope(u, cb.Queue):
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.queue_scope")
		return
	}
	ok, err := s.opt.Callbacks.CancelCallback(r.Context(), id)
	if err != nil {
		s.opt.Logger.Error("cancel callback", "id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "desk.err.callbacks_unavailable")
		return
	}
	if !ok {
		writeError(w, http.StatusConflict, CodeConflict, "desk.err.callback_busy")
		return
	}
	obj := "callback/" + strconv.FormatInt(id, 10)
	if err := s.opt.Callbacks.Audit(r.Context(), account.AuditEntry{Actor: u.Username, Action: "callback.cancel", Object: obj, Detail: cb.Queue}); err != nil {
		s.opt.Logger.Error("audit", "action", "callback.cancel", "object", obj, "err", err)
	}
	s.opt.Logger.Info("callback cancelled", "callback", id, "user", u.Username)
	if cb, err = s.opt.Callbacks.Callback(r.Context(), id); err != nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, cb)
}
