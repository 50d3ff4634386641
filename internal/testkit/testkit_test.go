package testkit

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPollWaitsForTheCondition(t *testing.T) {
	var n atomic.Int32
	if !Poll(time.Minute, func() bool { return n.Add(1) >= 5 }) {
		t.Fatal("Poll gave up on a condition that holds at the fifth check")
	}
	if got := n.Load(); got != 5 {
		t.Fatalf("Poll checked %d times, want exactly 5 (it stops when the condition holds)", got)
	}
}

func TestPollGivesUp(t *testing.T) {
	var n atomic.Int32
	if Poll(30*time.Millisecond, func() bool { n.Add(1); return false }) {
		t.Fatal("Poll reported a condition that never holds as met")
	}
	if n.Load() < 2 {
		t.Fatalf("Poll checked only %d times before giving up", n.Load())
	}
}
