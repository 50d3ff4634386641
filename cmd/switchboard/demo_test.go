package main

import (
	"context"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// The demo's survey: a support-l2 caller whose agent hangs up first hears the survey prompt,
// the demo's caller rates the call (demoRate), and the score lands in table csat.
func TestDemoSurvey(t *testing.T) {
	emu, d, cfg := demoDaemon(t, func(c *config.Config) {
		c.DIDs = append(c.DIDs, config.DID{Number: "5555000", Queue: "support-l2"})
	})
	prompt := demoSurveyPrompt(cfg)
	if cfg.IVR.Surveys["support-l2"] == "" || prompt == "" {
		t.Fatalf("the demo has no survey on support-l2: %+v, prompt %q", cfg.IVR.Surveys, prompt)
	}
	for _, a := range cfg.Agents {
		emu.SetPhone(a.Endpoint, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 300 * time.Millisecond})
	}
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "79995550009", DID: "5555000"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go demoRate(ctx, emu, ch, prompt)
	rec, err := emu.WaitCall(ctx, ch, ariemu.Ended)
	if err != nil || rec.Digits == "" || rec.Outcome != ariemu.OutcomeHungUpByApp {
		t.Fatalf("caller: %+v %v", rec, err)
	}
	testkit.Eventually(t, "score stored", func() bool {
		s, err := d.store.CSATFor(ctx, "demo-"+ch)
		return err == nil && s.Queue == "support-l2" && s.Score >= 1 && s.Score <= 5 && string(rune('0'+s.Score)) == rec.Digits
	})
}

// The demo runs with agents logging in from their desktops: it logs its simulated agents in
// for its traffic, and leaves the desk agent (Alice's account) to log in from the desktop.
func TestDemoLogsInAllButTheDeskAgent(t *testing.T) {
	_, d, _ := demoDaemon(t, func(c *config.Config) { c.AgentsLogin = config.AgentsLoginDesktop })
	ctx := context.Background()
	agents, err := d.router.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.State != acd.LoggedOut {
			t.Fatalf("before the demo logs in: agent %s is %s", a.ID, a.State)
		}
	}
	if err := demoLogin(ctx, d); err != nil {
		t.Fatal(err)
	}
	if agents, err = d.router.Agents(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		want := acd.Available
		if a.ID == demoDeskAgent {
			want = acd.LoggedOut
		}
		if a.State != want {
			t.Errorf("agent %s is %s, want %s", a.ID, a.State, want)
		}
	}
}
