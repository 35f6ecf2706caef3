package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/bench/rig"
)

// BenchmarkGetTypeVsEcho: the getType round trip through the plugin daemon
// (decode, dispatch, encode, reply with a publisher confirm, then ack)
// against a bare amqp091 echo RPC on the same broker (auto-ack, no
// confirm), both over one long-lived client connection. Blocks of 100
// calls alternate.
func BenchmarkGetTypeVsEcho(b *testing.B) {
	const blocks, per = 10, 100
	r := rig.New(b, rig.Options{Subnet: "10.207.67.0/24", Pool: "10.207.125.0/24"})
	c := newCaller(b, r)
	echo := newEcho(b, r.AMQPURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	vim := r.VIM()
	for range 50 { // warm up both
		if _, err := c.Call(ctx, "getType", vim); err != nil {
			b.Fatal(err)
		}
		if err := echo.call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var plug, bare []time.Duration
	for range blocks {
		for range per {
			t0 := time.Now()
			ans, err := c.Call(ctx, "getType", vim)
			if err != nil || string(ans) != `"docker"` {
				b.Fatalf("getType: %s %v", ans, err)
			}
			plug = append(plug, time.Since(t0))
		}
		for range per {
			t0 := time.Now()
			if err := echo.call(ctx); err != nil {
				b.Fatal(err)
			}
			bare = append(bare, time.Since(t0))
		}
	}
	note := fmt.Sprintf("%d calls each, sequential; plugin p50 %.2f ms, bare echo p50 %.2f ms", blocks*per,
		bench.MS(bench.Percentile(plug, .5)), bench.MS(bench.Percentile(bare, .5)))
	record(b, bench.AtMost("getType", "getType p50 ratio vs bare amqp091 echo", ratio(plug, bare, .5), "x", 1.5, note))
}

// echo is a bare amqp091 RPC: a server consuming with auto-ack and
// publishing the body back, and a client with a reply queue.
type echo struct {
	queue   string
	reply   string
	ch      *amqp.Channel
	replies <-chan amqp.Delivery
}

func newEcho(b *testing.B, url string) *echo {
	b.Helper()
	queue := "bench-echo-" + uuid.NewString()[:8]
	sconn, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sconn.Close() })
	sch, err := sconn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sch.QueueDeclare(queue, false, true, false, false, nil); err != nil {
		b.Fatal(err)
	}
	dels, err := sch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	pch, err := sconn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for d := range dels {
			_ = pch.Publish("", d.ReplyTo, false, false, amqp.Publishing{CorrelationId: d.CorrelationId, Body: d.Body})
		}
	}()
	cconn, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cconn.Close() })
	cch, err := cconn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	rq, err := cch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	replies, err := cch.Consume(rq.Name, "", true, true, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	return &echo{queue: queue, reply: rq.Name, ch: cch, replies: replies}
}

// body is what a getType request looks like, so both carry the same bytes.
var echoBody = []byte(`{"methodName":"getType","parameters":[{"name":"vim","authUrl":"","type":"docker"}]}`)

func (e *echo) call(ctx context.Context) error {
	id := uuid.NewString()
	if err := e.ch.PublishWithContext(ctx, "", e.queue, false, false,
		amqp.Publishing{CorrelationId: id, ReplyTo: e.reply, Body: echoBody}); err != nil {
		return err
	}
	select {
	case d := <-e.replies:
		if d.CorrelationId != id {
			return fmt.Errorf("reply %s for %s", d.CorrelationId, id)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
