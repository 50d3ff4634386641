// Package inbox is an unbounded FIFO with a wake-up channel, for a goroutine that must take
// what others hand it without ever holding them up (the screen pop's hub, the interactions
// writer). It imports only the standard library, so cores and adapters alike may use it.
package inbox

import "sync"

// Inbox is an unbounded FIFO: Push never blocks and never drops, the consumer waits on Ready
// and takes everything with Drain.
type Inbox[T any] struct {
	mu    sync.Mutex
	items []T
	ready chan struct{}
}

// New returns an empty inbox.
func New[T any]() *Inbox[T] { return &Inbox[T]{ready: make(chan struct{}, 1)} }

// Push appends v and wakes the consumer.
func (q *Inbox[T]) Push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled after a Push.
func (q *Inbox[T]) Ready() <-chan struct{} { return q.ready }

// Drain returns everything queued, oldest first.
func (q *Inbox[T]) Drain() []T {
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	return items
}

// Len is the number of items waiting.
func (q *Inbox[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
