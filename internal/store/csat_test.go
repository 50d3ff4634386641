package store_test

import (
	"context"
	"errors"
	"testing"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

func TestSaveCSAT(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	want := store.CSAT{CallID: "ast1-1.1", Agent: "1001", Queue: "support-l1", Score: 4, At: t0}
	if err := s.SaveCSAT(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.CSATFor(ctx, want.CallID)
	if err != nil || got.Agent != want.Agent || got.Queue != want.Queue || got.Score != 4 || !got.At.Equal(t0) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	// A second score for the call is refused and the first stays.
	again := want
	again.Score = 1
	if err := s.SaveCSAT(ctx, again); !errors.Is(err, store.ErrCSATExists) {
		t.Fatalf("second score: %v", err)
	}
	if got, _ := s.CSATFor(ctx, want.CallID); got.Score != 4 {
		t.Fatalf("score after a second one: %d", got.Score)
	}
	// Out-of-range scores and missing fields never reach the table.
	for _, bad := range []store.CSAT{{CallID: "x", Score: 0, At: t0}, {CallID: "x", Score: 6, At: t0}, {Score: 3, At: t0}, {CallID: "x", Score: 3}} {
		var ae *acd.Error
		if err := s.SaveCSAT(ctx, bad); !errors.As(err, &ae) || ae.Code != acd.EInvalid {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if _, err := s.CSATFor(ctx, "x"); !store.IsNotFound(err) {
		t.Fatalf("refused score stored: %v", err)
	}
	// An agent-less score (no agent known) is kept with NULLs.
	if err := s.SaveCSAT(ctx, store.CSAT{CallID: "ast1-2.2", Score: 5, At: t0}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CSATFor(ctx, "ast1-2.2"); err != nil || got.Agent != "" || got.Score != 5 {
		t.Fatalf("agent-less: %+v %v", got, err)
	}
}
