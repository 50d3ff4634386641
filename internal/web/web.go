// Package web serves Switchboard's HTTP side: health, metrics, accounts and the supervisor's
// wallboard (and, as they arrive, the API and the agent desktop). Every route but /healthz and
// the login form checks who is asking: /metrics a token, pages and API a session whose role fits,
// supervisors only their queues. /healthz answers anyone with a status code and one word, so
// that load balancers can probe it without credentials.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/acd"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"mul100": func(x float64) float64 { return x * 100 },
}).ParseFS(assets, "assets/*.html"))

// Check reports one dependency's health.
type Check struct {
	Name string
	OK   func() bool
}

// Live is the picture the wallboard shows.
type Live struct {
	At     time.Time
	Queues []acd.QueueStats
	Agents map[acd.AgentState]int
}

// Options configure the server.
type Options struct {
	Checks  []Check
	Metrics http.Handler
	// MetricsToken is the bearer token (or basic-auth password, any user) /metrics demands.
	// Empty: /metrics is refused.
	MetricsToken string
	Users        Users       // nil: no login, no pages
	Live         func() Live // the latest statistics
	Recordings   Recordings  // nil: no recording search or playback (recordings.go)
	// RecordCall starts recording an agent's connected call on demand; nil: route absent.
	// Errors carry acd codes (not_found, conflict, invalid: the queue's policy refuses).
	RecordCall func(ctx context.Context, agentID, callID string) error
	Logger     *slog.Logger
}

type server struct {
	opt       Options
	limit     *limiter
	dummyHash []byte
	verified  verified // recording files whose checksum matched
}

// Handler returns the HTTP handler.
func Handler(opt Options) http.Handler {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &server{opt: opt, limit: newLimiter(5, 5*time.Minute), verified: verified{files: map[string]fileStamp{}}}
	s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	if opt.Metrics != nil {
		mux.Handle("GET /metrics", requireToken(opt.MetricsToken, opt.Metrics))
	}
	if opt.Users != nil && opt.Live != nil {
		mux.HandleFunc("GET /login", s.handleLogin)
		mux.HandleFunc("POST /login", s.handleLogin)
		mux.HandleFunc("POST /logout", s.requireRole(false, []string{"agent", "supervisor", "admin"}, s.handleLogout))
		mux.HandleFunc("GET /wallboard", s.requireRole(false, []string{"supervisor", "admin"}, s.wallboard))
		mux.HandleFunc("GET /api/queues", s.requireRole(true, []string{"supervisor", "admin"}, s.apiQueues))
		mux.HandleFunc("GET /api/queues/stream", s.requireRole(true, []string{"supervisor", "admin"}, s.streamQueues))
		if opt.Recordings != nil {
			everyone := []string{"agent", "supervisor", "admin"}
			mux.HandleFunc("GET /api/recordings", s.requireRole(true, everyone, s.searchRecordings))
			mux.HandleFunc("GET /recordings/{name}", s.requireRole(true, everyone, s.playRecording))
			mux.HandleFunc("GET /recordings", s.requireRole(false, everyone, s.recordingsPage))
		}
		if opt.RecordCall != nil {
			mux.HandleFunc("POST /api/calls/{id}/record", s.requireRole(true, []string{"agent"}, s.recordCall))
		}
		mux.Handle("GET /assets/", http.FileServerFS(assets))
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/wallboard", http.StatusSeeOther)
		})
	}
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var down []string
	for _, c := range s.opt.Checks {
		if !c.OK() {
			down = append(down, c.Name)
		}
	}
	if len(down) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready: " + strings.Join(down, ", ") + "\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func (s *server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.opt.Logger.Error("render", "page", name, "err", err)
	}
}

// requireToken lets a request through with "Authorization: Bearer <token>" or basic auth
// whose password is the token.
func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := ""
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = strings.TrimPrefix(h, "Bearer ")
		} else if _, pass, ok := r.BasicAuth(); ok {
			got = pass
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="switchboard metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
