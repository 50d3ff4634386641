package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
)

// memUsers is an in-memory account store for these handler tests; the PostgreSQL one is
// tested in internal/store and through the daemon.
type memUsers struct {
	mu       sync.Mutex
	users    map[string]*account.User
	sessions map[string]*account.Session
}

func (m *memUsers) UserByName(_ context.Context, name string) (*account.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.users[name]; ok {
		c := *u
		return &c, nil
	}
	return nil, errNotFound
}

func (m *memUsers) CreateSession(_ context.Context, id int64, token, csrf string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.ID == id {
			m.sessions[token] = &account.Session{User: *u, CSRF: csrf, ExpiresAt: exp}
		}
	}
	return nil
}

func (m *memUsers) SessionByToken(_ context.Context, token string, now time.Time) (*account.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sessions[token]; ok && s.ExpiresAt.After(now) {
		return s, nil
	}
	return nil, errNotFound
}

func (m *memUsers) DeleteSession(_ context.Context, token string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, token)
	return nil
}

func newSite(t *testing.T) *site {
	users := testUsers("sue", "root", "alice")
	live := Live{At: time.Now(), Queues: []acd.QueueStats{
		{Queue: "billing", Waiting: 2, Agents: map[acd.AgentState]int{acd.Available: 1}},
		{Queue: "support", Waiting: 5, Agents: map[acd.AgentState]int{acd.OnCall: 3}},
	}}
	logs := &bytes.Buffer{}
	h := Handler(Options{Users: users, Live: func() Live { return live }, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &site{t: t, ts: ts, logs: logs}
}

func TestPagesNeedALogin(t *testing.T) {
	s := newSite(t)
	c := s.client()
	if code, _ := s.get(c, "/wallboard"); code != http.StatusSeeOther {
		t.Fatalf("wallboard without a session: %d", code)
	}
	for _, p := range []string{"/api/queues", "/api/queues/stream"} {
		if code, _ := s.get(c, p); code != http.StatusUnauthorized {
			t.Fatalf("%s without a session: %d", p, code)
		}
	}
	resp, _ := c.PostForm(s.ts.URL+"/logout", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginAndScope(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		user, pass string
		code       int
		queues     []string
	}{
		{"sue", "sue-pass", 200, []string{"billing"}},
		{"root", "root-pass", 200, []string{"billing", "support"}},
		{"alice", "alice-pass", 403, nil},
	}
	for _, tt := range tests {
		c := s.client()
		resp := s.login(c, tt.user, tt.pass)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: login %d", tt.user, resp.StatusCode)
		}
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
			t.Fatalf("%s: session cookie %+v", tt.user, session)
		}
		code, body := s.get(c, "/api/queues")
		if code != tt.code {
			t.Fatalf("%s: /api/queues %d", tt.user, code)
		}
		if code != 200 {
			continue
		}
		var got struct{ Queues []QueueRow }
		json.Unmarshal([]byte(body), &got)
		var names []string
		for _, q := range got.Queues {
			names = append(names, q.Queue)
		}
		if strings.Join(names, ",") != strings.Join(tt.queues, ",") {
			t.Fatalf("%s sees %v, want %v", tt.user, names, tt.queues)
		}
		if code, page := s.get(c, "/wallboard"); code != 200 || !strings.Contains(page, tt.queues[0]) {
			t.Fatalf("%s: wallboard %d", tt.user, code)
		}
	}
	if strings.Contains(s.logs.String(), "-pass") {
		t.Fatal("a password reached the log")
	}
}

func TestLoginRefusals(t *testing.T) {
	s := newSite(t)
	c := s.client()
	// A post without the form's token is refused even with the right password.
	resp, _ := c.PostForm(s.ts.URL+"/login", url.Values{"username": {"sue"}, "password": {"sue-pass"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", resp.StatusCode)
	}
	if r := s.login(c, "sue", "wrong"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	if r := s.login(c, "nobody", "x"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", r.StatusCode)
	}
	for i := 0; i < 4; i++ {
		s.login(c, "sue", "wrong")
	}
	if r := s.login(c, "sue", "sue-pass"); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures from this address the right password should wait: %d", r.StatusCode)
	}
}

func TestLogoutNeedsCSRF(t *testing.T) {
	s := newSite(t)
	c := s.client()
	s.login(c, "root", "root-pass")
	resp, _ := c.PostForm(s.ts.URL+"/logout", url.Values{"csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout with a forged token: %d", resp.StatusCode)
	}
	_, page := s.get(c, "/wallboard")
	m := csrfField.FindStringSubmatch(page)
	resp, _ = c.PostForm(s.ts.URL+"/logout", url.Values{"csrf": {m[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if code, _ := s.get(c, "/api/queues"); code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", code)
	}
}

func TestQueueStream(t *testing.T) {
	s := newSite(t)
	c := s.client()
	s.login(c, "sue", "sue-pass")
	resp := s.openStream(c, "/api/queues/stream")
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			var rows []QueueRow
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &rows); err != nil || len(rows) != 1 || rows[0].Queue != "billing" || rows[0].Waiting != 2 {
				t.Fatalf("event %q: %v", line, err)
			}
			return
		}
	}
	t.Fatal("no event")
}
