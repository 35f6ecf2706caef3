package amqpx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// BenchmarkRPC measures one request/reply through amqpx (10 workers, 2
// connections, ack after a confirmed reply) with one long-lived client.
func BenchmarkRPC(b *testing.B) {
	url := testenv.RabbitMQ(b)
	queue := testenv.Name(b)
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial:  amqpx.DialConfig{URL: url, Name: queue, Log: quiet()},
		Queue: queue,
		Declare: func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(queue, false, true, false, false, nil)
			return err
		},
		Handler: func(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
			return &amqpx.Reply{Body: req.Body}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitConsuming(b, srv, 10)
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: url, Name: queue + "-client"}})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cl.Call(context.Background(), "", queue, amqp.Publishing{Body: []byte("ping")}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBareAMQP091 is the same round trip with amqp091 alone: one
// consumer channel, auto-ack, no confirms. It is the floor amqpx's
// safety (ack after a confirmed reply) is measured against.
func BenchmarkBareAMQP091(b *testing.B) {
	url := testenv.RabbitMQ(b)
	queue := testenv.Name(b)
	sconn, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer sconn.Close()
	sch, _ := sconn.Channel()
	if _, err := sch.QueueDeclare(queue, false, true, false, false, nil); err != nil {
		b.Fatal(err)
	}
	dels, err := sch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	pch, _ := sconn.Channel()
	go func() {
		for d := range dels {
			_ = pch.Publish("", d.ReplyTo, false, false, amqp.Publishing{CorrelationId: d.CorrelationId, Body: d.Body})
		}
	}()
	cconn, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer cconn.Close()
	cch, _ := cconn.Channel()
	rq, err := cch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	replies, err := cch.Consume(rq.Name, "", true, true, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := uuid.NewString()
		if err := cch.Publish("", queue, false, false, amqp.Publishing{CorrelationId: id, ReplyTo: rq.Name, Body: []byte("ping")}); err != nil {
			b.Fatal(err)
		}
		d := <-replies
		if d.CorrelationId != id {
			b.Fatal(fmt.Sprint("mismatched reply ", d.CorrelationId))
		}
	}
}

// BenchmarkRPCSequential is BenchmarkRPC without parallelism, comparable
// call for call with BenchmarkBareAMQP091.
func BenchmarkRPCSequential(b *testing.B) {
	url := testenv.RabbitMQ(b)
	queue := testenv.Name(b)
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial:  amqpx.DialConfig{URL: url, Name: queue, Log: quiet()},
		Queue: queue,
		Declare: func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(queue, false, true, false, false, nil)
			return err
		},
		Handler: func(ctx context.Context, req *amqpx.Request) *amqpx.Reply { return &amqpx.Reply{Body: req.Body} },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitConsuming(b, srv, 10)
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: url, Name: queue + "-client"}})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cl.Call(context.Background(), "", queue, amqp.Publishing{Body: []byte("ping")}); err != nil {
			b.Fatal(err)
		}
	}
}

func waitConsuming(b *testing.B, srv *amqpx.Server, n int) {
	b.Helper()
	end := time.Now().Add(10 * time.Second)
	for srv.Consuming() != n {
		if time.Now().After(end) {
			b.Fatal("server not consuming")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
