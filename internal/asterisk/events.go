package asterisk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	sdk "github.com/CyCoreSystems/ari/v5"
	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/router"
)

// Sink takes the event stream. Deliver, Connected and Disconnected must not block: the router
// queues without bound. Connected comes before the first event of each (re)connection;
// everything after it comes from the new connection, and the sink should reconcile.
// Disconnected comes after the last event of a connection: until the next Connected the sink
// hears nothing of Asterisk.
type Sink interface {
	Deliver(ev router.Event)
	Connected(attempt int)
	Disconnected()
}

// EventsOptions configure the websocket reader.
type EventsOptions struct {
	URL        string // ARI base URL, e.g. http://127.0.0.1:8088/ari
	App        string
	Username   string
	Password   string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	MinBackoff time.Duration // default 100ms
	MaxBackoff time.Duration // default 5s
	// Types, when set, are the only event types decoded and delivered; the others are
	// counted (switchboard_ari_events_ignored_total) and skipped without decoding. Each
	// connection also asks Asterisk to send only these (filter.go).
	Types []string
	// Node, with several nodes, labels the reader's metrics node="<Node>" and its logs.
	Node string
}

// Events reads one Asterisk node's event websocket.
type Events struct {
	opt        EventsOptions
	sink       Sink
	connected  atomic.Bool
	gauge      prometheus.Gauge
	reconnects prometheus.Counter
	dropped    prometheus.Counter
	ignored    prometheus.Counter
	types      map[string]bool
}

// NewEvents prepares a reader that hands everything to sink; Run connects.
func NewEvents(opt EventsOptions, sink Sink) *Events {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 5 * time.Second
	}
	var labels prometheus.Labels
	if opt.Node != "" {
		labels = prometheus.Labels{"node": opt.Node}
		opt.Logger = opt.Logger.With("node", opt.Node)
	}
	e := &Events{
		opt:  opt,
		sink: sink,
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_ari_connected", Help: "1 while the ARI event websocket is connected.", ConstLabels: labels,
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_ari_reconnects_total", Help: "ARI websocket connections made after the first.", ConstLabels: labels,
		}),
		ignored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_ari_events_ignored_total", Help: "ARI events of types the router does not act on, skipped undecoded.", ConstLabels: labels,
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_ari_events_dropped_total", Help: "ARI messages received but not handed to the router (undecodable ones; each is logged).", ConstLabels: labels,
		}),
	}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(e.gauge, e.reconnects, e.dropped, e.ignored)
	}
	if len(opt.Types) > 0 {
		e.types = map[string]bool{}
		for _, t := range opt.Types {
			e.types[t] = true
		}
	}
	return e
}

// IsConnected reports whether the websocket is up now.
func (e *Events) IsConnected() bool { return e.connected.Load() }

func (e *Events) wsURL() (string, error) {
	u, err := url.Parse(e.opt.URL)
	if err != nil {
		return "", fmt.Errorf("ari url: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("ari url: scheme %q is not http(s)", u.Scheme)
	}
	u.Path = u.Path + "/events"
	q := url.Values{"app": {e.opt.App}}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Run keeps the websocket connected until ctx ends.
func (e *Events) Run(ctx context.Context) error {
	target, err := e.wsURL()
	if err != nil {
		return err
	}
	backoff := e.opt.MinBackoff
	for attempt := 1; ; {
		start := time.Now()
		err := e.session(ctx, target, attempt)
		e.connected.Store(false)
		e.gauge.Set(0)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, errNeverConnected) {
			attempt++
			e.reconnects.Inc()
		}
		if time.Since(start) > 10*time.Second {
			backoff = e.opt.MinBackoff
		}
		// Full jitter keeps several routers from reconnecting in step.
		wait := backoff/2 + rand.N(backoff/2+1)
		e.opt.Logger.Warn("ari websocket down", "err", err, "retry_in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if backoff *= 2; backoff > e.opt.MaxBackoff {
			backoff = e.opt.MaxBackoff
		}
	}
}

var errNeverConnected = errors.New("not connected")

func (e *Events) session(ctx context.Context, target string, attempt int) error {
	hdr := http.Header{}
	if e.opt.Username != "" {
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(e.opt.Username+":"+e.opt.Password)))
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, _, err := websocket.Dial(dctx, target, &websocket.DialOptions{HTTPHeader: hdr})
	cancel()
	if err != nil {
		return fmt.Errorf("%w: %v", errNeverConnected, err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(4 << 20)
	e.connected.Store(true)
	e.gauge.Set(1)
	e.opt.Logger.Info("ari websocket connected", "app", e.opt.App, "attempt", attempt)
	e.sink.Connected(attempt)
	defer e.sink.Disconnected()
	// Stopping closes the socket with a close frame: Asterisk then ends the session quietly
	// instead of logging "Web socket closed abruptly" and a read error. (A read under ctx
	// would drop the connection as ctx ends, with no close frame.)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close(websocket.StatusNormalClosure, "router stopping") })
	defer stop()
	if e.types != nil {
		fctx, stop := context.WithCancel(ctx)
		defer stop()
		go e.setFilter(fctx)
	}
	for {
		typ, data, err := conn.Read(context.Background())
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		if e.types != nil {
			if t, ok := eventType(data); ok && !e.types[t] {
				e.ignored.Inc()
				continue
			}
		}
		ev, err := sdk.DecodeEvent(data)
		if err != nil || ev == nil {
			e.dropped.Inc()
			e.opt.Logger.Warn("ari event not decoded", "err", err, "bytes", len(data))
			continue
		}
		if rev := RouterEvent(ev); rev != nil {
			e.sink.Deliver(rev)
		}
	}
}

// eventType finds an event's "type" without decoding the message: Asterisk writes it as the
// first member. ok is false when it is not found there, and the message is then decoded.
func eventType(data []byte) (string, bool) {
	const key = `{"type":"`
	if !bytes.HasPrefix(data, []byte(key)) {
		return "", false
	}
	rest := data[len(key):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}
