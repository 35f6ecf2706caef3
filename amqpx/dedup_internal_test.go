package amqpx

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"
)

// acks records what a worker did with each delivery tag.
type acks struct {
	mu    sync.Mutex
	acked map[uint64]bool
	nacks map[uint64]bool
}

func (a *acks) Ack(tag uint64, _ bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acked[tag] = true
	return nil
}

func (a *acks) Nack(tag uint64, _, _ bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nacks[tag] = true
	return nil
}

func (a *acks) Reject(tag uint64, requeue bool) error { return a.Nack(tag, false, requeue) }

// TestCopiesOfOneRequestRunOnce covers the order a forced connection close
// produces: the broker's redelivery reaches a worker on the other
// connection before the stale copy, still buffered on the dead channel,
// reaches its own worker. The handler must run once, and both copies are
// acked.
func TestCopiesOfOneRequestRunOnce(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{})
	l := logrus.New()
	l.SetOutput(io.Discard)
	s, err := NewServer(ServerConfig{
		Dial:  DialConfig{URL: "amqp://unused", Log: l},
		Queue: "q",
		// A nil reply: nothing to publish, so no broker is needed.
		Handler: func(ctx context.Context, req *Request) *Reply {
			if runs.Add(1) == 1 {
				close(entered)
			}
			<-release
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &acks{acked: map[uint64]bool{}, nacks: map[uint64]bool{}}
	delivery := func(tag uint64, redelivered bool) amqp.Delivery {
		return amqp.Delivery{Acknowledger: a, DeliveryTag: tag, CorrelationId: "c1", ReplyTo: "amq.gen-x", Redelivered: redelivered, Body: []byte("{}")}
	}
	w1 := &worker{s: s, id: 1, log: l}
	w2 := &worker{s: s, id: 2, log: l}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w1.handle(t.Context(), delivery(1, true)) }()
	<-entered
	go func() { defer wg.Done(); w2.handle(t.Context(), delivery(2, false)) }()
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Errorf("handler ran %d times for one request; want 1", n)
	}
	if !a.acked[1] || !a.acked[2] || len(a.nacks) != 0 {
		t.Errorf("acked %v, nacked %v; want both acked, none nacked", a.acked, a.nacks)
	}

	// A later copy, redelivered or not, is acked without running again.
	s2 := &worker{s: s, id: 3, log: l}
	s2.handle(t.Context(), delivery(3, false))
	if n := runs.Load(); n != 1 || !a.acked[3] {
		t.Errorf("after a third copy: %d runs, acked %v", n, a.acked)
	}
}

// fakeClock makes d's clock one the test moves.
func fakeClock(d *dedup) *time.Duration {
	var now time.Duration
	d.now = func() time.Duration { return now }
	return &now
}

// TestDedupForgetsAfterTTL: an answered run is remembered for dedupTTL,
// then the same key is a new request; a run in flight is never forgotten.
func TestDedupForgetsAfterTTL(t *testing.T) {
	d := newDedup()
	now := fakeClock(&d)
	k := d.key("r", "c")
	id, prev := d.begin(k)
	if prev != nil {
		t.Fatal("first run reported as a copy")
	}
	*now += 2 * dedupTTL
	if _, prev := d.begin(k); prev == nil {
		t.Error("a run in flight was forgotten")
	}
	d.end(k, id, true)
	if _, prev := d.begin(k); prev != nil {
		t.Error("an answer older than dedupTTL still deduplicates")
	}
}

// TestDedupRemembersWithinTTL: an answer deduplicates until dedupTTL has
// passed, while older runs expire around it; a copy that waited for a run
// learns how it ended.
func TestDedupRemembersWithinTTL(t *testing.T) {
	d := newDedup()
	now := fakeClock(&d)
	old, fresh := d.key("r", "old"), d.key("r", "fresh")
	id, _ := d.begin(old)
	d.end(old, id, true)
	*now += time.Minute
	id, _ = d.begin(fresh)
	d.end(fresh, id, true)
	*now += dedupTTL
	if _, prev := d.begin(fresh); prev == nil || !prev.answered {
		t.Errorf("an answer exactly dedupTTL old: copy told %+v; want answered", prev)
	}
	if _, prev := d.begin(old); prev != nil {
		t.Error("an answer older than dedupTTL still deduplicates")
	}

	failing := d.key("r", "failing")
	id, _ = d.begin(failing)
	_, w := d.begin(failing)
	if w == nil {
		t.Fatal("a copy of a run in flight was not told to wait")
	}
	select {
	case <-w.done:
		t.Fatal("the copy's wait ended before the run")
	default:
	}
	d.end(failing, id, false)
	<-w.done
	if w.answered {
		t.Error("a failed run reported as answered")
	}
	if _, prev := d.begin(failing); prev != nil {
		t.Error("a failed run still deduplicates")
	}
}
