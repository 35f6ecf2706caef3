package vim

import (
	"context"
	"errors"
	"sync"
)

// flight runs one call per key at a time; concurrent callers with the same
// key and the same tag share its result (a redelivered launch never makes a
// second container). A caller with another tag (another request for the
// same hostname) waits for the call in flight and then runs its own. A
// follower whose leader gave up on its own ctx tries again.
type flight[T any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[T]
}

type flightCall[T any] struct {
	tag  string
	done chan struct{}
	v    T
	err  error
}

func (f *flight[T]) do(ctx context.Context, key, tag string, fn func() (T, error)) (T, error) {
	var zero T
	for {
		f.mu.Lock()
		if f.calls == nil {
			f.calls = map[string]*flightCall[T]{}
		}
		if c, ok := f.calls[key]; ok {
			f.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return zero, ctx.Err()
			}
			if c.tag != tag || ctxErr(c.err) && ctx.Err() == nil {
				continue
			}
			return c.v, c.err
		}
		c := &flightCall[T]{tag: tag, done: make(chan struct{})}
		f.calls[key] = c
		f.mu.Unlock()

		c.v, c.err = fn()

		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
		return c.v, c.err
	}
}

func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
