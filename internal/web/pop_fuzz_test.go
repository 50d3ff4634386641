package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/screenpop"
	"switchboard/ivr/callback"
)

// FuzzAgentCallRequests: whatever body an agent posts to the wrap-up and callback routes, the
// answer is a success or a 4xx in the API's error shape, and only a success stores anything.
// Seeds: testdata/fuzz/FuzzAgentCallRequests.
func FuzzAgentCallRequests(f *testing.F) {
	f.Add(false, `{"disposition":"resolved","notes":"ok","ticket_id":3}`)
	f.Add(true, `{"number":"+4930555666","at":"2030-01-02T15:04:05Z"}`)
	f.Add(true, `{}`)
	hub := screenpop.New(screenpop.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	go hub.Run(ctx)
	hub.CallInfo("ast1-c1", "+4930111222", "5551000")
	hub.Observe(acd.CallAnswered{At: time.Now(), Call: "ast1-c1", Queue: "billing", Agent: "1001"})
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, ok := hub.Handled("1001", "ast1-c1"); ok {
			break
		}
	}
	desk := &memDesk{}
	s := newServer(Options{Logger: slog.New(slog.DiscardHandler), Desk: deskOf(&screenpop.Desk{Hub: hub, Store: desk, Node: "ast1",
		Dispositions: []string{"resolved"}, Callbacks: callback.Policy{AllowInternational: true}})})
	sess := &account.Session{User: account.User{Username: "alice", Role: "agent", AgentID: "1001"}, CSRF: "tok"}
	f.Fuzz(func(t *testing.T, cb bool, body string) {
		path, h := "/api/calls/ast1-c1/wrapup", s.wrapupCall
		if cb {
			path, h = "/api/calls/ast1-c1/callback", s.callbackCall
		}
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.SetPathValue("id", "ast1-c1")
		r.Header.Set("X-CSRF-Token", "tok")
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
		w := httptest.NewRecorder()
		desk.mu.Lock()
		before := len(desk.wrapups) + len(desk.callbacks)
		desk.mu.Unlock()
		h(w, r)
		desk.mu.Lock()
		stored := len(desk.wrapups) + len(desk.callbacks) - before
		desk.mu.Unlock()
		ok := w.Code == http.StatusNoContent || w.Code == http.StatusCreated
		switch {
		case !ok && (w.Code < 400 || w.Code >= 500):
			t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
		case !ok && !strings.Contains(w.Body.String(), `"error":{"code":`):
			t.Fatalf("%s %q: %d without the error shape: %s", path, body, w.Code, w.Body)
		case ok != (stored == 1) || stored > 1:
			t.Fatalf("%s %q: %d but %d stored", path, body, w.Code, stored)
		}
	})
}
