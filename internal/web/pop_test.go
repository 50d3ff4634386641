package web

import (
	"bufio"
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
	"switchboard/crm"
	"switchboard/internal/screenpop"
	"switchboard/ivr/callback"
)

// memDesk is the store's side of the desk for these handler tests; the PostgreSQL one is
// tested in internal/store and through the daemon (cmd/switchboard).
type memDesk struct {
	mu        sync.Mutex
	wrapups   []crm.Wrapup
	callbacks []callback.Request
	handled   map[string]string // call → agent, beside what the hub remembers
}

func (m *memDesk) CallHandledBy(_ context.Context, call, agent string) (string, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.handled[call] == agent && agent != "" {
		return "billing", "+4930111222", nil
	}
	return "", "", errNotFound
}

func (m *memDesk) SaveWrapup(_ context.Context, w crm.Wrapup) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wrapups = append(m.wrapups, w)
	return nil
}

func (m *memDesk) ScheduleAgentCallback(_ context.Context, r callback.Request, agent string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.callbacks = append(m.callbacks, r)
	return int64(len(m.callbacks)), nil
}

type popSite struct {
	*recSite
	hub  *screenpop.Hub
	desk *memDesk
}

// newPopSite: alice is agent 1001, bob 1002, sue a supervisor, root an admin.
func newPopSite(t *testing.T) *popSite {
	users := testUsers("sue", "root", "alice", "bob")
	hub := screenpop.New(screenpop.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Run(ctx)
	t.Cleanup(cancel)
	desk := &memDesk{}
	logs := &bytes.Buffer{}
	h := Handler(Options{Users: users, Live: func() Live { return Live{} }, Pops: hubPops(hub),
		Desk: deskOf(&screenpop.Desk{Hub: hub, Store: desk, Node: "ast1", Dispositions: []string{"resolved", "escalated"},
			Callbacks: callback.Policy{AllowInternational: true}}),
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &popSite{recSite: &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}, hub: hub, desk: desk}
}

// offer hands the hub a call offered to agent and answered by it when answer is set.
func (s *popSite) offer(call, agent string, answer bool) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s.hub.CallInfo(call, "+4930111222", "5551000")
	s.hub.Observe(acd.CallEnqueued{At: at, Call: call, Queue: "billing", EnqueuedAt: at})
	s.hub.Observe(acd.CallOffered{At: at, Call: call, Queue: "billing", Agent: agent})
	if answer {
		s.hub.Observe(acd.CallAnswered{At: at, Call: call, Queue: "billing", Agent: agent})
	}
}

// stream opens c's pop stream and returns its pops as they come.
func (s *popSite) stream(c *http.Client) (<-chan screenpop.Pop, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.ts.URL+"/api/agent/pop/stream", nil)
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		s.t.Fatalf("pop stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan screenpop.Pop, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok && event == "pop" {
				var p screenpop.Pop
				if json.Unmarshal([]byte(v), &p) == nil {
					out <- p
				}
			}
		}
	}()
	return out, cancel
}

func nextPop(t *testing.T, ch <-chan screenpop.Pop) screenpop.Pop {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(2 * time.Second):
		t.Fatal("no pop")
	}
	return screenpop.Pop{}
}

func TestPopStreamOnlyOwnPops(t *testing.T) {
	s := newPopSite(t)
	alice, bob := s.as("alice"), s.as("bob")
	if code, _ := s.get(alice, "/api/agent/call"); code != http.StatusNoContent {
		t.Fatalf("idle /api/agent/call: %d", code)
	}
	pops, stop := s.stream(alice)
	defer stop()
	if p := nextPop(t, pops); p.Kind != screenpop.KindIdle {
		t.Fatalf("first pop %+v", p)
	}
	s.offer("ast1-c2", "1002", false) // bob's
	s.offer("ast1-c1", "1001", false) // alice's
	if p := nextPop(t, pops); p.Kind != screenpop.KindOffered || p.CallID != "ast1-c1" || p.Caller != "+4930111222" {
		t.Fatalf("alice's pop %+v", p)
	}
	select {
	case p := <-pops:
		t.Fatalf("alice received %+v", p)
	case <-time.After(100 * time.Millisecond):
	}
	// Bob connects after his offer and gets it.
	bobs, stopBob := s.stream(bob)
	defer stopBob()
	if p := nextPop(t, bobs); p.CallID != "ast1-c2" || p.Agent != "1002" {
		t.Fatalf("bob's pop on connect %+v", p)
	}
	code, body := s.get(alice, "/api/agent/call")
	var cur screenpop.Pop
	if code != 200 || json.Unmarshal([]byte(body), &cur) != nil || cur.CallID != "ast1-c1" {
		t.Fatalf("/api/agent/call: %d %s", code, body)
	}
	for _, user := range []string{"sue", "root"} {
		c := s.as(user)
		for _, path := range []string{"/api/agent/pop/stream", "/api/agent/call"} {
			if code, _ := s.get(c, path); code != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", user, path, code)
			}
		}
	}
}

func TestWrapupAndCallbackRoutes(t *testing.T) {
	s := newPopSite(t)
	alice, bob := s.as("alice"), s.as("bob")
	s.offer("ast1-c1", "1001", true)
	pops, stop := s.stream(alice)
	defer stop()
	for p := nextPop(t, pops); p.Kind != screenpop.KindAnswered; p = nextPop(t, pops) {
		if p.Kind != screenpop.KindIdle && p.Kind != screenpop.KindOffered {
			t.Fatalf("pop %+v", p)
		}
	}
	post := func(c *http.Client, user, path, body, token string) (int, string) {
		if token == "" {
			token = s.csrf(user)
		}
		return s.send(c, "POST", path, token, body)
	}
	code, body := s.get(bob, "/api/dispositions")
	if code != 200 || strings.TrimSpace(body) != `["resolved","escalated"]` {
		t.Fatalf("dispositions: %d %s", code, body)
	}
	tests := []struct {
		name       string
		c          *http.Client
		user, path string
		body       string
		token      string
		code       int
	}{
		{"forged csrf", alice, "alice", "/api/calls/ast1-c1/wrapup", `{"disposition":"resolved"}`, "forged", 403},
		{"bad json", alice, "alice", "/api/calls/ast1-c1/wrapup", `{"disposition":`, "", 400},
		{"unknown field", alice, "alice", "/api/calls/ast1-c1/wrapup", `{"disposition":"resolved","score":1}`, "", 400},
		{"unknown disposition", alice, "alice", "/api/calls/ast1-c1/wrapup", `{"disposition":"sold"}`, "", 422},
		{"not bob's call", bob, "bob", "/api/calls/ast1-c1/wrapup", `{"disposition":"resolved"}`, "", 404},
		{"no such call", alice, "alice", "/api/calls/ast1-c9/wrapup", `{"disposition":"resolved"}`, "", 404},
		{"callback: bad time", alice, "alice", "/api/calls/ast1-c1/callback", `{"at":"tomorrow"}`, "", 400},
		{"callback: bad number", alice, "alice", "/api/calls/ast1-c1/callback", `{"number":"call me"}`, "", 422},
		{"callback: not bob's call", bob, "bob", "/api/calls/ast1-c1/callback", `{}`, "", 404},
	}
	for _, tt := range tests {
		if code, body := post(tt.c, tt.user, tt.path, tt.body, tt.token); code != tt.code {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.code)
		}
	}
	if len(s.desk.wrapups)+len(s.desk.callbacks) != 0 {
		t.Fatalf("refused requests stored: %+v %+v", s.desk.wrapups, s.desk.callbacks)
	}
	at := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	code, body = post(alice, "alice", "/api/calls/ast1-c1/callback", `{"number":"+4930555666","at":"`+at.Format(time.RFC3339)+`"}`, "")
	var cb screenpop.Scheduled
	if code != 201 || json.Unmarshal([]byte(body), &cb) != nil || cb.Number != "+4930555666" || !cb.At.Equal(at) || cb.Queue != "billing" {
		t.Fatalf("callback: %d %s", code, body)
	}
	if code, body := post(alice, "alice", "/api/calls/ast1-c1/wrapup", `{"disposition":"escalated","notes":"line 2","ticket_id":12}`, ""); code != 204 {
		t.Fatalf("wrap-up: %d %s", code, body)
	}
	if w := s.desk.wrapups; len(w) != 1 || w[0].CallID != "ast1-c1" || w[0].Agent != "1001" || w[0].Disposition != "escalated" || w[0].TicketID != 12 {
		t.Fatalf("stored wrap-ups %+v", w)
	}
}
