// Package web serves Switchboard's HTTP side: health, metrics, accounts, the supervisor's
// wallboard, the agent desktop, the accounts admin, reports and the JSON API behind them
// (docs/openapi.yaml). Every route but /healthz and the login form checks who is asking:
// /metrics a token, pages and API a session whose role fits, supervisors only their queues,
// agents only their own state and calls; API routes also take an API token (Authorization:
// Bearer) acting as its owner. Streams check their session again every 15 s and end with it. /healthz answers anyone with a status code and one word, so that
// load balancers can probe it without credentials.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/acd"
	"switchboard/acd/report"
	"switchboard/internal/account"
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
	"T":     T,
	// when and minute write a time in the reader's zone as their language does; dur seconds.
	"when": fmtWhen, "minute": fmtMinute, "dur": fmtSeconds,
	"durD": func(lang string, d time.Duration) string { return fmtSeconds(lang, d.Seconds()) },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
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
	Nodes  []NodeStatus // with several Asterisk nodes
}

// NodeStatus is one Asterisk node on the wallboard: whether the router sees it and, for an
// admin (they span every queue), its calls and logged-in agents.
type NodeStatus struct {
	Name   string `json:"name"`
	Ready  bool   `json:"ready"`
	Calls  *int   `json:"calls,omitempty"`
	Agents *int   `json:"agents,omitempty"`
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
	// Secure pauses and resumes an agent's call recording and collects digits with it paused
	// (secure.go); nil: routes absent.
	Secure CallRecording
	CRM    CRM // nil: no customer or ticket routes (crm.go)
	// Pops is the agents' screen-pop feed (pop.go); nil: /api/agent/pop/stream and
	// /api/agent/call absent. Desk takes wrap-ups and agent-scheduled callbacks (pop.go); nil:
	// /api/dispositions and /api/calls/{id}/wrapup and /callback absent.
	Pops Pops
	Desk Desk
	// Desktop is the router's side of the agent desktop and the wallboard's agent grid and
	// actions (desktop.go); nil: those routes are absent.
	Desktop Desktop
	// Controls are the agent's controls of their connected call (controls.go); Monitoring the
	// supervisors' monitor, whisper and barge (monitor.go). nil: those routes are absent.
	Controls   CallControls
	Monitoring Monitoring
	// ShowMonitored tells agents when a supervisor listens to their call (site policy:
	// show_monitored); false: GET /api/desk/monitored always says no.
	ShowMonitored bool
	// AgentDay sums an agent's work between two times (the store's agent_states): the
	// desktop's figures of the day. Needed with Desktop.
	AgentDay func(ctx context.Context, agentID string, from, to time.Time) (report.AgentDay, error)
	// Callers knows the live calls' numbers and IVR paths (callers.go), for the wallboard's
	// waiting calls; nil: not shown.
	Callers *CallerBook
	// CallbacksPending counts, per queue, the callbacks not yet done (the wallboard shows
	// them); nil: not shown.
	CallbacksPending func(ctx context.Context) (map[string]int, error)
	// Callbacks lists and cancels callbacks (callbacks.go); nil: routes absent.
	Callbacks Callbacks
	// Accounts manages users and API tokens (admin.go); nil: /admin, /api/users and
	// /api/tokens absent, and no bearer tokens accepted.
	Accounts Accounts
	// Reports computes the reports (reports.go); nil: /reports and /api/reports absent.
	Reports Reports
	// KPIs gives first-contact resolution and reopen rate over a range for the queues (nil:
	// all); nil or ok false: the reports leave them out.
	KPIs func(ctx context.Context, from, to time.Time, queues []string) (fcr, reopen float64, ok bool, err error)
	// IVR is the configuration's IVR, for the labels of the IVR paths pages show
	// (/api/ivr/labels); nil: route absent.
	IVR func() IVR
	// Profiles keeps each user's language and time zone (profile.go); nil: no /profile.
	Profiles Profiles
	// TimeZone is the center's zone (config timezone): pages show times in it unless the
	// user chose another; nil: UTC.
	TimeZone *time.Location
	Logger   *slog.Logger
	// Limits bound what one client may hold: timeouts (NewServer) and event streams.
	Limits Limits
	// PublicURL is the site's address as browsers use it (http.public_url), e.g.
	// https://switchboard.example.com behind a TLS-terminating proxy; "": not known. With an
	// https address cookies are Secure, answers carry Strict-Transport-Security, and /login
	// asked over plain http redirects there.
	PublicURL string
	// TrustedProxies are the proxies whose X-Forwarded-For names the client's address (login
	// throttling and logs); others are taken as the client.
	TrustedProxies []netip.Prefix
	// Softphone is where the desktop's browser phone registers (softphone.go); nil: agents
	// work on desk phones only and /api/agent/softphone is absent.
	Softphone *Softphone

	streamRecheck time.Duration // how often a stream checks its session; 0: 15 s (tests shorten it)
	wallboardTick time.Duration // how often the wallboard's stream sends; 0: 1 s (tests shorten it)
	loginThrottle throttle      // how failing addresses are slowed; zero: defaultThrottle
}

type server struct {
	opt       Options
	limits    Limits
	streams   *streams
	limit     *limiter
	verified  verified // recording files whose checksum matched
	callbacks struct { // the latest callback counts (wallboard.go)
		mu     sync.Mutex
		at     time.Time
		counts map[string]int
	}
	customers customerCache // the waiting callers' names (wallboard_calls.go)
	dials     *dialFeed     // agents' dial changes for their pop streams (dialfeed.go)
}

// Handler returns the HTTP handler.
func Handler(opt Options) http.Handler {
	s := newServer(opt)
	return s.securityHeaders(withErrorLang(checkInput(s.withLangSwitch(s.register().mux))))
}

func newServer(opt Options) *server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.streamRecheck <= 0 {
		opt.streamRecheck = 15 * time.Second
	}
	if opt.wallboardTick <= 0 {
		opt.wallboardTick = time.Second
	}
	s := &server{opt: opt, limits: opt.Limits.withDefaults(), streams: newStreams(), limit: newLimiter(opt.loginThrottle),
		verified: verified{files: map[string]fileStamp{}}, dials: newDialFeed()}
	if opt.Controls != nil {
		opt.Controls.OnDialChange(s.dials.publish)
	}
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
	s.handle(rt, "GET /healthz", page, nil, s.health)
	if opt.Metrics != nil {
		rt.list = append(rt.list, Route{Method: "GET", Path: "/metrics"})
		rt.mux.Handle("GET /metrics", requireToken(opt.MetricsToken, opt.Metrics))
	}
	if opt.Users == nil || opt.Live == nil {
		return rt
	}
	s.handle(rt, "GET /login", page, nil, s.handleLogin)
	s.handle(rt, "POST /login", page, nil, s.handleLogin)
	s.handle(rt, "POST /logout", page, everyone, s.handleLogout)
	s.handle(rt, "GET /wallboard", page, supervisors, s.wallboard)
	s.handle(rt, "GET /wallboard/tv", page, supervisors, s.wallboardTV)
	s.handle(rt, "GET /api/queues", api, supervisors, s.apiQueues)
	s.handle(rt, "GET /api/queues/stream", apiStream, supervisors, s.streamQueues)
	if opt.Recordings != nil {
		s.handle(rt, "GET /api/recordings", api, everyone, s.searchRecordings)
		s.handle(rt, "GET /recordings/{name}", api, everyone, s.playRecording)
		s.handle(rt, "GET /recordings", page, everyone, s.recordingsPage)
	}
	if opt.RecordCall != nil {
		s.handle(rt, "POST /api/calls/{id}/record", api, agents, s.recordCall)
	}
	if opt.Secure != nil {
		s.handle(rt, "POST /api/calls/{id}/recording/pause", api, agents, s.pauseRecording)
		s.handle(rt, "POST /api/calls/{id}/recording/resume", api, agents, s.resumeRecording)
		s.handle(rt, "POST /api/calls/{id}/secure-collect", api, agents, s.secureCollect)
	}
	if opt.CRM != nil {
		s.handle(rt, "GET /api/customers", api, everyone, s.searchCustomers)
		s.handle(rt, "POST /api/customers", api, everyone, s.createCustomer)
		s.handle(rt, "GET /api/customers/{id}", api, everyone, s.getCustomer)
		s.handle(rt, "PATCH /api/customers/{id}", api, everyone, s.updateCustomer)
		s.handle(rt, "GET /api/tickets", api, everyone, s.listTickets)
		s.handle(rt, "POST /api/tickets", api, everyone, s.createTicket)
		s.handle(rt, "GET /api/tickets/{id}", api, everyone, s.getTicket)
		s.handle(rt, "PATCH /api/tickets/{id}", api, everyone, s.updateTicket)
		s.handle(rt, "POST /api/tickets/{id}/calls", api, everyone, s.linkTicketCall)
		s.handle(rt, "GET /customers", page, everyone, s.customersPage)
		s.handle(rt, "GET /customers/{id}", page, everyone, s.customerPage)
		s.handle(rt, "GET /tickets", page, everyone, s.ticketsPage)
	}
	if opt.Pops != nil {
		s.handle(rt, "GET /api/agent/pop/stream", apiStream, agents, s.streamPops)
		s.handle(rt, "GET /api/agent/call", api, agents, s.currentPop)
	}
	if opt.Desk != nil {
		s.handle(rt, "GET /api/dispositions", api, everyone, s.dispositions)
		s.handle(rt, "POST /api/calls/{id}/wrapup", api, agents, s.wrapupCall)
		s.handle(rt, "POST /api/calls/{id}/callback", api, agents, s.callbackCall)
	}
	if opt.Desktop != nil && opt.AgentDay != nil {
		s.handle(rt, "GET /agent", page, agents, s.desktopPage)
		s.handle(rt, "GET /api/agent", api, agents, s.apiMe)
		s.handle(rt, "POST /api/agent/login", api, agents, s.apiAgentLogin)
		s.handle(rt, "POST /api/agent/state", api, agents, s.apiMyState)
		s.handle(rt, "GET /api/agent/stats", api, agents, s.apiMyStats)
		s.handle(rt, "POST /api/calls/{id}/transfer", api, agents, s.apiTransfer)
		s.handle(rt, "GET /api/agents", api, supervisors, s.apiAgents)
		s.handle(rt, "POST /api/agents/{id}/state", api, supervisors, s.apiAgentState)
		s.handle(rt, "PATCH /api/agents/{id}", api, supervisors, s.apiPatchAgent)
		s.handle(rt, "GET /api/calls/waiting", api, supervisors, s.apiWaiting)
		s.handle(rt, "PATCH /api/calls/{id}", api, supervisors, s.apiPatchCall)
	}
	if opt.Controls != nil { // the agent's call controls (controls.go) and supervisors' monitoring (monitor.go)
		for _, a := range controlActions {
			s.handle(rt, "POST /api/desk/call/"+a, api, agents, s.callControl(a))
		}
		s.handle(rt, "POST /api/desk/call/dial", api, agents, s.dialCall)
		s.handle(rt, "GET /api/desk/call/dial", api, agents, s.dialStatus)
	}
	if opt.Monitoring != nil {
		for _, m := range monitorModes {
			s.handle(rt, "POST /api/supervisor/agents/{id}/"+m, api, supervisors, s.monitorAgent(m))
		}
		s.handle(rt, "POST /api/supervisor/agents/{id}/takeover", api, supervisors, s.takeOver)
		s.handle(rt, "POST /api/supervisor/monitor/stop", api, supervisors, s.stopMonitor)
		s.handle(rt, "GET /api/supervisor/monitoring", api, supervisors, s.listMonitoring)
		s.handle(rt, "GET /api/desk/monitored", api, agents, s.deskMonitored)
	}
	if opt.Callbacks != nil {
		s.handle(rt, "GET /api/agent/callbacks", api, agents, s.agentCallbacks)
		s.handle(rt, "GET /api/callbacks", api, supervisors, s.listCallbacks)
		s.handle(rt, "POST /api/callbacks/{id}/cancel", api, supervisors, s.cancelCallback)
	}
	if opt.Accounts != nil {
		s.handle(rt, "GET /admin", page, admins, s.adminPage)
		s.handle(rt, "GET /api/users", apiSession, admins, s.listUsers)
		s.handle(rt, "POST /api/users", apiSession, admins, s.createUser)
		s.handle(rt, "PATCH /api/users/{id}", apiSession, admins, s.updateUser)
		s.handle(rt, "DELETE /api/users/{id}", apiSession, admins, s.deleteUser)
		s.handle(rt, "GET /api/tokens", apiSession, everyone, s.listTokens)
		s.handle(rt, "POST /api/tokens", apiSession, everyone, s.createToken)
		s.handle(rt, "DELETE /api/tokens/{id}", apiSession, everyone, s.revokeToken)
	}
	if opt.Reports != nil {
		s.handle(rt, "GET /reports", page, supervisors, s.reportsPage)
		s.handle(rt, "GET /api/reports", api, supervisors, s.apiReports)
	}
	if opt.IVR != nil {
		s.handle(rt, "GET /api/ivr/labels", api, everyone, s.ivrLabelsAPI)
	}
	if opt.Profiles != nil {
		s.handle(rt, "GET /profile", page, everyone, s.profilePage)
		s.handle(rt, "POST /profile", page, everyone, s.profilePage)
	}
	s.handle(rt, "GET /assets/{file}", page, nil, serveAsset)
	// The browser softphone (softphone.go): its SIP library, ring tone and settings.
	s.handle(rt, "GET /assets/lib/jssip.js", page, nil, serveSIPLib)
	s.handle(rt, "GET /assets/ring.wav", page, nil, serveRingTone)
	if opt.Desktop != nil && opt.AgentDay != nil {
		s.handle(rt, "GET /api/agent/softphone", apiSession, agents, s.apiSoftphone)
	}
	s.handle(rt, "GET /{$}", page, nil, func(w http.ResponseWriter, r *http.Request) {
		to := "/wallboard" // which asks for a login when there is no session
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if sess, err := s.opt.Users.SessionByToken(r.Context(), c.Value, time.Now()); err == nil {
				to = s.home(sess.User.Role)
			}
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	})
	return rt
}

// home is where a role lands after signing in: agents on their desktop (when there is one),
// supervisors and admins on the wallboard.
func (s *server) home(role string) string {
	if role == "agent" && s.opt.Desktop != nil && s.opt.AgentDay != nil {
		return "/agent"
	}
	return "/wallboard"
}

// serveAsset serves a stylesheet or script of the pages to anyone: files only, never a
// listing of the folder, and not the page templates beside them.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if ext := path.Ext(name); (ext != ".css" && ext != ".js" && ext != ".svg") || !fs.ValidPath(name) || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	f, err := assets.Open("assets/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, name, st.ModTime(), f.(io.ReadSeeker))
}

func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		csp := "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
		if ws := s.softphoneConnectSrc(); ws != "" {
			csp += "; connect-src 'self' " + ws
		}
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if s.httpsSite() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// httpsSite reports whether browsers reach the site over HTTPS (an https public URL).
func (s *server) httpsSite() bool { return strings.HasPrefix(s.opt.PublicURL, "https://") }

// secureCookies reports whether cookies set in answer to r are Secure: on an HTTPS site, or
// on a TLS connection to the router itself.
func (s *server) secureCookies(r *http.Request) bool { return r.TLS != nil || s.httpsSite() }

// overHTTPS reports whether r reached the site over HTTPS: a TLS connection, or a proxy that
// terminated TLS and says so (X-Forwarded-Proto: https).
func overHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
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

// navLink is one entry of the pages' navigation bar (nav.html).
type navLink struct {
	Href, Text string
	Current    bool
}

// nav lists the pages a role may open on this server, marking the one being rendered:
// agents their desktop and recordings; supervisors the wallboard, reports and recordings;
// admins the accounts too.
func (s *server) nav(role, page, lang string) []navLink {
	var links []navLink
	add := func(on bool, href, text, tmpl string) {
		if on {
			links = append(links, navLink{Href: href, Text: T(lang, text), Current: tmpl == page})
		}
	}
	crmPages := func() {
		add(s.opt.CRM != nil, "/customers", "crm.nav.customers", "customers.html")
		add(s.opt.CRM != nil, "/tickets", "crm.nav.tickets", "tickets.html")
	}
	if role == "agent" {
		add(s.opt.Desktop != nil && s.opt.AgentDay != nil, "/agent", "nav.desktop", "desktop.html")
		add(s.opt.Recordings != nil, "/recordings", "nav.recordings", "recordings.html")
		crmPages()
		add(s.opt.Profiles != nil, "/profile", "profile.nav", "profile.html")
		return links
	}
	add(true, "/wallboard", "nav.wallboard", "wallboard.html")
	add(s.opt.Reports != nil, "/reports", "nav.reports", "reports.html")
	add(s.opt.Recordings != nil, "/recordings", "nav.recordings", "recordings.html")
	crmPages()
	add(role == "admin" && s.opt.Accounts != nil, "/admin", "nav.accounts", "admin.html")
	add(s.opt.Profiles != nil, "/profile", "profile.nav", "profile.html")
	return links
}

// render writes a page; pages for a signed-in user (data with "User") get the navigation bar.
func (s *server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	s.renderStatus(w, r, http.StatusOK, name, data)
}

// renderStatus is render with another status code.
// Pages are written in the request's language (langOf): data gets "Lang", the language
// switch "Langs" and the scripts' texts "I18N".
func (s *server) renderStatus(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	lang := langOf(r)
	if m, ok := data.(map[string]any); ok {
		if u, ok := m["User"].(account.User); ok {
			m["Nav"] = s.nav(u.Role, name, lang)
		}
		m["Lang"], m["Langs"], m["I18N"] = lang, langLinks(lang), jsCatalogue(lang)
		m["Zone"] = s.zoneOf(r)
	}
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
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
