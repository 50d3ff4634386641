package web

import (
	"sync"

	"switchboard/internal/router"
)

// dialFeed hands each change of an agent's dial (Controls.OnDialChange) to the agent's open
// pop streams, which send it as a "dial" event: the desktop follows a dial without asking.
type dialFeed struct {
	mu   sync.Mutex
	subs map[string]map[chan router.DialStatus]struct{}
}

func newDialFeed() *dialFeed {
	return &dialFeed{subs: map[string]map[chan router.DialStatus]struct{}{}}
}

// publish never blocks (the router calls it on its owner goroutine): a stream that has not
// taken the earlier changes loses the oldest; the latest is the one that counts.
func (f *dialFeed) publish(agent string, st router.DialStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.subs[agent] {
		select {
		case c <- st:
			continue
		default:
		}
		select {
		case <-c:
		default:
		}
		select {
		case c <- st:
		default:
		}
	}
}

// subscribe returns the agent's dial changes from now on and the function that stops them.
func (f *dialFeed) subscribe(agent string) (<-chan router.DialStatus, func()) {
	c := make(chan router.DialStatus, 8)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs[agent] == nil {
		f.subs[agent] = map[chan router.DialStatus]struct{}{}
	}
	f.subs[agent][c] = struct{}{}
	return c, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs[agent], c)
		if len(f.subs[agent]) == 0 {
			delete(f.subs, agent)
		}
	}
}
