package amqpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"
)

// DialConfig says how to reach the broker.
type DialConfig struct {
	// URL is amqp://user:password@host:port/vhost. It is logged redacted only.
	URL string
	// Name is the client-provided connection name shown by the management
	// UI and `rabbitmqctl list_connections client_properties`.
	Name string
	// Heartbeat is the AMQP heartbeat interval (default 10 s): a dead TCP
	// peer is noticed within about two intervals.
	Heartbeat time.Duration
	// DialTimeout bounds one TCP connect plus handshake (default 10 s).
	DialTimeout time.Duration
	// Backoff spaces redials (default: first retry within 1 s, cap 5 s).
	Backoff Backoff
	// Log receives connection events; nil discards them.
	Log logrus.FieldLogger
	// OnConnect, if set, is told of every successful dial by a Supervisor
	// (redial: not its first), so that metrics can count reconnects. It
	// runs on the supervisor's goroutine and must not block.
	OnConnect func(name string, redial bool)
}

func (c DialConfig) logger() logrus.FieldLogger {
	l := c.Log
	if l == nil {
		nl := logrus.New()
		nl.Out = discard{}
		l = nl
	}
	return l.WithFields(logrus.Fields{"amqp_url": Redact(c.URL), "connection": c.Name})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Dial opens one connection, bounded by ctx and DialTimeout. A broker
// refusal of the credentials or vhost is wrapped as ErrAccessRefused.
func Dial(ctx context.Context, cfg DialConfig) (*amqp.Connection, error) {
	hb := cfg.Heartbeat
	if hb <= 0 {
		hb = 10 * time.Second
	}
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	props := amqp.NewConnectionProperties()
	if cfg.Name != "" {
		props.SetClientConnectionName(cfg.Name)
	}
	ac := amqp.Config{
		Heartbeat:  hb,
		Properties: props,
		// Recovery stays nil: the supervisor owns reconnection (style §3.1).
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: timeout}
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The deadline covers the AMQP handshake; amqp091 clears it
			// once the connection is open.
			if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		},
	}
	conn, err := amqp.DialConfig(cfg.URL, ac)
	if err != nil {
		if IsAccessRefused(err) {
			return nil, fmt.Errorf("dial %s: %w", Redact(cfg.URL), &accessRefusedError{err: err})
		}
		return nil, fmt.Errorf("dial %s: %w", Redact(cfg.URL), err)
	}
	return conn, nil
}

// A Supervisor keeps one named connection open: it dials with backoff,
// notices a dead connection through NotifyClose and redials. Users ask it
// for the current connection with Conn and open their own channels on it;
// when their channels die they simply ask again (style §3.1).
type Supervisor struct {
	cfg    DialConfig
	log    logrus.FieldLogger
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	conn  *amqp.Connection
	ready chan struct{} // closed while conn is live
	err   error         // terminal error, set before done closes
	dials int
}

// Supervise starts a supervisor; it runs until ctx is done, Close is
// called, or the broker refuses the credentials (ErrAccessRefused).
func Supervise(ctx context.Context, cfg DialConfig) *Supervisor {
	ctx, cancel := context.WithCancel(ctx)
	s := &Supervisor{
		cfg:    cfg,
		log:    cfg.logger(),
		cancel: cancel,
		done:   make(chan struct{}),
		ready:  make(chan struct{}),
	}
	go s.run(ctx)
	return s
}

func (s *Supervisor) run(ctx context.Context) {
	defer close(s.done)
	attempt := 0
	for {
		conn, err := Dial(ctx, s.cfg)
		if err != nil {
			if ctx.Err() != nil {
				s.finish(ErrClosed)
				return
			}
			if errors.Is(err, ErrAccessRefused) {
				s.log.WithError(err).Warn("broker refused the credentials; not redialling")
				s.finish(err)
				return
			}
			lvl := s.log.WithError(err).WithField("attempt", attempt+1)
			if attempt == 0 {
				lvl.Warn("cannot reach the broker; retrying with backoff")
			} else {
				lvl.Debug("redial failed")
			}
			if !s.cfg.Backoff.Sleep(ctx, attempt) {
				s.finish(ErrClosed)
				return
			}
			attempt++
			continue
		}
		// Buffered: the library sends exactly once and must never block on
		// us (amqp091 doc.go); a fresh channel per connection.
		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		s.mu.Lock()
		s.conn = conn
		s.dials++
		close(s.ready)
		s.mu.Unlock()
		if attempt > 0 || s.dialCount() > 1 {
			s.log.Info("reconnected to the broker")
		} else {
			s.log.Debug("connected to the broker")
		}
		if s.cfg.OnConnect != nil {
			s.cfg.OnConnect(s.cfg.Name, s.dialCount() > 1)
		}
		attempt = 0

		select {
		case aerr := <-closed:
			s.mu.Lock()
			s.conn = nil
			s.ready = make(chan struct{})
			s.mu.Unlock()
			if aerr != nil {
				s.log.WithField("reason", aerr.Error()).Warn("connection lost; redialling")
			} else {
				s.log.Warn("connection closed; redialling")
			}
			if !s.cfg.Backoff.Sleep(ctx, 0) {
				s.finish(ErrClosed)
				return
			}
		case <-ctx.Done():
			s.mu.Lock()
			s.conn = nil
			s.mu.Unlock()
			_ = conn.Close()
			s.finish(ErrClosed)
			return
		}
	}
}

func (s *Supervisor) dialCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

func (s *Supervisor) finish(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Conn waits for a live connection. It fails when ctx is done or the
// supervisor has stopped (its terminal error, e.g. ErrAccessRefused).
func (s *Supervisor) Conn(ctx context.Context) (*amqp.Connection, error) {
	for {
		s.mu.Lock()
		conn, ready := s.conn, s.ready
		s.mu.Unlock()
		if conn != nil && !conn.IsClosed() {
			return conn, nil
		}
		select {
		case <-ready:
			// Loop: the connection may already be gone again.
			if conn == nil {
				continue
			}
			// A closed conn whose notification has not arrived yet: give
			// the supervisor a moment to swap it out.
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-s.done:
				return nil, s.Err()
			}
		case <-s.done:
			return nil, s.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Dials counts successful dials (1 after the first connect); tests use it
// to see that a connection came back.
func (s *Supervisor) Dials() int { return s.dialCount() }

// Done is closed when the supervisor has stopped for good.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Err is the reason the supervisor stopped (nil while running).
func (s *Supervisor) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops redialling, closes the connection and waits.
func (s *Supervisor) Close() error {
	s.cancel()
	<-s.done
	return nil
}
