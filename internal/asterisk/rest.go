package asterisk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/router"
)

// REST implements every resource port of the router.
var (
	_ router.Channels   = (*REST)(nil)
	_ router.Bridges    = (*REST)(nil)
	_ router.Playbacks  = (*REST)(nil)
	_ router.Recordings = (*REST)(nil)
	_ router.Telephony  = (*REST)(nil)
)

// RESTOptions say where a node's ARI is.
type RESTOptions struct {
	URL      string // e.g. http://127.0.0.1:8088/ari
	App      string
	Username string
	Password string
	// MaxConns bounds the HTTP connections to Asterisk (config ari.max_conns; default
	// DefaultMaxConns); that many are kept alive between requests. A request finding them all
	// busy waits for one, so the router never has more sessions open than this against
	// Asterisk's http.conf sessionlimit (100 by default; past it Asterisk closes connections
	// unanswered and every request on them fails).
	MaxConns int
	// Registerer receives switchboard_ari_request_seconds and switchboard_ari_requests_in_flight
	// (nil: not exported).
	Registerer prometheus.Registerer
	// IdleTimeout closes a connection idle this long (default DefaultIdleTimeout): under
	// Asterisk's session_keep_alive (15 s), so that no request goes out on a connection
	// Asterisk is closing at the same moment.
	IdleTimeout time.Duration
	// Timeout is how long a caller waits for Asterisk's answer (default DefaultTimeout). A
	// request that has not got a connection by then is given up; one already sent returns
	// its error to the caller but keeps its connection until Asterisk answers it, at most
	// WireTimeout after it was sent (default DefaultWireTimeout): closing the connection would
	// not stop Asterisk, which keeps the session until it has answered, and the connection
	// dialed in its place would take one session more.
	Timeout     time.Duration
	WireTimeout time.Duration
}

// Defaults of RESTOptions.
const (
	DefaultMaxConns    = 16
	DefaultIdleTimeout = 10 * time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultWireTimeout = 2 * time.Minute
)

// REST carries out the router's requests on one Asterisk node: every request, recording
// downloads included, goes through one bounded pool of kept-alive connections.
type REST struct {
	opt      RESTOptions
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge
	http     *http.Client
	files    *http.Client // recording downloads: no overall timeout, large files take a while
}

// NewREST returns a client; it does not connect anything.
func NewREST(opt RESTOptions) *REST {
	opt.URL = strings.TrimRight(opt.URL, "/")
	if opt.MaxConns <= 0 {
		opt.MaxConns = DefaultMaxConns
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.WireTimeout <= 0 {
		opt.WireTimeout = DefaultWireTimeout
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     opt.MaxConns,
		MaxIdleConnsPerHost: opt.MaxConns,
		MaxIdleConns:        opt.MaxConns,
		IdleConnTimeout:     opt.IdleTimeout,
	}
	r := &REST{opt: opt, http: &http.Client{Transport: tr}, files: &http.Client{Transport: tr}}
	r.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "switchboard_ari_request_seconds",
		Help:    "ARI REST requests, from sending to the answer's status (waiting for a pooled connection included), by operation.",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10},
	}, []string{"operation"})
	r.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "switchboard_ari_requests_in_flight", Help: "ARI REST requests sent and not yet answered.",
	})
	if opt.Registerer != nil {
		r.latency = register(opt.Registerer, r.latency)
		r.inFlight = register(opt.Registerer, r.inFlight)
	}
	return r
}

// register registers c, or returns the collector already registered under its name (a second
// REST on the same registry, e.g. for another purpose on the same node, shares the metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(fmt.Sprintf("register ARI metrics: %v", err))
	}
	return c
}

// Operations, the values of switchboard_ari_request_seconds' operation label: one per kind of
// request, never an id.
const (
	opAnswer          = "channel_answer"
	opHangup          = "channel_hangup"
	opPlay            = "channel_play"
	opSetVar          = "channel_set_variable"
	opGetVar          = "channel_get_variable"
	opContinue        = "channel_continue"
	opChannels        = "channels_list"
	opOriginate       = "originate"
	opStopPlayback    = "playback_stop"
	opBridgeCreate    = "bridge_create"
	opBridgeDelete    = "bridge_delete"
	opBridgeAdd       = "bridge_add"
	opBridgeRemove    = "bridge_remove"
	opBridgeMOH       = "bridge_moh"
	opBridgeRecord    = "bridge_record"
	opBridgeGet       = "bridge_get"
	opBridges         = "bridges_list"
	opEndpointGet     = "endpoint_get"
	opApplicationGet  = "application_get"
	opRecordingsList  = "recordings_list"
	opRecordingFetch  = "recording_fetch"
	opRecordingDelete = "recording_delete"
	opRecordingPause  = "recording_pause"
	opRecordingResume = "recording_resume"
)

// do sends one API request through the pool, timed under the operation op, and waits for
// its answer until opt.Timeout or the end of the request's context. A request that never got
// a connection is then given up. One on the wire is left to finish under a context of its
// own, bounded by opt.WireTimeout: its answer is read away and its connection, busy until
// then, goes back to the pool, so the pool never dials past Asterisk's sessions.
func (r *REST) do(req *http.Request, op string) (*http.Response, error) {
	r.inFlight.Inc()
	start := time.Now()
	finished := func() {
		r.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
		r.inFlight.Dec()
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), r.opt.WireTimeout)
	var onWire atomic.Bool
	wctx = httptrace.WithClientTrace(wctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { onWire.Store(true) }})
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := r.http.Do(req.WithContext(wctx))
		done <- answer{resp, err}
	}()
	timer := time.NewTimer(r.opt.Timeout)
	defer timer.Stop()
	var why error
	select {
	case a := <-done:
		finished()
		if a.err != nil {
			cancel()
			return nil, a.err
		}
		a.resp.Body = cancelOnClose{a.resp.Body, cancel}
		return a.resp, nil
	case <-timer.C:
		why = context.DeadlineExceeded
	case <-req.Context().Done():
		why = req.Context().Err()
	}
	sent := onWire.Load()
	if !sent {
		cancel() // still waiting for a connection: nothing reached Asterisk
	}
	go func() {
		a := <-done
		if a.err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(a.resp.Body, 1<<20))
			a.resp.Body.Close()
		}
		cancel()
		finished()
	}()
	if sent {
		return nil, fmt.Errorf("no answer from Asterisk yet (the request goes on): %w", why)
	}
	return nil, fmt.Errorf("no connection to Asterisk free: %w", why)
}

// cancelOnClose ends a request's own context when its answer is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// statusError is an ARI request Asterisk answered with a failure status; a 404 is
// router.ErrNotFound.
type statusError struct {
	op, status, message string
	code                int
}

func (e *statusError) Error() string {
	if e.code == http.StatusNotFound {
		return fmt.Sprintf("%s: %s: %v", e.op, e.message, router.ErrNotFound)
	}
	return fmt.Sprintf("%s: status %s: %s", e.op, e.status, e.message)
}

func (e *statusError) Is(target error) bool {
	return target == router.ErrNotFound && e.code == http.StatusNotFound
}

func (r *REST) Answer(ctx context.Context, ch string) error {
	return r.send(ctx, http.MethodPost, "/channels/"+url.PathEscape(ch)+"/answer", nil, nil, "answer", opAnswer)
}

func (r *REST) Hangup(ctx context.Context, ch, reason string) error {
	if reason == "" {
		reason = "normal"
	}
	return r.send(ctx, http.MethodDelete, "/channels/"+url.PathEscape(ch), url.Values{"reason": {reason}}, nil, "hangup", opHangup)
}

// Play sends the media as a JSON array: Asterisk plays its items one after the other under
// one playback id, where a comma string in the body is taken as one file name
// (traces/play-media-list.jsonl).
func (r *REST) Play(ctx context.Context, ch, playbackID string, media []string) error {
	if len(media) == 0 {
		return fmt.Errorf("play on %s: no media", ch)
	}
	path := "/channels/" + url.PathEscape(ch) + "/play"
	if playbackID != "" {
		path += "/" + url.PathEscape(playbackID)
	}
	return r.send(ctx, http.MethodPost, path, nil, map[string]any{"media": media}, "play", opPlay)
}

// send makes one ARI request, with a JSON body when body is not nil, and reads nothing back
// but the status: 404 is router.ErrNotFound, any other failure carries Asterisk's message.
// Credentials go in the Authorization header.
func (r *REST) send(ctx context.Context, method, path string, query url.Values, body any, op, metric string) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	u := r.opt.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.opt.Username != "" {
		req.SetBasicAuth(r.opt.Username, r.opt.Password)
	}
	resp, err := r.do(req, metric)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	var e struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // the connection goes back to the pool
	return &statusError{op: op, status: resp.Status, message: e.Message, code: resp.StatusCode}
}

func (r *REST) StopPlayback(ctx context.Context, id string) error {
	return r.send(ctx, http.MethodDelete, "/playbacks/"+url.PathEscape(id), nil, nil, "stop playback", opStopPlayback)
}

// Originate rings an endpoint into the application. When Asterisk refuses (it answers
// 500 "Allocation failed" for a phone that is not registered), the endpoint is looked up: an
// endpoint Asterisk does not know or reports offline makes the error wrap
// router.ErrUnreachable, the phone's failure; any other refusal is Asterisk's.
func (r *REST) Originate(ctx context.Context, o router.Originate) error {
	secs := int((o.Timeout + time.Second - 1) / time.Second)
	body := map[string]any{"endpoint": o.Endpoint, "app": r.opt.App}
	for k, v := range map[string]string{"appArgs": o.AppArgs, "callerId": o.CallerID, "channelId": o.ChannelID} {
		if v != "" {
			body[k] = v
		}
	}
	if secs > 0 {
		body["timeout"] = secs
	}
	if len(o.Variables) > 0 {
		body["variables"] = o.Variables
	}
	err := r.send(ctx, http.MethodPost, "/channels", nil, body, "originate", opOriginate)
	var se *statusError
	if errors.As(err, &se) && se.code != http.StatusConflict && r.endpointDown(ctx, o.Endpoint) {
		return fmt.Errorf("originate: endpoint %s: %w: %v", o.Endpoint, router.ErrUnreachable, err)
	}
	return err
}

// endpointDown reports whether Asterisk knows no such endpoint or reports it offline; false
// when it cannot tell.
func (r *REST) endpointDown(ctx context.Context, endpoint string) bool {
	tech, res, ok := strings.Cut(endpoint, "/")
	if !ok || tech == "" || res == "" {
		return true // not a dialable endpoint at all
	}
	var ep struct {
		State string `json:"state"`
	}
	err := r.get(ctx, "/endpoints/"+url.PathEscape(tech)+"/"+url.PathEscape(res), opEndpointGet, &ep)
	if errors.Is(err, router.ErrNotFound) {
		return true
	}
	return err == nil && ep.State == "offline"
}

func (r *REST) CreateBridge(ctx context.Context, id, kind string) error {
	return r.send(ctx, http.MethodPost, "/bridges/"+url.PathEscape(id), nil, map[string]any{"type": kind, "name": id}, "create bridge", opBridgeCreate)
}

func (r *REST) DeleteBridge(ctx context.Context, id string) error {
	return r.send(ctx, http.MethodDelete, "/bridges/"+url.PathEscape(id), nil, nil, "delete bridge", opBridgeDelete)
}

// AddChannel adds the channels chs to bridge in one request. Several go as a JSON array:
// Asterisk splits only an array in the body, never a comma list in a string.
func (r *REST) AddChannel(ctx context.Context, bridge string, chs ...string) error {
	var ch any = chs
	if len(chs) == 1 {
		ch = chs[0]
	}
	return r.send(ctx, http.MethodPost, "/bridges/"+url.PathEscape(bridge)+"/addChannel", nil, map[string]any{"channel": ch}, "add channel", opBridgeAdd)
}

// HoldChannel adds ch to holding bridge with role holding_participant: ARI gives a channel
// added without a role the idle mode "none" (silence), a holding participant hears music on
// hold from Asterisk's holding bridge, its channel's music class unless class names another
// (set as CHANNEL(musicclass) first, one request more).
func (r *REST) HoldChannel(ctx context.Context, bridge, ch, class string) error {
	if class != "" && class != "default" {
		if err := r.SetVar(ctx, ch, "CHANNEL(musicclass)", class); err != nil {
			return err
		}
	}
	return r.send(ctx, http.MethodPost, "/bridges/"+url.PathEscape(bridge)+"/addChannel", nil,
		map[string]any{"channel": ch, "role": "holding_participant"}, "add channel", opBridgeAdd)
}

func (r *REST) RemoveChannel(ctx context.Context, bridge, ch string) error {
	return r.send(ctx, http.MethodPost, "/bridges/"+url.PathEscape(bridge)+"/removeChannel", nil, map[string]any{"channel": ch}, "remove channel", opBridgeRemove)
}

func (r *REST) BridgeMOH(ctx context.Context, bridge, class string) error {
	return r.send(ctx, http.MethodPost, "/bridges/"+url.PathEscape(bridge)+"/moh", nil, map[string]any{"mohClass": class}, "bridge moh", opBridgeMOH)
}

func (r *REST) RecordBridge(ctx context.Context, bridge, name string) error {
	return r.send(ctx, http.MethodPost, "/bridges/"+url.PathEscape(bridge)+"/record", nil,
		map[string]any{"name": name, "format": "wav", "ifExists": "fail", "maxDurationSeconds": 0, "maxSilenceSeconds": 0, "beep": false}, "record", opBridgeRecord)
}

func (r *REST) SetVar(ctx context.Context, ch, name, value string) error {
	body := map[string]any{"variable": name}
	if value != "" {
		body["value"] = value
	}
	return r.send(ctx, http.MethodPost, "/channels/"+url.PathEscape(ch)+"/variable", nil, body, "set variable", opSetVar)
}

func (r *REST) Var(ctx context.Context, ch, name string) (string, error) {
	var out struct {
		Value string `json:"value"`
	}
	err := r.get(ctx, "/channels/"+url.PathEscape(ch)+"/variable?variable="+url.QueryEscape(name), opGetVar, &out)
	return out.Value, err
}

func (r *REST) AppState(ctx context.Context) (channels, bridges []string, err error) {
	var app struct {
		ChannelIDs []string `json:"channel_ids"`
		BridgeIDs  []string `json:"bridge_ids"`
	}
	if err := r.get(ctx, "/applications/"+url.PathEscape(r.opt.App), opApplicationGet, &app); err != nil {
		return nil, nil, err
	}
	return app.ChannelIDs, app.BridgeIDs, nil
}

func (r *REST) Channels(ctx context.Context) ([]router.Channel, error) {
	var list []struct {
		ID       string                  `json:"id"`
		State    string                  `json:"state"`
		Caller   struct{ Number string } `json:"caller"`
		Dialplan struct{ Exten string }  `json:"dialplan"`
		Created  string                  `json:"creationtime"`
	}
	if err := r.get(ctx, "/channels", opChannels, &list); err != nil {
		return nil, err
	}
	out := make([]router.Channel, 0, len(list))
	for _, c := range list {
		created, _ := time.Parse("2006-01-02T15:04:05.000-0700", c.Created)
		out = append(out, router.Channel{ID: c.ID, State: c.State, Number: c.Caller.Number, Exten: c.Dialplan.Exten, Created: created})
	}
	return out, nil
}

func (r *REST) BridgeChannels(ctx context.Context, id string) ([]string, error) {
	var b struct {
		Channels []string `json:"channels"`
	}
	err := r.get(ctx, "/bridges/"+url.PathEscape(id), opBridgeGet, &b)
	return b.Channels, err
}

func (r *REST) ListBridges(ctx context.Context) (map[string][]string, error) {
	var list []struct {
		ID       string   `json:"id"`
		Channels []string `json:"channels"`
	}
	if err := r.get(ctx, "/bridges", opBridges, &list); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(list))
	for _, b := range list {
		out[b.ID] = b.Channels
	}
	return out, nil
}

// get reads one ARI resource as JSON. Credentials go in the Authorization header, never the URL.
func (r *REST) get(ctx context.Context, path, metric string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.opt.URL+path, nil)
	if err != nil {
		return fmt.Errorf("ari get: %w", err)
	}
	if r.opt.Username != "" {
		req.SetBasicAuth(r.opt.Username, r.opt.Password)
	}
	resp, err := r.do(req, metric)
	if err != nil {
		return fmt.Errorf("ari get %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // the connection goes back to the pool
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("ari get %s: %w", path, router.ErrNotFound)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("ari get %s: status %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("ari get %s: %w", path, err)
	}
	return nil
}

// FetchRecording opens a stored recording's file (GET /recordings/stored/{name}/file). The
// caller closes the body. Credentials go in the Authorization header.
func (r *REST) FetchRecording(ctx context.Context, name string) (io.ReadCloser, error) {
	path := "/recordings/stored/" + url.PathEscape(name) + "/file"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.opt.URL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch recording: %w", err)
	}
	if r.opt.Username != "" {
		req.SetBasicAuth(r.opt.Username, r.opt.Password)
	}
	r.inFlight.Inc()
	start := time.Now()
	resp, err := r.files.Do(req) // the body streams under the caller's context
	r.latency.WithLabelValues(opRecordingFetch).Observe(time.Since(start).Seconds())
	r.inFlight.Dec()
	if err != nil {
		return nil, fmt.Errorf("fetch recording %s: %w", name, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, fmt.Errorf("fetch recording %s: %w", name, router.ErrNotFound)
	case resp.StatusCode/100 != 2:
		resp.Body.Close()
		return nil, fmt.Errorf("fetch recording %s: status %s", name, resp.Status)
	}
	return resp.Body, nil
}

// StoredRecordings lists the names of the recordings Asterisk stores.
func (r *REST) StoredRecordings(ctx context.Context) ([]string, error) {
	var list []struct {
		Name string `json:"name"`
	}
	if err := r.get(ctx, "/recordings/stored", opRecordingsList, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list))
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names, nil
}

// DeleteRecording removes a stored recording from Asterisk.
func (r *REST) DeleteRecording(ctx context.Context, name string) error {
	return r.send(ctx, http.MethodDelete, "/recordings/stored/"+url.PathEscape(name), nil, nil, "delete recording", opRecordingDelete)
}

// PauseRecording pauses a live recording (POST /recordings/live/{name}/pause).
func (r *REST) PauseRecording(ctx context.Context, name string) error {
	return r.send(ctx, http.MethodPost, "/recordings/live/"+url.PathEscape(name)+"/pause", nil, nil, "pause recording", opRecordingPause)
}

// ResumeRecording unpauses a live recording (DELETE /recordings/live/{name}/pause).
func (r *REST) ResumeRecording(ctx context.Context, name string) error {
	return r.send(ctx, http.MethodDelete, "/recordings/live/"+url.PathEscape(name)+"/pause", nil, nil, "resume recording", opRecordingResume)
}

// Continue sends a channel out of the application into the dialplan
// (POST /channels/{id}/continue).
func (r *REST) Continue(ctx context.Context, ch, dialplan, extension string, priority int) error {
	return r.send(ctx, http.MethodPost, "/channels/"+url.PathEscape(ch)+"/continue", nil,
		map[string]any{"context": dialplan, "extension": extension, "priority": priority}, "continue", opContinue)
}
