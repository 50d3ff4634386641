package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// Two purges list the same expired recording (the daemon's hourly one and an explicit one,
// or two nodes): the one whose delete removes the row audits it; the other, whose delete
// waited for the first and found nothing, neither audits nor counts it.
func TestPurgeRacingPurgeAuditsOnce(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	s := store.New(pool)
	day := 24 * time.Hour
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := rec("raced", "billing", "1001", "", now.Add(-100*day), time.Second)
	r.Path = filepath.Join(t.TempDir(), "raced.wav")
	if err := os.WriteFile(r.Path, []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexRecording(ctx, r); err != nil {
		t.Fatal(err)
	}

	// The other purge has removed the file, deleted the row and audited it, not yet committed.
	other, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	if err := os.Remove(r.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `DELETE FROM recordings WHERE name = 'raced'`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `INSERT INTO audit (at, actor, action, object, detail)
		VALUES ($1, 'system', 'purge', 'recording:raced', 'retention 2160h0m0s')`, now); err != nil {
		t.Fatal(err)
	}

	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.PurgeRecordings(ctx, now, nil, 90*day, nil)
		done <- result{n, err}
	}()
	// This purge listed the row and now waits for the other's lock on it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM recordings%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case res := <-done:
			t.Fatalf("purge returned (%d, %v) without waiting for the other purge's delete", res.n, res.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the purge never waited on the other purge's delete")
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	res := <-done
	if res.err != nil || res.n != 0 {
		t.Errorf("purge = %d, %v; want 0 purged (the other purge deleted it)", res.n, res.err)
	}
	trail, err := s.AuditTrail(ctx, "recording:raced")
	if err != nil || len(trail) != 1 {
		t.Fatalf("audit trail of one deletion: %+v %v, want one row", trail, err)
	}
	if _, err := s.Recording(ctx, "raced"); !store.IsNotFound(err) {
		t.Fatalf("row after both purges: %v", err)
	}
}
