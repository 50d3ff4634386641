package router

import (
	"testing"
	"time"
)

// The controls number channels and outbound calls from the router's start: a router started
// later, a second or weeks later, numbers after every earlier one, so that no outbound call id
// (sb-ob-<n>) comes back and overwrites an older call's record.
func TestSeqBaseNeverRepeats(t *testing.T) {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	prev := seqBase(start)
	for _, later := range []time.Duration{time.Second, time.Hour, 11*24*time.Hour + 13*time.Hour + 46*time.Minute + 40*time.Second, 400 * 24 * time.Hour} {
		next := seqBase(start.Add(later))
		if next < prev+1000 {
			t.Fatalf("a router started %v later numbers from %d, not after %d", later, next, prev+999)
		}
		prev = next
	}
}
