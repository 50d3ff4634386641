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

	"switchboard/acd"
)

// fakeSecure: call c1 is agent 1001's; c2's recording cannot be paused; others do not exist.
type fakeSecure struct {
	mu    sync.Mutex
	calls []string
}

type unavailableErr struct{}

func (unavailableErr) Error() string     { return "pause: ari 500" }
func (unavailableErr) Unavailable() bool { return true }

func (f *fakeSecure) check(agent, call string) error {
	switch {
	case call == "c2":
		return unavailableErr{}
	case call != "c1":
		return &acd.Error{Code: acd.ENotFound, Message: "no call " + call}
	case agent != "1001":
		return &acd.Error{Code: acd.EConflict, Message: "not your call"}
	}
	return nil
}

func (f *fakeSecure) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeSecure) PauseRecording(_ context.Context, agent, call string) error {
	f.note("pause " + call)
	return f.check(agent, call)
}

func (f *fakeSecure) ResumeRecording(_ context.Context, agent, call string) error {
	f.note("resume " + call)
	return f.check(agent, call)
}

func (f *fakeSecure) SecureCollect(_ context.Context, agent, call, name string, min, max int) (string, error) {
	f.note("collect " + call + " " + name)
	if err := f.check(agent, call); err != nil {
		return "", err
	}
	if name == "" || min < 1 || max < min {
		return "", &acd.Error{Code: acd.EInvalid, Message: "bad entry"}
	}
	return "************1111", nil
}

func TestSecureRoutes(t *testing.T) {
	users := testUsers("sue", "alice", "bob")
	fake := &fakeSecure{}
	logs := &bytes.Buffer{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Secure: fake,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}))
	t.Cleanup(ts.Close)
	s := &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}
	alice, bob, sue := s.as("alice"), s.as("bob"), s.as("sue")
	post := func(c *http.Client, user, path, body string) (int, string) {
		return s.send(c, "POST", path, s.csrf(user), body)
	}
	card := `{"name":"card","min":12,"max":19}`
	for _, tt := range []struct {
		c          *http.Client
		user, path string
		body       string
		code       int
		errCode    string
	}{
		{alice, "alice", "/api/calls/c1/recording/pause", "", http.StatusNoContent, ""},
		{alice, "alice", "/api/calls/c1/recording/resume", "", http.StatusNoContent, ""},
		{bob, "bob", "/api/calls/c1/recording/pause", "", http.StatusConflict, CodeConflict},
		{alice, "alice", "/api/calls/c9/recording/pause", "", http.StatusNotFound, CodeNotFound},
		{alice, "alice", "/api/calls/c2/recording/pause", "", http.StatusServiceUnavailable, CodeUnavailable},
		{sue, "sue", "/api/calls/c1/recording/pause", "", http.StatusForbidden, CodeForbidden},
		{alice, "alice", "/api/calls/c1/secure-collect", card, http.StatusOK, ""},
		{alice, "alice", "/api/calls/c2/secure-collect", card, http.StatusServiceUnavailable, CodeUnavailable},
		{bob, "bob", "/api/calls/c1/secure-collect", card, http.StatusConflict, CodeConflict},
		{alice, "alice", "/api/calls/c1/secure-collect", `{"name":"card","min":5,"max":2}`, http.StatusUnprocessableEntity, CodeInvalid},
		{alice, "alice", "/api/calls/c1/secure-collect", `{"name":"card","digits":"4111"}`, http.StatusBadRequest, CodeInvalid},
		{sue, "sue", "/api/calls/c1/secure-collect", card, http.StatusForbidden, CodeForbidden},
	} {
		code, body := post(tt.c, tt.user, tt.path, tt.body)
		if code != tt.code {
			t.Errorf("%s %s %s: %d %s, want %d", tt.user, tt.path, tt.body, code, body, tt.code)
			continue
		}
		switch {
		case tt.errCode != "":
			var e apiError
			if json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != tt.errCode {
				t.Errorf("%s %s: body %s, want code %s", tt.user, tt.path, body, tt.errCode)
			}
		case code == http.StatusOK:
			var res SecureResult
			if json.Unmarshal([]byte(body), &res) != nil || res.Name != "card" || res.Masked != "************1111" {
				t.Errorf("secure collect answer %s", body)
			}
		}
	}
	if !strings.Contains(func() string { _, b := post(alice, "alice", "/api/calls/c2/secure-collect", card); return b }(), "nothing was collected") {
		t.Error("a failed pause must say that nothing was collected")
	}
	// A forged token changes nothing.
	req, _ := http.NewRequest("POST", ts.URL+"/api/calls/c1/recording/pause", nil)
	req.Header.Set("X-CSRF-Token", "forged")
	resp, err := alice.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", resp.StatusCode)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	// Sue's, the bad JSON and the forged requests never reached the router.
	if n := len(fake.calls); n != 10 {
		t.Fatalf("router asked %d times (%v); the refused requests must not reach it", n, fake.calls)
	}
}
