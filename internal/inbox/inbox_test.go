package inbox

import (
	"sync"
	"testing"
)

// The inbox keeps every producer's items in order and drops none, whatever the producers do.
func TestInboxNeverDrops(t *testing.T) {
	q := New[int]()
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
