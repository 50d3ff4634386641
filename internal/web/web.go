// Package web serves Switchboard's HTTP side: health, metrics, accounts and the supervisor's
// wallboard, the accounts admin, reports and the JSON API (docs/openapi.yaml). Every route but
// /healthz and the login form checks who is asking: /metrics a token, pages and API a session
// whose role fits, supervisors only their queues; API routes also take an API token
// (Authorization: Bearer) acting as its owner. /healthz answers anyone with a status code and one word, so
// that load balancers can probe it without credentials.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/acd"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"mul100": func(x float64) float64 { return x * 100 },
	// pct and secs show a ratio or a duration that may be undefined (nil) in a report.
	"pct": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return strconv.FormatFloat(*p*100, 'f', 0, 64) + "%"
	},
	"secs": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return strconv.FormatFloat(*p, 'f', 0, 64) + " s"
	},
	"deref": func(p *float64) float64 { return *p },
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
	// Accounts manages users and API tokens (admin.go); nil: /admin, /api/users and
	// /api/tokens absent, and no bearer tokens accepted.
	Accounts Accounts
	// Reports computes the reports (reports.go); nil: /reports and /api/reports absent.
	Reports Reports
	// KPIs gives first-contact resolution and reopen rate over a range for the queues (nil:
	// all); nil or ok false: the reports leave them out.
	KPIs   func(ctx context.Context, from, to time.Time, queues []string) (fcr, reopen float64, ok bool, err error)
	Logger *slog.Logger
}

type server struct {
	opt       Options
	limit     *limiter
	dummyHash []byte
	verified  verified // recording files whose checksum matched
}

// Handler returns the HTTP handler.
func Handler(opt Options) http.Handler {
	return securityHeaders(newServer(opt).register().mux)
}

func newServer(opt Options) *server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &server{opt: opt, limit: newLimiter(5, 5*time.Minute), verified: verified{files: map[string]fileStamp{}}}
	s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	return s
}

var (
	everyone    = []string{"agent", "supervisor", "admin"}
	supervisors = []string{"supervisor", "admin"}
	agents      = []string{"agent"}
	admins      = []string{"admin"}
)

// register builds the mux. Each part of the product registers its routes here, through
// s.handle, so that Routes can list them.
func (s *server) register() *routes {
	opt := s.opt
	rt := &routes{mux: http.NewServeMux()}
	s.handle(rt, "GET /healthz", false, nil, s.health)
	if opt.Metrics != nil {
		rt.list = append(rt.list, Route{Method: "GET", Path: "/metrics"})
		rt.mux.Handle("GET /metrics", requireToken(opt.MetricsToken, opt.Metrics))
	}
	if opt.Users == nil || opt.Live == nil {
		return rt
	}
	s.handle(rt, "GET /login", false, nil, s.handleLogin)
	s.handle(rt, "POST /login", false, nil, s.handleLogin)
	s.handle(rt, "POST /logout", false, everyone, s.handleLogout)
	s.handle(rt, "GET /wallboard", false, supervisors, s.wallboard)
	s.handle(rt, "GET /api/queues", true, supervisors, s.apiQueues)
	s.handle(rt, "GET /api/queues/stream", true, supervisors, s.streamQueues)
	if opt.Recordings != nil {
		s.handle(rt, "GET /api/recordings", true, everyone, s.searchRecordings)
		s.handle(rt, "GET /recordings/{name}", true, everyone, s.playRecording)
		s.handle(rt, "GET /recordings", false, everyone, s.recordingsPage)
	}
	if opt.RecordCall != nil {
		s.handle(rt, "POST /api/calls/{id}/record", true, agents, s.recordCall)
	}
	if opt.Accounts != nil {
		s.handle(rt, "GET /admin", false, admins, s.adminPage)
		s.handle(rt, "GET /api/users", true, admins, s.listUsers)
		s.handle(rt, "POST /api/users", true, admins, s.createUser)
		s.handle(rt, "PATCH /api/users/{id}", true, admins, s.updateUser)
		s.handle(rt, "DELETE /api/users/{id}", true, admins, s.deleteUser)
		s.handle(rt, "GET /api/tokens", true, everyone, s.listTokens)
		s.handle(rt, "POST /api/tokens", true, everyone, s.createToken)
		s.handle(rt, "DELETE /api/tokens/{id}", true, everyone, s.revokeToken)
	}
	if opt.Reports != nil {
		s.handle(rt, "GET /reports", false, supervisors, s.reportsPage)
		s.handle(rt, "GET /api/reports", true, supervisors, s.apiReports)
	}
	rt.mux.Handle("GET /assets/", http.FileServerFS(assets))
	s.handle(rt, "GET /{$}", false, nil, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/wallboard", http.StatusSeeOther)
	})
	return rt
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
