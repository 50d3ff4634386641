package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/pgcluster"
	"switchboard/internal/store"
)

// The database goes away in the middle of the day: the journal keeps every
// event, says it is unhealthy, and writes everything exactly once when the
// server is back on the same folder and port.
func TestJournalSurvivesDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp(pgcluster.TempBase(), "switchboard-storetest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	opts := pgcluster.Options{Dir: dir, NoSync: true, Logger: slog.New(slog.DiscardHandler)}
	cl, err := pgcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop(context.Background()) })
	s, err := store.Open(ctx, cl.URL("postgres"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)

	r := newRig(t, s, store.JournalOptions{MaxBackoff: 300 * time.Millisecond, FlushEvery: 20 * time.Millisecond},
		acd.QueueConfig{Name: "line1", WrapUp: 5 * time.Second})
	for i := range 4 {
		r.agent(fmt.Sprintf("a%d", i), "line1")
	}
	n := 0
	calls := func(k int) { // k answered calls of 30s
		for range k {
			id := fmt.Sprintf("c%03d", n)
			n++
			r.enqueue(id, "line1")
			r.advance(sec(1))
			r.must(r.e.Answer(id))
			r.advance(sec(30))
			r.must(r.e.Hangup(id))
			r.advance(sec(5))
		}
	}
	calls(10)
	r.flush()

	if err := cl.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	calls(20)
	r.j.CallInfo("c015", "+4930555", "800", map[string]string{"customer": "7"})
	deadline := time.Now().Add(10 * time.Second)
	for r.j.Healthy() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.j.Healthy() {
		t.Fatal("journal still healthy 10s after the database stopped")
	}
	calls(10) // more while it retries
	if p := r.j.Pending(); p == 0 {
		t.Fatal("Pending = 0 with the database down")
	}
	fctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if err := r.j.Flush(fctx); err == nil {
		t.Fatal("Flush succeeded with the database down")
	}
	cancel()

	opts.Port = cl.Port()
	cl2, err := pgcluster.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl2.Stop(context.Background()) })
	r.flush()
	if !r.j.Healthy() || r.j.Pending() != 0 {
		t.Fatalf("after the restart: healthy %v, pending %d", r.j.Healthy(), r.j.Pending())
	}

	db := s.Pool()
	count := func(sql string) int {
		t.Helper()
		var k int
		if err := db.QueryRow(ctx, sql).Scan(&k); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return k
	}
	eq(t, "completed calls", count(`SELECT count(*) FROM calls WHERE outcome = 'completed' AND talk_seconds = 30 AND wait_seconds = 1 AND wrapup_seconds = 5`), n)
	eq(t, "calls", count(`SELECT count(*) FROM calls`), n)
	eq(t, "legs", count(`SELECT count(*) FROM call_legs WHERE outcome = 'answered'`), n)
	eq(t, "call events", count(`SELECT count(*) FROM queue_events WHERE call_id IS NOT NULL`), 4*n)
	eq(t, "distinct call events", count(`SELECT count(DISTINCT (call_id, event)) FROM queue_events WHERE call_id IS NOT NULL`), 4*n)
	eq(t, "open agent intervals", count(`SELECT count(*) FROM agent_states WHERE ended_at IS NULL`), 4)
	// every agent's intervals tile time: each one ends where the next begins
	eq(t, "gaps", count(`SELECT count(*) FROM (
		SELECT ended_at, lead(started_at) OVER (PARTITION BY agent ORDER BY started_at, ended_at NULLS LAST) AS next
		FROM agent_states) x WHERE next IS NOT NULL AND next <> ended_at`), 0)
	for i := range n {
		id := fmt.Sprintf("c%03d", i)
		eq(t, id+" events", r.events(id)[0][:10], "ENTERQUEUE")
	}
	c := r.call("c015")
	eq(t, "info written while down", []any{c.CallerNumber, c.Data["customer"]}, []any{"+4930555", "7"})
}
