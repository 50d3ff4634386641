package acd

import (
	"testing"
	"time"
)

// TestLoginNotReady: an agent logged in not ready takes no call, even with one waiting,
// until it says it is ready.
func TestLoginNotReady(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Endpoint: "PJSIP/a", Queues: []Membership{{Queue: "q"}}}))
	h.call("c1", "q", 0, nil)
	h.must(h.e.LoginNotReady("a"))
	if v, _ := h.e.Agent("a"); v.State != Paused || v.Reason != ReasonNotReady {
		t.Fatalf("after login: %v %q, want paused %q", v.State, v.Reason, ReasonNotReady)
	}
	if got := h.offers(); len(got) != 0 {
		t.Fatalf("offers before ready: %v", got)
	}
	h.must(h.e.LoginNotReady("a")) // already in: no change
	h.must(h.e.Ready("a"))
	if got := h.offers(); len(got) != 1 || got[0] != "c1→a" {
		t.Fatalf("offers after ready: %v, want [c1→a]", got)
	}
}

// TestRequiredDisposition: in a queue that requires a disposition the agent stays in wrap-up
// past the queue's time, may not make itself ready, and leaves when the disposition comes;
// before the time is up the disposition lets Ready through and the timer ends it.
func TestRequiredDisposition(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", WrapUp: 30 * time.Second, RequireDisposition: true})
	h.agent("a", nil, "q")
	talk := func(id string) {
		h.call(id, "q", 0, nil)
		h.must(h.e.Answer(id))
		h.advance(10 * time.Second)
		h.must(h.e.Hangup(id))
	}
	talk("c1")
	if v, _ := h.e.Agent("a"); v.State != WrapUp || !v.DispositionDue || v.Call != "c1" {
		t.Fatalf("after the call: %+v, want wrap-up of c1 with a disposition due", v)
	}
	if err := h.e.Ready("a"); ErrorCode(err) != EConflict {
		t.Fatalf("ready without disposition: %v, want conflict", err)
	}
	h.advance(31 * time.Second)
	if h.state("a") != WrapUp {
		t.Fatalf("past the wrap-up time without disposition: %v, want wrap-up", h.state("a"))
	}
	h.must(h.e.Disposed("a", "other")) // another call's: no effect
	if h.state("a") != WrapUp {
		t.Fatalf("after another call's disposition: %v", h.state("a"))
	}
	h.must(h.e.Disposed("a", "c1"))
	if h.state("a") != Available {
		t.Fatalf("after the disposition past the time: %v, want available", h.state("a"))
	}

	talk("c2")
	h.must(h.e.Disposed("a", "c2"))
	if v, _ := h.e.Agent("a"); v.State != WrapUp || v.DispositionDue {
		t.Fatalf("disposed within the time: %+v, want wrap-up with nothing due", v)
	}
	h.advance(31 * time.Second)
	if h.state("a") != Available {
		t.Fatalf("disposed, time up: %v, want available", h.state("a"))
	}

	talk("c3")
	h.must(h.e.Disposed("a", "c3"))
	h.must(h.e.Ready("a"))
	if h.state("a") != Available {
		t.Fatalf("disposed, ready: %v", h.state("a"))
	}
}

// TestNotRequiredDisposition: without the requirement the wrap-up ends on time.
func TestNotRequiredDisposition(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", WrapUp: 30 * time.Second})
	h.agent("a", nil, "q")
	h.call("c1", "q", 0, nil)
	h.must(h.e.Answer("c1"))
	h.must(h.e.Hangup("c1"))
	if v, _ := h.e.Agent("a"); v.DispositionDue {
		t.Fatal("disposition due without the requirement")
	}
	h.advance(30 * time.Second)
	if h.state("a") != Available {
		t.Fatalf("after the wrap-up time: %v", h.state("a"))
	}
}

// TestPauseAskedDuringCallShows: a pause asked during a call shows in the agent's view at
// once (Next), and is taken when the call ends.
func TestPauseAskedDuringCallShows(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.agent("a", nil, "q")
	h.call("c1", "q", 0, nil)
	h.must(h.e.Answer("c1"))
	h.must(h.e.Pause("a", "lunch"))
	if v, _ := h.e.Agent("a"); v.State != OnCall || !v.NextAsked || v.Next != Paused || v.NextReason != "lunch" {
		t.Fatalf("during the call: %v next %v %q, want on-call next paused lunch", v.State, v.Next, v.NextReason)
	}
	h.must(h.e.Hangup("c1"))
	if v, _ := h.e.Agent("a"); v.State != Paused || v.Reason != "lunch" || v.NextAsked {
		t.Fatalf("after the call: %v %q next asked %v", v.State, v.Reason, v.NextAsked)
	}
}

// TestLogoutEndsWrapUp: a logout in wrap-up ends it at once; one waiting for a required
// disposition ends with the disposition.
func TestLogoutEndsWrapUp(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q", WrapUp: time.Minute})
	h.queue(QueueConfig{Name: "r", WrapUp: time.Minute, RequireDisposition: true})
	h.agent("a", nil, "q")
	h.agent("b", nil, "r")
	for _, c := range []struct{ id, q, agent string }{{"c1", "q", "a"}, {"c2", "r", "b"}} {
		h.call(c.id, c.q, 0, nil)
		h.must(h.e.Answer(c.id))
		h.must(h.e.Hangup(c.id))
		h.must(h.e.Logout(c.agent))
	}
	if h.state("a") != LoggedOut {
		t.Fatalf("a logged out in wrap-up: %v", h.state("a"))
	}
	if v, _ := h.e.Agent("b"); v.State != WrapUp || !v.NextAsked || v.Next != LoggedOut {
		t.Fatalf("b logged out in a wrap-up due a disposition: %+v", v)
	}
	h.must(h.e.Disposed("b", "c2"))
	h.advance(time.Minute)
	if h.state("b") != LoggedOut {
		t.Fatalf("b after the disposition and the time: %v", h.state("b"))
	}
}
