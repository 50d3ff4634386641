package router

import (
	"context"
	"time"
)

// within calls hook with a context that ends after wait and returns its answer, or
// context.DeadlineExceeded when it has not answered by then, even if it ignores its context
// (it then finishes on its own goroutine and its answer is dropped). Called off the owner
// goroutine: it blocks for up to wait.
func within[T any](wait time.Duration, hook func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	type answer struct {
		v   T
		err error
	}
	done := make(chan answer, 1)
	go func() {
		v, err := hook(ctx)
		done <- answer{v, err}
	}()
	select {
	case a := <-done:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, context.DeadlineExceeded
	}
}
