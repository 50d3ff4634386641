package router

import (
	"context"
	"sync"
)

// holdMaking is the creation of the holding bridges, one at a time for each bridge: a worker
// that needs a bridge being made waits for it, instead of adding its caller before the bridge
// is there or sending a creation of its own to an Asterisk already busy. The zero value is
// ready to use.
type holdMaking struct {
	mu     sync.Mutex
	making map[string]*holdMake
}

// holdMake is one creation under way.
type holdMake struct {
	done    chan struct{}
	waiters int
}

// claim marks the creation of bridge id as under way; nil if one already is.
func (hm *holdMaking) claim(id string) *holdMake {
	hm.mu.Lock()
	defer hm.mu.Unlock()
	if hm.making[id] != nil {
		return nil
	}
	if hm.making == nil {
		hm.making = map[string]*holdMake{}
	}
	m := &holdMake{done: make(chan struct{})}
	hm.making[id] = m
	return m
}

// made ends a claimed creation and wakes the workers waiting for it.
func (hm *holdMaking) made(act *Activity, id string, m *holdMake) {
	hm.mu.Lock()
	delete(hm.making, id)
	n := m.waiters
	hm.mu.Unlock()
	for range n {
		act.Resume()
	}
	close(m.done)
}

// wait returns once no creation of bridge id is under way; the worker parks meanwhile.
func (hm *holdMaking) wait(act *Activity, id string) {
	hm.mu.Lock()
	m := hm.making[id]
	if m == nil {
		hm.mu.Unlock()
		return
	}
	m.waiters++
	hm.mu.Unlock()
	act.Park()
	<-m.done
}

// makeHold creates holding bridge id, unless a creation is already under way: then it
// waits for that one.
func (r *connector) makeHold(ctx context.Context, id string) {
	m := r.holdMaking.claim(id)
	if m == nil {
		r.holdMaking.wait(r.u.ex.act, id)
		return
	}
	defer r.holdMaking.made(r.u.ex.act, id, m)
	r.ensureHold(ctx, id)
}
