package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/account"
	"switchboard/internal/pgtest"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/ivr/callback"
	"switchboard/recording"
)

// The authorization table: every route Routes lists, asked by every kind of caller about
// objects of their own, of others and outside their scope, with the status each must get.
// A route without a row (or a row without a route) fails the test, so a new route cannot
// ship without saying who may call it.
//
// Callers, in the order of a row's statuses:
//
//	anon       no credentials
//	alice      agent 1001, browser session (with its CSRF token)
//	sue        supervisor of billing, browser session
//	root       admin, browser session
//	alice-tok  alice's API token (Authorization: Bearer; no CSRF)
//	sue-tok    sue's API token
//	root-tok   root's API token
//
// Objects: a route about an object is asked about object a, then b. As alice sees them, a is
// her own (her call c-a, ticket 1, recording rec-a, token) and b another agent's (bob's c-b,
// ticket 2, rec-b, token); as sue sees them, a is in her scope (billing: agent 1001, waiting
// call w-a, callback 1) and b outside it (support: agent 1002, w-b, callback 2). Customers and
// accounts have no owner: a and b are two of them. A status "200/403" is a's, then b's.
var authzCallers = []string{"anon", "alice", "sue", "root", "alice-tok", "sue-tok", "root-tok"}

type authzRow struct {
	route string // "METHOD /pattern" as Routes lists it
	a, b  string // the paths asked; b "" for routes about no object (a "" : the pattern itself)
	body  string // a JSON body (or "form:" and a form); {csrf} is the caller's CSRF token
	bodyB string // the body for b when it differs
	want  string // the statuses, one per caller in authzCallers order
}

var authzTable = []authzRow{
	// Open to anyone.
	{route: "GET /healthz", want: "200 200 200 200 200 200 200"},
	{route: "GET /metrics", want: "401 401 401 401 401 401 401"}, // its own token, none of these
	{route: "GET /login", want: "200 200 200 200 200 200 200"},
	{route: "POST /login", body: "form:username=root&password=x", want: "403 403 403 403 403 403 403"}, // no login form token
	{route: "GET /assets/{file}", a: "/assets/style.css", want: "200 200 200 200 200 200 200"},
	{route: "GET /assets/ring.wav", want: "200 200 200 200 200 200 200"},
	{route: "GET /assets/lib/jssip.js", want: sipLibWant()}, // 503 until the build bundles the library
	{route: "GET /{$}", a: "/", want: "303 303 303 303 303 303 303"},

	// Pages: a session of the right role; tokens never open pages (they redirect to the login).
	{route: "POST /logout", body: "form:csrf={csrf}", want: "303 303 303 303 303 303 303"},
	{route: "GET /wallboard", want: "303 403 200 200 303 303 303"},
	{route: "GET /wallboard/tv", want: "303 403 200 200 303 303 303"},
	{route: "GET /agent", want: "303 200 403 403 303 303 303"},
	{route: "GET /recordings", want: "303 200 200 200 303 303 303"},
	{route: "GET /reports", want: "303 403 200 200 303 303 303"},
	{route: "GET /admin", want: "303 403 403 200 303 303 303"},
	{route: "GET /customers", want: "303 200 200 200 303 303 303"},
	{route: "GET /customers/{id}", a: "/customers/1", b: "/customers/2", want: "303 200/200 200/200 200/200 303 303 303"},
	{route: "GET /tickets", want: "303 200 200 200 303 303 303"},
	{route: "GET /profile", want: "303 200 200 200 303 303 303"},
	{route: "POST /profile", body: "form:csrf={csrf}&language=en&time_zone=Europe/Moscow", want: "303 303 303 303 303 303 303"},

	// Wallboard and reports: supervisors (their queues) and admins.
	{route: "GET /api/queues", want: "401 403 200 200 403 200 200"},
	{route: "GET /api/queues/stream", want: "401 403 200 200 403 200 200"},
	{route: "GET /api/reports", want: "401 403 200 200 403 200 200"},

	// Recordings: agents their own calls', supervisors their queues', admins all.
	{route: "GET /api/recordings", want: "401 200 200 200 200 200 200"},
	{route: "GET /recordings/{name}", a: "/recordings/rec-a", b: "/recordings/rec-b",
		want: "401 200/403 200/403 200/200 200/403 200/403 200/200"},

	// An agent's own connected call: anyone else's is not theirs (409 or 404).
	{route: "POST /api/calls/{id}/record", a: "/api/calls/c-a/record", b: "/api/calls/c-b/record",
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/calls/{id}/recording/pause", a: "/api/calls/c-a/recording/pause", b: "/api/calls/c-b/recording/pause",
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/calls/{id}/recording/resume", a: "/api/calls/c-a/recording/resume", b: "/api/calls/c-b/recording/resume",
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/calls/{id}/secure-collect", a: "/api/calls/c-a/secure-collect", b: "/api/calls/c-b/secure-collect",
		body: `{"name":"card","min":12,"max":19}`, want: "401 200/409 403 403 200/409 403 403"},
	{route: "POST /api/calls/{id}/wrapup", a: "/api/calls/c-a/wrapup", b: "/api/calls/c-b/wrapup",
		body: `{"disposition":"resolved"}`, want: "401 204/404 403 403 204/404 403 403"},
	{route: "POST /api/calls/{id}/callback", a: "/api/calls/c-a/callback", b: "/api/calls/c-b/callback",
		body: `{}`, want: "401 201/404 403 403 201/404 403 403"},
	{route: "POST /api/calls/{id}/transfer", a: "/api/calls/c-a/transfer", b: "/api/calls/c-b/transfer",
		body: `{"queue":"support"}`, want: "401 200/404 403 403 200/404 403 403"},
	// The agent's call controls (a body names the call): their own connected call only.
	{route: "POST /api/desk/call/hangup", a: "/api/desk/call/hangup", b: "/api/desk/call/hangup", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/hold", a: "/api/desk/call/hold", b: "/api/desk/call/hold", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/resume", a: "/api/desk/call/resume", b: "/api/desk/call/resume", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/mute", a: "/api/desk/call/mute", b: "/api/desk/call/mute", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/unmute", a: "/api/desk/call/unmute", b: "/api/desk/call/unmute", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/dtmf", a: "/api/desk/call/dtmf", b: "/api/desk/call/dtmf", body: `{"call":"c-a","digits":"1"}`, bodyB: `{"call":"c-b","digits":"1"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/transfer", a: "/api/desk/call/transfer", b: "/api/desk/call/transfer", body: `{"call":"c-a","queue":"support"}`, bodyB: `{"call":"c-b","queue":"support"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	// Warm transfer: consult, then complete, cancel or join (a conference).
	{route: "POST /api/desk/call/complete", a: "/api/desk/call/complete", b: "/api/desk/call/complete", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/cancel", a: "/api/desk/call/cancel", b: "/api/desk/call/cancel", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/conference", a: "/api/desk/call/conference", b: "/api/desk/call/conference", body: `{"call":"c-a"}`, bodyB: `{"call":"c-b"}`,
		want: "401 204/409 403 403 204/409 403 403"},
	{route: "POST /api/desk/call/consult", a: "/api/desk/call/consult", b: "/api/desk/call/consult", body: `{"call":"c-a","number":"5550123"}`, bodyB: `{"call":"c-b","number":"5550123"}`,
		want: "401 204/409 403 403 204/409 403 403"},

	// The agent's own desktop.
	{route: "GET /api/agent/pop/stream", want: "401 200 403 403 200 403 403"},
	{route: "GET /api/agent/call", want: "401 204 403 403 204 403 403"},
	{route: "GET /api/agent", want: "401 200 403 403 200 403 403"},
	{route: "POST /api/agent/login", body: `{"endpoint":"PJSIP/1001"}`, want: "401 200 403 403 200 403 403"},
	{route: "POST /api/agent/state", body: `{"state":"available"}`, want: "401 200 403 403 200 403 403"},
	{route: "GET /api/agent/stats", want: "401 200 403 403 200 403 403"},
	{route: "GET /api/agent/softphone", want: "401 200 403 403 403 403 403"}, // the SIP password: sessions only
	{route: "GET /api/agent/callbacks", want: "401 200 403 403 200 403 403"},
	{route: "GET /api/dispositions", want: "401 200 200 200 200 200 200"},
	{route: "GET /api/ivr/labels", want: "401 200 200 200 200 200 200"},

	// Customers: every staff role reads, creates and edits them.
	{route: "GET /api/customers", want: "401 200 200 200 200 200 200"},
	{route: "POST /api/customers", body: `{"name":"Cleo"}`, want: "401 201 201 201 201 201 201"},
	{route: "GET /api/customers/{id}", a: "/api/customers/1", b: "/api/customers/2", want: "401 200/200 200/200 200/200 200/200 200/200 200/200"},
	{route: "PATCH /api/customers/{id}", a: "/api/customers/1", b: "/api/customers/2", body: `{"notes":"VIP"}`,
		want: "401 200/200 200/200 200/200 200/200 200/200 200/200"},

	// Tickets: everyone reads them; an agent opens them on their own calls, changes the ones they
	// own and links their call only to a ticket of the call's customer (b: alice's call c-a to
	// Ben's ticket 2); supervisors and admins do all.
	{route: "GET /api/tickets", want: "401 200 200 200 200 200 200"},
	{route: "POST /api/tickets", body: `{"customer_id":1,"subject":"Refund","call_id":"c-a"}`, bodyB: `{"customer_id":2,"subject":"Refund","call_id":"c-b"}`,
		a: "/api/tickets", b: "/api/tickets", want: "401 201/403 201/201 201/201 201/403 201/201 201/201"},
	{route: "GET /api/tickets/{id}", a: "/api/tickets/1", b: "/api/tickets/2", want: "401 200/200 200/200 200/200 200/200 200/200 200/200"},
	{route: "PATCH /api/tickets/{id}", a: "/api/tickets/1", b: "/api/tickets/2", body: `{"priority":4}`,
		want: "401 200/403 200/200 200/200 200/403 200/200 200/200"},
	{route: "POST /api/tickets/{id}/calls", a: "/api/tickets/1/calls", b: "/api/tickets/2/calls", body: `{"call_id":"c-a"}`,
		want: "401 200/403 200/200 200/200 200/403 200/200 200/200"},

	// The supervisor's agent grid and waiting calls: their queues only (outside: not found).
	{route: "GET /api/agents", want: "401 403 200 200 403 200 200"},
	{route: "POST /api/agents/{id}/state", a: "/api/agents/1001/state", b: "/api/agents/1002/state", body: `{"state":"paused","reason":"coaching"}`,
		want: "401 403 200/404 200/200 403 200/404 200/200"},
	{route: "PATCH /api/agents/{id}", a: "/api/agents/1001", b: "/api/agents/1002", body: `{"skills":{"en":3}}`,
		want: "401 403 200/404 200/200 403 200/404 200/200"},
	{route: "GET /api/calls/waiting", want: "401 403 200 200 403 200 200"},
	{route: "PATCH /api/calls/{id}", a: "/api/calls/w-a", b: "/api/calls/w-b", body: `{"priority":3}`,
		want: "401 403 200/404 200/200 403 200/404 200/200"},
	// Supervisors listen to, whisper to and barge into calls of agents of their queues only.
	{route: "POST /api/supervisor/agents/{id}/monitor", a: "/api/supervisor/agents/1001/monitor", b: "/api/supervisor/agents/1002/monitor", body: `{"endpoint":"PJSIP/9001"}`,
		want: "401 403 200/404 200/200 403 200/404 200/200"},
	{route: "POST /api/supervisor/agents/{id}/whisper", a: "/api/supervisor/agents/1001/whisper", b: "/api/supervisor/agents/1002/whisper", body: `{"endpoint":"PJSIP/9001"}`,
		want: "401 403 200/404 200/200 403 200/404 200/200"},
	{route: "POST /api/supervisor/agents/{id}/barge", a: "/api/supervisor/agents/1001/barge", b: "/api/supervisor/agents/1002/barge", body: `{"endpoint":"PJSIP/9001"}`,
		want: "401 403 200/404 200/200 403 200/404 200/200"},
	{route: "POST /api/supervisor/agents/{id}/takeover", a: "/api/supervisor/agents/1001/takeover", b: "/api/supervisor/agents/1002/takeover",
		want: "401 403 404/404 404/404 403 404/404 404/404"}, // no session in the fresh fakes; a session's own test: controls_test.go
	{route: "POST /api/supervisor/monitor/stop", want: "401 403 204 204 403 204 204"},
	{route: "GET /api/desk/monitored", want: "401 200 403 403 200 403 403"},
	// Outbound calls: an agent dials for themselves (the session says who).
	{route: "POST /api/desk/call/dial", body: `{"number":"+4930123456"}`, want: "401 202 403 403 202 403 403"},
	{route: "GET /api/desk/call/dial", want: "401 200 403 403 200 403 403"},
	{route: "GET /api/supervisor/monitoring", want: "401 403 200 200 403 200 200"},
	{route: "GET /api/callbacks", want: "401 403 200 200 403 200 200"},
	{route: "POST /api/callbacks/{id}/cancel", a: "/api/callbacks/1/cancel", b: "/api/callbacks/2/cancel",
		want: "401 403 200/403 200/200 403 200/403 200/200"},

	// Accounts: admins, from a signed-in session only; tokens: everyone their own (admins all),
	// from a session only.
	{route: "GET /api/users", want: "401 403 403 200 403 403 403"},
	{route: "POST /api/users", body: `{"username":"new-{case}","role":"agent","agent_id":"1003","password":"a long password"}`,
		want: "401 403 403 201 403 403 403"},
	{route: "PATCH /api/users/{id}", a: "/api/users/{user-a}", b: "/api/users/{user-b}", body: `{"agent_id":"1004"}`,
		want: "401 403/403 403/403 200/200 403/403 403/403 403/403"},
	{route: "DELETE /api/users/{id}", a: "/api/users/{user-a}", b: "/api/users/{user-b}",
		want: "401 403/403 403/403 204/204 403/403 403/403 403/403"},
	{route: "GET /api/tokens", want: "401 200 200 200 403 403 403"},
	{route: "POST /api/tokens", body: `{"name":"integration"}`, want: "401 201 201 201 403 403 403"},
	{route: "DELETE /api/tokens/{id}", a: "/api/tokens/{token-a}", b: "/api/tokens/{token-b}",
		want: "401 204/404 404/404 204/204 403/403 403/403 403/403"},
}

// authzWorld is the store (accounts, sessions, tokens, reports) every case shares and the
// account ids of the callers; each case gets fresh fakes, sessions and tokens.
type authzWorld struct {
	st       *store.Store
	ids      map[string]int64 // alice, bob, sue, root
	recDir   string
	recFiles map[string][2]string // name → size, sha256
}

func newAuthzWorld(t *testing.T) *authzWorld {
	t.Helper()
	w := &authzWorld{st: store.New(pgtest.Pool(t)), ids: map[string]int64{}, recDir: t.TempDir(), recFiles: map[string][2]string{}}
	for _, u := range []account.User{
		{Username: "alice", Role: "agent", AgentID: "1001"}, {Username: "bob", Role: "agent", AgentID: "1002"},
		{Username: "sue", Role: "supervisor", Queues: []string{"billing"}}, {Username: "root", Role: "admin"},
	} {
		u.PasswordHash = "$2a$10$notahashanyonecanloginwith"
		a, err := w.st.CreateAccount(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		w.ids[u.Username] = a.ID
	}
	for _, name := range []string{"rec-a", "rec-b"} {
		data := bytes.Repeat([]byte(name), 100)
		if err := os.WriteFile(filepath.Join(w.recDir, name+".wav"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		w.recFiles[name] = [2]string{strconv.Itoa(len(data)), hex.EncodeToString(sum[:])}
	}
	return w
}

// authzSecure: call c-a is agent 1001's connected call, c-b agent 1002's.
type authzSecure struct{}

func ownCallOnly(agent, call string) error {
	owner := map[string]string{"c-a": "1001", "c-b": "1002"}[call]
	switch {
	case owner == "":
		return &acd.Error{Code: acd.ENotFound, Message: "no call " + call}
	case owner != agent:
		return &acd.Error{Code: acd.EConflict, Message: "call not connected to you"}
	}
	return nil
}

func (authzSecure) PauseRecording(_ context.Context, agent, call string) error {
	return ownCallOnly(agent, call)
}
func (authzSecure) ResumeRecording(_ context.Context, agent, call string) error {
	return ownCallOnly(agent, call)
}
func (authzSecure) SecureCollect(_ context.Context, agent, call, _ string, _, _ int) (string, error) {
	return "************1111", ownCallOnly(agent, call)
}

// options builds the HTTP side for one case with every part present, on fresh fakes.
func (w *authzWorld) options() Options {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	desk := newMemDesktop()
	desk.agents = map[string]acd.AgentView{
		"1001": {ID: "1001", Name: "Alice", Endpoint: "PJSIP/1001", State: acd.OnCall, Call: "c-a", Since: at, Queues: []acd.Membership{{Queue: "billing"}}},
		"1002": {ID: "1002", Name: "Bob", Endpoint: "PJSIP/1002", State: acd.OnCall, Call: "c-b", Since: at, Queues: []acd.Membership{{Queue: "support"}}},
	}
	desk.waiting = []acd.CallView{{ID: "w-a", Queue: "billing", Position: 1}, {ID: "w-b", Queue: "support", Position: 1}}
	c := newMemCRM()
	c.CreateCustomer(context.Background(), crm.Customer{Name: "Anna"})
	c.CreateCustomer(context.Background(), crm.Customer{Name: "Ben"})
	c.callAgent["c-a"], c.callCustomer["c-a"] = "1001", 1
	c.callAgent["c-b"], c.callCustomer["c-b"] = "1002", 2
	c.CreateTicket(context.Background(), crm.NewTicket{CustomerID: 1, Subject: "Anna's", Owner: "1001", CallID: "c-a"})
	c.CreateTicket(context.Background(), crm.NewTicket{CustomerID: 2, Subject: "Ben's", Owner: "1002", CallID: "c-b"})
	recs := &memRecordings{}
	for name, r := range map[string][2]string{"rec-a": {"billing", "1001"}, "rec-b": {"support", "1002"}} {
		size, _ := strconv.ParseInt(w.recFiles[name][0], 10, 64)
		recs.rows = append(recs.rows, recording.Recording{Name: name, CallID: strings.Replace(name, "rec", "c", 1), Queue: r[0], Agent: r[1],
			Started: at, Size: size, Format: "wav", SHA256: w.recFiles[name][1], Path: filepath.Join(w.recDir, name+".wav")})
	}
	return Options{
		Users: w.st, Accounts: w.st, Reports: w.st, Profiles: w.st, IVR: func() IVR { return IVR{} },
		Live: func() Live {
			return Live{At: at, Queues: []acd.QueueStats{{Queue: "billing"}, {Queue: "support"}}}
		},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "metric 1\n") }), MetricsToken: "m3trics",
		Recordings: recs,
		RecordCall: func(_ context.Context, agent, call string) error { return ownCallOnly(agent, call) },
		Secure:     authzSecure{},
		CRM:        c,
		Pops:       hubPops(screenpop.New(screenpop.Options{Logger: slog.New(slog.DiscardHandler)})),
		Desk: deskOf(&screenpop.Desk{Store: &memDesk{handled: map[string]string{"c-a": "1001", "c-b": "1002"}}, Node: "ast1",
			Dispositions: []string{"resolved"}, Callbacks: callback.Policy{AllowInternational: true}, Tickets: c}),
		Desktop: desk, AgentDay: memAgentDay, Controls: &fakeControls{}, Monitoring: newFakeMonitoring(),
		CallbacksPending: func(context.Context) (map[string]int, error) { return map[string]int{}, nil },
		Callbacks: &memCallbacks{rows: []callback.Callback{
			{ID: 1, Number: "+4930111", Queue: "billing", State: callback.StatePending, EnqueuedAt: at, MaxAttempts: 3},
			{ID: 2, Number: "+4930222", Queue: "support", State: callback.StatePending, EnqueuedAt: at, MaxAttempts: 3},
		}},
		KPIs: func(context.Context, time.Time, time.Time, []string) (float64, float64, bool, error) {
			return 0, 0, false, nil
		},
		Logger: slog.New(slog.DiscardHandler),
		Softphone: &Softphone{WSURL: "wss://pbx.example:8089/ws", Domain: "pbx.example", RingTimeout: 20 * time.Second,
			Endpoint: func(a string) string { return "PJSIP/webrtc-" + a }, Password: func(string) string { return "pw" }},
	}
}

// credentials are one case's: a session (cookie, CSRF token) or an API token per caller.
type credentials struct {
	cookie, csrf, bearer string
}

// caseSetup makes fresh sessions and tokens for the callers, and the objects the case's
// placeholders name; it returns the callers' credentials and the placeholders' values.
func (w *authzWorld) caseSetup(t *testing.T, n int) (map[string]credentials, map[string]string) {
	t.Helper()
	ctx := context.Background()
	creds := map[string]credentials{"anon": {}}
	for _, u := range []string{"alice", "sue", "root"} {
		sess, csrf := randomToken(), randomToken()
		if err := w.st.CreateSession(ctx, w.ids[u], sess, csrf, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		creds[u] = credentials{cookie: sess, csrf: csrf}
		tok := "sbt_" + randomToken()
		if _, err := w.st.CreateAPIToken(ctx, w.ids[u], "authz", tok); err != nil {
			t.Fatal(err)
		}
		creds[u+"-tok"] = credentials{bearer: tok}
	}
	vals := map[string]string{"{case}": strconv.Itoa(n)}
	for _, obj := range []string{"a", "b"} {
		acct, err := w.st.CreateAccount(ctx, account.User{Username: fmt.Sprintf("object-%s-%d", obj, n), Role: "agent", AgentID: "1003",
			PasswordHash: "$2a$10$notahashanyonecanloginwith"})
		if err != nil {
			t.Fatal(err)
		}
		vals["{user-"+obj+"}"] = strconv.FormatInt(acct.ID, 10)
		owner := map[string]string{"a": "alice", "b": "bob"}[obj]
		tok, err := w.st.CreateAPIToken(ctx, w.ids[owner], "object", "sbt_"+randomToken())
		if err != nil {
			t.Fatal(err)
		}
		vals["{token-"+obj+"}"] = strconv.FormatInt(tok.ID, 10)
	}
	return creds, vals
}

// firstWrite is a ResponseRecorder that ends the request's context once the handler has
// written something: an event stream then returns after its first event.
type firstWrite struct {
	*httptest.ResponseRecorder
	once   sync.Once
	cancel context.CancelFunc
}

func (f *firstWrite) Write(b []byte) (int, error) {
	defer f.once.Do(f.cancel)
	return f.ResponseRecorder.Write(b)
}

// ask sends one request as cred and returns the status and body.
func ask(h http.Handler, method, path, body string, cred credentials, withCSRF bool) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body = strings.ReplaceAll(body, "{csrf}", cred.csrf)
	form, isForm := strings.CutPrefix(body, "form:")
	r := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(form))
	if isForm {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if cred.cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cred.cookie})
		if withCSRF {
			r.Header.Set("X-CSRF-Token", cred.csrf)
		}
	}
	if cred.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+cred.bearer)
	}
	w := &firstWrite{ResponseRecorder: httptest.NewRecorder(), cancel: cancel}
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// parseWant reads a row's statuses: per caller, a's (and b's).
func parseWant(t *testing.T, row authzRow) map[string][]int {
	t.Helper()
	fields := strings.Fields(row.want)
	if len(fields) != len(authzCallers) {
		t.Fatalf("%s: %d statuses, want one per caller %v", row.route, len(fields), authzCallers)
	}
	objects := 1
	if row.b != "" {
		objects = 2
	}
	out := map[string][]int{}
	for i, f := range fields {
		parts := strings.Split(f, "/")
		if len(parts) == 1 && objects == 2 {
			parts = []string{f, f}
		}
		if len(parts) != objects {
			t.Fatalf("%s: %q for %s, want %d statuses", row.route, f, authzCallers[i], objects)
		}
		for _, p := range parts {
			code, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("%s: status %q", row.route, p)
			}
			out[authzCallers[i]] = append(out[authzCallers[i]], code)
		}
	}
	return out
}

func TestAuthorizationTable(t *testing.T) {
	w := newAuthzWorld(t)
	routes := Routes(w.options())
	rows := map[string]authzRow{}
	for _, row := range authzTable {
		if _, dup := rows[row.route]; dup {
			t.Errorf("two rows for %s", row.route)
		}
		rows[row.route] = row
	}
	served := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		served[key] = true
		if _, ok := rows[key]; !ok {
			t.Errorf("%s is served but has no row in authzTable: say who may call it", key)
		}
	}
	for key := range rows {
		if !served[key] {
			t.Errorf("authzTable has a row for %s, which Routes does not list", key)
		}
	}

	n := 0
	for _, row := range authzTable {
		if !served[row.route] {
			continue
		}
		method, pattern, _ := strings.Cut(row.route, " ")
		want := parseWant(t, row)
		paths := []string{row.a}
		if row.a == "" {
			paths[0] = pattern
		}
		if row.b != "" {
			paths = append(paths, row.b)
		}
		for i, p := range paths {
			body := row.body
			if i == 1 && row.bodyB != "" {
				body = row.bodyB
			}
			for _, caller := range authzCallers {
				n++
				creds, vals := w.caseSetup(t, n)
				path, b := p, body
				for k, v := range vals {
					path, b = strings.ReplaceAll(path, k, v), strings.ReplaceAll(b, k, v)
				}
				h := Handler(w.options())
				code, answer := ask(h, method, path, b, creds[caller], true)
				if code != want[caller][i] {
					t.Errorf("%s %s as %s: %d, want %d (%.200s)", method, path, caller, code, want[caller][i], answer)
				}
				// A browser session that may change something still needs the CSRF token.
				if method != "GET" && code < 300 && creds[caller].cookie != "" && !strings.HasPrefix(body, "form:") && !strings.HasPrefix(pattern, "/login") {
					n++
					creds, vals = w.caseSetup(t, n)
					path, b = p, body
					for k, v := range vals {
						path, b = strings.ReplaceAll(path, k, v), strings.ReplaceAll(b, k, v)
					}
					if code, answer := ask(Handler(w.options()), method, path, b, creds[caller], false); code != http.StatusForbidden || errCode(answer) != CodeCSRF {
						t.Errorf("%s %s as %s without the CSRF token: %d %.200s, want 403 csrf", method, path, caller, code, answer)
					}
				}
			}
		}
	}
	t.Logf("%d routes, %d requests", len(routes), n)
}
