package docker

import (
	"context"
	"sync"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

// pullFlights runs one pull per reference at a time on this engine (a
// Backend drives one engine): concurrent callers wait for it and share its
// result. The pull has its own deadline, not any one caller's: a caller
// that gives up leaves it to the others, and only when the last one has
// gone is it cancelled.
type pullFlights struct {
	mu    sync.Mutex
	calls map[string]*pullCall
}

type pullCall struct {
	done    chan struct{}
	img     pop.Image
	err     error
	waiters int
	cancel  context.CancelFunc
}

func (f *pullFlights) do(ctx context.Context, key string, timeout time.Duration, fn func(context.Context) (pop.Image, error)) (pop.Image, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*pullCall{}
	}
	c, ok := f.calls[key]
	if !ok {
		// The caller's values (loggers, traces) but not its cancellation.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		c = &pullCall{done: make(chan struct{}), cancel: cancel}
		f.calls[key] = c
		go func() {
			img, err := fn(pctx)
			cancel()
			f.mu.Lock()
			if f.calls[key] == c {
				delete(f.calls, key)
			}
			c.img, c.err = img, err
			f.mu.Unlock()
			close(c.done)
		}()
	}
	c.waiters++
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.img, c.err
	case <-ctx.Done():
		f.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			// Nobody waits any more: stop the pull, and let the next
			// caller start a fresh one rather than join a cancelled one.
			c.cancel()
			if f.calls[key] == c {
				delete(f.calls, key)
			}
		}
		f.mu.Unlock()
		return pop.Image{}, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "pull image %q: gave up waiting", key)
	}
}
