package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"switchboard/internal/account"
	"switchboard/internal/store"
)

// Callbacks is what the web side needs of the callbacks in the store: an agent lists the
// callbacks assigned to them, a supervisor those of their queues and cancels one that waits.
type Callbacks interface {
	Callbacks(ctx context.Context, f store.CallbackFilter) ([]store.Callback, error)
	AgentCallbacks(ctx context.Context, agent string) ([]store.Callback, error)
	Callback(ctx context.Context, id int64) (*store.Callback, error)
	CancelCallback(ctx context.Context, id int64) (bool, error)
	Audit(ctx context.Context, e account.AuditEntry) error
}

var _ Callbacks = (*store.Store)(nil)

// CallbackRow is one callback in an answer.
type CallbackRow struct {
	ID          int64      `json:"id"`
	Number      string     `json:"number"`
	Queue       string     `json:"queue"`
	Priority    int        `json:"priority"`
	Reason      string     `json:"reason"`
	State       string     `json:"state"`
	Agent       string     `json:"agent,omitempty"`
	CallID      string     `json:"call_id,omitempty"`
	EnqueuedAt  time.Time  `json:"enqueued_at"`
	Attempts    int        `json:"attempts"`
	MaxAttempts int        `json:"max_attempts"`
	NextAt      time.Time  `json:"next_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	WindowStart *time.Time `json:"window_start,omitempty"`
	WindowEnd   *time.Time `json:"window_end,omitempty"`
	Outcome     string     `json:"outcome,omitempty"`
	Requests    int        `json:"requests"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func callbackRow(c store.Callback) CallbackRow {
	row := CallbackRow{ID: c.ID, Number: c.Number, Queue: c.Queue, Priority: c.Priority, Reason: string(c.Reason),
		State: string(c.State), Agent: c.Agent, CallID: c.CallID, EnqueuedAt: c.EnqueuedAt, Attempts: c.Attempts,
		MaxAttempts: c.MaxAttempts, NextAt: c.NextAt, ExpiresAt: c.ExpiresAt, Outcome: string(c.Outcome),
		Requests: c.Requests, UpdatedAt: c.UpdatedAt}
	if !c.WindowStart.IsZero() {
		row.WindowStart = &c.WindowStart
	}
	if !c.WindowEnd.IsZero() {
		row.WindowEnd = &c.WindowEnd
	}
	return row
}

func callbackRows(cbs []store.Callback, keep func(store.Callback) bool) []CallbackRow {
	rows := []CallbackRow{}
	for _, c := range cbs {
		if keep == nil || keep(c) {
			rows = append(rows, callbackRow(c))
		}
	}
	return rows
}

var callbackStates = []store.CallbackState{store.CallbackPending, store.CallbackScheduled, store.CallbackDialing,
	store.CallbackDone, store.CallbackExpired, store.CallbackCancelled}

// callbackScope reports whether the session's user may see and act on a callback of queue.
func callbackScope(u account.User, queue string) bool {
	return u.Role == "admin" || u.Role == "supervisor" && slices.Contains(u.Queues, queue)
}

// agentCallbacks: GET /api/agent/callbacks, the agent's own active callbacks.
func (s *server) agentCallbacks(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	if sess.User.AgentID == "" {
		writeError(w, http.StatusForbidden, CodeForbidden, "this account is not an agent")
		return
	}
	cbs, err := s.opt.Callbacks.AgentCallbacks(r.Context(), sess.User.AgentID)
	if err != nil {
		s.opt.Logger.Error("agent callbacks", "agent", sess.User.AgentID, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "callbacks unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": callbackRows(cbs, nil)})
}

// listCallbacks: GET /api/callbacks?queue=&state=, the callbacks of the supervisor's queues
// (an admin's: all), by default the active ones (pending, scheduled, dialing).
func (s *server) listCallbacks(w http.ResponseWriter, r *http.Request) {
	u := sessionFrom(r.Context()).User
	q := r.URL.Query()
	f := store.CallbackFilter{Queue: q.Get("queue")}
	if u.Role != "admin" {
		f.Queues = append([]string{}, u.Queues...) // in the query, before its limit
	}
	if f.Queue != "" && !callbackScope(u, f.Queue) {
		writeError(w, http.StatusForbidden, CodeForbidden, "queue not in your scope")
		return
	}
	if v := q.Get("state"); v != "" {
		if !slices.Contains(callbackStates, store.CallbackState(v)) {
			writeError(w, http.StatusBadRequest, CodeInvalid, fmt.Sprintf("bad state %q (known: pending, scheduled, dialing, done, expired, cancelled)", v))
			return
		}
		f.States = []store.CallbackState{store.CallbackState(v)}
	}
	cbs, err := s.opt.Callbacks.Callbacks(r.Context(), f)
	if err != nil {
		s.opt.Logger.Error("callbacks", "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "callbacks unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": callbackRows(cbs, func(c store.Callback) bool {
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
		writeError(w, http.StatusBadRequest, CodeInvalid, "bad callback id")
		return
	}
	cb, err := s.opt.Callbacks.Callback(r.Context(), id)
	switch {
	case isNotFound(err):
		writeError(w, http.StatusNotFound, CodeNotFound, "no such callback")
		return
	case err != nil:
		s.opt.Logger.Error("callback", "id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "callbacks unavailable")
		return
	case !callbackScope(u, cb.Queue):
		writeError(w, http.StatusForbidden, CodeForbidden, "queue not in your scope")
		return
	}
	ok, err := s.opt.Callbacks.CancelCallback(r.Context(), id)
	if err != nil {
		s.opt.Logger.Error("cancel callback", "id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "callbacks unavailable")
		return
	}
	if !ok {
		writeError(w, http.StatusConflict, CodeConflict, "the callback is being dialed or is over")
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
	writeJSON(w, http.StatusOK, callbackRow(*cb))
}
