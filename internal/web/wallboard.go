package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"switchboard/acd"
)

// QueueRow is one queue on the wallboard.
type QueueRow struct {
	Queue          string  `json:"queue"`
	Waiting        int     `json:"waiting"`
	LongestWait    float64 `json:"longest_wait_seconds"`
	Available      int     `json:"agents_available"`
	Busy           int     `json:"agents_busy"`
	Paused         int     `json:"agents_paused"`
	ServiceLevel   float64 `json:"service_level"` // today, answered within threshold ÷ answered
	SLGoal         float64 `json:"service_level_goal"`
	ASA            float64 `json:"asa_seconds"`
	AHT            float64 `json:"aht_seconds"`
	AbandonRate    float64 `json:"abandon_rate"`
	Answered       int64   `json:"answered"`
	Abandoned      int64   `json:"abandoned"`
	WindowSL       float64 `json:"window_service_level"`
	WindowAnswered int64   `json:"window_answered"`
	SLThreshold    float64 `json:"service_level_threshold_seconds"`
	// Breach: the queue is below its service-level goal, today or over the last window.
	Breach bool `json:"sl_breach"`
	// EWT is the expected wait of a caller joining now (the engine's estimator); nil: unknown.
	EWT *float64 `json:"ewt_seconds"`
	// CallbacksPending counts callbacks not yet done; nil: unknown.
	CallbacksPending *int `json:"callbacks_pending"`
}

// rows returns the queues the session may see: an admin all, a supervisor those in scope.
func (s *server) rows(r *http.Request) []QueueRow {
	sess := sessionFrom(r.Context())
	live := s.opt.Live()
	var ewt map[string]time.Duration
	if s.opt.Desktop != nil {
		var err error
		if ewt, err = s.opt.Desktop.JoinEstimates(r.Context()); err != nil && r.Context().Err() == nil {
			s.opt.Logger.Warn("wait estimates", "err", err)
		}
	}
	callbacks := s.callbackCounts(r.Context())
	var out []QueueRow
	for _, q := range live.Queues {
		if sess.User.Role != "admin" && !slices.Contains(sess.User.Queues, q.Queue) {
			continue
		}
		row := QueueRow{
			Queue: q.Queue, Waiting: q.Waiting, LongestWait: q.LongestWait.Seconds(),
			Available:    q.Agents[acd.Available],
			Busy:         q.Agents[acd.Reserved] + q.Agents[acd.OnCall] + q.Agents[acd.WrapUp],
			Paused:       q.Agents[acd.Paused],
			ServiceLevel: q.Today.ServiceLevel, SLGoal: q.SLGoal, ASA: q.Today.ASA.Seconds(),
			AHT: q.Today.AHT.Seconds(), AbandonRate: q.Today.AbandonRate,
			Answered: q.Today.Answered, Abandoned: q.Today.Abandoned,
			WindowSL: q.Window.ServiceLevel, WindowAnswered: q.Window.Answered, SLThreshold: q.SLThreshold.Seconds(),
			Breach: (q.Today.Answered > 0 && q.Today.ServiceLevel < q.SLGoal) || (q.Window.Answered > 0 && q.Window.ServiceLevel < q.SLGoal),
		}
		if d, ok := ewt[q.Queue]; ok {
			secs := d.Seconds()
			row.EWT = &secs
		}
		if callbacks != nil {
			n := callbacks[q.Queue]
			row.CallbacksPending = &n
		}
		out = append(out, row)
	}
	return out
}

// callbackCounts asks the store for the callbacks pending at most every two seconds, however
// many wallboards are open; nil when unknown.
func (s *server) callbackCounts(ctx context.Context) map[string]int {
	if s.opt.CallbacksPending == nil {
		return nil
	}
	c := &s.callbacks
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < 2*time.Second {
		return c.counts
	}
	counts, err := s.opt.CallbacksPending(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.opt.Logger.Warn("callback counts", "err", err)
		}
		return nil
	}
	c.counts, c.at = counts, time.Now()
	return counts
}

func (s *server) wallboard(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	s.render(w, r, "wallboard.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Rows": s.rows(r),
		"Grid": s.opt.Desktop != nil, "Reasons": PauseReasons})
}

func (s *server) apiQueues(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"queues": s.rows(r)})
}

// streamQueues sends the wallboard's rows every second as server-sent events ("queues"), and
// with the desktop part the agent grid ("agents") and the waiting calls ("waiting").
func (s *server) streamQueues(w http.ResponseWriter, r *http.Request) {
	ev := s.startEvents(w)
	tick := time.NewTicker(s.opt.wallboardTick)
	defer tick.Stop()
	checked := time.Now()
	for {
		b, _ := json.Marshal(s.rows(r))
		msg := event("queues", b)
		if s.opt.Desktop != nil {
			if rows, err := s.scopedAgents(r); err == nil {
				b, _ := json.Marshal(rows)
				msg = append(msg, event("agents", b)...)
			}
			if rows, err := s.scopedWaiting(r); err == nil {
				b, _ := json.Marshal(rows)
				msg = append(msg, event("waiting", b)...)
			}
		}
		if ev.send(msg) != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if time.Since(checked) >= s.opt.streamRecheck {
			if !s.sessionLive(r) {
				return
			}
			checked = time.Now()
		}
	}
}
