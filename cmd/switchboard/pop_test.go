package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/screenpop"
)

// popFlow is the demo's configuration with a flow that collects a card number (sensitive) and an
// account number before routing to billing.
var popFlow = bytes.Replace(bytes.Replace(demoYAML, []byte("\nflows:\n"), []byte(`
flows:
  card-menu:
    start: topics
    fallback: agent
    nodes:
      topics: {type: menu, prompt: [queue-callswaiting], choices: {2: card}, timeout: 3s, fallback: agent}
      card: {type: collect, prompt: [queue-callswaiting], max_digits: 4, sensitive: true, next: account, fallback: agent}
      account: {type: collect, prompt: [queue-callswaiting], max_digits: 6, next: agent, fallback: agent}
      agent: {type: route, queue: billing}
`), 1), []byte("\ndids:\n"), []byte("\ndids:\n  - {number: \"5559000\", flow: card-menu}\n"), 1)

// A caller walks the IVR into billing; the agent it is offered to sees the pop on its SSE
// stream, with the caller, the queue and the IVR path (the card number masked), then the answer,
// the end and the wrap-up; the other agents' streams stay idle. The agent wraps up and
// schedules a callback through the API, stored in PostgreSQL.
func TestDaemonScreenPopEndToEnd(t *testing.T) {
	emu, d, cfg := demoDaemonYAML(t, popFlow)
	ctx := context.Background()
	agents := []string{"1003", "1008", "1009", "1001"} // billing's three, and one of support's
	clients, streams := agentPops(t, d, agents...)
	press := func(ds string) []ariemu.DigitPress {
		var out []ariemu.DigitPress
		for i, c := range ds {
			out = append(out, ariemu.DigitPress{Digit: string(c), After: 100 * time.Millisecond, AfterPrompt: i == 0})
		}
		return out
	}
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "+4930111222", DID: "5559000", TalkTime: time.Second,
		Digits: append(append(press("2"), press("4242")...), press("777001")...)})
	if err != nil {
		t.Fatal(err)
	}
	callID := "demo-" + ch
	var agent string
	var offered screenpop.Pop
	select {
	case offered = <-streams["1003"]:
		agent = "1003"
	case offered = <-streams["1008"]:
		agent = "1008"
	case offered = <-streams["1009"]:
		agent = "1009"
	case p := <-streams["1001"]:
		t.Fatalf("a support agent got %+v", p)
	case <-time.After(15 * time.Second):
		t.Fatal("no pop")
	}
	wantIVR := `[{"node":"topics","input":"2"},{"node":"card","input":"****"},{"node":"account","input":"777001"},{"node":"agent","input":""}]`
	if ivr, _ := json.Marshal(offered.IVR); offered.Kind != screenpop.KindOffered || offered.CallID != callID || offered.Agent != agent ||
		offered.Caller != "+4930111222" || offered.DID != "5559000" || offered.Queue != "billing" || string(ivr) != wantIVR ||
		offered.Data["account"] != "777001" {
		t.Fatalf("offered pop %+v (ivr %s)", offered, ivr)
	}
	for _, kind := range []string{screenpop.KindAnswered, screenpop.KindEnded, screenpop.KindWrapup} {
		if p := nextPopOf(t, streams[agent]); p.Kind != kind || p.CallID != callID || len(p.IVR) != 4 {
			t.Fatalf("pop %+v, want %s", p, kind)
		}
	}
	for _, id := range agents {
		if id == agent {
			continue
		}
		select {
		case p := <-streams[id]:
			t.Fatalf("agent %s received %+v", id, p)
		default:
		}
	}

	c := clients[agent]
	token := pageCSRF(t, c, d.addr)
	post := func(c *http.Client, path, body string) (int, string) {
		return apiSend(t, c, "POST", "http://"+d.addr+path, token, body)
	}
	if code, body := post(c, "/api/calls/"+callID+"/callback", `{"at":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`); code != 201 || !strings.Contains(body, `"number":"+4930111222"`) {
		t.Fatalf("callback: %d %s", code, body)
	}
	if code, body := post(c, "/api/calls/"+callID+"/wrapup", `{"disposition":"resolved","notes":"card replaced"}`); code != 204 {
		t.Fatalf("wrap-up: %d %s", code, body)
	}
	if p := nextPopOf(t, streams[agent]); p.Kind != screenpop.KindIdle {
		t.Fatalf("after the wrap-up %+v", p)
	}
	w, err := d.store.Wrapup(ctx, callID, agent)
	if err != nil || w.Disposition != "resolved" || w.Notes != "card replaced" {
		t.Fatalf("stored wrap-up %+v %v", w, err)
	}
	cbs, err := d.store.AgentCallbacks(ctx, agent)
	if err != nil || len(cbs) != 1 || cbs[0].Number != "+4930111222" || cbs[0].Queue != "billing" || cbs[0].CallID != callID {
		t.Fatalf("agent's callbacks %+v %v", cbs, err)
	}
	// A reload changes the codes.
	cfg2 := *cfg
	cfg2.Dispositions = []string{"sold", "no-sale"}
	if err := d.reload(ctx, &cfg2); err != nil {
		t.Fatal(err)
	}
	if code, body := fetch(t, c, "http://"+d.addr+"/api/dispositions", ""); code != 200 || strings.TrimSpace(string(body)) != `["sold","no-sale"]` {
		t.Fatalf("dispositions after the reload: %d %s", code, body)
	}
	// Another agent may not wrap up the call.
	other := clients["1001"]
	token = pageCSRF(t, other, d.addr)
	if code, _ := post(other, "/api/calls/"+callID+"/wrapup", `{"disposition":"sold"}`); code != 404 {
		t.Fatalf("another agent's wrap-up: %d", code)
	}
}

// popStream reads an SSE pop stream until the test ends.
// agentPops makes an account "agent<id>" for each agent id, signs each in and opens their pop
// stream, whose first pop is the idle one; by agent id.
func agentPops(t *testing.T, d *daemon, ids ...string) (map[string]*http.Client, map[string]<-chan screenpop.Pop) {
	t.Helper()
	clients, streams := map[string]*http.Client{}, map[string]<-chan screenpop.Pop{}
	for _, id := range ids {
		addAccounts(t, d, testAccount{name: "agent" + id, role: "agent", agent: id})
		clients[id] = login(t, d.addr, "agent"+id)
		streams[id] = popStream(t, clients[id], "http://"+d.addr+"/api/agent/pop/stream")
		if p := nextPopOf(t, streams[id]); p.Kind != screenpop.KindIdle {
			t.Fatalf("agent %s starts with %+v", id, p)
		}
	}
	return clients, streams
}

func popStream(t *testing.T, c *http.Client, url string) <-chan screenpop.Pop {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("pop stream: %d", resp.StatusCode)
	}
	out := make(chan screenpop.Pop, 64)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var p screenpop.Pop
				if json.Unmarshal([]byte(v), &p) == nil {
					out <- p
				}
			}
		}
	}()
	return out
}

func nextPopOf(t *testing.T, ch <-chan screenpop.Pop) screenpop.Pop {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(15 * time.Second):
		t.Fatal("no pop")
	}
	return screenpop.Pop{}
}
