package router_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/internal/testkit"
)

// Outbound calls from the desktop: the agent's phone first, then the customer through the
// trunk, both in one bridge, recorded, and then a connected call the controls work on.

const dialed = "+4930123456"

func dialConfig() router.Config {
	cfg := routertest.Config()
	cfg.Dialer = router.Dialer{CallerID: "+4930999", RingTimeout: time.Second}
	cfg.Settings = map[string]router.QueueSettings{"line1": {RecordShare: 1}}
	return cfg
}

func (g *ctlRig) dialStatus(agent string) router.DialStatus {
	s, _, _ := g.k.DialStatus(context.Background(), agent)
	return s
}

// liveRecording says whether the emulator records under name now.
func liveRecording(emu *ariemu.Server, name string) bool {
	req := httptest.NewRequest(http.MethodGet, "/ari/recordings/live/"+name, nil)
	req.SetBasicAuth("sb", "secret")
	w := httptest.NewRecorder()
	emu.ServeHTTP(w, req)
	return w.Code == http.StatusOK
}

func TestDialConnectsAgentThenCustomer(t *testing.T) {
	g := newCtlRig(t, dialConfig())
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	g.emu.SetCustomer(dialed, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	ctx := context.Background()
	id, err := g.k.Dial(ctx, "a1", "+49 30 123456")
	if err != nil {
		t.Fatal(err)
	}
	if v := g.agent("a1"); v.State != acd.Paused || v.Reason != "outbound" {
		t.Fatalf("a1 while dialing: %+v", v)
	}
	testkit.Eventually(t, "a1 talks with the customer", func() bool {
		return g.dialStatus("a1").State == router.DialConnected && g.agent("a1").State == acd.OnCall && g.agent("a1").Call == id
	})
	var agentLeg, custLeg string
	for _, rec := range g.emu.Calls() {
		switch {
		case rec.Endpoint == "PJSIP/1001":
			agentLeg = rec.ChannelID
		case rec.Kind == ariemu.KindCustomer:
			custLeg = rec.ChannelID
		}
	}
	if agentLeg == "" || custLeg == "" {
		t.Fatalf("legs: agent %q customer %q", agentLeg, custLeg)
	}
	testkit.Eventually(t, "both legs in one bridge, recorded", func() bool {
		return sharesBridge(g.emu, agentLeg, custLeg) && liveRecording(g.emu, "call-"+id)
	})
	if rec, _ := g.emu.Call(custLeg); rec.Number != "+4930999" && rec.Number != "" {
		t.Logf("customer leg caller id %q", rec.Number)
	}
	if !g.seen(func(ev acd.Event) bool {
		d, ok := ev.(acd.CallDialed)
		return ok && d.Call == id && d.Agent == "a1" && d.Number == dialed && d.Queue == "line1"
	}) {
		t.Fatal("no CallDialed fact")
	}
	// A connected call like any other: the controls work on it.
	if err := g.k.DTMF(ctx, "a1", id, "12#"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the customer got the digits", func() bool {
		rec, _ := g.emu.Call(custLeg)
		return rec.DTMFSent == "12#"
	})
	if err := g.k.Hangup(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if rec := g.ended(custLeg); rec.HungUpBy != "app" {
		t.Fatalf("customer leg: %+v", rec)
	}
	testkit.Eventually(t, "the call ended with its talk", func() bool {
		return g.seen(func(ev acd.Event) bool { e, ok := ev.(acd.CallEnded); return ok && e.Call == id && e.Agent == "a1" })
	})
	// The call log's record: outbound, answered, completed.
	c := &calllog.Call{ID: id}
	g.mu.Lock()
	for _, ev := range g.evs {
		if calllog.CallOf(ev) == id {
			c.Apply(ev, nil)
		}
	}
	g.mu.Unlock()
	if c.Outcome != calllog.Completed || c.Number != dialed || c.Agent != "a1" || c.Data[calllog.DataDirection] != calllog.Outbound || c.AnsweredAt.IsZero() {
		t.Fatalf("record: %+v", c)
	}
}

func TestDialCustomerNoAnswer(t *testing.T) {
	g := newCtlRig(t, dialConfig())
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	g.emu.SetCustomer(dialed, ariemu.Phone{Behaviour: ariemu.PhoneRingOut})
	id, err := g.k.Dial(context.Background(), "a1", dialed)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the dial ended: no answer", func() bool {
		s := g.dialStatus("a1")
		return s.Call == id && s.State == router.DialEnded && s.Reason == router.DialNoAnswer
	})
	testkit.Eventually(t, "a1 available again, its leg hung up", func() bool {
		return g.agent("a1").State == acd.Available && legOf(g.emu, "PJSIP/1001") == ""
	})
	if g.seen(func(ev acd.Event) bool { _, fact := ev.(acd.Fact); return calllog.CallOf(ev) == id && !fact }) {
		t.Fatal("an engine event of a dial that never connected")
	}
	// The attempt has a record all the same: outbound, the agent, the number, why.
	c := &calllog.Call{ID: id}
	g.mu.Lock()
	for _, ev := range g.evs {
		if calllog.CallOf(ev) == id {
			c.Apply(ev, nil)
		}
	}
	g.mu.Unlock()
	if c.Outcome != "dial_no_answer" || c.Number != dialed || c.Agent != "a1" || c.Queue != "line1" ||
		c.Data[calllog.DataDirection] != calllog.Outbound || c.FirstOfferedAt.IsZero() || !c.EndedAt.After(c.FirstOfferedAt) {
		t.Fatalf("record: %+v", c)
	}
}

func TestDialAgentPhoneBusyKeepsThePause(t *testing.T) {
	g := newCtlRig(t, dialConfig())
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 20 * time.Millisecond})
	ctx := context.Background()
	if err := g.r.Do(ctx, func(e *acd.Engine) error { return e.Pause("a1", "lunch") }); err != nil {
		t.Fatal(err)
	}
	if _, err := g.k.Dial(ctx, "a1", dialed); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the dial ended: the agent's phone was busy", func() bool {
		s := g.dialStatus("a1")
		return s.State == router.DialEnded && s.Reason == router.DialAgentBusy
	})
	// Not the agent's missed offer: the agent is back in the pause they chose.
	testkit.Eventually(t, "a1 paused for lunch again", func() bool {
		v := g.agent("a1")
		return v.State == acd.Paused && v.Reason == "lunch"
	})
}

func TestDialRefused(t *testing.T) {
	g := newCtlRig(t, dialConfig())
	ctx := context.Background()
	for _, n := range []string{"", "12ab", "030123", "+12"} {
		if _, err := g.k.Dial(ctx, "a1", n); code(err) != acd.EInvalid {
			t.Errorf("number %q: %v", n, err)
		}
	}
	if _, err := g.k.Dial(ctx, "nobody", dialed); code(err) != acd.ENotFound {
		t.Errorf("unknown agent: %v", err)
	}
	g.connected()
	if _, err := g.k.Dial(ctx, "a1", dialed); code(err) != acd.EConflict {
		t.Fatalf("agent on a call: %v", err)
	}
	if g.dialStatus("a1").Call != "" {
		t.Fatal("a refused dial left a status")
	}
}

// An agent paused before dialing is paused again, for the same reason, once the connected
// call and its wrap-up are over: the dial was an errand, not the end of the pause.
func TestDialFromPauseReturnsToPause(t *testing.T) {
	g := newCtlRig(t, dialConfig())
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	g.emu.SetCustomer(dialed, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	ctx := context.Background()
	if err := g.r.Do(ctx, func(e *acd.Engine) error { return e.Pause("a1", "lunch") }); err != nil {
		t.Fatal(err)
	}
	id, err := g.k.Dial(ctx, "a1", dialed)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "a1 talks with the customer", func() bool {
		return g.dialStatus("a1").State == router.DialConnected && g.agent("a1").State == acd.OnCall
	})
	if err := g.k.Hangup(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "a1 wrapped up", func() bool {
		return g.seen(func(ev acd.Event) bool {
			e, ok := ev.(acd.AgentStateChanged)
			return ok && e.Agent == "a1" && e.From == acd.WrapUp
		})
	})
	if v := g.agent("a1"); v.State != acd.Paused || v.Reason != "lunch" {
		t.Fatalf("a1 after the call's wrap-up: %+v", v)
	}
	if g.seen(func(ev acd.Event) bool {
		e, ok := ev.(acd.AgentStateChanged)
		return ok && e.Agent == "a1" && e.From == acd.WrapUp && e.To == acd.Available
	}) {
		t.Fatal("a1 was available after the wrap-up")
	}
}

// Every change of a dial is pushed to OnDialChange's function, in order, for the desktop's
// event stream.
func TestDialChangesArePushed(t *testing.T) {
	g := newCtlRig(t, dialConfig())
	var mu sync.Mutex
	var got []string
	g.k.OnDialChange(func(agent string, s router.DialStatus) {
		mu.Lock()
		got = append(got, agent+" "+s.State+" "+s.Reason)
		mu.Unlock()
	})
	pushed := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(got, ", ")
	}
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	g.emu.SetCustomer(dialed, ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 20 * time.Millisecond})
	if _, err := g.k.Dial(context.Background(), "a1", dialed); err != nil {
		t.Fatal(err)
	}
	want := "a1 agent , a1 customer , a1 ended busy"
	testkit.Eventually(t, want, func() bool { return pushed() == want })
	g.emu.SetCustomer(dialed, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 20 * time.Millisecond})
	if _, err := g.k.Dial(context.Background(), "a1", dialed); err != nil {
		t.Fatal(err)
	}
	want += ", a1 agent , a1 customer , a1 connected "
	testkit.Eventually(t, want, func() bool { return pushed() == want })
}
