package bench_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/plugin"
)

// BenchmarkGetTypeVsEcho: the getType round trip through the plugin daemon
// (decode, dispatch, encode, reply with a publisher confirm, then ack)
// against a bare amqp091 echo RPC on the same broker (auto-ack, no
// confirm), both over one long-lived client connection. Blocks of 100
// calls alternate.
func BenchmarkGetTypeVsEcho(b *testing.B) {
	const blocks, per = 10, 100
	prof := os.Getenv(ProfileEnv)
	o := rig.Options{Subnet: "10.207.67.0/24", Pool: "10.207.125.0/24"}
	if prof != "" {
		o.Metrics, o.Env = true, []string{"OBDOCKER_METRICS_PPROF=true"}
	}
	r := rig.New(b, o)
	c := newCaller(b, r)
	echo := newEcho(b, r.AMQPURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	vim := r.VIM()
	if prof != "" {
		profileDuring(b, r, prof+"/gettype.cpu.pprof", func() {
			if _, err := c.Call(ctx, "getType", vim); err != nil {
				b.Fatal(err)
			}
		})
	}
	for range 50 { // warm up both
		if _, err := c.Call(ctx, "getType", vim); err != nil {
			b.Fatal(err)
		}
		if err := echo.call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	ax := newAmqpxEcho(b, r.AMQPURL)
	viaEx := newEcho(b, r.AMQPURL)
	viaEx.viaExchange(b, plugin.Exchange)
	var plug, bare, amqpxT, exT []time.Duration
	for range blocks {
		for range per {
			t0 := time.Now()
			if err := ax.call(ctx); err != nil {
				b.Fatal(err)
			}
			amqpxT = append(amqpxT, time.Since(t0))
		}
		for range per {
			t0 := time.Now()
			if err := viaEx.call(ctx); err != nil {
				b.Fatal(err)
			}
			exT = append(exT, time.Since(t0))
		}
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
	note := fmt.Sprintf("%d calls each, sequential, alternating blocks of %d; p50: plugin %.2f ms, bare echo %.2f ms, bare echo routed like the NFVO's requests %.2f ms, amqpx echo %.2f ms", blocks*per, per,
		bench.MS(bench.Percentile(plug, .5)), bench.MS(bench.Percentile(bare, .5)), bench.MS(bench.Percentile(exT, .5)), bench.MS(bench.Percentile(amqpxT, .5)))
	record(b, bench.AtMost("getType", "getType p50 ratio vs bare amqp091 echo", ratio(plug, bare, .5), "x", 1.5, note))
	record(b, bench.Info("getType", "getType p50 ratio vs a bare amqp091 echo routed through openbaton-exchange (the path the protocol imposes)", ratio(plug, exT, .5), "x", note))
	record(b, bench.Info("getType", "getType p50 ratio vs an amqpx echo (same plumbing: reply confirmed, then ack)", ratio(plug, amqpxT, .5), "x", note))
}

// echo is a bare amqp091 RPC: a server consuming with auto-ack and
// publishing the body back, and a client with a reply queue.
type echo struct {
	queue    string
	exchange string
	reply    string
	ch       *amqp.Channel
	replies  <-chan amqp.Delivery
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
	if err := e.ch.PublishWithContext(ctx, e.exchange, e.queue, false, false,
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

// newAmqpxEcho is an amqpx server echoing the body (10 workers, 2
// connections, reply confirmed before the ack, as the plugin runs), called
// like the bare echo.
func newAmqpxEcho(b *testing.B, url string) *echo {
	b.Helper()
	queue := "bench-amqpx-" + uuid.NewString()[:8]
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial:  amqpx.DialConfig{URL: url, Name: queue},
		Queue: queue,
		Declare: func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(queue, false, true, false, false, nil)
			return err
		},
		Handler: func(_ context.Context, req *amqpx.Request) *amqpx.Reply { return &amqpx.Reply{Body: req.Body} },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	for end := time.Now().Add(30 * time.Second); srv.Consuming() < 10; {
		if time.Now().After(end) {
			b.Fatal("amqpx echo not consuming")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e := newEcho(b, url)
	e.queue = queue
	return e
}

// viaExchange binds the echo queue to exchange (the NFVO's) with its name
// as key and sends requests there, as the NFVO does.
func (e *echo) viaExchange(b *testing.B, exchange string) {
	b.Helper()
	if err := e.ch.QueueBind(e.queue, e.queue, exchange, false, nil); err != nil {
		b.Fatal(err)
	}
	e.exchange = exchange
}
