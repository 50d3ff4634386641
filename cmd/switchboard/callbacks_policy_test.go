package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/ivr/callback"
)

// The callbacks: section applied to requests, claims and outcomes, on a real database.
func TestCallbackStorePolicy(t *testing.T) {
	cfg, err := config.LoadConfig(strings.NewReader(`node: p1
queues: [{name: q}, {name: shut}]
hours:
  never: {timezone: UTC, weekly: {}, closed: {message: closed}}
callbacks:
  country: "49"
  international: false
  deny: ["+49900"]
  max_attempts: 2
  retry_delay: 10m
  expiry: 2h
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), pgtest.URL(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cbs := newCallbackStore(st, cfg)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	req := func(number string) error {
		return cbs.Request(ctx, callback.Request{CallID: "c", Reason: callback.Missed, Number: number, Queue: "q", EnqueuedAt: at})
	}
	for number, want := range map[string]error{"+49 900 123456": callback.ErrDenied, "+33123456789": callback.ErrInternational,
		"12": callback.ErrTooShort} {
		if err := req(number); !errors.Is(err, want) {
			t.Errorf("request %q: %v, want %v", number, err, want)
		}
	}
	if err := req("030 1234567"); err != nil {
		t.Fatal(err)
	}
	claims, err := cbs.Claim(ctx, "q", time.Now(), 5)
	if err != nil || len(claims) != 1 || claims[0].Number != "+49301234567" || !claims[0].EnqueuedAt.Equal(at) || claims[0].Attempt != 1 {
		t.Fatalf("claims %+v %v", claims, err)
	}
	now := time.Now()
	if err := cbs.Finish(ctx, claims[0], callback.Busy, now); err != nil {
		t.Fatal(err)
	}
	c, err := st.Callback(ctx, claims[0].ID)
	if err != nil || c.State != callback.StateScheduled || c.NextAt.Sub(now.Add(10*time.Minute)).Abs() > time.Second ||
		c.ExpiresAt.Sub(now.Add(2*time.Hour)).Abs() > time.Minute || c.MaxAttempts != 2 {
		t.Fatalf("after a busy attempt: %+v %v", c, err)
	}
	if claims, _ := cbs.Claim(ctx, "q", now.Add(5*time.Minute), 5); len(claims) != 0 {
		t.Fatalf("claimed before the retry delay: %+v", claims)
	}
	claims, _ = cbs.Claim(ctx, "q", now.Add(11*time.Minute), 5)
	if len(claims) != 1 || claims[0].Attempt != 2 {
		t.Fatalf("second attempt: %+v", claims)
	}
	if err := cbs.Finish(ctx, claims[0], callback.NoAnswer, now.Add(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.Callback(ctx, claims[0].ID); c.State != callback.StateDone || c.Outcome != callback.NoAnswer || c.Attempts != 2 {
		t.Fatalf("after the last attempt: %+v", c)
	}

	// A dial window that never opens: nothing is claimed, and a request is refused (it could
	// never be called back before it expires).
	cfg.Callbacks.Hours = "never"
	if err := req("030 7654321"); err == nil {
		t.Fatal("request accepted with no time to call back")
	}
	cfg.Callbacks.Hours = ""
	if err := req("030 7654321"); err != nil {
		t.Fatal(err)
	}
	cfg.Callbacks.Hours = "never"
	if claims, err := cbs.Claim(ctx, "q", time.Now(), 5); err != nil || len(claims) != 0 {
		t.Fatalf("claimed outside the window: %+v %v", claims, err)
	}
}
