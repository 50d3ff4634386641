package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// apiClient is a signed-in browser session: its cookie and the CSRF token of a page.
type apiClient struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func signedIn(t *testing.T, addr, user, page string) *apiClient {
	t.Helper()
	a := &apiClient{t: t, c: login(t, addr, user), base: "http://" + addr}
	a.csrf = csrfOn(t, a.c, a.base+page)
	return a
}

func (a *apiClient) do(method, path, body string) (int, string) {
	a.t.Helper()
	return apiSend(a.t, a.c, method, a.base+path, a.csrf, body)
}

func (a *apiClient) want(method, path, body string, code int, has string) string {
	a.t.Helper()
	got, resp := a.do(method, path, body)
	if got != code || !strings.Contains(resp, has) {
		a.t.Fatalf("%s %s %s: %d %s, want %d with %s", method, path, body, got, resp, code, has)
	}
	return resp
}

// The desktop's and the wallboard's API against the real router: an agent logs in on a phone,
// takes a call and escalates it; a supervisor moves a waiting call up and changes an agent,
// within its queues only.
func TestDesktopAPIOnTheRouter(t *testing.T) {
	emu, d, cfg := demoDaemon(t, func(c *config.Config) { c.DeskEndpoints = []string{"PJSIP/2*"} }) // desk phones
	ctx := context.Background()
	addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"},
		testAccount{name: "sue", role: "supervisor", queues: []string{"billing"}})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.router.Do(ctx, func(e *acd.Engine) error {
		for _, id := range []string{"1003", "1008", "1009"} { // billing's agents
			if err := e.Logout(id); err != nil {
				return err
			}
		}
		return nil
	}))
	emu.SetPhone("PJSIP/2008", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	heidi := signedIn(t, d.addr, "heidi", "/agent")
	sue := signedIn(t, d.addr, "sue", "/wallboard")

	// A waiting call: the supervisor raises its priority; it keeps its place in time.
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "+493055500001", DID: "5552000", TalkTime: time.Minute})
	must(err)
	call := "demo-" + ch
	callView := func(id string) (v acd.CallView) {
		must(d.router.Do(ctx, func(e *acd.Engine) error { v, _ = e.Call(id); return nil }))
		return v
	}
	var before acd.CallView
	testkit.Eventually(t, "the call waits", func() bool { before = callView(call); return before.State == "waiting" })
	waiting := sue.want("GET", "/api/calls/waiting", "", 200, call)
	if strings.Contains(waiting, `"support-l1"`) {
		t.Fatalf("the supervisor of billing sees other queues' calls: %s", waiting)
	}
	sue.want("PATCH", "/api/calls/"+call, `{"priority":12}`, 422, `"invalid"`)
	sue.want("PATCH", "/api/calls/"+call, `{"priority":7}`, 200, `"priority":7`)
	after := callView(call)
	if after.Priority != 7 || !after.EnqueuedAt.Equal(before.EnqueuedAt) {
		t.Fatalf("after the change: priority %d enqueued %v, want 7 and %v", after.Priority, after.EnqueuedAt, before.EnqueuedAt)
	}
	support, err := emu.PlaceCaller(ariemu.Caller{Number: "+493055500002", DID: "5553000", Patience: time.Minute})
	must(err)
	_ = support // support-l1 has agents: it is offered, never the supervisor's to change
	sue.want("PATCH", "/api/calls/demo-"+support, `{"priority":1}`, 404, `"not_found"`)

	// The agent logs in on a phone of its choosing and gets the call there.
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/2008; rm -rf"}`, 422, "like PJSIP/1001")
	// A trunk or a Local channel would have the router dial anywhere: not a desk phone.
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/004930123456@carrier"}`, 422, "not one agents may use")
	heidi.want("POST", "/api/agent/login", `{"endpoint":"Local/004930123456@from-internal"}`, 422, "not one agents may use")
	heidi.want("POST", "/api/agent/state", `{"state":"paused"}`, 422, "reason")                      // logged out, and no reason
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/2008"}`, 200, `"reason":"not ready"`) // not ready until she says so
	heidi.want("POST", "/api/agent/state", `{"state":"available"}`, 200, `"id":"1008"`)              // the waiting call rings at once
	testkit.Eventually(t, "Heidi on the call", func() bool {
		_, body := heidi.do("GET", "/api/agent", "")
		return strings.Contains(body, `"state":"on_call"`) && strings.Contains(body, call)
	})
	// Escalation to line 2 keeps the time already waited.
	heidi.want("POST", "/api/calls/"+call+"/transfer", `{"queue":"billing"}`, 422, "already")
	heidi.want("POST", "/api/calls/"+call+"/transfer", `{"queue":"nowhere"}`, 404, `"not_found"`)
	heidi.want("POST", "/api/calls/"+call+"/transfer", `{"queue":"support-l2"}`, 200, `"support-l2"`)
	moved := callView(call)
	if moved.Queue != "support-l2" || !moved.EnqueuedAt.Equal(before.EnqueuedAt) {
		t.Fatalf("after the transfer: %+v", moved)
	}
	heidi.want("POST", "/api/calls/"+call+"/transfer", `{"queue":"support-l3"}`, 404, `"not_found"`) // no longer hers
	testkit.Eventually(t, "the day's figures count the call", func() bool {
		_, body := heidi.do("GET", "/api/agent/stats", "")
		var s struct{ Calls int }
		return json.Unmarshal([]byte(body), &s) == nil && s.Calls == 1
	})

	// The supervisor changes Heidi's skills and queues, within billing only.
	sue.want("PATCH", "/api/agents/1008", `{"skills":{"billing":8},"queues":[{"queue":"billing","penalty":1}]}`, 200, `"billing":8`)
	sue.want("PATCH", "/api/agents/1008", `{"queues":[{"queue":"billing","penalty":0},{"queue":"support-l3","penalty":0}]}`, 422, "outside your scope")
	sue.want("PATCH", "/api/agents/1001", `{"skills":{"en":9}}`, 404, `"not_found"`) // Alice serves support-l1 only
	v, _ := d.router.Agent(ctx, "1008")
	if v.Skills["billing"] != 8 || len(v.Queues) != 1 || v.Queues[0] != (acd.Membership{Queue: "billing", Penalty: 1}) {
		t.Fatalf("Heidi after the changes: %+v", v)
	}
	heidi.want("POST", "/api/agent/state", `{"state":"available"}`, 200, `"state":"available"`) // wrap-up ended early
	sue.want("POST", "/api/agents/1008/state", `{"state":"paused","reason":"coaching"}`, 200, `"reason":"coaching"`)
	heidi.want("GET", "/api/agent", "", 200, `"state":"paused"`)
	sue.want("POST", "/api/agents/1001/state", `{"state":"logged_out"}`, 404, `"not_found"`)
	if a, _ := d.router.Agent(ctx, "1001"); a.State == acd.LoggedOut {
		t.Fatal("a supervisor logged out an agent outside its queues")
	}
	grid := sue.want("GET", "/api/agents", "", 200, `"1008"`)
	if strings.Contains(grid, `"1001"`) {
		t.Fatalf("the grid shows agents outside the scope: %s", grid)
	}

	// The escalated call and the support call are connected, their bridges made, when the
	// router restarts: each caller shares a bridge with an agent leg whose SB_ANSWER (set by
	// its originate) names the call's agent.
	ari := asterisk.NewREST(asterisk.RESTOptions{URL: cfg.ARI.URL, App: cfg.ARI.App, Username: cfg.ARI.User, Password: cfg.ARI.Password})
	bridgedWith := func(caller, agent string) bool {
		rec, ok := emu.Call(caller)
		if !ok || rec.Bridged.IsZero() {
			return false
		}
		for _, p := range rec.Peers {
			if v, _ := ari.Var(context.Background(), p, "SB_ANSWER"); strings.HasPrefix(v, agent+"|") {
				return true
			}
		}
		return false
	}
	var escalated acd.CallView
	testkit.Eventually(t, "both calls connected", func() bool {
		escalated = callView(call)
		sup := callView("demo-" + support)
		return escalated.State == "connected" && sup.State == "connected" &&
			bridgedWith(ch, escalated.Agent) && bridgedWith(support, sup.Agent)
	})
	atStop, err := d.router.Agents(ctx)
	must(err)

	// The router restarts with agents logging in from their desktops, and an agent added to
	// the file meanwhile. Every agent comes back as it was: Heidi paused for coaching on her
	// phone, billing's other agents logged out, the others logged in, the one on the call
	// still on it; the new agent, never logged in, is out. The phone, skills and queues
	// outlive the restart and a reload; the refused change left nothing behind.
	d.close()
	cfg.AgentsLogin = config.AgentsLoginDesktop
	cfg.Agents = append(cfg.Agents, acd.AgentConfig{ID: "1011", Endpoint: "PJSIP/2011", Skills: map[string]int{"billing": 5},
		Queues: []acd.Membership{{Queue: "billing"}}})
	d2, err := startDaemon(ctx, cfg, daemonOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	must(err)
	t.Cleanup(d2.close)
	testkit.Eventually(t, "reconciled", func() bool { return d2.router.Reconciliations() > 0 })
	want := map[string]string{}
	for _, a := range atStop {
		switch a.State {
		case acd.LoggedOut, acd.Paused, acd.OnCall:
			want[a.ID] = a.State.String() + " " + a.Reason
		default:
			want[a.ID] = "available "
		}
	}
	for id, w := range map[string]string{"1008": "paused coaching", "1003": "logged-out ", "1009": "logged-out ", escalated.Agent: "on-call "} {
		if want[id] != w {
			t.Fatalf("before the restart agent %s was %q, want %q", id, want[id], w)
		}
	}
	want["1011"] = "logged-out "
	for id, w := range want {
		if a, _ := d2.router.Agent(ctx, id); a.State.String()+" "+a.Reason != w {
			t.Errorf("agent %s after the restart: %s %q, want %q", id, a.State, a.Reason, w)
		}
	}
	var readopted acd.CallView
	must(d2.router.Do(ctx, func(e *acd.Engine) error { readopted, _ = e.Call(call); return nil }))
	if readopted.State != "connected" || readopted.Agent != escalated.Agent || !readopted.EnqueuedAt.Equal(escalated.EnqueuedAt) {
		t.Fatalf("the escalated call after the restart: %+v, was %+v", readopted, escalated)
	}
	heidi = signedIn(t, d2.addr, "heidi", "/agent")
	heidi.want("GET", "/api/agent", "", 200, `"reason":"coaching"`)
	must(d2.reload(ctx, cfg)) // a reload puts the file's values back, then the overrides
	v, _ = d2.router.Agent(ctx, "1008")
	if v.Endpoint != "PJSIP/2008" || v.State != acd.Paused || v.Skills["billing"] != 8 || len(v.Queues) != 1 || v.Queues[0] != (acd.Membership{Queue: "billing", Penalty: 1}) {
		t.Fatalf("Heidi after a restart: %+v", v)
	}
	if a, _ := d2.router.Agent(ctx, "1001"); a.Skills["en"] != 3 {
		t.Fatalf("Alice after a restart: %+v", a)
	}
}
