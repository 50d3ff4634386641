package acd

import (
	"math"
	"testing"
	"time"
)

func TestStats(t *testing.T) {
	h := newHarness(t, Options{StatsWindow: 15 * time.Minute})
	h.queue(QueueConfig{Name: "q", SLThreshold: 20 * time.Second, WrapUp: 10 * time.Second})
	h.agent("a", nil, "q")

	h.call("c1", "q", 0, nil) // offered at once
	h.advance(5 * time.Second)
	h.call("c2", "q", 0, nil)
	h.advance(5 * time.Second)
	h.must(h.e.Answer("c1")) // waited 10s: within
	h.call("c3", "q", 0, nil)
	h.advance(5 * time.Second)
	h.must(h.e.Hangup("c3")) // abandoned after 5s: within
	h.call("c4", "q", 0, nil)
	h.advance(30 * time.Second)
	h.must(h.e.Hangup("c4")) // abandoned after 30s
	h.advance(25 * time.Second)
	h.must(h.e.Hangup("c1")) // talked 60s; wrap-up until +10s, then c2 is offered
	h.advance(10 * time.Second)
	if got := h.state("a"); got != Reserved {
		t.Fatalf("a: %v", got)
	}
	h.must(h.e.Answer("c2")) // c2 waited 5+5+5+30+25+10 - 5 = 75s
	h.advance(40 * time.Second)
	h.must(h.e.Hangup("c2"))
	h.advance(10 * time.Second) // wrap-up ends
	h.advance(50 * time.Second) // idle

	st, err := h.e.Stats("q")
	h.must(err)
	for name, p := range map[string]Period{"window": st.Window, "today": st.Today} {
		if p.Entered != 4 || p.Answered != 2 || p.AnsweredWithin != 1 || p.Abandoned != 2 || p.AbandonedWithin != 1 {
			t.Fatalf("%s counts: %+v", name, p)
		}
		checks := []struct {
			what      string
			got, want float64
		}{
			{"service level", p.ServiceLevel, 0.5},
			{"service level with abandons", p.ServiceLevelAbandon, 0.5},
			{"ASA", p.ASA.Seconds(), (10 + 75) / 2.0},
			{"AHT", p.AHT.Seconds(), (60 + 10 + 40 + 10) / 2.0},
			{"abandon rate", p.AbandonRate, 0.5},
			// Busy from the first offer (0s) to the end of the second wrap-up (130s) of 180s.
			{"occupancy", p.Occupancy, 130.0 / 180},
		}
		for _, c := range checks {
			if math.Abs(c.got-c.want) > 1e-9 {
				t.Errorf("%s %s: got %v, want %v", name, c.what, c.got, c.want)
			}
		}
	}
	if st.Agents[Available] != 1 || st.Waiting != 0 {
		t.Fatalf("live: %+v", st)
	}

	// The window forgets; today does not, until midnight.
	h.advance(20 * time.Minute)
	st, _ = h.e.Stats("q")
	if st.Window.Entered != 0 || st.Window.Answered != 0 || st.Today.Answered != 2 {
		t.Fatalf("after the window: window %+v today %+v", st.Window, st.Today)
	}
	if math.Abs(st.Window.Occupancy) > 1e-9 || st.Today.Occupancy >= 130.0/180 {
		t.Fatalf("occupancy after idle: window %v today %v", st.Window.Occupancy, st.Today.Occupancy)
	}
	h.clock.Set(time.Date(2026, 11, 24, 0, 0, 1, 0, time.UTC))
	st, _ = h.e.Stats("q")
	if st.Today.Answered != 0 {
		t.Fatalf("after midnight: %+v", st.Today)
	}
}

func TestLongestWaitAndAgentsByState(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	h.must(h.e.AddAgent(AgentConfig{ID: "a", Queues: []Membership{{Queue: "q"}}}))
	h.call("c1", "q", 0, nil)
	h.advance(10 * time.Second)
	h.call("c2", "q", 5, nil) // ahead of c1, but c1 waited longer
	h.advance(5 * time.Second)
	st, _ := h.e.Stats("q")
	if st.Waiting != 2 || st.LongestWait != 15*time.Second || st.Agents[LoggedOut] != 1 {
		t.Fatalf("%+v", st)
	}
}
