package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
	"switchboard/ivr"
)

// The daemon keeps a caller whose agent hung up first for the queue's survey and stores the
// score in table csat against the call, queue and agent.
func TestSurveyScoreIsStored(t *testing.T) {
	emu, d, cfg := demoDaemon(t, func(c *config.Config) {
		c.Flows["survey"] = &ivr.Flow{Name: "survey", Start: "rate", Nodes: map[string]*ivr.Node{
			"rate":   {ID: "rate", Kind: ivr.KindSurvey, Prompt: []ivr.Media{ivr.Sound("rate")}, Next: "thanks", NoRetry: true, Timeout: 3 * time.Second},
			"thanks": {ID: "thanks", Kind: ivr.KindHangup, Message: []ivr.Media{ivr.Sound("thank-you")}},
		}}
		c.IVR.Surveys = map[string]string{"support-l1": "survey"}
	})
	for _, a := range cfg.Agents {
		emu.SetPhone(a.Endpoint, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 300 * time.Millisecond})
	}
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "79995550077", DID: "5551000"})
	if err != nil {
		t.Fatal(err)
	}
	var agentLeg ariemu.CallRecord
	testkit.Eventually(t, "the agent hung up", func() bool {
		for _, r := range emu.Calls() {
			if r.Kind == ariemu.KindAgent && len(r.Peers) > 0 && r.Peers[0] == ch && !r.Ended.IsZero() {
				agentLeg = r
				return true
			}
		}
		return false
	})
	if err := emu.PressDigit(ch, "5"); err != nil {
		t.Fatalf("the caller was not kept for the survey: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if rec, err := emu.WaitCall(ctx, ch, ariemu.Ended); err != nil || rec.Outcome != ariemu.OutcomeHungUpByApp {
		t.Fatalf("caller: %+v %v", rec, err)
	}
	var agent string
	for _, a := range cfg.Agents {
		if a.Endpoint == agentLeg.Endpoint {
			agent = a.ID
		}
	}
	var got struct {
		score int
		agent string
		queue string
	}
	testkit.Eventually(t, "score stored", func() bool {
		s, err := d.store.CSATFor(ctx, "demo-"+ch)
		got.score, got.agent, got.queue = s.Score, s.Agent, s.Queue
		return err == nil
	})
	if got.score != 5 || got.agent != agent || got.queue != "support-l1" {
		t.Fatalf("csat %+v, want 5 for agent %s", got, agent)
	}
}

// An agent pauses and resumes the recording of their call and takes a card number with the
// recording paused, over HTTP.
func TestSecureCollectOverHTTP(t *testing.T) {
	emu, d, cfg := demoDaemon(t)
	ctx := context.Background()
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "79995550078", DID: "5552000"}) // billing records always
	if err != nil {
		t.Fatal(err)
	}
	id := "demo-" + ch
	var agent string
	testkit.Eventually(t, "connected", func() bool {
		_ = d.router.Do(ctx, func(e *acd.Engine) error {
			if v, ok := e.Call(id); ok && v.State == "connected" {
				agent = v.Agent
			}
			return nil
		})
		return agent != ""
	})
	live := func() string {
		var l struct{ State string }
		ariGet(t, cfg, "/recordings/live/call-"+id, &l)
		return l.State
	}
	testkit.Eventually(t, "recording", func() bool { return live() == "recording" })
	addAccounts(t, d, testAccount{name: "own", role: "agent", agent: agent})
	c := login(t, d.addr, "own")
	csrf := pageCSRF(t, c, d.addr)
	post := func(path, body string) (int, string) {
		return apiSend(t, c, "POST", "http://"+d.addr+path, csrf, body)
	}
	if code, body := post("/api/calls/"+id+"/recording/pause", ""); code != http.StatusNoContent || live() != "paused" {
		t.Fatalf("pause: %d %s, recording %s", code, body, live())
	}
	if code, body := post("/api/calls/"+id+"/recording/resume", ""); code != http.StatusNoContent || live() != "recording" {
		t.Fatalf("resume: %d %s, recording %s", code, body, live())
	}
	type answer struct {
		code int
		body string
	}
	done := make(chan answer, 1)
	go func() {
		code, body := post("/api/calls/"+id+"/secure-collect", `{"name":"card","min":12,"max":19}`)
		done <- answer{code, body}
	}()
	testkit.Eventually(t, "recording paused for the entry", func() bool { return live() == "paused" })
	// The entry opens once the caller has left the bridge (after the recording notice ends).
	testkit.Eventually(t, "caller out of the call bridge", func() bool {
		var b struct{ Channels []string }
		return ariGet(t, cfg, "/bridges/sb-call-"+ch, &b) == http.StatusOK && !slices.Contains(b.Channels, ch)
	})
	time.Sleep(200 * time.Millisecond)
	for _, digit := range "4111111111111111#" {
		if err := emu.PressDigit(ch, string(digit)); err != nil {
			t.Fatal(err)
		}
	}
	a := <-done
	if a.code != http.StatusOK || !strings.Contains(a.body, `"masked":"************1111"`) || strings.Contains(a.body, "4111111111111111") {
		t.Fatalf("secure collect: %d %s", a.code, a.body)
	}
	if live() != "recording" {
		t.Fatalf("recording %s after the entry", live())
	}
	var data map[string]string
	_ = d.router.Do(ctx, func(e *acd.Engine) error { v, _ := e.Call(id); data = v.Data; return nil })
	if data["card"] != "************1111" {
		t.Fatalf("call data %v", data)
	}
	_ = emu.Hangup(ch)
}
