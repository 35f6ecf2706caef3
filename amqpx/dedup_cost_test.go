package amqpx

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/bench"
)

// noAck accepts every ack and nack: the load below needs no broker.
type noAck struct{}

func (noAck) Ack(uint64, bool) error        { return nil }
func (noAck) Nack(uint64, bool, bool) error { return nil }
func (noAck) Reject(uint64, bool) error     { return nil }

// dedupLoad drives new requests through one worker's handle, as the broker
// would deliver them, with a handler that answers nothing (so nothing is
// published and no broker is needed): the request path with its dedup
// work and nothing else. Its clock moves dedupTTL/remembered per request,
// so that once it has sent remembered requests, every new one finds
// remembered in memory and the oldest expiring: the steady state of a
// server that serves remembered requests per dedupTTL.
type dedupLoad struct {
	w     *worker
	clock *time.Duration
	step  time.Duration
	seq   uint64
	// id is the correlation id being built: UUID-shaped, as the NFVO's.
	id []byte
}

func newDedupLoad(tb testing.TB, remembered int) *dedupLoad {
	tb.Helper()
	l := logrus.New()
	l.SetOutput(io.Discard)
	s, err := NewServer(ServerConfig{
		Dial:    DialConfig{URL: "amqp://unused", Log: l},
		Queue:   "q",
		Handler: func(context.Context, *Request) *Reply { return nil },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &dedupLoad{
		w:     &worker{s: s, id: 1, log: l},
		clock: fakeClock(&s.dedup),
		step:  dedupTTL / time.Duration(remembered),
		id:    []byte("00000000-0000-4000-8000-000000000000"),
	}
}

// directReplyTo is as long as RabbitMQ's direct reply-to names.
const directReplyTo = "amq.rabbitmq.reply-to.g1h2AA5yZXBseUAyNzYxODM0MQAAIYkAAAAAaVbRGw==.YZ/7kzEU0Ia7BdDOpmHUbw=="

// run sends n new requests.
func (l *dedupLoad) run(ctx context.Context, n int) {
	const hex = "0123456789abcdef"
	for range n {
		*l.clock += l.step
		l.seq++
		v := l.seq
		for i := len(l.id) - 1; i >= len(l.id)-12; i-- {
			l.id[i] = hex[v&15]
			v >>= 4
		}
		l.w.handle(ctx, amqp.Delivery{Acknowledger: noAck{}, DeliveryTag: l.seq, CorrelationId: string(l.id), ReplyTo: directReplyTo, Body: []byte("{}")})
	}
}

func (l *dedupLoad) remembered() int {
	l.w.s.dedup.mu.Lock()
	defer l.w.s.dedup.mu.Unlock()
	return len(l.w.s.dedup.entries)
}

func (l *dedupLoad) visits() int {
	l.w.s.dedup.mu.Lock()
	defer l.w.s.dedup.mu.Unlock()
	return l.w.s.dedup.visits
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// dedupCost is what measureDedupCost found.
type dedupCost struct {
	small, large, rounds, per int
	// perSmall, perLarge: the median over rounds of the time one request
	// took while small or large requests were remembered.
	perSmall, perLarge time.Duration
	// workSmall, workLarge: the dedup's own work per request (runs looked
	// at and entries copied), over all rounds.
	workSmall, workLarge float64
	// bytesPerEntry: live heap per remembered request at large, the
	// larger of right after filling and after the rounds.
	bytesPerEntry float64
	// retained: the large load's live heap, in bytes, once its requests
	// are past dedupTTL and a few more have run.
	retained int64
}

func (c dedupCost) timeRatio() float64 { return float64(c.perLarge) / float64(c.perSmall) }

// workRatio compares the work per request; with no work at all at small,
// the work at large is the ratio's excess over 1.
func (c dedupCost) workRatio() float64 {
	if c.workSmall == 0 {
		return 1 + c.workLarge
	}
	return c.workLarge / c.workSmall
}

// measureDedupCost brings one server to small remembered requests and
// another to large, then sends rounds of per new requests to each,
// alternating, so that the machine's load weighs on both alike. per should
// be a multiple of 256, the period of the cleanup it replaced.
func measureDedupCost(tb testing.TB, small, large, rounds, per int) dedupCost {
	tb.Helper()
	ctx := context.Background()
	c := dedupCost{small: small, large: large, rounds: rounds, per: per}
	ls := newDedupLoad(tb, small)
	ls.run(ctx, small)
	base := heapAlloc()
	ll := newDedupLoad(tb, large)
	ll.run(ctx, large)
	c.bytesPerEntry = float64(heapAlloc()-base) / float64(large)

	// One warm-up round each, then the measured ones.
	ls.run(ctx, per)
	ll.run(ctx, per)
	vs, vl := ls.visits(), ll.visits()
	var ts, tl []time.Duration
	for range rounds {
		t0 := time.Now()
		ls.run(ctx, per)
		ts = append(ts, time.Since(t0)/time.Duration(per))
		t0 = time.Now()
		ll.run(ctx, per)
		tl = append(tl, time.Since(t0)/time.Duration(per))
	}
	c.perSmall, c.perLarge = median(ts), median(tl)
	n := float64(rounds * per)
	c.workSmall, c.workLarge = float64(ls.visits()-vs)/n, float64(ll.visits()-vl)/n
	for _, l := range []struct {
		load *dedupLoad
		want int
	}{{ls, small}, {ll, large}} {
		// The steady state the figures are for: want remembered, give or
		// take the runs that end within one step of dedupTTL.
		if got := l.load.remembered(); got < l.want-1 || got > l.want+1 {
			tb.Errorf("%d requests remembered in a steady state; want %d", got, l.want)
		}
	}
	c.bytesPerEntry = max(c.bytesPerEntry, float64(heapAlloc()-base)/float64(large))

	// Let the large load's requests expire, send a few more, and see how
	// much of its heap it still holds: compare with the heap once it is
	// gone.
	*ll.clock += 2 * dedupTTL
	ll.run(ctx, 2*256)
	if got := ll.remembered(); got > 2*256 {
		tb.Errorf("%d requests remembered after the others expired; want at most the %d sent since", got, 2*256)
	}
	withLarge := heapAlloc()
	runtime.KeepAlive(ll)
	ll = nil
	c.retained = withLarge - heapAlloc()
	runtime.KeepAlive(ls)
	return c
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// Bounds on the heap the remembered requests hold: per request while
// remembered, and in all once they have expired.
const (
	maxBytesPerRemembered = 200
	maxRetained           = 1 << 20
)

// TestDedupCostStaysFlat: remembering requests for dedupTTL must not make
// each new request dearer as their number grows, and their memory must be
// given back once they expire. The work the dedup does per request is
// compared, not the time: the time also holds the memory latency of a map
// that no longer fits the caches, which no design avoids (logged).
func TestDedupCostStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 400k requests")
	}
	c := measureDedupCost(t, 10_000, 400_000, 9, 4096)
	t.Logf("per request: work %.2f with %d remembered, %.2f with %d (ratio %.2f); median time %v and %v (ratio %.2f); %.0f B of heap per remembered request; %d B retained after expiry",
		c.workSmall, c.small, c.workLarge, c.large, c.workRatio(), c.perSmall, c.perLarge, c.timeRatio(), c.bytesPerEntry, c.retained)
	if c.workRatio() > 1.5 {
		t.Errorf("a request costs the dedup %.2f x as much work with %d remembered as with %d; want ≤ 1.5", c.workRatio(), c.large, c.small)
	}
	// A remembered request holds a fixed size whatever its names' length
	// (the reply-to here is 93 bytes): its map and queue slots, with
	// their growth slack.
	if c.bytesPerEntry > maxBytesPerRemembered {
		t.Errorf("%.0f B of heap per remembered request; want ≤ %d", c.bytesPerEntry, maxBytesPerRemembered)
	}
	if c.retained > maxRetained {
		t.Errorf("%d B of heap still held after %d requests expired; want ≤ %d", c.retained, c.large, maxRetained)
	}
}

// BenchmarkDedupCost is the `make bench` row of TestDedupCostStaysFlat
// (scripts/bench.sh runs it after ./bench): the same measurement, recorded
// as figures of docs/benchmarks.md.
func BenchmarkDedupCost(b *testing.B) {
	const small, large = 10_000, 400_000
	var c dedupCost
	for range b.N {
		c = measureDedupCost(b, small, large, 15, 4096)
	}
	note := fmt.Sprintf("steady state with %d and %d remembered (clock moved dedupTTL/N per request), %d alternating rounds of %d requests through a worker's handle, no broker; work %.2f and %.2f per request; median time %v and %v per request (ratio %.2f: a map beyond the caches)",
		small, large, c.rounds, c.per, c.workSmall, c.workLarge, c.perSmall, c.perLarge, c.timeRatio())
	record(b, bench.AtMost("amqpx dedup", "amqpx dedup work per request, 400k vs 10k requests remembered", c.workRatio(), "x", 1.5, note))
	record(b, bench.AtMost("amqpx dedup", "amqpx heap per remembered request", c.bytesPerEntry, "B", maxBytesPerRemembered,
		fmt.Sprintf("live heap after GC with %d remembered, whatever the names' length; %d B still held once they expired", large, c.retained)))
}

// record reports a figure to `go test` and to the results file of make
// bench.
func record(b *testing.B, r bench.Result) {
	b.Helper()
	b.ReportMetric(r.Value, strings.NewReplacer(" ", "-", ",", "", "(", "", ")", "").Replace(r.Unit+"-"+r.Figure))
	if err := bench.Record(r); err != nil {
		b.Error(err)
	}
	b.Logf("%s: %.3f %s target %s; %s", r.Figure, r.Value, r.Unit, r.Target, r.Note)
}
