package ariemu

import (
	"container/heap"
	"time"
)

// The emulated world has one timeline. Everything the emulator does after a delay (a phone
// rings or answers, a caller presses a digit or hangs up, a prompt ends, a recording reaches
// its maximum) is a step on it, and steps run in the order they fall due. Each step has its
// own timer, and on a loaded machine the runtime may wake two due timers in either order: so a
// timer runs every step due before its own first, and a phone never answers before it rang.

// clock is where the emulator's time comes from: the real one, or a test's that it advances.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) stopper
}

type stopper interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                              { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

// step is one thing the emulator does at a time. Guarded by Server.mu.
type step struct {
	at   time.Time // when it falls due, on s.clock
	seq  uint64    // the order steps due at the same time were set in
	fn   func()
	t    stopper
	done bool // ran or stopped
}

// Stop cancels the step; it reports whether it had neither run nor been stopped. Call with
// Server.mu held.
func (st *step) Stop() bool {
	if st.done {
		return false
	}
	st.done = true
	st.t.Stop()
	return true
}

// steps is a min-heap of pending steps by due time; stopped steps leave it when they reach the top.
type steps []*step

func (h steps) Len() int { return len(h) }
func (h steps) Less(i, j int) bool {
	return h[i].at.Before(h[j].at) || (h[i].at.Equal(h[j].at) && h[i].seq < h[j].seq)
}
func (h steps) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *steps) Push(x any)   { *h = append(*h, x.(*step)) }
func (h *steps) Pop() any {
	old := *h
	st := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return st
}

// schedule runs fn, with s.mu held, after the real duration d unless the step is stopped or
// the server closed. Call with s.mu held.
func (s *Server) schedule(d time.Duration, fn func()) *step {
	s.stepSeq++
	st := &step{at: s.clock.Now().Add(d), seq: s.stepSeq, fn: fn}
	heap.Push(&s.steps, st)
	st.t = s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.runDue(st)
	})
	return st
}

// runDue runs the pending steps due before last, earliest first, then last. Call with s.mu held.
func (s *Server) runDue(last *step) {
	for !last.done && !s.closed && len(s.steps) > 0 {
		next := heap.Pop(&s.steps).(*step)
		if next.Stop() {
			next.fn()
		}
	}
}
