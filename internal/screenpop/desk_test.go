package screenpop

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/testkit"
	"switchboard/ivr/callback"
)

// memDesk stands in for the store below the daemon's test of the same path
// (cmd/switchboard pop_test.go).
type memDesk struct {
	handled   map[string]string // call/agent → queue
	wrapups   []crm.Wrapup
	callbacks []callback.Request
}

func (m *memDesk) CallHandledBy(_ context.Context, callID, agent string) (string, string, error) {
	if q, ok := m.handled[callID+"/"+agent]; ok {
		return q, "+4930999888", nil
	}
	return "", "", &acd.Error{Code: acd.ENotFound, Message: "not found"}
}

func (m *memDesk) SaveWrapup(_ context.Context, w crm.Wrapup) error {
	m.wrapups = append(m.wrapups, w)
	return nil
}

func (m *memDesk) ScheduleAgentCallback(_ context.Context, r callback.Request, agent string) (int64, error) {
	m.callbacks = append(m.callbacks, r)
	return int64(len(m.callbacks)), nil
}

func TestDesk(t *testing.T) {
	h := startHub(t, Options{})
	arrive(h, "ast1-c1", "1001")
	h.Observe(acd.CallAnswered{At: t0, Call: "ast1-c1", Queue: "support-l1", Agent: "1001"})
	testkit.Eventually(t, "1001 handled ast1-c1", func() bool { _, ok := h.Handled("1001", "ast1-c1"); return ok })
	m := &memDesk{handled: map[string]string{"ast1-old/1001": "billing"}}
	now := t0.Add(time.Hour)
	d := &Desk{Hub: h, Store: m, Node: "ast1", Dispositions: []string{"resolved", "escalated"},
		Callbacks: callback.Policy{HomeCountry: "49"}, Now: func() time.Time { return now }}
	ctx := context.Background()

	errs := []struct {
		name  string
		agent string
		call  string
		w     Wrapup
		code  string
	}{
		{"unknown disposition", "1001", "ast1-c1", Wrapup{Disposition: "sold"}, acd.EInvalid},
		{"long notes", "1001", "ast1-c1", Wrapup{Disposition: "resolved", Notes: strings.Repeat("x", MaxNotes+1)}, acd.EInvalid},
		{"negative ticket", "1001", "ast1-c1", Wrapup{Disposition: "resolved", TicketID: -1}, acd.EInvalid},
		{"another agent's call", "1002", "ast1-c1", Wrapup{Disposition: "resolved"}, acd.ENotFound},
		{"no such call", "1001", "ast1-nope", Wrapup{Disposition: "resolved"}, acd.ENotFound},
	}
	for _, tt := range errs {
		if err := d.Wrapup(ctx, tt.agent, tt.call, tt.w); acd.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if len(m.wrapups) != 0 {
		t.Fatalf("refused wrap-ups stored: %+v", m.wrapups)
	}
	// The hub knows the live call; the store knows an older one.
	if err := d.Wrapup(ctx, "1001", "ast1-c1", Wrapup{Disposition: "escalated", Notes: "line 2", TicketID: 4}); err != nil {
		t.Fatal(err)
	}
	if err := d.Wrapup(ctx, "1001", "ast1-old", Wrapup{Disposition: "resolved"}); err != nil {
		t.Fatal(err)
	}
	if len(m.wrapups) != 2 || m.wrapups[0] != (crm.Wrapup{CallID: "ast1-c1", Agent: "1001", Disposition: "escalated", Notes: "line 2", TicketID: 4, At: now}) {
		t.Fatalf("wrap-ups %+v", m.wrapups)
	}

	// Callbacks: to the caller by default, at now by default, in the call's queue.
	s, err := d.ScheduleCallback(ctx, "1001", "ast1-c1", "", time.Time{})
	if err != nil || s.Number != "+4930111222" || s.Queue != "support-l1" || !s.At.Equal(now) {
		t.Fatalf("callback to the caller: %+v %v", s, err)
	}
	later := now.Add(3 * time.Hour)
	s, err = d.ScheduleCallback(ctx, "1001", "ast1-old", "030 1234567", later)
	if err != nil || s.Number != "+49301234567" || s.Queue != "billing" {
		t.Fatalf("callback to another number: %+v %v", s, err)
	}
	r := m.callbacks[1]
	if r.Reason != callback.AgentScheduled || !r.WindowStart.Equal(later) || !r.EnqueuedAt.Equal(later) || r.Data["agent"] != "1001" ||
		r.CallID != "ast1-old" || r.MaxAttempts != callback.DefaultMaxAttempts || !r.ExpiresAt.After(later) {
		t.Fatalf("stored request %+v", r)
	}
	bad := []struct {
		name, agent, call, number string
		at                        time.Time
		code                      string
	}{
		{"past", "1001", "ast1-c1", "", now.Add(-time.Hour), acd.EInvalid},
		{"too far", "1001", "ast1-c1", "", now.Add(MaxCallbackAhead + time.Hour), acd.EInvalid},
		{"bad number", "1001", "ast1-c1", "12ab", time.Time{}, acd.EInvalid},
		{"not the agent's call", "1002", "ast1-c1", "", time.Time{}, acd.ENotFound},
	}
	for _, tt := range bad {
		if _, err := d.ScheduleCallback(ctx, tt.agent, tt.call, tt.number, tt.at); acd.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if len(m.callbacks) != 2 {
		t.Fatalf("refused callbacks stored: %d", len(m.callbacks))
	}

	// A reload replaces the codes.
	d.SetDispositions([]string{"sold"})
	if got := d.Codes(); len(got) != 1 || got[0] != "sold" {
		t.Fatalf("codes after a reload: %v", got)
	}
	if err := d.Wrapup(ctx, "1001", "ast1-c1", Wrapup{Disposition: "resolved"}); acd.ErrorCode(err) != acd.EInvalid {
		t.Fatalf("a code no longer listed: %v", err)
	}
	if err := d.Wrapup(ctx, "1001", "ast1-c1", Wrapup{Disposition: "sold"}); err != nil {
		t.Fatal(err)
	}
}
