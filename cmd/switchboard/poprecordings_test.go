package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/recording"
)

// The screen pop's recordings enricher on the store the daemon gives it: the caller's
// recorded calls, newest first, and nobody else's.
func TestRecordingsEnricherOnTheStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.URL(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i, number := range []string{"+4930111222", "+4930111222", "+4930999999", "+4930111222"} {
		name := "call-ast1-" + string(rune('a'+i))
		err := st.IndexRecording(ctx, recording.Recording{Name: name, CallID: "ast1-" + name, Queue: "q", Number: number,
			Started: t0.Add(time.Duration(i) * time.Hour), Duration: 62 * time.Second, Format: "wav", SHA256: "ab", Path: "/x/" + name})
		if err != nil {
			t.Fatal(err)
		}
	}
	e, err := screenpop.Recordings{Index: st, Limit: 2}.Enrich(ctx, screenpop.Query{Caller: "+4930111222"})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Recordings) != 2 || e.Recordings[0].Name != "call-ast1-d" || e.Recordings[1].Name != "call-ast1-b" ||
		e.Recordings[0].Duration != 62*time.Second || !e.Recordings[0].Started.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("recordings %+v", e.Recordings)
	}
	if e, err := (screenpop.Recordings{Index: st}).Enrich(ctx, screenpop.Query{}); err != nil || len(e.Recordings) != 0 {
		t.Fatalf("withheld number: %+v %v", e, err)
	}
}
