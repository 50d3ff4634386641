package router

import (
	"sync"
	"testing"
	"time"
)

func TestAnnouncement(t *testing.T) {
	both := QueueSettings{AnnouncePosition: true, AnnounceWait: true}
	tests := []struct {
		pos  int
		est  time.Duration
		s    QueueSettings
		want string
	}{
		{1, 0, both, "sound:queue-youarenext"},
		{4, 0, both, "sound:queue-thereare,number:3,sound:queue-callswaiting"},
		{2, 20 * time.Second, both, "sound:queue-thereare,number:1,sound:queue-callswaiting,sound:queue-holdtime,sound:queue-less-than,number:1,sound:queue-minute"},
		{2, 70 * time.Second, QueueSettings{AnnounceWait: true}, "sound:queue-holdtime,number:1,sound:queue-minute"},
		{2, 5 * time.Minute, QueueSettings{AnnounceWait: true}, "sound:queue-holdtime,number:5,sound:queue-minutes"},
		{9, time.Minute, QueueSettings{}, ""},
	}
	for _, tt := range tests {
		if got := announcement(tt.pos, tt.est, tt.s); got != tt.want {
			t.Errorf("announcement(%d, %v): got %q, want %q", tt.pos, tt.est, got, tt.want)
		}
	}
}

func TestAgentChannelIDs(t *testing.T) {
	tests := []struct {
		id      string
		agent   bool
		attempt int
	}{
		{agentChanID("1795405336.0", 3), true, 3},
		{"1795405336.0", false, 0},
		{"1795405336.0-abc", false, 0},
		{"sb-a-a12", true, 12},
	}
	for _, tt := range tests {
		if got := isAgentChan(tt.id); got != tt.agent {
			t.Errorf("isAgentChan(%q): got %v", tt.id, got)
		}
		if tt.agent {
			if got := attemptOf(tt.id); got != tt.attempt {
				t.Errorf("attemptOf(%q): got %d", tt.id, got)
			}
		}
	}
}

// The inbox keeps everything in order, whatever the producers do.
func TestInboxNeverDrops(t *testing.T) {
	q := NewInbox[int]()
	const producers, each = 8, 10000
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				q.Push(p*each + i)
			}
		}(p)
	}
	got := 0
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for got < producers*each {
		select {
		case <-q.Ready():
		case <-done:
		}
		for _, v := range q.Drain() {
			p, i := v/each, v%each
			if i <= last[p] {
				t.Fatalf("producer %d: %d after %d", p, i, last[p])
			}
			last[p] = i
			got++
		}
	}
	if q.Len() != 0 {
		t.Fatalf("left %d", q.Len())
	}
}
