// Command echod is the benchmark's RPC echo server in a process of its
// own, as the plugin daemon is: a round trip to it pays the same process
// wake-ups as one to the plugin, so the getType ratio measures the
// plugin's work rather than the process boundary.
//
// Usage: echod -url AMQP_URL -queue NAME [-exchange EX] [-amqpx]
//
// Without -amqpx it is a bare amqp091 echo (auto-ack, no confirm); with it,
// an amqpx server as the plugin runs it (10 workers over 2 connections,
// reply confirmed before the ack). It declares an auto-delete queue (bound
// to EX with its name as key, as plugin queues are to openbaton-exchange), prints
// "ready" once consuming, and exits when its stdin closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/amqpx"
)

func main() {
	url := flag.String("url", "", "broker URL")
	queue := flag.String("queue", "", "queue to serve")
	exchange := flag.String("exchange", "", "bind the queue to this existing exchange, its name as key")
	useAmqpx := flag.Bool("amqpx", false, "serve through amqpx instead of bare amqp091")
	flag.Parse()
	if *url == "" || *queue == "" {
		log.Fatal("echod: -url and -queue are required")
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The bench holds our stdin: its end (or its death) ends us.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	var err error
	if *useAmqpx {
		err = serveAmqpx(ctx, *url, *queue, *exchange)
	} else {
		err = serveBare(ctx, *url, *queue, *exchange)
	}
	if err != nil {
		log.Fatalf("echod: %v", err)
	}
}

func declare(ch *amqp.Channel, queue, exchange string) error {
	if _, err := ch.QueueDeclare(queue, false, true, false, false, nil); err != nil {
		return err
	}
	if exchange == "" {
		return nil
	}
	return ch.QueueBind(queue, queue, exchange, false, nil)
}

func serveBare(ctx context.Context, url, queue, exchange string) error {
	conn, err := amqp.Dial(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := declare(ch, queue, exchange); err != nil {
		return err
	}
	dels, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		return err
	}
	pch, err := conn.Channel()
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for {
		select {
		case d, ok := <-dels:
			if !ok {
				return fmt.Errorf("deliveries closed")
			}
			_ = pch.Publish("", d.ReplyTo, false, false, amqp.Publishing{CorrelationId: d.CorrelationId, Body: d.Body})
		case <-ctx.Done():
			return nil
		}
	}
}

func serveAmqpx(ctx context.Context, url, queue, exchange string) error {
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial:    amqpx.DialConfig{URL: url, Name: queue},
		Queue:   queue,
		Declare: func(ch *amqp.Channel) error { return declare(ch, queue, exchange) },
		Handler: func(_ context.Context, req *amqpx.Request) *amqpx.Reply { return &amqpx.Reply{Body: req.Body} },
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	for srv.Consuming() < 10 {
		select {
		case err := <-done:
			return fmt.Errorf("amqpx server stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	fmt.Println("ready")
	return <-done
}
