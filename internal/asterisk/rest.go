package asterisk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	sdk "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"

	"switchboard/internal/router"
)

var _ router.Telephony = (*REST)(nil)

// RESTOptions say where a node's ARI is.
type RESTOptions struct {
	URL      string // e.g. http://127.0.0.1:8088/ari
	App      string
	Username string
	Password string
}

// REST carries out the router's requests on one Asterisk node through the ARI library's
// native client; the three listings reconciliation needs are read directly, one request each.
type REST struct {
	opt   RESTOptions
	cl    *native.Client
	http  *http.Client
	files *http.Client // recording downloads: no overall timeout, large files take a while
}

// NewREST returns a client; it does not connect anything.
func NewREST(opt RESTOptions) *REST {
	opt.URL = strings.TrimRight(opt.URL, "/")
	cl := native.New(&native.Options{Application: opt.App, URL: opt.URL, WebsocketURL: "ws://unused/", Username: opt.Username, Password: opt.Password})
	return &REST{opt: opt, cl: cl, http: &http.Client{Timeout: 10 * time.Second},
		files: &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}}}
}

func key(kind, id string) *sdk.Key { return sdk.NewKey(kind, id) }

// classify turns a 404 into router.ErrNotFound.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var re native.RequestError
	if errors.As(err, &re) && re.Code() == http.StatusNotFound {
		return fmt.Errorf("%s: %w", op, router.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (r *REST) Answer(ch string) error {
	return classify("answer", r.cl.Channel().Answer(key(sdk.ChannelKey, ch)))
}

func (r *REST) Hangup(ch, reason string) error {
	return classify("hangup", r.cl.Channel().Hangup(key(sdk.ChannelKey, ch), reason))
}

// Play sends the media as a JSON array: Asterisk plays its items one after the other under
// one playback id, where a comma string in the body (what the ARI library sends) is taken as
// one file name (traces/play-media-list.jsonl).
func (r *REST) Play(ch, playbackID string, media []string) error {
	if len(media) == 0 {
		return fmt.Errorf("play on %s: no media", ch)
	}
	path := "/channels/" + url.PathEscape(ch) + "/play"
	if playbackID != "" {
		path += "/" + url.PathEscape(playbackID)
	}
	return r.send(http.MethodPost, path, map[string]any{"media": media}, "play")
}

// send makes one ARI request with a JSON body and reads nothing back but the status: 404 is
// router.ErrNotFound, any other failure carries Asterisk's message. Credentials go in the
// Authorization header.
func (r *REST) send(method, path string, body any, op string) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req, err := http.NewRequest(method, r.opt.URL+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if r.opt.Username != "" {
		req.SetBasicAuth(r.opt.Username, r.opt.Password)
	}
	resp, err := r.http.Do(req)
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
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %s: %w", op, e.Message, router.ErrNotFound)
	}
	return fmt.Errorf("%s: status %s: %s", op, resp.Status, e.Message)
}

func (r *REST) StopPlayback(id string) error {
	return classify("stop playback", r.cl.Playback().Stop(key(sdk.PlaybackKey, id)))
}

// Originate rings an endpoint into the application. When Asterisk refuses (it answers
// 500 "Allocation failed" for a phone that is not registered), the endpoint is looked up: an
// endpoint Asterisk does not know or reports offline makes the error wrap
// router.ErrUnreachable, the phone's failure; any other refusal is Asterisk's.
func (r *REST) Originate(o router.Originate) error {
	secs := int((o.Timeout + time.Second - 1) / time.Second)
	_, err := r.cl.Channel().Originate(nil, sdk.OriginateRequest{
		Endpoint: o.Endpoint, App: r.opt.App, AppArgs: o.AppArgs, CallerID: o.CallerID,
		Timeout: secs, ChannelID: o.ChannelID,
	})
	var re native.RequestError
	if errors.As(err, &re) && re.Code() != http.StatusConflict && r.endpointDown(o.Endpoint) {
		return fmt.Errorf("originate: endpoint %s: %w: %v", o.Endpoint, router.ErrUnreachable, err)
	}
	return classify("originate", err)
}

// endpointDown reports whether Asterisk knows no such endpoint or reports it offline; false
// when it cannot tell.
func (r *REST) endpointDown(endpoint string) bool {
	tech, res, ok := strings.Cut(endpoint, "/")
	if !ok || tech == "" || res == "" {
		return true // not a dialable endpoint at all
	}
	var ep struct {
		State string `json:"state"`
	}
	err := r.get("/endpoints/"+url.PathEscape(tech)+"/"+url.PathEscape(res), &ep)
	if errors.Is(err, router.ErrNotFound) {
		return true
	}
	return err == nil && ep.State == "offline"
}

func (r *REST) CreateBridge(id, kind string) error {
	_, err := r.cl.Bridge().Create(key(sdk.BridgeKey, id), kind, id)
	return classify("create bridge", err)
}

func (r *REST) DeleteBridge(id string) error {
	return classify("delete bridge", r.cl.Bridge().Delete(key(sdk.BridgeKey, id)))
}

func (r *REST) AddChannel(bridge, ch string) error {
	return classify("add channel", r.cl.Bridge().AddChannel(key(sdk.BridgeKey, bridge), ch))
}

func (r *REST) RemoveChannel(bridge, ch string) error {
	return classify("remove channel", r.cl.Bridge().RemoveChannel(key(sdk.BridgeKey, bridge), ch))
}

func (r *REST) BridgeMOH(bridge, class string) error {
	return classify("bridge moh", r.cl.Bridge().MOH(key(sdk.BridgeKey, bridge), class))
}

func (r *REST) RecordBridge(bridge, name string) error {
	_, err := r.cl.Bridge().Record(key(sdk.BridgeKey, bridge), name, &sdk.RecordingOptions{Format: "wav", Exists: "fail"})
	return classify("record", err)
}

func (r *REST) SetVar(ch, name, value string) error {
	return classify("set variable", r.cl.Channel().SetVariable(key(sdk.ChannelKey, ch), name, value))
}

func (r *REST) Var(ch, name string) (string, error) {
	var out struct {
		Value string `json:"value"`
	}
	err := r.get("/channels/"+url.PathEscape(ch)+"/variable?variable="+url.QueryEscape(name), &out)
	return out.Value, err
}

func (r *REST) AppState() (channels, bridges []string, err error) {
	var app struct {
		ChannelIDs []string `json:"channel_ids"`
		BridgeIDs  []string `json:"bridge_ids"`
	}
	if err := r.get("/applications/"+url.PathEscape(r.opt.App), &app); err != nil {
		return nil, nil, err
	}
	return app.ChannelIDs, app.BridgeIDs, nil
}

func (r *REST) Channels() ([]router.Channel, error) {
	var list []struct {
		ID       string                  `json:"id"`
		State    string                  `json:"state"`
		Caller   struct{ Number string } `json:"caller"`
		Dialplan struct{ Exten string }  `json:"dialplan"`
		Created  string                  `json:"creationtime"`
	}
	if err := r.get("/channels", &list); err != nil {
		return nil, err
	}
	out := make([]router.Channel, 0, len(list))
	for _, c := range list {
		created, _ := time.Parse("2006-01-02T15:04:05.000-0700", c.Created)
		out = append(out, router.Channel{ID: c.ID, State: c.State, Number: c.Caller.Number, Exten: c.Dialplan.Exten, Created: created})
	}
	return out, nil
}

func (r *REST) BridgeChannels(id string) ([]string, error) {
	var b struct {
		Channels []string `json:"channels"`
	}
	err := r.get("/bridges/"+url.PathEscape(id), &b)
	return b.Channels, err
}

// get reads one ARI resource as JSON. Credentials go in the Authorization header, never the URL.
func (r *REST) get(path string, out any) error {
	req, err := http.NewRequest(http.MethodGet, r.opt.URL+path, nil)
	if err != nil {
		return fmt.Errorf("ari get: %w", err)
	}
	if r.opt.Username != "" {
		req.SetBasicAuth(r.opt.Username, r.opt.Password)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("ari get %s: %w", path, err)
	}
	defer resp.Body.Close()
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
func (r *REST) FetchRecording(name string) (io.ReadCloser, error) {
	path := "/recordings/stored/" + url.PathEscape(name) + "/file"
	req, err := http.NewRequest(http.MethodGet, r.opt.URL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch recording: %w", err)
	}
	if r.opt.Username != "" {
		req.SetBasicAuth(r.opt.Username, r.opt.Password)
	}
	resp, err := r.files.Do(req)
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
func (r *REST) StoredRecordings() ([]string, error) {
	var list []struct {
		Name string `json:"name"`
	}
	if err := r.get("/recordings/stored", &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list))
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names, nil
}

// DeleteRecording removes a stored recording from Asterisk.
func (r *REST) DeleteRecording(name string) error {
	return classify("delete recording", r.cl.StoredRecording().Delete(key(sdk.StoredRecordingKey, name)))
}

// PauseRecording pauses a live recording (POST /recordings/live/{name}/pause).
func (r *REST) PauseRecording(name string) error {
	return classify("pause recording", r.cl.LiveRecording().Pause(key(sdk.LiveRecordingKey, name)))
}

// ResumeRecording unpauses a live recording (DELETE /recordings/live/{name}/pause).
func (r *REST) ResumeRecording(name string) error {
	return classify("resume recording", r.cl.LiveRecording().Resume(key(sdk.LiveRecordingKey, name)))
}

// Continue sends a channel out of the application into the dialplan
// (POST /channels/{id}/continue).
func (r *REST) Continue(ch, context, extension string, priority int) error {
	return classify("continue", r.cl.Channel().Continue(key(sdk.ChannelKey, ch), context, extension, priority))
}
