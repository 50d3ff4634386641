package web

import (
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
}

// rows returns the queues the session may see: an admin all, a supervisor those in scope.
func (s *server) rows(r *http.Request) []QueueRow {
	sess := sessionFrom(r.Context())
	live := s.opt.Live()
	var out []QueueRow
	for _, q := range live.Queues {
		if sess.User.Role != "admin" && !slices.Contains(sess.User.Queues, q.Queue) {
			continue
		}
		out = append(out, QueueRow{
			Queue: q.Queue, Waiting: q.Waiting, LongestWait: q.LongestWait.Seconds(),
			Available:    q.Agents[acd.Available],
			Busy:         q.Agents[acd.Reserved] + q.Agents[acd.OnCall] + q.Agents[acd.WrapUp],
			Paused:       q.Agents[acd.Paused],
			ServiceLevel: q.Today.ServiceLevel, SLGoal: q.SLGoal, ASA: q.Today.ASA.Seconds(),
			AHT: q.Today.AHT.Seconds(), AbandonRate: q.Today.AbandonRate,
			Answered: q.Today.Answered, Abandoned: q.Today.Abandoned,
			WindowSL: q.Window.ServiceLevel, WindowAnswered: q.Window.Answered,
		})
	}
	return out
}

func (s *server) wallboard(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	s.render(w, "wallboard.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Rows": s.rows(r)})
}

func (s *server) apiQueues(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"queues": s.rows(r)})
}

// streamQueues sends the wallboard's rows every second as server-sent events.
func (s *server) streamQueues(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		b, _ := json.Marshal(s.rows(r))
		if _, err := w.Write(append(append([]byte("event: queues\ndata: "), b...), '\n', '\n')); err != nil {
			return
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
