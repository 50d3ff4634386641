package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, pgtest.WithTemplate(func(ctx context.Context, db *pgxpool.Pool) error {
		return store.Migrate(ctx, db, nil)
	}))
}

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	// Start from nothing: the test databases are copies of a migrated template.
	pool := pgtest.Pool(t)
	if _, err := pool.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	url := pool.Config().ConnString()
	for range 2 { // the second Open finds nothing to do
		s, err := store.Open(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.QueueEvents(ctx, time.Time{}, 1); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestCallNotFound(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	_, err := s.Call(context.Background(), "nope")
	if !store.IsNotFound(err) || acd.ErrorCode(err) != acd.ENotFound {
		t.Fatalf("Call(unknown) = %v, want a not-found error", err)
	}
}

func TestActiveCalls(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	calls := []store.ActiveCall{
		{Node: "ast1", CallID: "ast1/c2", ChannelID: "ch2", Queue: "line1", Priority: 3, EnqueuedAt: at.Add(time.Minute), State: "waiting"},
		{Node: "ast1", CallID: "ast1/c1", ChannelID: "ch1", Queue: "line1", EnqueuedAt: at, BridgeID: "b1", State: "waiting",
			Data: map[string]string{"customer": "42"}},
		{Node: "ast2", CallID: "ast2/c3", ChannelID: "ch3", Queue: "line2", EnqueuedAt: at, State: "waiting"},
	}
	for _, c := range calls {
		if err := s.UpsertActiveCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// The call is connected now: the same key is replaced.
	c1 := calls[1]
	c1.State, c1.Agent, c1.AgentChannelID = "connected", "a1", "agch1"
	if err := s.UpsertActiveCall(ctx, c1); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActiveCalls(ctx, "ast1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].CallID != "ast1/c1" || got[1].CallID != "ast1/c2" {
		t.Fatalf("ActiveCalls(ast1) = %+v, want c1 then c2", got)
	}
	g := got[0]
	if g.State != "connected" || g.Agent != "a1" || g.AgentChannelID != "agch1" || g.BridgeID != "b1" ||
		!g.EnqueuedAt.Equal(at) || g.Data["customer"] != "42" || g.UpdatedAt.IsZero() {
		t.Fatalf("c1 = %+v", g)
	}
	if got[1].Priority != 3 {
		t.Fatalf("c2 priority = %d, want 3", got[1].Priority)
	}
	if err := s.DeleteActiveCall(ctx, "ast1", "ast1/c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteActiveCall(ctx, "ast1", "ast1/c1"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if got, _ := s.ActiveCalls(ctx, "ast1"); len(got) != 1 {
		t.Fatalf("after delete: %d calls, want 1", len(got))
	}
}

func TestSaveConfigSnapshot(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	id1, err := s.SaveConfigSnapshot(ctx, []byte("queues: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.SaveConfigSnapshot(ctx, []byte("queues: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if id2 <= id1 {
		t.Fatalf("ids %d, %d: want increasing", id1, id2)
	}
	var sum, body string
	if err := s.Pool().QueryRow(ctx, `SELECT sha256, body FROM config_snapshots WHERE id = $1`, id1).Scan(&sum, &body); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("queues: []\n"))
	if sum != hex.EncodeToString(want[:]) || body != "queues: []\n" {
		t.Fatalf("snapshot = %q, %q", sum, body)
	}
}
