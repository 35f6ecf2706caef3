package amqpx

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is an exponential delay with jitter. The zero value uses the
// defaults: first retry within 1 s, capped at 5 s.
type Backoff struct {
	// Initial is the base of the first delay (default 500 ms; with jitter the
	// first retry comes within twice that).
	Initial time.Duration
	// Max caps every delay (default 5 s).
	Max time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	return b
}

// Delay returns the wait before retry number attempt (0 for the first).
// The delay is drawn uniformly from [d/2, d] where d doubles per attempt, so
// many clients redialling one restarted broker spread out.
func (b Backoff) Delay(attempt int) time.Duration {
	b = b.withDefaults()
	d := b.Initial
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// Sleep waits for Delay(attempt) or until ctx is done, and reports whether
// the full delay elapsed.
func (b Backoff) Sleep(ctx context.Context, attempt int) bool {
	t := time.NewTimer(b.Delay(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
