package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/account"
	"switchboard/ivr/callback"
)

// memCallbacks is an in-memory callback list; the PostgreSQL one is tested in internal/store
// and through the daemon (cmd/switchboard).
type memCallbacks struct {
	mu    sync.Mutex
	rows  []callback.Callback
	audit []account.AuditEntry
	asked []callback.Filter
}

func (m *memCallbacks) Callbacks(_ context.Context, f callback.Filter) ([]callback.Callback, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked = append(m.asked, f)
	states := f.States
	if states == nil {
		states = callback.ActiveStates
	}
	var out []callback.Callback
	for _, c := range m.rows {
		if slices.Contains(states, c.State) && (f.Queue == "" || f.Queue == c.Queue) && (f.Agent == "" || f.Agent == c.Agent) &&
			(f.Queues == nil || slices.Contains(f.Queues, c.Queue)) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memCallbacks) AgentCallbacks(ctx context.Context, agent string) ([]callback.Callback, error) {
	return m.Callbacks(ctx, callback.Filter{Agent: agent})
}

func (m *memCallbacks) Callback(_ context.Context, id int64) (*callback.Callback, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.rows {
		if c.ID == id {
			return &c, nil
		}
	}
	return nil, errNotFound
}

func (m *memCallbacks) CancelCallback(_ context.Context, id int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.rows {
		if c.ID == id && (c.State == callback.StatePending || c.State == callback.StateScheduled) {
			m.rows[i].State = callback.StateCancelled
			return true, nil
		}
	}
	return false, nil
}

func (m *memCallbacks) Audit(_ context.Context, e account.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, e)
	return nil
}

// newCallbackSite: the users of newRecordingSite; callbacks 1 (billing, pending), 2 (support,
// scheduled), 3 (billing, dialing, assigned to alice), 4 (billing, done, alice's).
func newCallbackSite(t *testing.T) (*recSite, *memCallbacks) {
	s := newRecordingSite(t)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cbs := &memCallbacks{rows: []callback.Callback{
		{ID: 1, Number: "+4930111", Queue: "billing", State: callback.StatePending, Reason: "missed", EnqueuedAt: t0, MaxAttempts: 3},
		{ID: 2, Number: "+4930222", Queue: "support", State: callback.StateScheduled, Reason: "offered", EnqueuedAt: t0, MaxAttempts: 3},
		{ID: 3, Number: "+4930333", Queue: "billing", State: callback.StateDialing, Agent: "1001", Attempts: 1, MaxAttempts: 3},
		{ID: 4, Number: "+4930444", Queue: "billing", State: callback.StateDone, Agent: "1001", Outcome: "connected"},
	}}
	h := Handler(Options{Users: s.users, Live: func() Live { return Live{} }, Callbacks: cbs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	s.site = &site{t: t, ts: ts, logs: s.logs}
	return s, cbs
}

func callbackIDs(t *testing.T, body string) []int64 {
	t.Helper()
	var got struct{ Callbacks []callback.Callback }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	ids := []int64{}
	for _, c := range got.Callbacks {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestCallbackLists(t *testing.T) {
	s, _ := newCallbackSite(t)
	tests := []struct {
		user, path string
		code       int
		want       []int64
	}{
		{"root", "/api/callbacks", 200, []int64{1, 2, 3}},
		{"root", "/api/callbacks?state=done", 200, []int64{4}},
		{"root", "/api/callbacks?queue=support", 200, []int64{2}},
		{"sue", "/api/callbacks", 200, []int64{1, 3}},
		{"sue", "/api/callbacks?state=pending", 200, []int64{1}},
		{"sue", "/api/callbacks?queue=support", 403, nil},
		{"sue", "/api/callbacks?state=lost", 400, nil},
		{"alice", "/api/callbacks", 403, nil},
		{"alice", "/api/agent/callbacks", 200, []int64{3}},
		{"bob", "/api/agent/callbacks", 200, []int64{}},
		{"sue", "/api/agent/callbacks", 403, nil},
	}
	as := s.signedIn()
	for _, tt := range tests {
		c := as(tt.user)
		code, body := s.get(c, tt.path)
		if code != tt.code {
			t.Errorf("%s %s: %d, want %d (%s)", tt.user, tt.path, code, tt.code, body)
			continue
		}
		if code == 200 {
			if got := callbackIDs(t, body); !slices.Equal(got, tt.want) {
				t.Errorf("%s %s: %v, want %v", tt.user, tt.path, got, tt.want)
			}
		} else if !json.Valid([]byte(body)) {
			t.Errorf("%s %s: error not JSON: %s", tt.user, tt.path, body)
		}
	}
}

// A supervisor's list asks the store for their queues only, so that the store's limit counts
// callbacks in scope (other queues' cannot crowd them out); an admin's asks for all.
func TestCallbackListScopeInQuery(t *testing.T) {
	s, cbs := newCallbackSite(t)
	for _, user := range []string{"sue", "root"} {
		if code, body := s.get(s.as(user), "/api/callbacks?state=done"); code != 200 {
			t.Fatalf("%s: %d %s", user, code, body)
		}
	}
	cbs.mu.Lock()
	defer cbs.mu.Unlock()
	if len(cbs.asked) != 2 || !slices.Equal(cbs.asked[0].Queues, []string{"billing"}) || cbs.asked[1].Queues != nil {
		t.Fatalf("filters asked: %+v", cbs.asked)
	}
}

func TestCancelCallback(t *testing.T) {
	s, cbs := newCallbackSite(t)
	sue, root, alice := s.as("sue"), s.as("root"), s.as("alice")
	post := func(c *http.Client, id, token string) (int, string) {
		return s.send(c, "POST", "/api/callbacks/"+id+"/cancel", token, "")
	}
	tests := []struct {
		c          *http.Client
		user, id   string
		csrf       bool
		code       int
		wantSubstr string
	}{
		{sue, "sue", "1", false, 403, `"csrf"`},
		{sue, "sue", "2", true, 403, `"forbidden"`}, // support is not sue's
		{sue, "sue", "3", true, 409, `"conflict"`},  // being dialed
		{sue, "sue", "x", true, 400, `"invalid"`},
		{sue, "sue", "99", true, 404, `"not_found"`},
		{alice, "alice", "1", true, 403, `"forbidden"`}, // supervisors only
		{sue, "sue", "1", true, 200, `"state":"cancelled"`},
		{sue, "sue", "1", true, 409, `"conflict"`}, // once
		{root, "root", "2", true, 200, `"state":"cancelled"`},
	}
	for _, tt := range tests {
		token := ""
		if tt.csrf {
			token = s.csrf(tt.user)
		}
		code, body := post(tt.c, tt.id, token)
		if code != tt.code || !json.Valid([]byte(body)) || !strings.Contains(body, tt.wantSubstr) {
			t.Errorf("%s cancels %s: %d %s, want %d with %s", tt.user, tt.id, code, body, tt.code, tt.wantSubstr)
		}
	}
	cbs.mu.Lock()
	defer cbs.mu.Unlock()
	if len(cbs.audit) != 2 || cbs.audit[0].Actor != "sue" || cbs.audit[0].Object != "callback/1" || cbs.audit[1].Actor != "root" {
		t.Fatalf("audit: %+v", cbs.audit)
	}
}

// TestCallbackJSON pins the API's shape of a callback: what is shown, in which order, and
// what is left out (the node, the creation time, the data).
func TestCallbackJSON(t *testing.T) {
	s, cbs := newCallbackSite(t)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cbs.rows = []callback.Callback{
		{ID: 7, Node: "ast1", Number: "+4930111", Queue: "billing", Priority: 2, EnqueuedAt: t0, Reason: "offered",
			CallID: "c1", Agent: "1001", WindowStart: t0.Add(time.Hour), WindowEnd: t0.Add(2 * time.Hour),
			State: callback.StateDialing, Attempts: 2, MaxAttempts: 3, NextAt: t0.Add(3 * time.Hour),
			ExpiresAt: t0.Add(24 * time.Hour), Outcome: "busy", Requests: 2, CreatedAt: t0, UpdatedAt: t0.Add(4 * time.Hour),
			Data: map[string]string{"account": "42"}},
		{ID: 8, Number: "+4930222", Queue: "billing", State: callback.StatePending},
	}
	code, body := s.get(s.as("root"), "/api/callbacks")
	want := `{"callbacks":[` +
		`{"id":7,"number":"+4930111","queue":"billing","priority":2,"reason":"offered","state":"dialing","agent":"1001",` +
		`"call_id":"c1","enqueued_at":"2026-11-23T09:00:00Z","attempts":2,"max_attempts":3,"next_at":"2026-11-23T12:00:00Z",` +
		`"expires_at":"2026-11-24T09:00:00Z","window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T11:00:00Z",` +
		`"outcome":"busy","requests":2,"updated_at":"2026-11-23T13:00:00Z"},` +
		`{"id":8,"number":"+4930222","queue":"billing","priority":0,"reason":"","state":"pending",` +
		`"enqueued_at":"0001-01-01T00:00:00Z","attempts":0,"max_attempts":0,"next_at":"0001-01-01T00:00:00Z",` +
		`"expires_at":"0001-01-01T00:00:00Z","requests":0,"updated_at":"0001-01-01T00:00:00Z"}]}`
	if code != 200 || strings.TrimSpace(body) != want {
		t.Errorf("GET /api/callbacks: %d\n%s\nwant\n%s", code, body, want)
	}
}
