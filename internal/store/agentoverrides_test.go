package store_test

import (
	"context"
	"errors"
	"testing"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// Overrides merge field by field, and one whose apply fails is not kept.
func TestAgentOverrides(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	ctx := context.Background()
	ok := func() error { return nil }
	applied := 0
	count := func() error { applied++; return nil }
	if err := s.SaveAgentOverride(ctx, store.AgentOverride{Agent: "1001", Endpoint: "PJSIP/2001"}, count); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAgentOverride(ctx, store.AgentOverride{Agent: "1001", Skills: map[string]int{"en": 7},
		Queues: []acd.Membership{{Queue: "l1", Penalty: 2}}}, count); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAgentOverride(ctx, store.AgentOverride{Agent: "1002", Queues: []acd.Membership{}}, ok); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("the engine refuses")
	if err := s.SaveAgentOverride(ctx, store.AgentOverride{Agent: "1001", Endpoint: "PJSIP/9999"}, func() error { return refused }); err != refused {
		t.Fatalf("a refused apply: %v", err)
	}
	if err := s.SaveAgentOverride(ctx, store.AgentOverride{Agent: "1003", Endpoint: "PJSIP/3"}, func() error { return refused }); err != refused {
		t.Fatalf("a refused apply: %v", err)
	}
	got, err := s.AgentOverrides(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "applied", applied, 2)
	eq(t, "agents", len(got), 2)
	a := got["1001"]
	eq(t, "1001", []any{a.Endpoint, a.Skills, a.Queues}, []any{"PJSIP/2001", map[string]int{"en": 7}, []acd.Membership{{Queue: "l1", Penalty: 2}}})
	b := got["1002"]
	if b.Endpoint != "" || b.Skills != nil || b.Queues == nil || len(b.Queues) != 0 {
		t.Fatalf("1002: %+v, want no queues (not the file's) and the rest the file's", b)
	}
}
