package rig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/plugin"
)

// Caller calls the plugin over one long-lived connection (the NFVO opens one
// per call; a benchmark of the plugin must not measure that) and counts
// every reply by correlation id, so duplicates are visible.
type Caller struct {
	conn  *amqp.Connection
	sub   *amqp.Channel
	queue string
	reply string

	pubMu sync.Mutex
	pub   *amqp.Channel

	mu      sync.Mutex
	waiting map[string]chan []byte
	replies map[string]int
	closed  chan struct{}
}

// ErrCallerClosed: the caller's connection is gone.
var ErrCallerClosed = errors.New("caller connection closed")

// NewCaller dials as the NFVO admin and prepares a reply queue bound to
// openbaton-exchange, as the NFVO's PluginCaller does.
func (r *Rig) NewCaller(ctx context.Context) (*Caller, error) {
	conn, err := amqp.DialConfig(r.AMQPURL, amqp.Config{Properties: amqp.Table{"connection_name": "rig-caller-" + r.PluginName}})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c, err := newCaller(conn, r.Queue)
	if err != nil {
		conn.Close()
		return nil, err
	}
	r.TB.Cleanup(func() { c.Close() })
	return c, nil
}

// DialCaller is a Caller of any RPC server on queue (bound to
// openbaton-exchange like a plugin queue), so a benchmark can call an echo
// server with exactly the client code it calls the plugin with.
func DialCaller(url, queue string) (*Caller, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c, err := newCaller(conn, queue)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func newCaller(conn *amqp.Connection, queue string) (*Caller, error) {
	sub, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	q, err := sub.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return nil, err
	}
	if err := sub.QueueBind(q.Name, q.Name, plugin.Exchange, false, nil); err != nil {
		return nil, err
	}
	dels, err := sub.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		return nil, err
	}
	pub, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	c := &Caller{conn: conn, sub: sub, pub: pub, queue: queue, reply: q.Name,
		waiting: map[string]chan []byte{}, replies: map[string]int{}, closed: make(chan struct{})}
	go func() {
		defer close(c.closed)
		for d := range dels {
			c.mu.Lock()
			c.replies[d.CorrelationId]++
			w := c.waiting[d.CorrelationId]
			delete(c.waiting, d.CorrelationId)
			c.mu.Unlock()
			if w != nil {
				w <- d.Body
			}
		}
	}()
	return c, nil
}

// Close closes the connection.
func (c *Caller) Close() error {
	err := c.conn.Close()
	<-c.closed
	if errors.Is(err, amqp.ErrClosed) {
		return nil
	}
	return err
}

// CallRaw sends body and waits for the reply body.
func (c *Caller) CallRaw(ctx context.Context, body []byte) ([]byte, error) {
	id := uuid.NewString()
	w := make(chan []byte, 1)
	c.mu.Lock()
	c.waiting[id] = w
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
	}
	c.pubMu.Lock()
	err := c.pub.PublishWithContext(ctx, plugin.Exchange, c.queue, false, false,
		amqp.Publishing{CorrelationId: id, ReplyTo: c.reply, Body: body})
	c.pubMu.Unlock()
	if err != nil {
		forget()
		return nil, fmt.Errorf("publish: %w", err)
	}
	select {
	case b := <-w:
		return b, nil
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("no reply to %s: %w", id, ctx.Err())
	case <-c.closed:
		forget()
		return nil, ErrCallerClosed
	}
}

// Call encodes method and params as the NFVO does and decodes the answer
// (an exception is a *nfvo.Exception).
func (c *Caller) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	body, err := nfvo.EncodeRequest(method, params...)
	if err != nil {
		return nil, err
	}
	b, err := c.CallRaw(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return nfvo.DecodeAnswer(b)
}

// Replies counts every reply received so far: how many correlation ids got
// one, and how many got more than one.
func (c *Caller) Replies() (answered, duplicated int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.replies {
		answered++
		if n > 1 {
			duplicated++
		}
	}
	return answered, duplicated
}
