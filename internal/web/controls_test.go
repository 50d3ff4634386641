package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/router"
)

// fakeControls: call c-a is agent 1001's connected call, c-b agent 1002's (ownCallOnly); call
// c-down fails as Asterisk would. It notes what it was asked.
type fakeControls struct {
	mu    sync.Mutex
	asked []string
	dialW func(agent string, s router.DialStatus)
}

func (f *fakeControls) OnDialChange(fn func(agent string, s router.DialStatus)) {
	f.mu.Lock()
	f.dialW = fn
	f.mu.Unlock()
}

// dialChanged pushes a dial change as the router does.
func (f *fakeControls) dialChanged(agent string, s router.DialStatus) {
	f.mu.Lock()
	fn := f.dialW
	f.mu.Unlock()
	fn(agent, s)
}

func (f *fakeControls) note(agent, call, what string) error {
	f.mu.Lock()
	f.asked = append(f.asked, agent+" "+call+" "+what)
	f.mu.Unlock()
	if call == "c-down" {
		return unavailableErr{}
	}
	return ownCallOnly(agent, call)
}

func (f *fakeControls) Hangup(_ context.Context, agent, call string) error {
	return f.note(agent, call, "hangup")
}
func (f *fakeControls) Hold(_ context.Context, agent, call string, on bool) error {
	return f.note(agent, call, map[bool]string{true: "hold", false: "resume"}[on])
}
func (f *fakeControls) Mute(_ context.Context, agent, call string, on bool) error {
	return f.note(agent, call, map[bool]string{true: "mute", false: "unmute"}[on])
}
func (f *fakeControls) DTMF(_ context.Context, agent, call, digits string) error {
	return f.note(agent, call, "dtmf "+digits)
}
func (f *fakeControls) Transfer(_ context.Context, agent, call string, t router.Target) error {
	if (t.Queue == "") == (t.Number == "") == (t.Agent == "") {
		return &acd.Error{Code: acd.EInvalid, Message: "a queue, a number or an agent"}
	}
	return f.note(agent, call, "transfer "+t.Queue+t.Number+t.Agent)
}
func (f *fakeControls) Consult(_ context.Context, agent, call string, t router.Target) error {
	return f.note(agent, call, "consult "+t.Queue+t.Number+t.Agent)
}
func (f *fakeControls) Complete(_ context.Context, agent, call string) error {
	return f.note(agent, call, "complete")
}
func (f *fakeControls) CancelConsult(_ context.Context, agent, call string) error {
	return f.note(agent, call, "cancel")
}
func (f *fakeControls) Conference(_ context.Context, agent, call string) error {
	return f.note(agent, call, "conference")
}

// Dial: agent 1001 may dial; 1002 is on a call. The number "bad" is refused as the router does.
func (f *fakeControls) Dial(_ context.Context, agent, number string) (string, error) {
	f.mu.Lock()
	f.asked = append(f.asked, agent+" dial "+number)
	f.mu.Unlock()
	switch {
	case number == "bad":
		return "", &acd.Error{Code: acd.EInvalid, Message: "number", Key: "desk.err.number_digits"}
	case agent != "1001":
		return "", &acd.Error{Code: acd.EConflict, Message: "on a call", Key: "desk.err.dial_on_call"}
	}
	return "ast1-sb-ob-1-c", nil
}

func (f *fakeControls) DialStatus(_ context.Context, agent string) (router.DialStatus, bool, error) {
	if agent != "1001" {
		return router.DialStatus{}, false, nil
	}
	return router.DialStatus{Call: "ast1-sb-ob-1-c", Number: "+4930123456", State: router.DialAgentRinging}, true, nil
}

// fakeMonitoring: agent 1001 is in billing, 1002 in support, both on calls; it keeps one
// session per supervisor and the audit entries.
type fakeMonitoring struct {
	mu       sync.Mutex
	sessions map[string]router.MonitorSession
	audit    []account.AuditEntry
}

func newFakeMonitoring() *fakeMonitoring {
	return &fakeMonitoring{sessions: map[string]router.MonitorSession{}}
}

func (f *fakeMonitoring) Monitor(_ context.Context, req router.MonitorRequest) (router.MonitorSession, error) {
	q, ok := map[string]string{"1001": "billing", "1002": "support"}[req.Agent]
	if !ok || (req.InScope != nil && !req.InScope(q)) {
		return router.MonitorSession{}, &acd.Error{Code: acd.ENotFound, Message: "no agent " + req.Agent}
	}
	if req.Endpoint == "" {
		return router.MonitorSession{}, &acd.Error{Code: acd.EInvalid, Message: "an endpoint is required"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := router.MonitorSession{ID: "mon-1-s", Supervisor: req.Supervisor, Agent: req.Agent, Call: "c-" + req.Agent, Mode: req.Mode,
		Endpoint: req.Endpoint, Started: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	f.sessions[req.Supervisor] = s
	return s, nil
}

func (f *fakeMonitoring) StopMonitor(_ context.Context, supervisor string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, supervisor)
	return nil
}

func (f *fakeMonitoring) TakeOver(_ context.Context, supervisor, agent string) (router.MonitorSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.sessions[supervisor]
	if !ok || m.Agent != agent {
		return router.MonitorSession{}, &acd.Error{Code: acd.ENotFound, Message: "no session on " + agent}
	}
	delete(f.sessions, supervisor)
	return m, nil
}

func (f *fakeMonitoring) Monitoring(context.Context) ([]router.MonitorSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []router.MonitorSession{}
	for _, s := range f.sessions {
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeMonitoring) Audit(_ context.Context, e account.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audit = append(f.audit, e)
	return nil
}

func TestCallControlRoutes(t *testing.T) {
	users := testUsers("sue", "alice", "bob")
	fake := &fakeControls{}
	logs := &bytes.Buffer{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Controls: fake,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}))
	t.Cleanup(ts.Close)
	s := &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}
	alice, bob, sue := s.as("alice"), s.as("bob"), s.as("sue")
	for _, tt := range []struct {
		c          *http.Client
		user, path string
		body       string
		code       int
		asked      string // what the controls were asked, "" nothing
	}{
		{alice, "alice", "/api/desk/call/hold", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a hold"},
		{alice, "alice", "/api/desk/call/resume", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a resume"},
		{alice, "alice", "/api/desk/call/mute", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a mute"},
		{alice, "alice", "/api/desk/call/unmute", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a unmute"},
		{alice, "alice", "/api/desk/call/dtmf", `{"call":"c-a","digits":"12#"}`, http.StatusNoContent, "1001 c-a dtmf 12#"},
		{alice, "alice", "/api/desk/call/transfer", `{"call":"c-a","number":"+4930111"}`, http.StatusNoContent, "1001 c-a transfer +4930111"},
		{alice, "alice", "/api/desk/call/transfer", `{"call":"c-a","queue":"support","number":"1"}`, http.StatusUnprocessableEntity, ""},
		{alice, "alice", "/api/desk/call/transfer", `{"call":"c-a","agent":"1008"}`, http.StatusNoContent, "1001 c-a transfer 1008"},
		{alice, "alice", "/api/desk/call/consult", `{"call":"c-a","agent":"1008"}`, http.StatusNoContent, "1001 c-a consult 1008"},
		{alice, "alice", "/api/desk/call/consult", `{"call":"c-a","number":"5550123"}`, http.StatusNoContent, "1001 c-a consult 5550123"},
		{alice, "alice", "/api/desk/call/consult", `{"call":"c-a","queue":"support"}`, http.StatusNoContent, "1001 c-a consult support"},
		{bob, "bob", "/api/desk/call/consult", `{"call":"c-a","queue":"support"}`, http.StatusConflict, "1002 c-a consult support"},
		{alice, "alice", "/api/desk/call/conference", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a conference"},
		{alice, "alice", "/api/desk/call/complete", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a complete"},
		{alice, "alice", "/api/desk/call/cancel", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a cancel"},
		{bob, "bob", "/api/desk/call/complete", `{"call":"c-a"}`, http.StatusConflict, "1002 c-a complete"},
		{alice, "alice", "/api/desk/call/hangup", `{"call":"c-a"}`, http.StatusNoContent, "1001 c-a hangup"},
		{alice, "alice", "/api/desk/call/hangup", `{"call":"c-b"}`, http.StatusConflict, "1001 c-b hangup"},
		{alice, "alice", "/api/desk/call/hangup", `{"call":"c-zz"}`, http.StatusNotFound, "1001 c-zz hangup"},
		{alice, "alice", "/api/desk/call/hold", `{"call":"c-down"}`, http.StatusServiceUnavailable, "1001 c-down hold"},
		{alice, "alice", "/api/desk/call/hold", `{}`, http.StatusUnprocessableEntity, ""},
		{alice, "alice", "/api/desk/call/hold", `{"call":"c-a","who":"1002"}`, http.StatusBadRequest, ""},
		{alice, "alice", "/api/desk/call/hold", `{"call":"c-a","agent":"1002"}`, http.StatusNoContent, "1001 c-a hold"}, // the session says who
		{bob, "bob", "/api/desk/call/hold", `{"call":"c-a"}`, http.StatusConflict, "1002 c-a hold"},
		{sue, "sue", "/api/desk/call/hold", `{"call":"c-a"}`, http.StatusForbidden, ""},
	} {
		fake.mu.Lock()
		fake.asked = nil
		fake.mu.Unlock()
		if code, body := s.send(tt.c, "POST", tt.path, s.csrf(tt.user), tt.body); code != tt.code {
			t.Errorf("%s %s %s: %d %s, want %d", tt.user, tt.path, tt.body, code, body, tt.code)
		}
		fake.mu.Lock()
		if got := strings.Join(fake.asked, ";"); got != tt.asked {
			t.Errorf("%s %s %s: asked %q, want %q", tt.user, tt.path, tt.body, got, tt.asked)
		}
		fake.mu.Unlock()
	}
	if code, _ := s.send(alice, "POST", "/api/desk/call/hold", "", `{"call":"c-a"}`); code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", code)
	}
}

func TestMonitorRoutes(t *testing.T) {
	users := testUsers("sue", "root", "alice")
	fake := newFakeMonitoring()
	logs := &bytes.Buffer{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Monitoring: fake,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}))
	t.Cleanup(ts.Close)
	s := &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}
	sue, alice := s.as("sue"), s.as("alice")
	phone := `{"endpoint":"PJSIP/9001"}`
	if code, _ := s.send(sue, "POST", "/api/supervisor/agents/1002/monitor", s.csrf("sue"), phone); code != http.StatusNotFound {
		t.Fatalf("an agent outside sue's queues: %d", code)
	}
	if code, _ := s.send(alice, "POST", "/api/supervisor/agents/1001/monitor", s.csrf("alice"), phone); code != http.StatusForbidden {
		t.Fatalf("an agent monitoring: %d", code)
	}
	code, body := s.send(sue, "POST", "/api/supervisor/agents/1001/monitor", s.csrf("sue"), phone)
	var m MonitorJSON
	if code != http.StatusOK || json.Unmarshal([]byte(body), &m) != nil || m.Agent != "1001" || m.Mode != "monitor" || m.Supervisor != "sue" {
		t.Fatalf("monitor: %d %s", code, body)
	}
	if code, body = s.send(sue, "POST", "/api/supervisor/agents/1001/whisper", s.csrf("sue"), phone); code != http.StatusOK || !strings.Contains(body, `"mode":"whisper"`) {
		t.Fatalf("whisper: %d %s", code, body)
	}
	code, body = s.send(sue, "GET", "/api/supervisor/monitoring", "", "")
	if code != http.StatusOK || !strings.Contains(body, `"agent":"1001"`) || !strings.Contains(body, `"mine":true`) {
		t.Fatalf("sessions: %d %s", code, body)
	}
	if code, _ := s.send(sue, "POST", "/api/supervisor/agents/1002/takeover", s.csrf("sue"), ""); code != http.StatusNotFound {
		t.Fatalf("take over an agent sue does not listen to: %d", code)
	}
	if code, _ := s.send(sue, "POST", "/api/supervisor/monitor/stop", s.csrf("sue"), ""); code != http.StatusNoContent {
		t.Fatalf("stop: %d", code)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var actions []string
	for _, e := range fake.audit {
		if e.Actor != "sue" || e.Object != "1001" {
			t.Errorf("audit entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "monitor.monitor,monitor.whisper" {
		t.Fatalf("audited %v", actions)
	}
}

func TestDeskMonitoredFollowsThePolicy(t *testing.T) {
	for _, show := range []bool{false, true} {
		users := testUsers("sue", "alice", "bob")
		fake := newFakeMonitoring()
		ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Monitoring: fake, ShowMonitored: show,
			Logger: slog.New(slog.DiscardHandler)}))
		t.Cleanup(ts.Close)
		s := &recSite{site: &site{t: t, ts: ts, logs: &bytes.Buffer{}}, users: users}
		sue, alice, bob := s.as("sue"), s.as("alice"), s.as("bob")
		if code, body := s.send(sue, "POST", "/api/supervisor/agents/1001/monitor", s.csrf("sue"), `{"endpoint":"PJSIP/9001"}`); code != http.StatusOK {
			t.Fatalf("monitor: %d %s", code, body)
		}
		want := `{"monitored":` + map[bool]string{true: "true", false: "false"}[show] + "}\n"
		if code, body := s.send(alice, "GET", "/api/desk/monitored", "", ""); code != http.StatusOK || body != want {
			t.Errorf("policy %v: alice, listened to, is told %d %q, want %q", show, code, body, want)
		}
		if _, body := s.send(bob, "GET", "/api/desk/monitored", "", ""); body != "{\"monitored\":false}\n" {
			t.Errorf("policy %v: bob, not listened to, is told %q", show, body)
		}
		if code, _ := s.send(sue, "GET", "/api/desk/monitored", "", ""); code != http.StatusForbidden {
			t.Errorf("a supervisor asks the agents' route: %d", code)
		}
	}
}
