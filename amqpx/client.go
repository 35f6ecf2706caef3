package amqpx

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// ClientConfig configures an RPC client.
type ClientConfig struct {
	Dial DialConfig
	// BindExchange, if set, binds the reply queue to that exchange with its
	// own name as key (what the NFVO's PluginCaller does); replies sent to
	// the default exchange arrive either way.
	BindExchange string
}

// Client is an RPC client over one connection and a server-named,
// exclusive reply queue. It does not reconnect: when its connection dies,
// pending and later calls fail, and the owner makes a new Client.
type Client struct {
	conn  *amqp.Connection
	ch    *amqp.Channel
	queue string

	pubMu sync.Mutex

	mu      sync.Mutex
	pending map[string]chan amqp.Delivery
	err     error // set once the reply consumer has ended
	done    chan struct{}
}

// NewClient dials, declares the reply queue and starts consuming it.
func NewClient(ctx context.Context, cfg ClientConfig) (*Client, error) {
	conn, err := Dial(ctx, cfg.Dial)
	if err != nil {
		return nil, err
	}
	c, err := newClient(conn, cfg)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return c, nil
}

func newClient(conn *amqp.Connection, cfg ClientConfig) (*Client, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	// Server-named (amq.gen-…): the only kind the NFVO's bootstrap and
	// plugin users may configure.
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return nil, fmt.Errorf("declare reply queue: %w", err)
	}
	if cfg.BindExchange != "" {
		if err := ch.QueueBind(q.Name, q.Name, cfg.BindExchange, false, nil); err != nil {
			return nil, fmt.Errorf("bind reply queue to %s: %w", cfg.BindExchange, err)
		}
	}
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("consume reply queue: %w", err)
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	c := &Client{
		conn:    conn,
		ch:      ch,
		queue:   q.Name,
		pending: map[string]chan amqp.Delivery{},
		done:    make(chan struct{}),
	}
	go c.dispatch(deliveries, closed)
	return c, nil
}

func (c *Client) dispatch(deliveries <-chan amqp.Delivery, closed <-chan *amqp.Error) {
	defer close(c.done)
	for d := range deliveries {
		c.mu.Lock()
		wait, ok := c.pending[d.CorrelationId]
		if ok {
			delete(c.pending, d.CorrelationId)
		}
		c.mu.Unlock()
		if ok {
			wait <- d // buffered 1, sole sender
		}
	}
	err := ErrClosed
	select {
	case aerr, ok := <-closed:
		if ok && aerr != nil {
			err = fmt.Errorf("reply channel closed: %w", aerr)
		}
	default:
	}
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

// ReplyQueue is the server-named reply queue.
func (c *Client) ReplyQueue() string { return c.queue }

// Publish sends a message without waiting for an answer.
func (c *Client) Publish(ctx context.Context, exchange, key string, msg amqp.Publishing) error {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	if err := c.ch.PublishWithContext(ctx, exchange, key, false, false, msg); err != nil {
		return fmt.Errorf("publish to %q/%q: %w", exchange, key, err)
	}
	return nil
}

// Call publishes msg with reply_to set to the reply queue and a fresh
// correlation id (unless msg has one), and waits for the matching reply
// until ctx is done.
func (c *Client) Call(ctx context.Context, exchange, key string, msg amqp.Publishing) (amqp.Delivery, error) {
	if msg.CorrelationId == "" {
		msg.CorrelationId = uuid.NewString()
	}
	msg.ReplyTo = c.queue
	wait := make(chan amqp.Delivery, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return amqp.Delivery{}, err
	}
	c.pending[msg.CorrelationId] = wait
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, msg.CorrelationId)
		c.mu.Unlock()
	}
	if err := c.Publish(ctx, exchange, key, msg); err != nil {
		forget()
		return amqp.Delivery{}, err
	}
	select {
	case d := <-wait:
		return d, nil
	case <-ctx.Done():
		forget()
		return amqp.Delivery{}, fmt.Errorf("wait for reply %s: %w", msg.CorrelationId, ctx.Err())
	case <-c.done:
		forget()
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		return amqp.Delivery{}, fmt.Errorf("wait for reply %s: %w", msg.CorrelationId, err)
	}
}

// Channel gives access to the client's channel for passive checks before
// a call (e.g. QueueDeclarePassive). An error on it kills the client.
func (c *Client) Channel() *amqp.Channel { return c.ch }

// Close closes the connection and waits for the reply consumer.
func (c *Client) Close() error {
	err := c.conn.Close()
	<-c.done
	if errors.Is(err, amqp.ErrClosed) {
		return nil
	}
	return err
}
