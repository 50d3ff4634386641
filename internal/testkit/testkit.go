// Package testkit holds what the tests of every package share: waiting on a condition instead
// of sleeping. It is imported only by tests.
package testkit

import (
	"testing"
	"time"
)

// Patience is how long Eventually waits before it fails a test. It is generous because a
// condition that holds is met in milliseconds even on a loaded machine, and a test that fails
// should say what it waited for rather than race the clock.
const Patience = 15 * time.Second

// Eventually polls cond until it holds, and fails the test with what it waited for once
// Patience has passed.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Poll(Patience, cond) {
		t.Fatalf("timed out after %s waiting for %s", Patience, what)
	}
}

// Poll reports whether cond held within limit, checking it every few milliseconds.
func Poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
}
