package web

import (
	"context"
	"encoding/json"
	"html/template"
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
	// Levels colour the figures by the view's thresholds (wallboard_tv.go).
	Levels Levels `json:"levels"`
}

// rows returns the queues the session may see (an admin all, a supervisor those in scope)
// and the view chose, coloured by its thresholds.
func (s *server) rows(r *http.Request, view ViewOptions) []QueueRow {
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
		if (sess.User.Role != "admin" && !slices.Contains(sess.User.Queues, q.Queue)) ||
			(view.Queues != nil && !slices.Contains(view.Queues, q.Queue)) {
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
		row.Levels = view.Thresholds.levels(row)
		out = append(out, row)
	}
	return out
}

// nodes are the Asterisk nodes for the session: names and states for every viewer, calls
// and agents (which span every queue) for an admin alone; nil with one node.
func (s *server) nodes(r *http.Request) []NodeStatus {
	live := s.opt.Live().Nodes
	if len(live) == 0 {
		return nil
	}
	admin := sessionFrom(r.Context()).User.Role == "admin"
	out := make([]NodeStatus, len(live))
	for i, n := range live {
		out[i] = NodeStatus{Name: n.Name, Ready: n.Ready}
		if admin {
			out[i].Calls, out[i].Agents = n.Calls, n.Agents
		}
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

// view reads the view options of r and checks that the queues it names are in the session's
// scope; on failure it has answered (the API in JSON, a page as a page).
func (s *server) view(w http.ResponseWriter, r *http.Request, page string) (ViewOptions, bool) {
	v, err := parseView(r.URL.Query())
	if err == nil {
		u := sessionFrom(r.Context()).User
		known := map[string]bool{}
		for _, q := range s.opt.Live().Queues {
			known[q.Queue] = u.Role == "admin" || slices.Contains(u.Queues, q.Queue)
		}
		for _, q := range v.Queues {
			if !known[q] {
				err = viewErr("wall.view.scope", q)
				break
			}
		}
	}
	if err == nil {
		return v, true
	}
	ve, _ := err.(*viewError)
	lang := langOf(r)
	if page == "" {
		writeError(w, http.StatusBadRequest, CodeInvalid, ve.key, ve.args...)
		return v, false
	}
	sess := sessionFrom(r.Context())
	s.renderStatus(w, r, http.StatusBadRequest, page, map[string]any{"User": sess.User, "CSRF": sess.CSRF,
		"Error": ve.text(lang), "TV": tvPage{Per: tvPerDefault, Rotate: tvRotateDefault}})
	return v, false
}

func (s *server) wallboard(w http.ResponseWriter, r *http.Request) {
	view, ok := s.view(w, r, "wallboard.html")
	if !ok {
		return
	}
	sess := sessionFrom(r.Context())
	q := r.URL.Query()
	q.Del("lang")
	tv := "/wallboard/tv"
	if len(q) > 0 {
		tv += "?" + q.Encode()
	}
	s.render(w, r, "wallboard.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Rows": s.rows(r, view),
		"Grid": s.opt.Desktop != nil, "Reasons": PauseReasons, "Query": q.Encode(), "TVHref": template.URL(tv)})
}

// tvPage is what the TV page's script needs: the stream's query, tiles per page, rotation.
type tvPage struct {
	Query       string
	Per, Rotate int
}

// wallboardTV is the wallboard for a screen on the wall: big tiles, no controls.
func (s *server) wallboardTV(w http.ResponseWriter, r *http.Request) {
	view, ok := s.view(w, r, "wallboard-tv.html")
	if !ok {
		return
	}
	sess := sessionFrom(r.Context())
	q := r.URL.Query()
	q.Del("lang")
	q.Set("view", "tv")
	s.render(w, r, "wallboard-tv.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Rows": s.rows(r, view),
		"TV": tvPage{Query: q.Encode(), Per: view.Per, Rotate: view.Rotate}})
}

func (s *server) apiQueues(w http.ResponseWriter, r *http.Request) {
	view, ok := s.view(w, r, "")
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"queues": s.rows(r, view)})
}

// streamQueues sends the wallboard's rows every second as server-sent events ("queues"), and
// with the desktop part the agent grid ("agents") and the waiting calls ("waiting") unless the
// TV asks (view=tv).
func (s *server) streamQueues(w http.ResponseWriter, r *http.Request) {
	view, ok := s.view(w, r, "")
	if !ok {
		return
	}
	grid := s.opt.Desktop != nil && r.URL.Query().Get("view") != "tv"
	ev := s.startEvents(w)
	tick := time.NewTicker(s.opt.wallboardTick)
	defer tick.Stop()
	checked := time.Now()
	for {
		b, _ := json.Marshal(s.rows(r, view))
		msg := event("queues", b)
		if nodes := s.nodes(r); nodes != nil && r.URL.Query().Get("view") != "tv" {
			b, _ := json.Marshal(nodes)
			msg = append(msg, event("nodes", b)...)
		}
		if grid {
			if rows, err := s.scopedAgents(r); err == nil {
				b, _ := json.Marshal(rows)
				msg = append(msg, event("agents", b)...)
			}
			if rows, err := s.waitingCalls(r); err == nil {
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
