package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/screenpop"
)

// A stream checks its session now and then: once the user signed out (or the session is gone
// otherwise), the wallboard's and the pop's streams end rather than keep sending live data.
func TestStreamsEndWithTheSession(t *testing.T) {
	hash := func(pw string) string { h, _ := account.HashPassword(pw); return h }
	users := &memUsers{sessions: map[string]*account.Session{}, users: map[string]*account.User{
		"sue":   {ID: 1, Username: "sue", Role: "supervisor", Queues: []string{"billing"}, PasswordHash: hash("sue-pass")},
		"alice": {ID: 3, Username: "alice", Role: "agent", AgentID: "1001", PasswordHash: hash("alice-pass")},
	}}
	live := Live{At: time.Now(), Queues: []acd.QueueStats{{Queue: "billing"}}}
	hub := screenpop.New(screenpop.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go hub.Run(ctx)
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return live }, Pops: hubPops(hub),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), streamRecheck: 50 * time.Millisecond}))
	t.Cleanup(ts.Close)
	s := &site{t: t, ts: ts}

	for _, tt := range []struct{ user, path, first string }{
		{"sue", "/api/queues/stream", "event: queues"},
		{"alice", "/api/agent/pop/stream", "event: pop"},
	} {
		c := s.client()
		s.login(c, tt.user, tt.user+"-pass")
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		req, _ := http.NewRequestWithContext(rctx, "GET", ts.URL+tt.path, nil)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s %s: %v %v", tt.user, tt.path, resp, err)
		}
		ended := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(resp.Body)
			ended <- string(b)
		}()
		time.Sleep(200 * time.Millisecond) // the session is checked and found live meanwhile
		users.mu.Lock()
		clear(users.sessions)
		users.mu.Unlock()
		select {
		case body := <-ended:
			if !strings.Contains(body, tt.first) || rctx.Err() != nil {
				t.Errorf("%s %s: ended by the client's deadline, or without its first event: %q", tt.user, tt.path, body)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s %s: still streaming after the session ended", tt.user, tt.path)
		}
		resp.Body.Close()
		rcancel()
	}
}
