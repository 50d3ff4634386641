package store_test

import (
	"context"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/ivr/callback"
)

func TestWrapupsAndAgentCallbacks(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	r := newRig(t, s, store.JournalOptions{}, acd.QueueConfig{Name: "billing"}, acd.QueueConfig{Name: "support"})
	r.agent("1001", "billing")
	r.agent("1002", "support")
	r.j.CallInfo("ast1-c1", "+4930111222", "100", nil)
	r.enqueue("ast1-c1", "billing")
	r.must(r.e.Answer("ast1-c1"))
	r.advance(sec(30))
	r.must(r.e.Transfer("ast1-c1", "support"))
	r.must(r.e.Answer("ast1-c1"))
	r.flush()

	// Each agent answered the call in its own queue; nobody else did.
	for _, tt := range []struct{ agent, queue string }{{"1001", "billing"}, {"1002", "support"}} {
		q, n, err := s.CallHandledBy(ctx, "ast1-c1", tt.agent)
		if err != nil || q != tt.queue || n != "+4930111222" {
			t.Errorf("CallHandledBy(%s): %q %q %v, want %q", tt.agent, q, n, err, tt.queue)
		}
	}
	if _, _, err := s.CallHandledBy(ctx, "ast1-c1", "1003"); !store.IsNotFound(err) {
		t.Errorf("CallHandledBy(1003): %v, want not found", err)
	}

	w := crm.Wrapup{CallID: "ast1-c1", Agent: "1001", Disposition: "escalated", Notes: "to line 2", TicketID: 7, At: at(40)}
	r.must(s.SaveWrapup(ctx, w))
	w.Disposition, w.Notes, w.TicketID, w.At = "resolved", "", 0, at(50)
	r.must(s.SaveWrapup(ctx, w)) // a second wrap-up replaces the first
	got, err := s.Wrapup(ctx, "ast1-c1", "1001")
	r.must(err)
	if got.Disposition != "resolved" || got.Notes != "" || got.TicketID != 0 || !got.At.Equal(at(50)) {
		t.Errorf("wrap-up %+v", got)
	}
	if _, err := s.Wrapup(ctx, "ast1-c1", "1002"); !store.IsNotFound(err) {
		t.Errorf("wrap-up of 1002: %v, want not found", err)
	}
	if err := s.SaveWrapup(ctx, crm.Wrapup{CallID: "ast1-c1", Agent: "1001", At: at(60)}); acd.ErrorCode(err) != acd.EInvalid {
		t.Errorf("wrap-up without disposition: %v", err)
	}

	due := at(3600)
	id, err := s.ScheduleAgentCallback(ctx, callback.Request{Node: "ast1", Number: "+4930111222", Queue: "support",
		EnqueuedAt: due, WindowStart: due, Reason: callback.AgentScheduled, CallID: "ast1-c1", MaxAttempts: 3,
		ExpiresAt: due.Add(24 * time.Hour), Data: map[string]string{"agent": "1002"}}, "1002")
	r.must(err)
	cbs, err := s.AgentCallbacks(ctx, "1002")
	r.must(err)
	if len(cbs) != 1 || cbs[0].ID != id || cbs[0].State != callback.StateScheduled || !cbs[0].NextAt.Equal(due) ||
		cbs[0].Reason != callback.AgentScheduled {
		t.Errorf("agent's callbacks %+v", cbs)
	}
}

// A callback whose assignment to the agent fails is not stored either: the agent, told to try
// again, does not leave a callback behind that is on nobody's list.
func TestScheduleAgentCallbackAllOrNothing(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	s := store.New(pool)
	if _, err := pool.Exec(ctx, `
		CREATE FUNCTION refuse_agent() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.agent = 'refused' THEN RAISE EXCEPTION 'agent refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_agent BEFORE UPDATE OF agent ON callbacks FOR EACH ROW EXECUTE FUNCTION refuse_agent();`); err != nil {
		t.Fatal(err)
	}
	due := at(3600)
	req := callback.Request{Node: "ast1", Number: "+4930111333", Queue: "support", EnqueuedAt: due, WindowStart: due,
		Reason: callback.AgentScheduled, CallID: "ast1-c9", MaxAttempts: 3, ExpiresAt: due.Add(24 * time.Hour)}
	if _, err := s.ScheduleAgentCallback(ctx, req, "refused"); err == nil {
		t.Fatal("the assignment's failure was not reported")
	}
	if list, err := s.Callbacks(ctx, callback.Filter{}); err != nil || len(list) != 0 {
		t.Fatalf("callbacks left behind: %+v %v", list, err)
	}
	id, err := s.ScheduleAgentCallback(ctx, req, "1002")
	if err != nil {
		t.Fatal(err)
	}
	if cb, err := s.Callback(ctx, id); err != nil || cb.Agent != "1002" {
		t.Fatalf("callback %+v %v", cb, err)
	}
}
