package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// expired is a lease length that is over by the next transaction (now() is its start).
const expired = time.Microsecond

func fenced(t *testing.T, url string, term int64) *store.Store {
	t.Helper()
	s, err := store.OpenFenced(context.Background(), url, term, 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// A lease is taken only when free, with a new term each time; the old holder's renewal is then
// refused.
func TestLeaseTerms(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	a, ok, err := s.AcquireLease(ctx, "a", time.Minute, time.Second)
	if err != nil || !ok || a.Term != 1 || a.Holder != "a" {
		t.Fatalf("first acquire: %+v %v %v", a, ok, err)
	}
	if l, ok, err := s.AcquireLease(ctx, "b", time.Minute, time.Second); err != nil || ok || l.Holder != "a" || l.Term != 1 {
		t.Fatalf("acquire while held: %+v %v %v", l, ok, err)
	}
	if err := s.RenewLease(ctx, "a", 1, expired); err != nil {
		t.Fatal(err)
	}
	b, ok, err := s.AcquireLease(ctx, "b", time.Minute, time.Second)
	if err != nil || !ok || b.Term != 2 {
		t.Fatalf("acquire after expiry: %+v %v %v", b, ok, err)
	}
	if err := s.RenewLease(ctx, "a", 1, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("old term's renewal: %v, want ErrLeaseLost", err)
	}
	if err := s.ReleaseLease(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.CurrentLease(ctx); !l.Held || l.Term != 2 {
		t.Fatalf("a stale release ended the lease: %+v", l)
	}
	if err := s.ReleaseLease(ctx, "b", 2); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.CurrentLease(ctx); l.Held {
		t.Fatalf("released lease still held: %+v", l)
	}
}

// Writes of a term that is over are refused, a callback claim among them; a claim records its
// term. Connections without a term are not fenced.
func TestStaleTermWritesRefused(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	url := pool.Config().ConnString()
	s := store.New(pool)
	if _, _, err := s.AcquireLease(ctx, "a", expired, time.Second); err != nil {
		t.Fatal(err)
	}
	old := fenced(t, url, 1)
	if _, err := old.SaveConfigSnapshot(ctx, []byte("a: 1")); err != nil {
		t.Fatalf("write of the current term: %v", err)
	}
	mustRequest(t, s, cbReq("+49301110001", "line1", time.Now().Add(-time.Minute)))
	if _, _, err := s.AcquireLease(ctx, "b", time.Minute, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := old.SaveConfigSnapshot(ctx, []byte("a: 2")); !store.IsFenced(err) {
		t.Fatalf("write of an old term: %v, want refused", err)
	}
	if c, err := old.ClaimCallbacks(ctx, "a", time.Now(), 5); !store.IsFenced(err) || len(c) != 0 {
		t.Fatalf("claim of an old term: %v %v, want refused", c, err)
	}
	cur := fenced(t, url, 2)
	c, err := cur.ClaimCallbacks(ctx, "b", time.Now(), 5)
	if err != nil || len(c) != 1 {
		t.Fatalf("claim of the current term: %v %v", c, err)
	}
	var term int64
	if err := pool.QueryRow(ctx, "SELECT term FROM callback_attempts").Scan(&term); err != nil || term != 2 {
		t.Fatalf("attempt's term %d %v, want 2", term, err)
	}
	if _, err := s.SaveConfigSnapshot(ctx, []byte("a: 3")); err != nil {
		t.Fatalf("write without a term: %v", err)
	}
}

// A take-over waits for the old term's transactions that passed the fence (and gives up after
// its lock wait), so that none of them commits in the new term.
func TestTakeOverWaitsForOldTermTransaction(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	s := store.New(pool)
	if _, _, err := s.AcquireLease(ctx, "a", expired, time.Second); err != nil {
		t.Fatal(err)
	}
	old := fenced(t, pool.Config().ConnString(), 1)
	tx, err := old.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO config_snapshots (sha256, body) VALUES ('x', 'x')"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.AcquireLease(ctx, "b", time.Minute, 50*time.Millisecond); err == nil || ok {
		t.Fatalf("took over while a write of the old term was open: %v %v", ok, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := s.AcquireLease(ctx, "b", time.Minute, time.Second); err != nil || !ok || l.Term != 2 {
		t.Fatalf("take-over after the commit: %+v %v %v", l, ok, err)
	}
}

// Every table but the lease's own is fenced: a migration that adds a table must fence it.
func TestEveryTableFenced(t *testing.T) {
	rows, err := pgtest.Pool(t).Query(context.Background(), `SELECT t.tablename FROM pg_tables t
		WHERE t.schemaname = current_schema() AND t.tablename NOT IN ('leader_lease', 'schema_migrations')
		AND NOT EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
			WHERE c.relname = t.tablename AND g.tgname = 'fence_term')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		t.Errorf("table %s has no fence_term trigger", name)
	}
}
