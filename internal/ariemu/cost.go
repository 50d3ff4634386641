package ariemu

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Cost is what serving ARI costs a real Asterisk 22.10.1 with its default http.conf, after
// traces/http-sessions.txt and rest-over-websocket.notes.txt: a limit on HTTP sessions and
// a service time per request. A field left zero takes Asterisk's figure; a negative one turns
// that part off. Costs are real time: Options.Speed does not divide them.
type Cost struct {
	// SessionLimit is how many HTTP sessions (TCP connections, event websockets included) are
	// served at once (http.conf sessionlimit, 100). Asterisk closes a connection beyond it at
	// once, with no answer: the client reads EOF, and the log says "HTTP session count exceeded
	// 100 sessions.". Only listeners the emulator wraps count: Start, or Server.Listener.
	SessionLimit int
	// KeepAlive is how long an idle kept-alive connection keeps its session (15 s).
	KeepAlive time.Duration
	// Request is the service time of one REST request on a kept-alive connection (0.118 ms
	// for GET /channels, sequential on one connection), Connect what a new connection adds to
	// its first request (0.350 − 0.118 ms).
	Request time.Duration
	Connect time.Duration
	// WebSocketRequest is the service time of a request sent over the event websocket
	// (0.168 ms there against 0.207 ms over HTTP: 0.81 × Request).
	WebSocketRequest time.Duration
	// Workers is how many requests are served at once; the rest wait their turn (2: the
	// traced machine's CPUs).
	Workers int
}

// Asterisk's figures (traces/http-sessions.txt, rest-over-websocket.notes.txt).
const (
	asteriskSessionLimit = 100
	asteriskKeepAlive    = 15 * time.Second
	asteriskRequest      = 118 * time.Microsecond
	asteriskConnect      = 232 * time.Microsecond
	asteriskWSRequest    = 96 * time.Microsecond
	asteriskWorkers      = 2
)

func (c *Cost) defaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	if c.SessionLimit == 0 {
		c.SessionLimit = asteriskSessionLimit
	}
	def(&c.KeepAlive, asteriskKeepAlive)
	def(&c.Request, asteriskRequest)
	def(&c.Connect, asteriskConnect)
	def(&c.WebSocketRequest, asteriskWSRequest)
	if c.Workers == 0 {
		c.Workers = asteriskWorkers
	}
}

// costMeter serves requests at the model's pace and counts what it refused.
type costMeter struct {
	cost     Cost
	workers  chan struct{} // nil: no limit on requests served at once
	sessions atomic.Int64  // open sessions on wrapped listeners
	peak     atomic.Int64
	refused  atomic.Int64 // connections closed for the session limit
	requests atomic.Int64 // ARI requests served (HTTP and websocket)
}

func newCostMeter(c Cost) *costMeter {
	c.defaults()
	m := &costMeter{cost: c}
	if c.Workers > 0 {
		m.workers = make(chan struct{}, c.Workers)
	}
	return m
}

type wsRequestKey struct{}

// serve spends a request's service time, waiting for a worker if all are busy. A client
// that goes away meanwhile changes nothing: Asterisk does not notice, serves the request and
// keeps its HTTP session until then (a timed-out client that closes its connection and dials
// another holds two sessions).
func (m *costMeter) serve(ctx context.Context) {
	m.requests.Add(1)
	d := m.cost.Request
	if ctx.Value(wsRequestKey{}) != nil {
		d = m.cost.WebSocketRequest
	}
	if d <= 0 {
		return
	}
	if m.workers != nil {
		m.workers <- struct{}{}
		defer func() { <-m.workers }()
	}
	spin(d)
}

// spin waits d; a short wait is a busy loop, since timers are coarser than a request's cost.
func spin(d time.Duration) {
	if d > time.Millisecond {
		time.Sleep(d)
		return
	}
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// costly charges every ARI request before h serves it.
func (s *Server) costly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cost.serve(r.Context())
		h.ServeHTTP(w, r)
	})
}

// Listener wraps ln with Asterisk's HTTP session limit and the cost of new connections, for
// a server the caller runs itself (e.g. httptest.NewUnstartedServer). Start uses it.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &sessionListener{Listener: ln, s: s}
}

type sessionListener struct {
	net.Listener
	s *Server
}

func (l *sessionListener) Accept() (net.Conn, error) {
	m := l.s.cost
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lim := int64(m.cost.SessionLimit); lim > 0 && m.sessions.Load() >= lim {
			m.refused.Add(1)
			l.s.log.Warn("HTTP session count exceeded " + strconv.FormatInt(lim, 10) + " sessions.")
			refuse(c)
			continue
		}
		n := m.sessions.Add(1)
		for p := m.peak.Load(); n > p && !m.peak.CompareAndSwap(p, n); p = m.peak.Load() {
		}
		return &sessionConn{Conn: c, m: m}, nil
	}
}

// refuse closes a connection beyond the session limit without an answer. The client reads
// EOF, as from Asterisk: its side is shut first and what the client already sent is read
// away, since closing a socket with unread data would reset it instead.
func refuse(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		_ = c.Close()
		return
	}
	_ = tc.CloseWrite()
	go func() {
		_ = tc.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.Copy(io.Discard, tc)
		_ = tc.Close()
	}()
}

// sessionConn holds a session until it is closed; its first read costs a new connection.
type sessionConn struct {
	net.Conn
	m      *costMeter
	opened sync.Once
	closed sync.Once
}

func (c *sessionConn) Read(p []byte) (int, error) {
	c.opened.Do(func() {
		if d := c.m.cost.Connect; d > 0 {
			spin(d)
		}
	})
	return c.Conn.Read(p)
}

func (c *sessionConn) Close() error {
	c.closed.Do(func() { c.m.sessions.Add(-1) })
	return c.Conn.Close()
}

// Sessions reports the HTTP sessions open now on the emulator's listeners, the most there
// were at once, how many connections the session limit refused, and the ARI requests served.
func (s *Server) Sessions() (open, peak, refused, requests int64) {
	m := s.cost
	return m.sessions.Load(), m.peak.Load(), m.refused.Load(), m.requests.Load()
}
