package amqpx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/internal/testenv"
)

func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// startServer serves a unique, auto-deleted queue with handler h.
func startServer(t *testing.T, h amqpx.Handler, mutate func(*amqpx.ServerConfig)) (*amqpx.Server, string) {
	t.Helper()
	url := testenv.RabbitMQ(t)
	queue := testenv.Name(t)
	cfg := amqpx.ServerConfig{
		Dial:  amqpx.DialConfig{URL: url, Name: queue, Log: quiet()},
		Queue: queue,
		Declare: func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(queue, false, true, false, false, nil)
			return err
		},
		Workers:     4,
		Connections: 2,
		Handler:     h,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := amqpx.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	end := time.Now().Add(10 * time.Second)
	for srv.Consuming() != cfg.Workers {
		if time.Now().After(end) {
			t.Fatal("server not consuming")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return srv, queue
}

func newClient(t *testing.T) *amqpx.Client {
	t.Helper()
	cl, err := amqpx.NewClient(t.Context(), amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: testenv.RabbitMQ(t), Name: testenv.Name(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func call(t *testing.T, cl *amqpx.Client, queue, body string) (amqp.Delivery, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return cl.Call(ctx, "", queue, amqp.Publishing{Body: []byte(body)})
}

func TestServerAnswersWithCorrelationID(t *testing.T) {
	_, queue := startServer(t, func(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
		return &amqpx.Reply{Body: append([]byte("echo:"), req.Body...), ContentType: "text/plain"}
	}, nil)
	cl := newClient(t)
	for i := 0; i < 20; i++ {
		d, err := call(t, cl, queue, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if string(d.Body) != fmt.Sprintf("echo:%d", i) || d.ContentType != "text/plain" || d.CorrelationId == "" {
			t.Fatalf("reply %q %q %q", d.Body, d.ContentType, d.CorrelationId)
		}
	}
}

func TestHandlerPanicIsAnswered(t *testing.T) {
	_, queue := startServer(t, func(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
		if string(req.Body) == "boom" {
			panic("boom")
		}
		return &amqpx.Reply{Body: []byte("ok")}
	}, func(c *amqpx.ServerConfig) {
		c.OnPanic = func(_ *amqpx.Request, r any) *amqpx.Reply {
			return &amqpx.Reply{Body: []byte(fmt.Sprint("panic: ", r))}
		}
	})
	cl := newClient(t)
	d, err := call(t, cl, queue, "boom")
	if err != nil || string(d.Body) != "panic: boom" {
		t.Fatalf("got %q, %v", d.Body, err)
	}
	// The worker survived.
	for i := 0; i < 8; i++ {
		if d, err := call(t, cl, queue, "x"); err != nil || string(d.Body) != "ok" {
			t.Fatalf("after panic: %q, %v", d.Body, err)
		}
	}
}

func TestClientCallTimesOutWithCtx(t *testing.T) {
	_, queue := startServer(t, func(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
		return nil // never answers
	}, nil)
	cl := newClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := cl.Call(ctx, "", queue, amqp.Publishing{Body: []byte("x")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
}

func TestRunStopsOnRefusedCredentials(t *testing.T) {
	u, err := url.Parse(testenv.RabbitMQ(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("nobody-"+testenv.Name(t), "wrong")
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial:    amqpx.DialConfig{URL: u.String(), Name: testenv.Name(t), Log: quiet()},
		Queue:   "never",
		Handler: func(context.Context, *amqpx.Request) *amqpx.Reply { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = srv.Run(ctx)
	if !errors.Is(err, amqpx.ErrAccessRefused) {
		t.Fatalf("Run = %v, want ErrAccessRefused", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestRequestWithoutReplyToIsAcked(t *testing.T) {
	got := make(chan string, 1)
	_, queue := startServer(t, func(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
		if req.ReplyTo == "" {
			got <- string(req.Body)
		}
		return &amqpx.Reply{Body: []byte("dropped")}
	}, func(c *amqpx.ServerConfig) { c.Workers, c.Connections = 1, 1 })
	cl := newClient(t)
	if err := cl.Publish(t.Context(), "", queue, amqp.Publishing{Body: []byte("fire")}); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if b != "fire" {
			t.Fatalf("got %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fire-and-forget message not handled")
	}
	// Acked: the single worker (prefetch 1) takes the next request.
	if d, err := call(t, cl, queue, "next"); err != nil || string(d.Body) != "dropped" {
		t.Fatalf("got %q, %v", d.Body, err)
	}
}
