package sipload

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// sbload's callers against its own phones: each phone behaviour shows up in
// the callers' numbers.
func TestPhoneBehaviours(t *testing.T) {
	tests := []struct {
		name   string
		phones string
		check  func(Summary) bool
	}{
		{"busy", "busy: 1", func(s Summary) bool { return s.FailedBy["486"] == 2 && s.Busy == 2 }},
		{"never answers", "noanswer: 1", func(s Summary) bool { return s.Abandoned == 2 && s.Ignored == 2 && s.Failed == 0 }},
		{"answers after a delay and hangs up first", "answer: 1\n  delay: 200ms\n  talk: 300ms", func(s Summary) bool {
			return s.Answered == 2 && s.RemoteBye == 2 && s.Setup.P50 >= 200 && s.PhoneAns == 2
		}},
		{"plays audio and presses digits", "answer: 1\n  media: play\n  talk: 500ms\n  dtmf: \"9 at 100ms\"", func(s Summary) bool {
			// Callers send no digits here; the two they receive are the agents'.
			return s.Answered == 2 && s.RTPRecv > 2*10 && s.RTPLost == 0 && s.DTMFSent == 2 && s.DTMFRecv == 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
			sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 1s
phones:
  listen: [%q]
  %s
callers:
  target: %s
  rate: 20
  max_calls: 2
  to: "100"
  classes: [{talk: 3s, patience: 500ms}]
`, addr, tt.phones, addr)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Attempted != 2 || !tt.check(sum) {
				t.Fatalf("summary %+v", sum)
			}
		})
	}
}

// With concurrency and no rate, callers keep that many calls up: four calls
// of 300 ms two at a time take two rounds.
func TestConcurrencyWithoutRate(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 5s
phones: {listen: [%q]}
callers: {target: %q, concurrency: 2, max_calls: 4, to: "100", classes: [{talk: 300ms}]}
`, addr, addr)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if sum.Attempted != 4 || sum.Answered != 4 || sum.Completed != 4 {
		t.Fatalf("summary %+v", sum)
	}
	if took < 600*time.Millisecond || took > 3*time.Second {
		t.Fatalf("took %v, want two rounds of 300 ms", took)
	}
}

// The run ends at its duration even when every concurrency slot is held by
// a long call, and ending ctx then hangs those calls up.
func TestConcurrencyFullAtDeadline(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 500ms
phones: {listen: [%q]}
callers: {target: %q, concurrency: 2, to: "100", classes: [{talk: 30s}]}
`, addr, addr)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("took %v", took)
	}
	if sum.Attempted != 2 || sum.Answered != 2 || sum.Completed != 2 {
		t.Fatalf("summary %+v", sum)
	}
}

// Calls that would talk for a minute end at once when told (SIGUSR1 in sbload).
func TestHangupWhenTold(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 1s
phones:
  listen: [%q]
  answer: 1
callers:
  target: %s
  rate: 20
  max_calls: 3
  to: "100"
  classes: [{talk: 1m, patience: 2s}]
`, addr, addr)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stats := NewStats()
	tell := make(chan struct{})
	go func() {
		for stats.Active.Load() < 6 { // three calls, counted on the callers' and the phones' side
			time.Sleep(10 * time.Millisecond)
		}
		tell <- struct{}{}
	}()
	start := time.Now()
	sum, err := Run(ctx, sc, stats, testLogger(t), nil, 0, 1, WithHangup(tell))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Answered != 3 || sum.HungUpOnRequest != 3 || sum.Completed != 3 || time.Since(start) > 10*time.Second {
		t.Fatalf("after %v: %+v", time.Since(start), sum)
	}
}
