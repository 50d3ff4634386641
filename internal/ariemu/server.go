package ariemu

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value works: no authentication,
// real-time speed, the Debian sound packages' folder, recordings in a new
// temporary folder.
type Options struct {
	// Username and Password are the ARI user's credentials (HTTP basic auth or
	// the api_key=user:pass query parameter). Empty Username disables auth.
	Username string
	Password string

	// AsteriskID is the asterisk_id of every event (default 02:fc:00:00:00:01).
	AsteriskID string

	// SystemName is asterisk.conf's systemname: Asterisk then makes channel ids
	// "<systemname>-<seconds>.<sequence>" instead of "<seconds>.<sequence>", so
	// that the ids of several nodes never collide (default: none).
	SystemName string

	// SoundsDir holds the prompts as <dir>/<lang>/<name>.wav (default
	// /usr/share/asterisk/sounds). When the language folder exists, unknown
	// sounds fail and durations come from the files; otherwise every sound
	// plays for DefaultSoundDuration.
	SoundsDir string
	// DefaultSoundDuration is a sound's duration when SoundsDir has no files
	// for its language (default 1s).
	DefaultSoundDuration time.Duration

	// RecordingsDir receives the recorded WAV files (default: a temporary
	// folder created by New and removed by Close).
	RecordingsDir string

	// Speed divides every emulated duration: 10 makes a 3 s prompt last 300 ms.
	// Zero or less means 1.
	Speed float64

	// InboundEndpoint and InboundContext name the trunk synthetic callers
	// arrive on (defaults "carrier", "from-carrier").
	InboundEndpoint string
	InboundContext  string
	// DialContext is the dialplan context of originated channels (default "agents").
	DialContext string
	// Dialplan stands in for the dialplan contexts a channel may continue to
	// (POST /channels/{id}/continue): context → the endpoint its Dial() calls,
	// "${EXTEN}" replaced by the extension (e.g. "sb-transfer" →
	// "PJSIP/${EXTEN}@carrier"). The dialled endpoint behaves as SetPhone says.
	// A channel continuing anywhere else is hung up by the (absent) dialplan.
	Dialplan map[string]string

	// RecordingEndsWithBridge sends RecordingFinished when a bridge is deleted while its legs
	// and recorder are still in it. By default the recording is lost as on the traced
	// Asterisk: the file is stored but no RecordingFinished ever comes, so an application
	// must wait for the legs to leave (the recording then finishes) before deleting the bridge.
	RecordingEndsWithBridge bool

	// DefaultPhone is how endpoints without a SetPhone configuration behave
	// when originated (default: answer after 500 ms, never hang up).
	DefaultPhone *Phone

	// ReplaceConnections makes a new websocket for an application replace the
	// previous one, as Asterisk does: the old one gets ApplicationReplaced and
	// is closed. By default every connection of an application gets every
	// event (several routers or test clients side by side).
	ReplaceConnections bool

	// Cost is what each request and connection costs, like a real Asterisk (cost.go); the
	// zero value is Asterisk's defaults: 100 HTTP sessions, 0.118 ms a request.
	Cost Cost

	// Logger receives the emulator's logs (default slog.Default()).
	Logger *slog.Logger
}

// Server is the emulator. It is an http.Handler serving /ari/... and /control/...
type Server struct {
	opts        Options
	partitioned atomic.Bool // see Partition
	log         *slog.Logger
	mux         *http.ServeMux
	sounds      *soundLib
	cost        *costMeter
	tempDir     string
	started     time.Time

	mu                        sync.Mutex
	closed                    bool
	uniqueSeq                 int
	nameSeq                   int
	snoopSeq                  int
	apps                      map[string]*app
	channels                  map[string]*channel
	bridges                   map[string]*bridge
	playbacks                 map[string]*playback
	live                      map[string]*liveRecording
	phones                    map[string]Phone
	customers                 map[string]Phone // by dialed number (customers.go)
	calls                     map[string]*CallRecord
	callOrder                 []string
	globals                   map[string]string
	conns                     map[*wsConn]struct{}
	wsCount                   int // websockets registered since New
	cleanCloses, abruptCloses int // how the applications' websockets ended (noteClose)
	callWait                  []chan struct{}
	clock                     clock
	steps                     steps // pending, see timeline.go
	stepSeq                   uint64

	httpSrv *http.Server
}

// uniqueID is the id Asterisk gives a channel created at now. Call with s.mu held.
func (s *Server) uniqueID(now time.Time) string {
	id := fmt.Sprintf("%d.%d", now.Unix(), s.uniqueSeq)
	if s.opts.SystemName != "" {
		id = s.opts.SystemName + "-" + id
	}
	return id
}

// New builds a Server. It fails only when the recordings folder cannot be created.
func New(opts Options) (*Server, error) {
	if opts.AsteriskID == "" {
		opts.AsteriskID = "02:fc:00:00:00:01"
	}
	if opts.SoundsDir == "" {
		opts.SoundsDir = "/usr/share/asterisk/sounds"
	}
	if opts.DefaultSoundDuration <= 0 {
		opts.DefaultSoundDuration = time.Second
	}
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.InboundEndpoint == "" {
		opts.InboundEndpoint = "carrier"
	}
	if opts.InboundContext == "" {
		opts.InboundContext = "from-carrier"
	}
	if opts.DialContext == "" {
		opts.DialContext = "agents"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger.With("component", "ariemu"),
		sounds:    newSoundLib(opts.SoundsDir, opts.DefaultSoundDuration),
		cost:      newCostMeter(opts.Cost),
		started:   time.Now(),
		apps:      map[string]*app{},
		channels:  map[string]*channel{},
		bridges:   map[string]*bridge{},
		playbacks: map[string]*playback{},
		live:      map[string]*liveRecording{},
		phones:    map[string]Phone{},
		calls:     map[string]*CallRecord{},
		globals:   map[string]string{},
		conns:     map[*wsConn]struct{}{},
		clock:     realClock{},
	}
	if s.opts.RecordingsDir == "" {
		dir, err := os.MkdirTemp("", "ariemu-recordings-")
		if err != nil {
			return nil, fmt.Errorf("create recordings folder: %w", err)
		}
		s.tempDir = dir
		s.opts.RecordingsDir = dir
	} else if err := os.MkdirAll(s.opts.RecordingsDir, 0o755); err != nil {
		return nil, fmt.Errorf("create recordings folder: %w", err)
	}
	s.mux = http.NewServeMux()
	for _, rt := range s.ariRoutes() {
		s.mux.Handle(rt.method+" /ari"+rt.path, s.auth(s.costly(rt.handler)))
	}
	s.mux.Handle("GET /ari/events", s.auth(http.HandlerFunc(s.handleEvents)))
	s.mux.Handle("/ari/", s.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Resource not found")
	})))
	for _, rt := range s.controlRoutes() {
		s.mux.Handle(rt.method+" "+rt.path, s.auth(rt.handler))
	}
	return s, nil
}

// RecordingsDir is the folder the stored recordings are written to.
func (s *Server) RecordingsDir() string { return s.opts.RecordingsDir }

// ServeHTTP serves ARI under /ari/ and the control API under /control/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Start listens on addr (e.g. "127.0.0.1:8088", ":0") and serves in the
// background, with Asterisk's HTTP session limit and keep-alive timeout
// (Options.Cost). It returns the address actually bound.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen %s: %w", addr, err)
	}
	ln = s.Listener(ln)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: s.cost.cost.KeepAlive}
	s.mu.Lock()
	s.httpSrv = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("listening", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}

// Close stops every timer's effect, closes the websockets and, when Start was
// used, the HTTP server; it removes the temporary recordings folder if New
// created one.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, ch := range s.channels {
		ch.stopTimers()
		// Requests waiting for this channel's playbacks give up.
		for _, c := range ch.idleChans {
			close(c)
		}
		ch.idleChans = nil
	}
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	srv := s.httpSrv
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err = srv.Shutdown(ctx)
	}
	if s.tempDir != "" {
		if rerr := os.RemoveAll(s.tempDir); rerr != nil && err == nil {
			err = fmt.Errorf("remove recordings folder: %w", rerr)
		}
	}
	return err
}

// scale converts an emulated duration to real time.
func (s *Server) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.opts.Speed)
}

// emulated converts a real elapsed duration to emulated time.
func (s *Server) emulated(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.opts.Speed)
}

func (s *Server) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Username == "" {
			h.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			if key := r.URL.Query().Get("api_key"); key != "" {
				user, pass, ok = strings.Cut(key, ":")
			}
		}
		if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.Username)) != 1 ||
			subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
			writeError(w, http.StatusUnauthorized, "Authentication required")
			return
		}
		h.ServeHTTP(w, r)
	})
}
