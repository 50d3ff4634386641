package web

import (
	"bufio"
	"bytes"
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

	"switchboard/acd"
	"switchboard/acd/report"
	"switchboard/internal/account"
)

// memDesktop keeps agents and waiting calls in memory for these handler tests; the router's
// side runs for real in cmd/switchboard's daemon and browser tests.
type memDesktop struct {
	mu      sync.Mutex
	agents  map[string]acd.AgentView
	waiting []acd.CallView
}

func newMemDesktop() *memDesktop {
	at := time.Now().Add(-time.Minute)
	return &memDesktop{
		agents: map[string]acd.AgentView{
			"1001": {ID: "1001", Name: "Alice", Endpoint: "PJSIP/1001", State: acd.LoggedOut, Since: at, Queues: []acd.Membership{{Queue: "support"}}},
			"1008": {ID: "1008", Name: "Heidi", Endpoint: "PJSIP/1008", State: acd.Available, Since: at, Queues: []acd.Membership{{Queue: "billing"}}, Skills: map[string]int{"billing": 5}},
		},
		waiting: []acd.CallView{{ID: "c-b", Queue: "billing", Priority: 1, Position: 1, Waited: 12 * time.Second}, {ID: "c-s", Queue: "support", Position: 1}},
	}
}

func (m *memDesktop) get(id string) (acd.AgentView, error) {
	v, ok := m.agents[id]
	if !ok {
		return v, &acd.Error{Code: acd.ENotFound, Message: "agent " + id + " not found"}
	}
	return v, nil
}

func (m *memDesktop) AgentLogin(_ context.Context, id, endpoint string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.get(id)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(endpoint, "PJSIP/") {
		return &acd.Error{Code: acd.EInvalid, Message: "endpoint must look like PJSIP/1001"}
	}
	v.Endpoint, v.State, v.Since = endpoint, acd.Available, time.Now()
	m.agents[id] = v
	return nil
}

func (m *memDesktop) SetAgentState(_ context.Context, id string, st acd.AgentState, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.get(id)
	if err != nil {
		return err
	}
	if st == acd.Paused && v.State == acd.LoggedOut {
		return &acd.Error{Code: acd.EConflict, Message: "agent " + id + " is logged out"}
	}
	v.State, v.Reason, v.Since = st, reason, time.Now()
	m.agents[id] = v
	return nil
}

func (m *memDesktop) Agent(_ context.Context, id string) (acd.AgentView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.get(id)
}

func (m *memDesktop) Agents(context.Context) ([]acd.AgentView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []acd.AgentView
	for _, v := range m.agents {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b acd.AgentView) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (m *memDesktop) UpdateAgent(_ context.Context, id string, skills map[string]int, queues []acd.Membership, endpoint string, inScope func(string) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.get(id)
	if err != nil {
		return err
	}
	outside := func(ms []acd.Membership) []acd.Membership { // as the router: those may not change
		var out []acd.Membership
		for _, q := range ms {
			if inScope != nil && !inScope(q.Queue) {
				out = append(out, q)
			}
		}
		return out
	}
	if queues != nil && !slices.Equal(outside(queues), outside(v.Queues)) {
		return &acd.Error{Code: acd.EInvalid, Message: "memberships of queues outside your scope cannot change"}
	}
	if skills != nil {
		v.Skills = skills
	}
	if queues != nil {
		v.Queues = queues
	}
	if endpoint != "" {
		v.Endpoint = endpoint
	}
	m.agents[id] = v
	return nil
}

func (m *memDesktop) TransferCall(_ context.Context, agent, call, queue string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, _ := m.get(agent); v.Call != call || call == "" {
		return &acd.Error{Code: acd.ENotFound, Message: "call " + call + " not found"}
	}
	return nil
}

func (m *memDesktop) SetCallPriority(_ context.Context, id string, p int, inScope func(string) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.waiting {
		if c.ID == id && (inScope == nil || inScope(c.Queue)) {
			m.waiting[i].Priority = p
			return nil
		}
	}
	return &acd.Error{Code: acd.ENotFound, Message: "call " + id + " not found"}
}

func (m *memDesktop) WaitingCalls(context.Context) ([]acd.CallView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]acd.CallView(nil), m.waiting...), nil
}

func (m *memDesktop) Disposed(_ context.Context, agent, call string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, err := m.get(agent); err == nil && v.State == acd.WrapUp && v.Call == call {
		v.State, v.Call, v.DispositionDue, v.Since = acd.Available, "", false, time.Now()
		m.agents[agent] = v
	}
	return nil
}

func (m *memDesktop) JoinEstimates(context.Context) (map[string]time.Duration, error) {
	return map[string]time.Duration{"billing": 42 * time.Second}, nil
}

func memAgentDay(_ context.Context, id string, from, to time.Time) (report.AgentDay, error) {
	return report.AgentDay{Calls: 2, Talk: 100 * time.Second, WrapUp: 20 * time.Second, Pause: time.Minute, Outbound: 1, OutboundTalk: 45 * time.Second}, nil
}

// deskSite is newSite with the desktop part.
func deskSite(t *testing.T) (*site, *memDesktop) {
	t.Helper()
	s := newSite(t)
	s.ts.Close()
	d := newMemDesktop()
	users := testUsers("sue", "alice", "heidi")
	live := Live{At: time.Now(), Queues: []acd.QueueStats{
		{Queue: "billing", Waiting: 1, Agents: map[acd.AgentState]int{acd.Available: 1}, SLGoal: 0.8,
			Today: acd.Period{Answered: 10, ServiceLevel: 0.5}},
		{Queue: "support", Waiting: 1},
	}}
	s.logs = &bytes.Buffer{}
	s.ts = httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return live }, Desktop: d, AgentDay: memAgentDay,
		CallbacksPending: func(context.Context) (map[string]int, error) { return map[string]int{"billing": 3}, nil },
		Logger:           slog.New(slog.NewTextHandler(s.logs, nil))}))
	t.Cleanup(s.ts.Close)
	return s, d
}

func TestAgentDesktopAPI(t *testing.T) {
	s, d := deskSite(t)
	c := s.client()
	if resp := s.login(c, "alice", "alice-pass"); resp.Header.Get("Location") != "/agent" {
		t.Fatalf("an agent lands on %q, want /agent", resp.Header.Get("Location"))
	}
	csrf := s.pageCSRF(c, "/agent")
	if code, _ := s.get(c, "/wallboard"); code != http.StatusForbidden {
		t.Fatalf("an agent opens the wallboard: %d", code)
	}
	tests := []struct {
		name, method, path, csrf, body string
		code                           int
		want                           string
	}{
		{"me", "GET", "/api/agent", "", "", 200, `"state":"logged_out"`},
		{"login without csrf", "POST", "/api/agent/login", "", `{"endpoint":"PJSIP/2001"}`, 403, `"csrf"`},
		{"login with a bad endpoint", "POST", "/api/agent/login", csrf, `{"endpoint":"bogus"}`, 422, `"invalid"`},
		{"login with an unknown field", "POST", "/api/agent/login", csrf, `{"phone":"PJSIP/2001"}`, 400, `"invalid"`},
		{"login", "POST", "/api/agent/login", csrf, `{"endpoint":"PJSIP/2001"}`, 200, `"endpoint":"PJSIP/2001"`},
		{"bad state", "POST", "/api/agent/state", csrf, `{"state":"asleep"}`, 400, `"invalid"`},
		{"pause", "POST", "/api/agent/state", csrf, `{"state":"paused","reason":"lunch"}`, 200, `"state":"paused"`},
		{"stats", "GET", "/api/agent/stats", "", "", 200, `"aht_s":60`},
		{"stats: outbound apart", "GET", "/api/agent/stats", "", "", 200, `"outbound":1,"outbound_talk_s":45`},
		{"another agent's call", "POST", "/api/calls/c-b/transfer", csrf, `{"queue":"support"}`, 404, `"not_found"`},
		{"the supervisor grid", "GET", "/api/agents", "", "", 403, `"forbidden"`},
		{"a supervisor action", "POST", "/api/agents/1008/state", csrf, `{"state":"paused","reason":"x"}`, 403, `"forbidden"`},
	}
	for _, tt := range tests {
		code, body := s.send(c, tt.method, tt.path, tt.csrf, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, code, body, tt.code, tt.want)
		}
	}
	if v, _ := d.Agent(context.Background(), "1008"); v.State != acd.Available {
		t.Fatalf("an agent changed another agent: %+v", v)
	}
}

func TestSupervisorAgentsAPI(t *testing.T) {
	s, d := deskSite(t)
	c := s.client()
	if resp := s.login(c, "sue", "sue-pass"); resp.Header.Get("Location") != "/wallboard" {
		t.Fatalf("a supervisor lands on %q", resp.Header.Get("Location"))
	}
	csrf := s.pageCSRF(c, "/wallboard")
	if code, _ := s.get(c, "/agent"); code != http.StatusForbidden {
		t.Fatalf("a supervisor opens the desktop: %d", code)
	}
	code, body := s.get(c, "/api/agents")
	var grid struct{ Agents []AgentRow }
	if err := json.Unmarshal([]byte(body), &grid); code != 200 || err != nil || len(grid.Agents) != 1 || grid.Agents[0].ID != "1008" || grid.Agents[0].State != "available" {
		t.Fatalf("grid in scope: %d %s", code, body)
	}
	code, body = s.get(c, "/api/calls/waiting")
	if code != 200 || !strings.Contains(body, `"c-b"`) || strings.Contains(body, `"c-s"`) {
		t.Fatalf("waiting calls in scope: %d %s", code, body)
	}
	code, body = s.get(c, "/api/queues")
	if code != 200 || !strings.Contains(body, `"ewt_seconds":42`) || !strings.Contains(body, `"callbacks_pending":3`) || !strings.Contains(body, `"sl_breach":true`) {
		t.Fatalf("queue rows: %s", body)
	}
	tests := []struct {
		name, method, path, csrf, body string
		code                           int
		want                           string
	}{
		{"pause without csrf", "POST", "/api/agents/1008/state", "", `{"state":"paused","reason":"coaching"}`, 403, `"csrf"`},
		{"pause an agent out of scope", "POST", "/api/agents/1001/state", csrf, `{"state":"logged_out"}`, 404, `"not_found"`},
		{"pause an unknown agent", "POST", "/api/agents/9999/state", csrf, `{"state":"logged_out"}`, 404, `"not_found"`},
		{"pause", "POST", "/api/agents/1008/state", csrf, `{"state":"paused","reason":"coaching"}`, 200, `"reason":"coaching"`},
		{"skills and queues", "PATCH", "/api/agents/1008", csrf, `{"skills":{"billing":7},"queues":[{"queue":"billing","penalty":1}]}`, 200, `"billing":7`},
		{"a queue out of scope", "PATCH", "/api/agents/1008", csrf, `{"queues":[{"queue":"support","penalty":0}]}`, 422, `"invalid"`},
		{"priority", "PATCH", "/api/calls/c-b", csrf, `{"priority":7}`, 200, `"priority":7`},
		{"no priority", "PATCH", "/api/calls/c-b", csrf, `{}`, 400, `"invalid"`},
		{"priority out of scope", "PATCH", "/api/calls/c-s", csrf, `{"priority":7}`, 404, `"not_found"`},
		{"the agent API", "GET", "/api/agent", "", "", 403, `"forbidden"`},
	}
	for _, tt := range tests {
		code, body := s.send(c, tt.method, tt.path, tt.csrf, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, code, body, tt.code, tt.want)
		}
	}
	if v, _ := d.Agent(context.Background(), "1001"); v.State != acd.LoggedOut || len(v.Queues) != 1 || v.Queues[0].Queue != "support" {
		t.Fatalf("an agent out of scope changed: %+v", v)
	}
}

// The wallboard's stream carries the agent grid and the waiting calls of the supervisor's
// queues only.
func TestWallboardStreamAgentsAndWaiting(t *testing.T) {
	s, _ := deskSite(t)
	c := s.client()
	s.login(c, "sue", "sue-pass")
	resp := s.openStream(c, "/api/queues/stream")
	got := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() && len(got) < 3 {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		} else if d, ok := strings.CutPrefix(line, "data: "); ok {
			got[event] = d
		}
	}
	var agents []AgentRow
	var waiting []WaitingRow
	if json.Unmarshal([]byte(got["agents"]), &agents) != nil || len(agents) != 1 || agents[0].ID != "1008" {
		t.Fatalf("agents event: %s", got["agents"])
	}
	if json.Unmarshal([]byte(got["waiting"]), &waiting) != nil || len(waiting) != 1 || waiting[0].ID != "c-b" || waiting[0].Waited != 12 {
		t.Fatalf("waiting event: %s", got["waiting"])
	}
}

// FuzzDesktopRequests: whatever the body, the desktop's and the wallboard's state-changing
// routes answer 2xx or a 4xx in the API's error shape, and never let a supervisor touch an
// agent outside its queues.
func FuzzDesktopRequests(f *testing.F) {
	f.Add(0, `{"endpoint":"PJSIP/2001"}`)
	f.Add(1, `{"state":"paused","reason":"lunch"}`)
	f.Add(2, `{"queue":"support"}`)
	f.Add(3, `{"state":"logged_out"}`)
	f.Add(4, `{"skills":{"billing":7},"queues":[{"queue":"billing","penalty":1}]}`)
	f.Add(5, `{"priority":7}`)
	f.Add(4, `{"queues":null,"skills":null}`)
	f.Add(5, `{"priority":1e99}`)
	d := newMemDesktop()
	users := &memUsers{sessions: map[string]*account.Session{
		"a": {User: account.User{ID: 3, Username: "alice", Role: "agent", AgentID: "1001"}, CSRF: "x", ExpiresAt: time.Now().Add(time.Hour)},
		"s": {User: account.User{ID: 1, Username: "sue", Role: "supervisor", Queues: []string{"billing"}}, CSRF: "x", ExpiresAt: time.Now().Add(time.Hour)},
	}, users: map[string]*account.User{}}
	h := Handler(Options{Users: users, Live: func() Live { return Live{} }, Desktop: d, AgentDay: memAgentDay,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	routes := []struct{ method, path, session string }{
		{"POST", "/api/agent/login", "a"}, {"POST", "/api/agent/state", "a"}, {"POST", "/api/calls/c-b/transfer", "a"},
		{"POST", "/api/agents/1001/state", "s"}, {"PATCH", "/api/agents/1001", "s"}, {"PATCH", "/api/calls/c-s", "s"},
	}
	f.Fuzz(func(t *testing.T, which int, body string) {
		rt := routes[(which%len(routes)+len(routes))%len(routes)]
		r := httptest.NewRequest(rt.method, rt.path, strings.NewReader(body))
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: rt.session})
		r.Header.Set("X-CSRF-Token", "x")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 300 {
			var e apiError
			if w.Code >= 500 || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code == "" {
				t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, w.Code, w.Body)
			}
		}
		if rt.session == "s" && w.Code < 300 {
			t.Fatalf("a supervisor of billing changed %s: %d %s", rt.path, w.Code, w.Body)
		}
	})
}

// TestSupervisorScopeOneRule: an agent who also serves a queue outside the supervisor's scope
// is seen on the grid, and the supervisor may change its memberships of their own queues, but
// neither its state (a pause or a logout stops it for the other queues too) nor its skills or
// phone: one rule for the actions and the edits. An agent of their queues only they may do all.
func TestSupervisorScopeOneRule(t *testing.T) {
	s, d := deskSite(t)
	d.agents["1003"] = acd.AgentView{ID: "1003", Name: "Carol", Endpoint: "PJSIP/1003", State: acd.Available, Since: time.Now(),
		Queues: []acd.Membership{{Queue: "billing"}, {Queue: "support"}}, Skills: map[string]int{"billing": 2}}
	c := s.client()
	s.login(c, "sue", "sue-pass")
	csrf := s.pageCSRF(c, "/wallboard")
	for _, tt := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"shared agent on the grid", "GET", "/api/agents", "", 200, `"id":"1003"`},
		{"pause a shared agent", "POST", "/api/agents/1003/state", `{"state":"paused","reason":"coaching"}`, 403, "outside your scope"},
		{"log out a shared agent", "POST", "/api/agents/1003/state", `{"state":"logged_out"}`, 403, "outside your scope"},
		{"skills of a shared agent", "PATCH", "/api/agents/1003", `{"skills":{"billing":9}}`, 403, "outside your scope"},
		{"phone of a shared agent", "PATCH", "/api/agents/1003", `{"endpoint":"PJSIP/2003"}`, 403, "outside your scope"},
		{"own queue's membership of a shared agent", "PATCH", "/api/agents/1003", `{"queues":[{"queue":"billing","penalty":2},{"queue":"support","penalty":0}]}`, 200, `"penalty":2`},
		{"pause an agent of billing only", "POST", "/api/agents/1008/state", `{"state":"paused","reason":"coaching"}`, 200, `"state":"paused"`},
		{"phone of an agent of billing only", "PATCH", "/api/agents/1008", `{"endpoint":"PJSIP/2008"}`, 200, `"endpoint":"PJSIP/2008"`},
	} {
		code, body := s.send(c, tt.method, tt.path, csrf, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, code, body, tt.code, tt.want)
		}
	}
	if v, _ := d.Agent(context.Background(), "1003"); v.State != acd.Available || v.Skills["billing"] != 2 || v.Endpoint != "PJSIP/1003" {
		t.Fatalf("the shared agent after the refusals: %+v", v)
	}
}
