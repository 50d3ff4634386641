package routertest

import (
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"GET /channels", "GET /channels", true},
		{"GET /channels", "GET /channels/c1", false},
		{"POST /channels/c1/*", "POST /channels/c1/answer", true},
		{"POST /channels/*/answer", "POST /channels/c1/answer", true},
		{"POST /channels/*/answer", "POST /channels/c1/play", false},
		{"*value=line1|*", "POST /channels/c1/variable?variable=SB_PLACE&value=line1|0|x", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false}, // the prefix and suffix may not overlap
		{"*", "", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// Timers fire in time order, equal times in the order they were set; a stopped one never.
func TestClockTimers(t *testing.T) {
	c := NewClock(time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC))
	var got []string
	c.AfterFunc(2*time.Second, func() { got = append(got, "b") })
	c.AfterFunc(time.Second, func() { got = append(got, "a1") })
	c.AfterFunc(time.Second, func() { got = append(got, "a2") })
	stopped := c.AfterFunc(1500*time.Millisecond, func() { got = append(got, "stopped") })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	limit := c.Now().Add(2 * time.Second)
	for tm := c.next(limit); tm != nil; tm = c.next(limit) {
		tm.f()
	}
	if want := []string{"a1", "a2", "b"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("fired %v, want %v", got, want)
	}
	if c.Now() != limit || c.pending() != 0 {
		t.Fatalf("clock at %v with %d timers", c.Now(), c.pending())
	}
}
